"""What the network computes over its input space: a heatmap of its output with the decision contour over the
data points (2-D inputs), or its output curve over the data (1-D inputs). 2-D data whose targets are values to fit
rather than two classes (e.g. plane, bump) have no decision contour: their points are coloured by target on the
heatmap's scale, so a point that matches its background is fitted. With more than two classes the colour map shows
the predicted class (the largest output) in its class's colour.

Large data sets are drawn as a seeded sample of at most MAX_DRAWN points that keeps the share of each class in the
training and the test set, and the legend says so: a hundred thousand points would take seconds to draw and
would hide the heatmap under them.

With a classification network of 2 inputs, clicks on the plot add and remove data points
(:mod:`.point_clicks`).

Data of more than two inputs (a wide CSV table) are drawn over one or two inputs the user chooses in the tool row
(by default the two that vary most), every other input held at its mean over the data: the picture is a slice
through the input space, and its caption says so."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedLayout, QVBoxLayout, QWidget

from ...core.accuracy import has_accuracy, is_classification
from ...core.clicked_points import extra_row
from ...core.datasets import Dataset, names_classes, sample_rows
from ...core.training_run import TrainingSnapshot, output_axes, output_range, shown_output
from ..style import OUTPUT_COLORS, TEXT_COLOR, grid_rect, style_plot
from .point_clicks import PointClicks

#: point colours of class 0, class 1, … (fill of training points, ring of test points); more classes than colours
#: take them again from the start
CLASS_FILL = ("#e08214", "#2166ac", "#1b9e77", "#7570b3", "#e7298a", "#a6761d", "#66a61e", "#e6ab02", "#666666",
              "#17becf")
CLASS_RING = ("#b35806", "#053061", "#0e5c45", "#3f3a7a", "#8c1152", "#5e4210", "#3b6112", "#8a6601", "#2b2b2b",
              "#0b6e78")
#: with more than two classes the colour map shows the predicted class: its colour, this much over white
CLASS_TINT = 0.35
POINT_GREY = "#737373"
#: 2-D regression: the outlines of training and test points (test ones thicker), and the colours their targets
#: are drawn in (shared brushes: pyqtgraph renders a symbol per distinct brush)
VALUE_RING = ("#525252", "#000000")
VALUE_SHADES = 33
CURVE_COLOR = "#2166ac"
NO_OUTPUTS = "outputs shown for 1-D and 2-D inputs"
#: the y chooser's entry for a curve of the output over one input
CURVE_CHOICE = "— (a curve)"
#: the most data points drawn (training and test together); more are drawn as a sample
MAX_DRAWN = 2000
#: the seed of that sample: the same data are always drawn with the same points
SAMPLE_SEED = 0


class OutputPlot(QWidget):
    """The network's output over its inputs, drawn from training snapshots, with the data on top."""

    #: a message for the status bar
    sigStatus = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground("w")
        self.plot_item = self.plot_widget.addPlot(row=0, col=0)
        style_plot(self.plot_item)
        # below the plot, in one row, so that it never covers data
        self.legend = pg.LegendItem(labelTextColor=TEXT_COLOR, colCount=3, frame=False)
        self.legend.layout.setContentsMargins(0, 0, 0, 0)
        self.plot_widget.addItem(self.legend, row=1, col=0)
        self.plot_widget.ci.layout.setRowStretchFactor(0, 1)
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setColorMap(OUTPUT_COLORS)
        self.heatmap.setZValue(-10)
        # the decision contour, computed with the snapshot in the training thread: line segments
        self.boundary = pg.PlotCurveItem(pen=pg.mkPen(TEXT_COLOR, width=1.5), connect="pairs")
        self.boundary.setZValue(1)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(CURVE_COLOR, width=2.5))
        self.curve.setZValue(12)  # over the data points: a sample of thousands would hide it
        # default brush and pen are the legend's samples; 2-D data get per-point class colours
        self.train_points = pg.ScatterPlotItem(size=8, brush=POINT_GREY, pen=pg.mkPen("w", width=1))
        self.test_points = pg.ScatterPlotItem(size=8, brush=None, pen=pg.mkPen(POINT_GREY, width=2))
        self.train_points.setZValue(10)
        self.test_points.setZValue(11)
        for item in (self.heatmap, self.boundary, self.curve, self.train_points, self.test_points):
            self.plot_item.addItem(item)
        self.heatmap.hide()
        # one brush and one pen per class, shared by the points: pyqtgraph renders a symbol per distinct object
        self._fills = [pg.mkBrush(c) for c in CLASS_FILL]
        self._rings = [pg.mkPen(c, width=2) for c in CLASS_RING]
        self._sample_note = pg.PlotDataItem(pen=None)  # no line and no symbol: the legend shows its text alone
        self.drawn = (0, 0)  # (points drawn, points in the data)

        self.message = QLabel(NO_OUTPUTS)
        self.message.setAlignment(Qt.AlignCenter)
        self.message.setStyleSheet(f"color: {TEXT_COLOR}; background: white;")
        # the plot's page: a row of tools over the plot
        self.tools = QHBoxLayout()
        self.tools.setContentsMargins(6, 2, 6, 0)
        self.tools.addStretch(1)
        self._plot_page = QWidget()
        self._plot_page.setAutoFillBackground(True)
        page_palette = self._plot_page.palette()
        page_palette.setColor(QPalette.Window, QColor("white"))
        self._plot_page.setPalette(page_palette)
        column = QVBoxLayout(self._plot_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(self.tools)
        column.addWidget(self.plot_widget, 1)
        self._pages = QStackedLayout(self)
        self._pages.addWidget(self._plot_page)
        self._pages.addWidget(self.message)
        #: the data's points as drawn: (every input row, training rows then test rows; the rows drawn; how many
        #: are training rows), or None
        self.shown_points: tuple[np.ndarray, np.ndarray, int] | None = None
        self._make_axes_choice()
        self._make_point_clicks()

        self._levels = (0.0, 1.0)  # output values at the two ends of the colour map
        self._many_classes = False  # K > 2 classes: the map shows the predicted class
        self._hub = None
        self._training = None
        self._shown_for: tuple | None = None  # what the data points on show were drawn from

    def follow(self, hub, training) -> None:
        """Show the open document's data (``hub``: the DocumentHub) and ``training``'s snapshots from now on."""
        self._hub = hub
        self._training = training
        hub.sigSettingsChanged.connect(self._on_document_change)
        hub.sigNetworkChanged.connect(lambda change: change.structural and self._on_document_change())
        hub.sigDocumentReplaced.connect(self._on_document_change)
        training.sigSnapshot.connect(self.update_snapshot)
        self._on_document_change()
        self.clicks.follow(hub)

    def _on_document_change(self, *_) -> None:
        """Draw the data points again, but only when what the plot shows of them changed: redrawing hundreds of
        points takes a while."""
        model = self._hub.model
        net = model.network
        names = tuple(n.id for n in net.inputs)
        key = (model.doc.data, names, len(net.outputs), net.loss)  # data settings are replaced, never changed
        old = self._shown_for
        if old is not None and old[0] is key[0] and old[1:] == key[1:]:
            return
        self._shown_for = key
        dataset = model.dataset()
        drawn = self._drawn_after_point_edit(dataset) if old is not None and old[1:] == key[1:] else None
        self.set_dataset(dataset, net.loss, input_names=names, drawn=drawn)

    # ------------------------------------------------------------------ data
    def set_dataset(self, dataset: Dataset | None, loss_name: str, input_names: Sequence[str] | None = None,
                    drawn: np.ndarray | None = None) -> None:
        """Draw the data points (once per data set) and fix the colour levels for the network's outputs. ``drawn``:
        the rows to draw after a point was added or removed (the view then stays where it is, rather than fitting
        the data); by default a sample of at most MAX_DRAWN."""
        self.heatmap.hide()
        self.curve.setData([], [])
        self.legend.clear()
        self.train_points.setData([])
        self.test_points.setData([])
        self.drawn = (0, 0)
        self.shown_points = None
        all_names = list(input_names or [f"input {i + 1}" for i in range(dataset.n_inputs)]) if dataset else []
        axes = self._choose_axes(dataset, all_names)
        shown = axes is not None
        self._pages.setCurrentWidget(self._plot_page if shown or dataset is None else self.message)
        if not shown:
            return
        n_inputs = len(axes)
        names = [all_names[i] for i in axes]
        self._levels = output_range(loss_name, dataset)
        middle = sum(output_range("half_sse", dataset)) / 2  # classes split at the targets' middle
        n_train, n_test = len(dataset.x_train), len(dataset.x_test)
        x_all = np.concatenate([dataset.x_train, dataset.x_test]) if n_test else dataset.x_train
        x = x_all[:, list(axes)] if dataset.n_inputs > 2 else x_all
        t = np.concatenate([dataset.t_train, dataset.t_test]) if n_test else dataset.t_train
        is_test = np.arange(len(x)) >= n_train
        classes_named = has_accuracy(loss_name, t)  # (a pass over every target row: once)
        values = n_inputs == 2 and not (names_classes(t) or classes_named)  # 2-D regression
        self._many_classes = classes_named and t.shape[1] > 2
        classes = (self._classes(t, middle, is_classification(loss_name)) if n_inputs == 2 and not values
                   else np.zeros(len(x), dtype=int))
        groups = classes + (classes.max(initial=0) + 1) * is_test  # each class of the training and of the test set
        rows = sample_rows(groups, MAX_DRAWN, SAMPLE_SEED) if drawn is None else drawn
        train, test = rows[~is_test[rows]], rows[is_test[rows]]
        self.drawn = (len(rows), len(x))
        self.shown_points = (x_all, rows, n_train)

        if n_inputs == 2:
            self.plot_item.setLabel("bottom", names[0])
            self.plot_item.setLabel("left", names[1])
            self.plot_item.setAspectLocked(True)
            if values:
                self._draw_values(x, t[:, shown_output(t.shape[1])], train, test)
            else:
                fills, rings = self._fills, self._rings
                self.train_points.setData(pos=x[train], brush=[fills[c % len(fills)] for c in classes[train]])
                if len(test):
                    self.test_points.setData(pos=x[test], pen=[rings[c % len(rings)] for c in classes[test]])
        else:
            self.plot_item.setLabel("bottom", names[0])
            self.plot_item.setLabel("left", "output")
            self.plot_item.setAspectLocked(False)
            self.train_points.setData(x[train, 0], t[train, 0])
            if len(test):
                self.test_points.setData(x[test, 0], t[test, 0])
        self.legend.addItem(self.train_points, "train")
        if n_test:
            self.legend.addItem(self.test_points, "test")
        if n_inputs == 1:
            self.legend.addItem(self.curve, "network")
        if len(rows) < len(x):
            self.legend.addItem(self._sample_note, f"showing a sample of {len(rows):,} of {len(x):,} points")
        if drawn is None:
            self.plot_item.enableAutoRange()

    # ------------------------------------------------------------------ which inputs (wide data)
    def _make_axes_choice(self) -> None:
        """"plot [x] against [y]" in the tool row, for data of more than two inputs."""
        tip = ("the network has more inputs than a picture can show: it shows its output over the one or two inputs "
               "chosen here, every other input held at its mean over the data")
        self.axes_label = QLabel("plot over")
        self.x_choice = QComboBox()
        self.y_choice = QComboBox()
        self.axes_and = QLabel("and")
        self.axes_note = QLabel("(the other inputs at their mean)")
        self.axes_note.setStyleSheet("color: #636363;")
        for w in (self.axes_label, self.x_choice, self.axes_and, self.y_choice, self.axes_note):
            w.setToolTip(tip)
            self.tools.insertWidget(self.tools.count() - 1, w)  # before the stretch
        self.x_choice.setToolTip("the input along the picture's horizontal axis")
        self.y_choice.setToolTip("the input along the vertical axis, or a curve of the output over the first "
                                 "input alone")
        self.x_choice.activated.connect(self._on_axes_chosen)
        self.y_choice.activated.connect(self._on_axes_chosen)
        self.axes = None  # the inputs drawn (indices from 0), or None
        self._axes_names: tuple[str, ...] = ()
        self._show_axes_choice(False)

    def _show_axes_choice(self, on: bool) -> None:
        for w in (self.axes_label, self.x_choice, self.axes_and, self.y_choice, self.axes_note):
            w.setVisible(on)

    def _choose_axes(self, dataset: Dataset | None, names: list[str]) -> tuple[int, ...] | None:
        """The inputs to draw for ``dataset``: every one of 1-D or 2-D data; for wider data the user's choice, kept
        while the inputs keep their names, else the two that vary most. Tells the run which to picture."""
        if dataset is None:
            self.axes = None
            self._show_axes_choice(False)
            return None
        n = dataset.n_inputs
        wide = n > 2
        self._show_axes_choice(wide)
        if not wide:
            axes = output_axes(n)
        else:
            axes = self.axes if tuple(names) == self._axes_names else None
            if output_axes(n, axes) is None:
                x = np.concatenate([dataset.x_train, dataset.x_test]) if len(dataset.x_test) else dataset.x_train
                spread = x.var(axis=0)
                axes = tuple(int(i) for i in sorted(np.argsort(-spread, kind="stable")[:2]))
            self._fill_axes_choice(names, axes)
        changed = axes != self.axes
        self.axes, self._axes_names = axes, tuple(names)
        if changed and self._training is not None:
            self._training.show_inputs(axes if wide else None)
        return axes

    def _fill_axes_choice(self, names: list[str], axes: tuple[int, ...]) -> None:
        for combo, extra in ((self.x_choice, []), (self.y_choice, [CURVE_CHOICE])):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names + extra)
            combo.blockSignals(False)
        self.x_choice.setCurrentIndex(axes[0])
        self.y_choice.setCurrentIndex(axes[1] if len(axes) > 1 else len(names))

    def _on_axes_chosen(self, *_) -> None:
        x, y = self.x_choice.currentIndex(), self.y_choice.currentIndex()
        n = self.x_choice.count()
        axes = (x,) if y >= n or y == x else (x, y)
        if axes == self.axes:
            return
        self.axes = axes
        if self._training is not None:
            self._training.show_inputs(axes)
        model = self._hub.model if self._hub is not None else None
        if model is not None:
            net = model.network
            self.set_dataset(model.dataset(), net.loss, input_names=tuple(n.id for n in net.inputs))

    def _draw_values(self, x: np.ndarray, t: np.ndarray, train: np.ndarray, test: np.ndarray) -> None:
        """2-D points filled with their target's colour on the heatmap's scale (in VALUE_SHADES steps), ringed dark
        grey (training) or black (test)."""
        lo, hi = self._levels
        shades = [pg.mkBrush(c) for c in OUTPUT_COLORS.map(np.linspace(0.0, 1.0, VALUE_SHADES), mode="qcolor")]
        shade = np.rint(np.clip((t - lo) / (hi - lo), 0.0, 1.0) * (VALUE_SHADES - 1)).astype(int)
        ring, test_ring = (pg.mkPen(c, width=w) for c, w in zip(VALUE_RING, (1, 2)))
        # pens as lists: a single pen would become the item's default, and the legend's sample, for every data set
        self.train_points.setData(pos=x[train], brush=[shades[k] for k in shade[train]], pen=[ring] * len(train))
        if len(test):
            self.test_points.setData(pos=x[test], brush=[shades[k] for k in shade[test]], pen=[test_ring] * len(test))

    @staticmethod
    def _classes(targets: np.ndarray, middle: float, classify: bool = False) -> np.ndarray:
        """The class of each target row: the largest of two one-hot columns (or of K, when the network
        classifies), else the first column ≥ the midpoint (0 or 1)."""
        if targets.shape[1] == 2 or (classify and targets.shape[1] > 2):
            return targets.argmax(axis=1)
        return (targets[:, 0] >= middle).astype(int)

    # ------------------------------------------------------------------ outputs
    def update_snapshot(self, snap: TrainingSnapshot) -> None:
        """Show the snapshot's outputs: a heatmap and contour over a grid, or a curve over a line."""
        outputs = snap.grid_outputs
        if outputs is None:
            self.heatmap.hide()
            self.boundary.setData([], [])
            self.curve.setData([], [])
            fine = snap.diverged is None and snap.problem is None and snap.finite
            if fine:  # the run trains but has no 1-D or 2-D input space to show
                self._pages.setCurrentWidget(self.message)
            return
        if self.axes is not None and snap.grid_inputs is not None and snap.grid_inputs != self.axes:
            return  # drawn over other inputs than the ones chosen: the next snapshot has these
        self._pages.setCurrentWidget(self._plot_page)
        gx, gy = snap.grid_x, snap.grid_y
        if gy is None:
            self.curve.setData(gx, outputs[:, 0])
            self.heatmap.hide()
            self.boundary.setData([], [])
            return
        if outputs.shape[2] > 2 and self._many_classes:
            self.heatmap.setImage(self._class_image(outputs), autoLevels=False, levels=(0, 255))
        else:
            image = outputs[:, :, shown_output(outputs.shape[2])]
            self.heatmap.setImage(image, levels=self._levels, autoLevels=False)
        self.heatmap.setRect(grid_rect(gx, gy))
        seg = snap.boundary if snap.boundary is not None else np.zeros((0, 2, 2))
        self.boundary.setData(seg[:, :, 0].ravel(), seg[:, :, 1].ravel())
        self.heatmap.show()
        self.curve.setData([], [])

    def _class_image(self, outputs: np.ndarray) -> np.ndarray:
        """The predicted class (the largest output) of each grid cell in its class colour, tinted over white."""
        colors = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in CLASS_FILL], dtype=float)
        tinted = 255.0 - CLASS_TINT * (255.0 - colors)
        return tinted[np.argmax(outputs, axis=2) % len(colors)].astype(np.uint8)

    # ------------------------------------------------------------------ clicked points
    def _make_point_clicks(self) -> None:
        """Clicks on the plot add and remove data points (classification of 2 inputs); the class chooser sits in
        the tool row, at its right."""
        self.clicks = PointClicks(self, list(zip(CLASS_FILL, CLASS_RING)))
        self.clicks.sigStatus.connect(self.sigStatus)
        self.tools.addWidget(self.clicks.chooser)

    def _drawn_after_point_edit(self, dataset: Dataset | None) -> np.ndarray | None:
        """When ``dataset``'s points are the ones on show with one point added or removed (a click, or its undo): the
        rows to draw, the same as before, with the added one (so that a click on a sampled data set shows its
        point, and the other points stay); else None."""
        if dataset is None or self.shown_points is None:
            return None
        x = np.concatenate([dataset.x_train, dataset.x_test]) if len(dataset.x_test) else dataset.x_train
        old_x, old_rows, _ = self.shown_points
        extra = extra_row(old_x, x)
        if extra is None:
            return None
        if len(x) > len(old_x):
            return np.sort(np.append(old_rows + (old_rows >= extra), extra))
        kept = old_rows[old_rows != extra]
        return kept - (kept > extra)
