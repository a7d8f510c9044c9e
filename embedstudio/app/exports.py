"""File ▸ Export: the current vectors in any format, the map's coordinates, and pictures of the plots
(PNG at a chosen width, or SVG)."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QIODevice, QRect
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QInputDialog

from embedstudio.storage import atomic_write


def render_view(view, fmt: str, width: int = 2000) -> bytes:
    """A plot widget as PNG bytes (``width`` pixels wide) or SVG bytes (vector). Transient marks (a map's
    hover label) are left out of the picture."""
    hover = getattr(view, "hover_label", None)
    was_shown = hover is not None and hover.isVisible()
    if was_shown:
        hover.hide()
    try:
        return _render(view, fmt, width)
    finally:
        if was_shown:
            hover.show()


def _render(view, fmt: str, width: int) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if fmt == "svg":
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(view.size())
        generator.setViewBox(QRect(0, 0, view.width(), view.height()))
        generator.setTitle("EmbedStudio")
        painter = QPainter(generator)
        view.render(painter)
        painter.end()
    else:
        import pyqtgraph.exporters as exporters

        exporter = exporters.ImageExporter(view.getPlotItem())
        exporter.parameters()["width"] = int(width)
        image = exporter.export(toBytes=True)
        if not image.save(buffer, "PNG"):
            raise ValueError("the image could not be encoded as PNG")
    return bytes(buffer.data())


def write_image(view, path: str, width: int = 2000) -> None:
    """PNG at ``width`` pixels, or SVG (by the extension) by Qt's own SVG painter (pyqtgraph 0.14's SVG
    exporter fails on current Qt's path syntax); written atomically."""
    with atomic_write(path) as f:
        f.write(render_view(view, "svg" if path.lower().endswith(".svg") else "png", width))


VECTOR_FILTERS = [("word2vec binary (*.bin)", "word2vec-binary"), ("word2vec text (*.txt)", "word2vec-text"),
                  ("GloVe, no header line (*.txt)", "glove"), ("fastText (*.vec)", "fasttext-vec"),
                  ("Projector TSV (*.tsv)", "projector-tsv"), ("EmbedStudio (*.npz)", "embedstudio")]


class Exports:
    """The File menu's exports of the window ``shell``: its current embedding, map and plots."""

    def __init__(self, shell):
        self.shell = shell

    def vectors_dialog(self, name: str | None = None) -> None:
        """Export the current embedding, or the workspace's ``name``, in a format the file name chooses."""
        name = name or self.shell.session.current
        if name is None:
            self.shell.show_error("There are no vectors to export yet: open or train some first")
            return
        path, chosen = QFileDialog.getSaveFileName(self.shell, f"Export the vectors of {name}", "vectors.bin",
                                                   ";;".join(label for label, _ in VECTOR_FILTERS))
        if path:
            # a .txt is word2vec text or GloVe (no header line): the filter the user picked says which
            fmt = dict(VECTOR_FILTERS).get(chosen) if path.lower().endswith((".txt", ".txt.gz")) else None
            self.vectors(path, fmt, name=name)

    def vectors(self, path: str, fmt: str | None = None, name: str | None = None) -> None:
        from embedstudio.data.vectors_io import format_for_path, write_vectors

        embedding = self.shell.session.embeddings.get(name) if name else self.shell.session.embedding
        if embedding is None:
            self.shell.show_error("There are no vectors to export yet: open or train some first")
            return
        try:
            write_vectors(embedding, path, format_for_path(path, fmt))
        except (OSError, ValueError) as e:
            self.shell.show_error(f"Could not export to {path}: {e}")
            return
        self.shell.statusBar().showMessage(f"exported {len(embedding):,} vectors to {path}")

    def image_dialog(self, view, name: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self.shell, f"Export the {name}", f"{name}.png",
                                              "PNG (*.png);;SVG (*.svg)")
        if not path:
            return
        width = 2000
        if not path.lower().endswith(".svg"):
            width, ok = QInputDialog.getInt(self.shell, "Image size", "width in pixels (300 dpi x 6.7 in = 2000)",
                                            2000, 200, 20000, 100)
            if not ok:
                return
        self.image(view, path, width)

    def image(self, view, path: str, width: int = 2000) -> None:
        try:
            write_image(view, path, width)
        except (OSError, ValueError) as e:
            self.shell.show_error(f"Could not export to {path}: {e}")
            return
        self.shell.statusBar().showMessage(f"exported {path}")

    def coordinates_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.shell, "Export map coordinates", "map.csv",
                                              "CSV (*.csv);;TSV (*.tsv)")
        if path:
            try:
                self.shell.map.export_coordinates(path)
            except OSError as e:
                self.shell.show_error(f"Could not export to {path}: {e}")
