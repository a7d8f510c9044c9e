"""Hostile inputs made at test time (small on disk), and a way to read them in a fresh process that
reports its peak memory: the bound a reader promises is measured, not assumed."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
import zipfile

LIMIT_MB = 500  # what reading any bomb may cost in peak memory
LIMIT_S = 30  # and in time


def measured(code: str, timeout: float = 120) -> tuple[str, float, float]:
    """Run ``code`` (Python, may print) in a fresh interpreter; returns (its output, peak RSS in MB, seconds).
    The time is measured inside the child, so interpreter start-up does not count."""
    # VmHWM, not getrusage's ru_maxrss: a child started from a large process (pytest) inherits its
    # parent's ru_maxrss on Linux; VmHWM belongs to the new program's own memory
    script = textwrap.dedent("""
        import sys, time
        started = time.perf_counter()
        try:
        {body}
        except Exception as e:
            print(f"{{type(e).__name__}}: {{e}}")
        print("SECONDS", time.perf_counter() - started)
        with open("/proc/self/status") as f:
            print("MAXRSS_MB", next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024)
    """).format(body=textwrap.indent(textwrap.dedent(code), "    "))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    rss = float(lines[-1].split()[1])
    seconds = float(lines[-2].split()[1])
    return "\n".join(lines[:-2]), rss, seconds


def gzip_repeating(path, line: bytes, total_bytes: int, first: bytes = b"") -> None:
    """A gzip file that decompresses to ``first`` then ``line`` repeated to about ``total_bytes``: one
    member of 1 MB of lines, compressed once and concatenated (gzip readers read every member), so a
    file that inflates to gigabytes is written in milliseconds."""
    block = gzip.compress(line * max(1, (1 << 20) // len(line)), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        if first:
            f.write(gzip.compress(first, mtime=0))
        f.write(block * max(1, total_bytes // (1 << 20)))


def zip_with_deflated_member(path, name: str, head: bytes, filler: bytes, total_bytes: int,
                             others: dict[str, bytes] | None = None) -> None:
    """A zip whose member ``name`` is ``head`` followed by ``filler`` to ``total_bytes``, deflated."""
    block = filler * max(1, (1 << 20) // len(filler))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for other, data in (others or {}).items():
            z.writestr(other, data)
        with z.open(name, "w", force_zip64=True) as f:
            f.write(head)
            for _ in range(max(1, total_bytes // len(block))):
                f.write(block)


def embedding_header(keys) -> bytes:
    return json.dumps({"format": "embedstudio-embedding", "keys": list(keys)}).encode()
