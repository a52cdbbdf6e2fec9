"""The edits the network canvas makes, each one undoable step of the document (gesture → here → the document's
:meth:`~bpgui.ui.document.document_model.DocumentModel.edit` → the core network → a change event → the canvas).

An impossible edit changes nothing; its reason goes to the status bar like every other outcome.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QInputDialog

from ...core.network import Network
from ..document.document_hub import DocumentHub
from ..document.document_model import DocumentModel
from .network_items import column_x, layer_at


class NetworkEdits:
    """Edits of the open document's network, reporting each outcome with ``status(text)``; a rename also calls
    ``renamed(old, new)``."""

    def __init__(self, hub: DocumentHub, status: Callable[[str], None], renamed: Callable[[str, str], None]):
        self.hub = hub
        self.status = status
        self.renamed = renamed

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    @property
    def network(self) -> Network:
        return self.hub.model.network

    def add_neuron_at(self, pos: QPointF) -> str | None:
        layer = layer_at(pos.x())
        net = self.network
        if not 0 <= layer < net.num_layers:
            self.status("double-click inside a layer column to add a neuron there")
            return None
        nid = self.new_id(layer)
        error = self.model.edit(f"Add neuron {nid}", lambda n, p: (n.add_neuron(nid, layer),
                                                                    p.__setitem__(nid, (column_x(layer), pos.y()))))
        self.status(error or f"added {nid} to layer {layer}")
        return None if error else nid

    def new_id(self, layer: int) -> str:
        net = self.network
        prefix = "x" if layer == 0 else ("y" if layer == net.output_layer else "h")
        i = 1
        while f"{prefix}{i}" in net.neurons:
            i += 1
        return f"{prefix}{i}"

    def delete(self, neurons: list[str], edges: list[tuple[str, str]]) -> None:
        """Delete these neurons (with their edges) and edges, as one step."""
        if not edges and not neurons:
            self.status("nothing selected to delete")
            return

        def change(n: Network, p):
            for a, b in edges:
                if (a, b) in n.edges and a not in neurons and b not in neurons:
                    n.remove_edge(a, b)
            for nid in neurons:
                n.remove_neuron(nid)

        what = ", ".join(neurons + [f"{a} → {b}" for a, b in edges])
        error = self.model.edit(f"Delete {what}", change)
        self.status(error or f"deleted {what}")

    def ask_weight(self, src: str, dst: str) -> None:
        w0 = self.network.weight(src, dst)
        w, ok = QInputDialog.getDouble(None, "Set weight", f"weight of {src} → {dst}:", w0, -1e6, 1e6, 4)
        if ok and w != w0:
            error = self.model.edit(f"Set weight {src} → {dst}", lambda n, p: n.set_weight(src, dst, w))
            self.status(error or f"{src} → {dst}: weight {w:+.4f}")

    def ask_bias(self, nid: str) -> None:
        b0 = self.network.neuron(nid).bias
        b, ok = QInputDialog.getDouble(None, "Set bias", f"bias of {nid}:", b0, -1e6, 1e6, 4)
        if ok and b != b0:
            error = self.model.edit(f"Set bias of {nid}", lambda n, p: n.set_bias(nid, b))
            self.status(error or f"{nid}: bias {b:+.4f}")

    def ask_rename(self, nid: str) -> None:
        new, ok = QInputDialog.getText(None, "Rename neuron", f"new id for {nid}:", text=nid)
        if ok and new and new != nid:
            def change(n, p):
                n.rename_neuron(nid, new)
                if nid in p:
                    p[new] = p.pop(nid)
            error = self.model.edit(f"Rename {nid} → {new}", change)
            if not error:
                self.renamed(nid, new)
            self.status(error or f"renamed {nid} to {new}")

    def set_activation(self, nid: str, act: str) -> None:
        if self.network.neuron(nid).activation == act:
            return
        error = self.model.edit(f"Set activation of {nid}", lambda n, p: n.set_activation(nid, act))
        self.status(error or f"{nid}: activation {act}")

    def add_layer(self, index: int) -> None:
        def change(n: Network, p):
            n.add_layer(index)
            for nid in list(p):
                layer = n.neuron(nid).layer
                p[nid] = (column_x(layer), p[nid][1])
        error = self.model.edit(f"Add layer {index}", change)
        self.status(error or f"added an empty layer {index}; double-click in its column to add neurons")

    def remove_layer(self, index: int) -> None:
        def change(n: Network, p):
            n.remove_layer(index)
            for nid in list(p):
                if nid in n.neurons:
                    p[nid] = (column_x(n.neuron(nid).layer), p[nid][1])
        error = self.model.edit(f"Remove layer {index}", change)
        self.status(error or f"removed layer {index}")
