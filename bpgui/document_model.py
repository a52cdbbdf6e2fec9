"""The open document on the Qt side: the core Document, its file path, neuron positions, and the undo stack.

Every user edit goes through :meth:`DocumentModel.edit`: the edit runs on a copy of the network first, so an
impossible edit changes nothing and returns the core's message; a possible one becomes one undoable command
that stores the whole state before and after (networks are small), so undo and redo restore exact states.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from .core.document import Document, DocumentError, load_document, save_document
from .core.network import Network, NetworkError

Positions = dict[str, tuple[float, float]]


class Snapshot:
    """An exact copy of everything an edit can change."""

    __slots__ = ("network", "positions")

    def __init__(self, network: Network, positions: Positions):
        self.network = network.copy()
        self.positions = dict(positions)


class SnapshotCommand(QUndoCommand):
    """Undo/redo by restoring whole snapshots. ``merge_key`` lets a live drag collapse into one step."""

    def __init__(self, model: DocumentModel, text: str, before: Snapshot, after: Snapshot, merge_key=None):
        super().__init__(text)
        self.model, self.before, self.after, self.merge_key = model, before, after, merge_key
        self._first = True

    def id(self) -> int:
        return 1 if self.merge_key is not None else -1

    def mergeWith(self, other) -> bool:
        if not isinstance(other, SnapshotCommand) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        if self.after.network.same_as(self.before.network) and self.after.positions == self.before.positions:
            self.setObsolete(True)  # e.g. a spin box stepped up and back down: no step left to undo
        return True

    def redo(self):
        self.model.restore(self.after)

    def undo(self):
        self.model.restore(self.before)


class DocumentModel(QObject):
    #: the network changed; True when its structure changed (neurons, edges, activations, layers, loss)
    sigNetworkChanged = Signal(bool)
    sigPositionsChanged = Signal()
    #: a different document is now open (new, opened, or reverted)
    sigDocumentReplaced = Signal()
    sigPathChanged = Signal()

    def __init__(self, doc: Document, path: Path | None = None, parent=None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.doc = doc
        self.path = path
        self.display_name = path.name if path else "untitled"
        self.positions: Positions = _positions_from_view(doc)
        doc.network.subscribe(self._on_network_change)

    # ------------------------------------------------------------------ reading
    @property
    def network(self) -> Network:
        return self.doc.network

    def snapshot(self) -> Snapshot:
        return Snapshot(self.network, self.positions)

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    # ------------------------------------------------------------------ editing
    def edit(self, text: str, change: Callable[[Network, Positions], None], merge_key=None) -> str | None:
        """Apply ``change(network, positions)`` as one undoable step. Returns None, or the reason it is impossible
        (then nothing changed)."""
        before = self.snapshot()
        trial = Snapshot(self.network, self.positions)
        try:
            change(trial.network, trial.positions)
            trial.network.validate()
        except NetworkError as e:
            return str(e)
        trial.positions = {k: v for k, v in trial.positions.items() if k in trial.network.neurons}
        if trial.network.same_as(before.network) and trial.positions == before.positions:
            return None  # nothing changed: no undo step, the document stays unmodified
        self.undo_stack.push(SnapshotCommand(self, text, before, trial, merge_key))
        return None

    def commit_live_change(self, text: str, before: Snapshot) -> None:
        """Record a change already made live (e.g. a weight drag) as one undoable step from ``before``."""
        after = self.snapshot()
        if after.network.same_as(before.network) and after.positions == before.positions:
            return
        self.undo_stack.push(SnapshotCommand(self, text, before, after))

    def restore(self, snap: Snapshot) -> None:
        net = self.network
        structural = not _same_structure(net, snap.network)
        if structural:
            net.assign(snap.network)
        else:
            changed = {k: v for k, v in snap.network.parameters().items() if net.get_parameter(k) != v}
            if changed:
                net.set_parameters(changed)
        if snap.positions != self.positions:
            self.positions = dict(snap.positions)
            self.sigPositionsChanged.emit()

    def _on_network_change(self, change) -> None:
        self.sigNetworkChanged.emit(change.structural)

    # ------------------------------------------------------------------ files
    def save(self, path: Path | None = None) -> None:
        """Save to ``path`` (or the current path); raises DocumentError with the reason on failure."""
        target = Path(path or self.path)
        self.doc.view = {**(self.doc.view or {}), "positions": {k: [round(x, 1), round(y, 1)]
                                                               for k, (x, y) in self.positions.items()}}
        save_document(self.doc, target)
        self.undo_stack.setClean()
        if target != self.path:
            self.path = target
            self.display_name = target.name
            self.sigPathChanged.emit()

    @classmethod
    def open(cls, path: Path, parent=None) -> DocumentModel:
        """Raises DocumentError with the same message the CLI gives."""
        return cls(load_document(path), Path(path), parent)


def _same_structure(a: Network, b: Network) -> bool:
    return (a.loss == b.loss and list(a.edges) == list(b.edges)
            and [(n.id, n.layer, n.activation) for n in a] == [(n.id, n.layer, n.activation) for n in b])


def _positions_from_view(doc: Document) -> Positions:
    raw = (doc.view or {}).get("positions", {})
    out: Positions = {}
    if isinstance(raw, dict):
        for k, v in raw.items():
            if (k in doc.network.neurons and isinstance(v, list) and len(v) == 2
                    and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in v)):
                out[k] = (float(v[0]), float(v[1]))
    return out


__all__ = ["DocumentModel", "DocumentError", "Snapshot", "SnapshotCommand"]
