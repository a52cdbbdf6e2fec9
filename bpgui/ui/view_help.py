"""What each view of the window shows, in a sentence or two and its formula: Help > What Am I Looking At? lists
them all, F1 (Help > What Is This View?) shows the one with the keyboard focus (or under the mouse). The views'
names are the lessons' (core/lessons.VIEWS); :data:`VIEW_DOCKS` says which dock holds each.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMessageBox, QWidget

from ..core.losses import LOSSES

#: the dock (its object name) that holds each view; the canvas is the window's middle
VIEW_DOCKS = {"training": "training", "properties": "properties", "chain_rule": "chain rule", "surface": "surface",
              "surface3d": "surface 3d", "step": "step", "line": "line", "slopes": "all directions",
              "loss": "loss", "outputs": "outputs", "slice": "slice", "directions": "directions"}


class ViewHelp:
    """A view's title (as on its tab), where it is, what it shows, and the formula behind it."""

    def __init__(self, title: str, place: str, text: str, formula: str):
        self.title, self.place, self.text, self.formula = title, place, text, formula


#: in the order of Help > What Am I Looking At?
VIEW_HELP = {
    "canvas": ViewHelp(
        "Network", "middle",
        "the neurons in layers and every weight: blue positive, red negative, thicker for larger |w|. With the "
        "Gradient Overlay, each edge is drawn by ∂E/∂w. A layer of more than 16 neurons is drawn small, named every "
        "few, its edges thin and paler the smaller. With View > Neuron Pictures (2 inputs), each neuron is drawn as "
        "its output over the inputs; hover one to enlarge it.",
        "a neuron's output a = f(z), z = Σᵢ wᵢ·aᵢ + b"),
    "training": ViewHelp(
        "Training", "left",
        "the run buttons, the speed, and how the network learns: learning rate, optimizer, batch size, loss and "
        "data.",
        "one step of plain gradient descent: w ← w − η·∂E/∂w for every weight"),
    "properties": ViewHelp(
        "Properties", "left",
        "the selected neuron or edge: its value, its activation or its weight, and the gradient of E for it.",
        "a weight's gradient ∂E/∂w; a neuron's bias gradient ∂E/∂b = mean δ"),
    "chain_rule": ViewHelp(
        "Chain Rule", "left",
        "for the selected weight, ∂E/∂w taken apart into the chain rule's factors, sample by sample.",
        "∂E/∂wᵢⱼ = mean over samples of δⱼ·aᵢ, with δⱼ = f′(zⱼ)·Σₖ wⱼₖ·δₖ"),
    "surface": ViewHelp(
        "Surface", "right",
        "the loss E over two weights, every other one held where it is: the path training took, the current "
        "point, −∂E/∂x, −∂E/∂y and the optimizer's next step (the yellow ring).",
        "E(x, y) with the rest fixed; the arrows −∂E/∂x, −∂E/∂y and −∇E = −(∂E/∂x, ∂E/∂y)"),
    "surface3d": ViewHelp(
        "Surface 3D", "right",
        "the same surface as a landscape: height is E.",
        "height = E(x, y) with the rest fixed"),
    "step": ViewHelp(
        "Step", "right",
        "the optimizer's next step over every parameter: a bar per term gᵢ·Δwᵢ (hover one to mark its parameter "
        "on the network), their sum beside the actual ΔE, and η·λ_max against 2.",
        "ΔE ≈ Σᵢ gᵢ·Δwᵢ; plain gradient descent is stable while η·λ_max < 2"),
    "line": ViewHelp(
        "Line", "right",
        "E along the next step, w + t·Δw for t from 0 to 2, with its linear and quadratic models.",
        "E(w + t·Δw) ≈ E + t·∇E·Δw + ½t²·Δwᵀ·H·Δw"),
    "slopes": ViewHelp(
        "All Directions", "right",
        "the slopes of random unit directions and of each single parameter, against −|∇E|, the steepest of all.",
        "the slope along a unit direction u is ∇E·u, never below −|∇E|"),
    "loss": ViewHelp(
        "Loss", "right",
        "the training (and test) loss after each step; for a network that classifies (loss bce or cross_entropy), "
        "View > Accuracy in the Loss Plot adds the share of points classified right.",
        "E as the network's loss defines it (below)"),
    "outputs": ViewHelp(
        "Outputs", "right",
        "what the network answers over its inputs: a colour map with the decision boundary (2 inputs, two "
        "classes; for values to fit, such as plane or bump, the points are coloured by their target on the same "
        "scale) or the fitted curve (1 input), with the data. For a classifier of 2 inputs, clicks add and remove "
        "data points.",
        "y = the network's output for the input x; the boundary is where y crosses the middle of its range"),
    "slice": ViewHelp(
        "Slice", "right",
        "E along one weight through the current point, the others held: the tangent's slope is ∂E/∂w, and where "
        "one gradient step lands.",
        "E(w) with the rest fixed; tangent slope ∂E/∂w; one step lands at w − η·∂E/∂w"),
    "directions": ViewHelp(
        "Directions", "right",
        "the slope of E along every direction in the surface's plane, against its angle: steepest downhill along "
        "−∇E.",
        "slope(θ) = ∂E/∂x·cos θ + ∂E/∂y·sin θ, lowest at −∇E"),
}


def view_help_html(name: str, loss: str | None = None) -> str:
    """One view's help as rich text; the Loss view's names the formula of ``loss`` (the network's loss)."""
    h = VIEW_HELP[name]
    formula = h.formula
    if name == "loss" and loss in LOSSES and LOSSES[loss].formula:
        formula = f"{LOSSES[loss].formula} ({loss})"
    return (f"<p><b>{escape(h.title)}</b> ({h.place}): {escape(h.text)}</p>"
            f"<p style='margin-left: 1em'><i>{escape(formula)}</i></p>")


def all_views_html(loss: str | None = None) -> str:
    return "".join(view_help_html(name, loss) for name in VIEW_HELP)


def view_of(window: QMainWindow, widget: QWidget | None) -> str | None:
    """The view ``widget`` belongs to (a name of VIEW_HELP), or None."""
    docks = {v: k for k, v in VIEW_DOCKS.items()}
    central = window.centralWidget()
    while widget is not None:
        if widget is central:
            return "canvas"
        if isinstance(widget, QDockWidget):
            return docks.get(widget.objectName())
        widget = widget.parentWidget()
    return None


def current_view(window: QMainWindow) -> str:
    """The view with the keyboard focus, else the one under the mouse, else the network canvas."""
    return (view_of(window, QApplication.focusWidget()) or view_of(window, QApplication.widgetAt(QCursor.pos()))
            or "canvas")


def show_view_help(window: QMainWindow, name: str | None = None) -> QMessageBox:
    """A box with the help of view ``name`` (default: :func:`current_view`); returns it, open (not modal)."""
    name = name or current_view(window)
    loss = window.model.network.loss
    box = QMessageBox(QMessageBox.Information, f"What is this? — {VIEW_HELP[name].title}",
                      view_help_html(name, loss), QMessageBox.Ok, window)
    box.setObjectName("view help")
    box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 30em; }")
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.open()
    return box
