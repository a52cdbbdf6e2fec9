"""File > Export: the window, one view (the canvas or a plot) as PNG or SVG, and the data behind the views, with the
dialogs that ask where; also the same without dialogs for headless use (``bpgui screenshot``). The writers
themselves are in :mod:`.export`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QInputDialog, QMainWindow

from . import export

#: the views that can be exported on their own, and the title of the dock that holds each
VIEWS = {"canvas": "network canvas", "surface": "surface", "loss": "loss", "boundary": "outputs",
         "slice": "slice", "directions": "directions", "step": "step", "line": "line", "slopes": "all directions"}
#: the menu's names of the views
VIEW_LABELS = {"canvas": "Network Canvas", "surface": "Surface", "loss": "Loss Plot", "boundary": "Outputs Plot",
               "slice": "Slice Plot", "directions": "Directions Plot", "step": "Step Waterfall",
               "line": "Line Plot", "slopes": "All Directions Plot"}


class ExportActions(QObject):
    """Exports of ``window`` (a MainWindow: its ``scene``, ``training``, ``surface``, ``model``, and the docks of the
    VIEWS, whose plots have a pyqtgraph ``plot_item``), reporting with ``status(text)`` and ``error(title, text)``."""

    def __init__(self, window: QMainWindow, status: Callable[[str], None], error: Callable[[str, str], None]):
        super().__init__(window)
        self.window = window
        self.status = status
        self.error = error

    # ------------------------------------------------------------------ without dialogs
    def plot_item(self, view: str):
        """The pyqtgraph item of a view ("surface", "loss", ...), its dock brought to the front so it is laid out."""
        dock = self.window.findChild(QDockWidget, VIEWS[view])
        dock.show()
        dock.raise_()
        QCoreApplication.processEvents()
        return dock.widget().plot_item

    def export_view(self, view: str, path: Path, width: int | None = None) -> None:
        """Write one view as PNG (``width`` pixels wide, default as shown, ×2 for the canvas) or SVG."""
        suffix = path.suffix.lower()
        if suffix not in (".png", ".svg"):
            raise export.ExportError(f"{path}: choose a .png or .svg file")
        scene = self.window.scene
        if view == "canvas":
            if suffix == ".svg":
                data = export.canvas_svg(scene)
            else:
                rect = export.canvas_rect(scene)
                data = export.png_bytes(export.canvas_image(scene, (width / rect.width()) if width else 2.0))
        elif view == "surface":  # the plot with its caption, which says what the picture shows
            self.plot_item(view)
            surface = self.window.surface_view
            if suffix == ".svg":
                data = export.svg_with_caption(export.plot_svg(surface.plot_item), surface.caption.text())
            else:
                data = export.png_bytes(surface.picture_image(width))
        else:
            item = self.plot_item(view)
            data = export.plot_svg(item) if suffix == ".svg" else export.png_bytes(export.plot_image(item, width))
        export.write_file(path, data)

    def export_view_at_size(self, view: str, path: Path, size: tuple[int, int]) -> None:
        """Write one view laid out at ``size`` (W×H pixels): a PNG of exactly that size, or an SVG (headless use).
        A plot's dock is floated and resized for it."""
        w, h = size
        if path.suffix.lower() == ".svg" or view == "canvas":
            if view == "canvas" and path.suffix.lower() == ".png":
                image = export.canvas_image_sized(self.window.scene, w, h)
                export.write_file(path, export.png_bytes(image))
                return
            if view != "canvas":
                self._float_view(view, w, h)
            self.export_view(view, path)
            return
        widget = self._float_view(view, w, h)
        image = widget.grab().toImage()
        export.write_file(path, export.png_bytes(image))

    def _float_view(self, view: str, w: int, h: int):
        dock = self.window.findChild(QDockWidget, VIEWS[view])
        widget = dock.widget()
        dock.setFloating(True)
        dock.show()
        widget.setFixedSize(w, h)
        dock.adjustSize()
        for _ in range(3):
            QCoreApplication.processEvents()
        self.window.wait_for_views()  # e.g. the surface's grid follows the plot's new proportions
        return widget

    def export_window(self, path: Path) -> None:
        if path.suffix.lower() != ".png":
            raise export.ExportError(f"{path}: the window is saved as a .png image")
        export.write_file(path, export.png_bytes(export.window_image(self.window)))

    def export_data(self, what: str, path: Path) -> None:
        """Write the loss history ("loss", CSV), the weight path ("path", CSV) or the surface grid ("grid", NPZ or
        CSV)."""
        suffix = path.suffix.lower()
        if what == "loss":
            latest = self.window.training.latest
            if latest is None:
                raise export.ExportError("there is no loss history yet")
            data = export.loss_history_csv(latest)
        elif what == "path":
            s = self.window.surface
            if s.pair is None:
                raise export.ExportError("the surface shows no parameters")
            data = export.path_csv(*s.pair, s.path_x, s.path_y, s.path_e[-len(s.path_x):] if s.path_x else [])
        else:
            if self.window.surface.result is None:
                raise export.ExportError("there is no surface yet")
            surf = self.window.surface.result.surface
            data = export.surface_npz(surf) if suffix == ".npz" else export.surface_csv(surf)
        export.write_file(path, data)

    # ------------------------------------------------------------------ with dialogs
    def default_path(self, what: str, suffix: str) -> str:
        model = self.window.model
        folder = model.path.parent if model.path else Path.home()
        latest = self.window.training.latest
        step = latest.step if latest else 0
        stem = Path(model.display_name).stem
        return str(folder / f"{stem}-{what}-step{step}{suffix}")

    def ask_path(self, title: str, what: str, filters: str, suffix: str) -> Path | None:
        path, _chosen = QFileDialog.getSaveFileName(self.window, title, self.default_path(what, suffix), filters)
        if not path:
            return None
        p = Path(path)
        if not p.suffix:
            p = p.with_suffix(suffix)
        return p

    def export_window_dialog(self) -> None:
        path = self.ask_path("Export screenshot", "window", "PNG images (*.png)", ".png")
        if path is not None:
            self.run(lambda: self.export_window(path), path)

    def copy_window(self) -> None:
        QApplication.clipboard().setImage(export.window_image(self.window))
        self.status("copied a screenshot of the window to the clipboard")

    def export_view_dialog(self, view: str) -> None:
        path = self.ask_path(f"Export the {VIEWS[view]}", view, "PNG images (*.png);;SVG drawings (*.svg)", ".png")
        if path is None:
            return
        width = None
        if path.suffix.lower() == ".png":
            width, ok = QInputDialog.getInt(self.window, "Image width", "Width in pixels:", 1600, 100, 10000, 100)
            if not ok:
                return
        self.run(lambda: self.export_view(view, path, width), path)

    def export_data_dialog(self, what: str) -> None:
        filters = {"loss": ("CSV files (*.csv)", ".csv"), "path": ("CSV files (*.csv)", ".csv"),
                   "grid": ("NumPy arrays (*.npz);;CSV files (*.csv)", ".npz")}[what]
        name = {"loss": "loss-history", "path": "weight-path", "grid": "surface-grid"}[what]
        path = self.ask_path("Export data", name, *filters)
        if path is not None:
            self.run(lambda: self.export_data(what, path), path)

    def run(self, action, path: Path) -> None:
        try:
            action()
        except export.ExportError as e:
            self.error("Cannot export", str(e))
            return
        self.status(f"exported {path}")
