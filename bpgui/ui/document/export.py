"""Export: images of the window, the network canvas and the plots (PNG, and SVG for plots and the canvas), and
the data behind the views (the loss history and the weight path as CSV, the surface grid as NPZ or CSV).

Every writer goes through :func:`write_file`, which writes a temporary file beside the target and renames it over
it: a failed export (an unwritable folder, a full disk) raises :class:`ExportError` with the reason and leaves any
existing file as it was.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from ...core.document import atomic_write_bytes
from ...core.surface import Surface


class ExportError(Exception):
    """An export that could not be written; the message is for the user."""


def write_file(path: str | Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise ExportError(f"{path}: cannot write ({e.strerror or e})") from None


def png_bytes(image: QImage) -> bytes:
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.WriteOnly)
    if not image.save(dev, "PNG"):
        raise ExportError("the image could not be encoded as PNG")
    return bytes(buf.data())


# ---------------------------------------------------------------------------------------------- images
def window_image(window) -> QImage:
    """The whole window at the screen's device pixel ratio."""
    pixmap = window.grab()
    return pixmap.toImage()


def plot_image(plot_item, width: int | None = None) -> QImage:
    """A pyqtgraph plot (a PlotItem or a GraphicsLayout) as an image, ``width`` pixels wide (default: as shown)."""
    from pyqtgraph.exporters import ImageExporter

    exporter = ImageExporter(plot_item)
    if width:
        exporter.parameters()["width"] = int(width)
    image = exporter.export(toBytes=True)
    if image is None or image.isNull():
        raise ExportError("the plot could not be drawn (is it shown?)")
    return image


def plot_svg(plot_item) -> bytes:
    """A pyqtgraph plot as SVG."""
    from pyqtgraph.exporters import SVGExporter

    text = SVGExporter(plot_item).export(toBytes=True)
    return text if isinstance(text, bytes) else bytes(text)


def svg_with_caption(svg: bytes, html: str, font_size: int = 12) -> bytes:
    """``svg`` with the text of ``html`` (rich text, e.g. a plot's caption) written beneath its drawing, wrapped to
    its width."""
    import textwrap
    import xml.etree.ElementTree as ET

    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(html)
    paragraphs = [p for p in doc.toPlainText().split("\n") if p.strip()]
    if not paragraphs:
        return svg
    ns = "http://www.w3.org/2000/svg"
    ET.register_namespace("", ns)
    root = ET.fromstring(svg)
    width = float(str(root.get("width", "600")).rstrip("px"))
    height = float(str(root.get("height", "400")).rstrip("px"))
    chars = max(20, int(width / (0.55 * font_size)))
    lines = [line for p in paragraphs for line in textwrap.wrap(p, chars)]
    step = 1.3 * font_size
    extra = step * len(lines) + font_size
    text = ET.SubElement(root, f"{{{ns}}}text", {"x": "6", "y": f"{height + font_size:.1f}",
                                                  "font-family": "DejaVu Sans, sans-serif",
                                                  "font-size": str(font_size), "fill": "#252525"})
    for i, line in enumerate(lines):
        span = ET.SubElement(text, f"{{{ns}}}tspan", {"x": "6", "dy": "0" if i == 0 else f"{step:.1f}"})
        span.text = line
    root.set("height", f"{height + extra:.0f}")
    box = root.get("viewBox")
    if box:
        x0, y0, w, h = (float(v) for v in box.replace(",", " ").split())
        root.set("viewBox", f"{x0:g} {y0:g} {w:g} {h + extra * h / height:g}")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def canvas_rect(scene) -> QRectF:
    """What a canvas export shows: every item and the layer columns, with a margin."""
    return scene.itemsBoundingRect().adjusted(-20, -40, 20, 20).united(scene.sceneRect())


def canvas_image(scene, scale: float = 2.0) -> QImage:
    """The whole network canvas (not just the part in view), ``scale`` pixels per scene unit."""
    rect = canvas_rect(scene)
    size = QSize(max(1, int(rect.width() * scale)), max(1, int(rect.height() * scale)))
    image = QImage(size, QImage.Format_ARGB32)
    image.fill(Qt.white)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, size.width(), size.height()), rect)
    painter.end()
    return image


def canvas_image_sized(scene, width: int, height: int) -> QImage:
    """The whole network canvas fitted (keeping its proportions) into a ``width`` × ``height`` image."""
    rect = canvas_rect(scene)
    image = QImage(QSize(width, height), QImage.Format_ARGB32)
    image.fill(Qt.white)
    scale = min(width / rect.width(), height / rect.height())
    target = QRectF((width - rect.width() * scale) / 2, (height - rect.height() * scale) / 2,
                    rect.width() * scale, rect.height() * scale)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    scene.render(painter, target, rect)
    painter.end()
    return image


def canvas_svg(scene) -> bytes:
    """The whole network canvas as SVG (vector: edges, neurons and labels stay sharp at any size)."""
    rect = canvas_rect(scene)
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.WriteOnly)
    gen = QSvgGenerator()
    gen.setOutputDevice(dev)
    gen.setSize(QSize(int(rect.width()), int(rect.height())))
    gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    gen.setTitle("bpgui network")
    painter = QPainter(gen)
    scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
    painter.end()
    return bytes(buf.data())


# ---------------------------------------------------------------------------------------------- data
def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if isinstance(v, float) and np.isnan(v) else repr(float(v)) if isinstance(v, float) else v
                    for v in row])
    return out.getvalue().encode()


def loss_history_csv(snapshot) -> bytes:
    """step, train loss, test loss (empty where there is no test set)."""
    rows = zip(snapshot.history_steps.tolist(), snapshot.history_train.tolist(), snapshot.history_test.tolist())
    return _csv(["step", "train_loss", "test_loss"], rows)


def path_csv(x_name: str, y_name: str, xs, ys, losses) -> bytes:
    """One row per training snapshot: the two parameters' values and the training loss."""
    rows = zip(range(len(xs)), np.asarray(xs, float).tolist(), np.asarray(ys, float).tolist(),
               np.asarray(losses, float).tolist())
    return _csv(["point", x_name, y_name, "train_loss"], rows)


def surface_npz(surf: Surface) -> bytes:
    """Arrays ``x``, ``y`` and ``loss`` (``loss[i, j]`` = E at (x[j], y[i])), as ``bpgui surface`` writes."""
    buf = io.BytesIO()
    np.savez(buf, x=np.asarray(surf.x, float), y=np.asarray(surf.y, float), loss=np.asarray(surf.loss, float))
    return buf.getvalue()


def surface_csv(surf: Surface) -> bytes:
    """Long format: one row per grid point (x value, y value, E)."""
    rows = ((float(x), float(y), float(surf.loss[i, j])) for i, y in enumerate(surf.y) for j, x in enumerate(surf.x))
    return _csv([surf.x_name, surf.y_name, "loss"], rows)
