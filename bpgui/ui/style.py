"""The look shared by the views: colours, the plots' axes, and where a grid's cells lie."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtWidgets import QApplication, QLabel, QStackedLayout, QVBoxLayout, QWidget

#: text and axes
TEXT_COLOR = "#252525"
MUTED_COLOR = "#737373"
#: the training set's curve (and other "main" curves), the test set's curve (and other companions)
TRAIN_COLOR = "#08306b"
TEST_COLOR = "#e08214"
#: the canvas's weight colours, also used for signed numbers in text: blue positive, red negative
POSITIVE_COLOR = "#2166ac"
NEGATIVE_COLOR = "#d6604d"
#: the error surface's colour map (2-D heatmap and 3-D mesh)
SURFACE_COLORS = pg.colormap.get("viridis")
#: the network's outputs over its inputs (the Outputs view, the canvas's neuron pictures): output at the low level
#: → light orange, midpoint → white, high level → light blue
OUTPUT_COLORS = pg.ColorMap([0.0, 0.5, 1.0], ["#f1a859", "#f7f7f7", "#6f9fcf"])


def style_plot(plot: pg.PlotItem) -> None:
    """Dark axes, ticks and labels for a plot on a white background (no grid: it costs more to paint than the
    rest of the plot together)."""
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(TEXT_COLOR)
        axis.setTextPen(TEXT_COLOR)
        axis.enableAutoSIPrefix(False)
        # room for the widest tick labels seen, kept: an axis that narrows and widens as the ticks change lets
        # its title run into the tick labels for a frame
        axis.setStyle(autoReduceTextSpace=False)


def grid_rect(gx: np.ndarray, gy: np.ndarray) -> QRectF:
    """The rectangle whose cells (one per grid point) are centred on the grid points."""
    dx = (gx[-1] - gx[0]) / (len(gx) - 1)
    dy = (gy[-1] - gy[0]) / (len(gy) - 1)
    return QRectF(gx[0] - dx / 2, gy[0] - dy / 2, dx * len(gx), dy * len(gy))


def make_plot(**kwargs) -> tuple[pg.PlotWidget, pg.PlotItem]:
    """A plot on white with dark axes; its right-click menu is the view box's (range and pyqtgraph's Export).
    ``kwargs`` go to the PlotWidget (e.g. ``axisItems``)."""
    widget = pg.PlotWidget(background="w", **kwargs)
    item = widget.getPlotItem()
    item.setMenuEnabled(False, enableViewBoxMenu=True)
    style_plot(item)
    return widget, item


#: the smallest font a FittedCaption shrinks to (points)
MIN_CAPTION_POINTS = 7.0


def caption_label(background: str | None = "white") -> QLabel:
    """A word-wrapped rich-text caption in the text colour, with a little padding."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.RichText)
    fill = f" background: {background};" if background else ""
    label.setStyleSheet(f"color: {TEXT_COLOR};{fill} padding: 2px 6px;")
    return label


class FittedCaption(QLabel):
    """A word-wrapped rich-text caption of a fixed height (so that the plot above it keeps its size) whose font
    shrinks, down to MIN_CAPTION_POINTS, until its text fits the width it has: a long caption at a small window
    stays whole instead of losing its last lines."""

    def __init__(self, background: str | None = None):
        super().__init__()
        self.setWordWrap(True)
        self.setTextFormat(Qt.RichText)
        fill = f" background: {background};" if background else ""
        self.setStyleSheet(f"color: {TEXT_COLOR};{fill} padding: 2px 6px;")
        self._points = self.font().pointSizeF()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self._fit()

    def event(self, ev):
        if ev.type() == QEvent.ApplicationFontChange:  # e.g. classroom mode's larger text: a new largest size
            self._points = QApplication.font().pointSizeF()
            self._fit()
        return super().event(ev)

    def resizeEvent(self, ev):  # noqa: N802 - Qt's name
        super().resizeEvent(ev)
        self._fit()

    def _fit(self) -> None:
        font = self.font()
        size = self._points
        font.setPointSizeF(size)
        self.setFont(font)
        while size > MIN_CAPTION_POINTS and self.heightForWidth(self.width()) > self.height():
            size = max(MIN_CAPTION_POINTS, size - 0.5)
            font.setPointSizeF(size)
            self.setFont(font)


def plot_or_message(owner: QWidget, plot_widget: QWidget, *below: QWidget) -> tuple[QLabel, QStackedLayout]:
    """Lay ``owner`` out as ``plot_widget`` above ``below`` (captions, gauges), with a message label that can take
    the plot's place (when there is nothing to draw): returns the label and the layout that switches the two."""
    message = QLabel()
    message.setAlignment(Qt.AlignCenter)
    message.setWordWrap(True)
    message.setStyleSheet(f"color: {TEXT_COLOR}; background: white; padding: 12px;")
    pages = QWidget()
    stack = QStackedLayout(pages)
    stack.addWidget(plot_widget)
    stack.addWidget(message)
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(pages, 1)
    for widget in below:
        layout.addWidget(widget)
    return message, stack
