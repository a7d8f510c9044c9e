#!/usr/bin/env python3
"""The README's picture of the audit report's figure: audits the bundled vectors with the gender preset and
300 neutral words, writes the HTML report, and renders the figure's SVG taken from that HTML (Qt's SVG
renderer; no browser needed).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_report_figure.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QByteArray  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402


def neutral_words(embedding, preset, n: int = 300) -> list[str]:
    """``n`` frequent words of the vocabulary (after the 150 most frequent, which are mostly function words),
    none of the preset's pair words: the same 300 as the README's screenshot of the view."""
    taken = {w.lower() for pair in preset.definitional_pairs + preset.equalize_pairs for w in pair}
    return [k for k in embedding.keys[150:] if k.isalpha() and len(k) >= 4 and k.lower() not in taken][:n]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshots"))
    args = ap.parse_args()
    from embedstudio.analysis.audit import load_preset, run_audit, write_report
    from embedstudio.data.vectors_io import read_vectors
    from embedstudio.resources import resource

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    emb = read_vectors(str(resource("sample", "sotu-vectors.vec.gz")))
    preset = load_preset("gender")
    preset.neutral_words = neutral_words(emb, preset)
    result, _ = run_audit(emb, preset, debias="hard")
    report = Path(tempfile.mkdtemp()) / "audit.html"
    write_report(result, preset, str(report))
    svg = re.search(r"<figure>(<svg.*?</svg>)</figure>", report.read_text(encoding="utf-8"), re.S).group(1)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    image = QImage(renderer.defaultSize(), QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    out = Path(args.out) / "report-figure.png"
    image.save(str(out))
    print(f"{out}: the figure of {report} ({len(result.before.most_biased)} neutral words)")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
