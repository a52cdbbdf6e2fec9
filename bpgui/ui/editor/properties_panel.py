"""The properties panel: the selected neuron's or edge's values, editable (each change is an undoable edit)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from ...core.activations import ACTIVATION_NAMES, ACTIVATIONS
from ...core.losses import LOSSES
from ..style import NEGATIVE_COLOR, POSITIVE_COLOR
from .network_items import GRAD_DOWN, GRAD_UP, WIDE


def _spin(tip: str) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(-1e6, 1e6)
    s.setDecimals(4)
    s.setSingleStep(0.05)
    s.setKeyboardTracking(False)
    s.setToolTip(tip)
    return s


class PropertiesPanel(QWidget):
    def __init__(self, scene, parent=None):
        super().__init__(parent)
        self.scene = scene
        self.title = QLabel()
        self.title.setTextFormat(Qt.RichText)
        self.title.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.activation = QComboBox()
        self.activation.addItems(ACTIVATION_NAMES)
        self.activation.setToolTip("the neuron's activation function f, out = f(net)")
        self.bias = _spin("the neuron's bias: net = Σ w·in + bias")
        self.weight = _spin("the edge's weight")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.RichText)
        for label, w in (("activation", self.activation), ("bias", self.bias), ("weight", self.weight)):
            self.form.addRow(label, w)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addLayout(self.form)
        lay.addWidget(self.info)
        lay.addStretch(1)
        self.activation.activated.connect(self._on_activation)
        self.bias.valueChanged.connect(self._on_bias)
        self.weight.valueChanged.connect(self._on_weight)
        self._nid = None
        self._edge = None
        self._shown: dict = {}  # spin box -> the neuron or edge whose value it shows
        scene.sigSelectionChanged.connect(self.refresh)
        scene.sigOverlayChanged.connect(self.refresh)
        scene.hub.sigNetworkChanged.connect(self.refresh)
        scene.hub.sigDocumentReplaced.connect(self.refresh)
        self.refresh()

    def _show_rows(self, *widgets) -> None:
        for w in (self.activation, self.bias, self.weight):
            self.form.setRowVisible(w, w in widgets)

    def refresh(self, *_):
        net = self.scene.network
        neurons, edges = self.scene.selection()
        self._nid = neurons[0] if len(neurons) == 1 and not edges else None
        self._edge = edges[0] if len(edges) == 1 and not neurons else None
        if self._nid:
            n = net.neuron(self._nid)
            role = net.role(n.id)
            self.title.setText(f"<h3>neuron {n.id}</h3>{role}, layer {n.layer}")
            if n.layer > 0:
                with _blocked(self.activation, self.bias):
                    self.activation.setCurrentText(n.activation)
                    if self._may_overwrite(self.bias, n.id):
                        self.bias.setValue(n.bias)
                self._show_rows(self.activation, self.bias)
                self.info.setText(f"{ACTIVATIONS[n.activation].formula}<br>net = Σ w·in + bias<br>"
                                  f"{len(net.incoming(n.id))} incoming and {len(net.outgoing(n.id))} outgoing edges")
            else:
                self._show_rows()
                self.info.setText("an input: its value is a column of the data")
        elif self._edge:
            a, b = self._edge
            self.title.setText(f"<h3>edge {a} → {b}</h3>parameter <tt>{a}-&gt;{b}</tt>")
            with _blocked(self.weight):
                if self._may_overwrite(self.weight, self._edge):
                    self.weight.setValue(net.edges[self._edge])
            self._show_rows(self.weight)
            self.info.setText("drag the edge up or down on the canvas to change the weight")
        else:
            sizes = "-".join(str(len(net.layer(k))) for k in range(net.num_layers))
            self.title.setText(f"<h3>network {sizes}</h3>{len(net.neurons)} neurons, {len(net.edges)} edges")
            self._show_rows()
            self.info.setText(f"loss {net.loss}: {LOSSES[net.loss].formula}<br><br>"
                              "<i>Select a neuron or an edge to edit it. "
                              "Drag from a neuron's knob to connect; double-click a column to add a neuron.</i><br><br>"
                              + self._edge_legend())

    def _edge_legend(self) -> str:
        """What the edges' colours and widths mean now: weights, or ∂E/∂w under the gradient overlay."""
        if self.scene.gradients is not None:
            text = (f"Gradient overlay: edges show ∂E/∂w, <span style='color:{GRAD_UP.name()}'><b>purple</b></span> "
                    f"positive (a descent step lowers the weight), <span style='color:{GRAD_DOWN.name()}'>"
                    "<b>green</b></span> negative (it raises it); the thicker, the larger |∂E/∂w|.")
        else:
            text = (f"Edges: <span style='color:{POSITIVE_COLOR}'><b>blue</b></span> positive, "
                    f"<span style='color:{NEGATIVE_COLOR}'><b>red</b></span> negative weight; the thicker, the "
                    "larger |w|.")
        if self.scene.has_wide_layer:
            text += (f"<br><br>Layers of more than {WIDE} neurons are drawn small, with thin edges, the paler the "
                     "smaller. Select a neuron there to see its edges in full and pick one; zoom in (wheel) to "
                     "read every name.")
        return text

    def _may_overwrite(self, spin: QDoubleSpinBox, item) -> bool:
        """Not while the user types into the box for the same item (training moves the values meanwhile)."""
        same = self._shown.get(spin) == item
        self._shown[spin] = item
        return not (same and spin.hasFocus())

    def _edit(self, text, change, key=None):
        error = self.scene.model.edit(text, change, merge_key=key)
        if error:
            self.scene.sigStatus.emit(error)
            self.refresh()

    def _on_activation(self, _i):
        nid, act = self._nid, self.activation.currentText()
        if nid and act != self.scene.network.neuron(nid).activation:
            self._edit(f"Set activation of {nid}", lambda n, p: n.set_activation(nid, act))

    def _on_bias(self, v):
        nid = self._nid
        if nid and v != self.scene.network.neuron(nid).bias:
            self._edit(f"Set bias of {nid}", lambda n, p: n.set_bias(nid, v), key=("bias", nid))

    def _on_weight(self, v):
        e = self._edge
        if e and v != self.scene.network.edges.get(e):
            self._edit(f"Set weight {e[0]} → {e[1]}", lambda n, p: n.set_weight(*e, v), key=("weight", e))


class _blocked:
    def __init__(self, *widgets):
        self.widgets = widgets

    def __enter__(self):
        for w in self.widgets:
            w.blockSignals(True)

    def __exit__(self, *exc):
        for w in self.widgets:
            w.blockSignals(False)
