"""The open document on the Qt side: the core Document, its file path, neuron positions, and the undo stack.

Every user edit goes through :meth:`DocumentModel.edit` (network and positions) or
:meth:`DocumentModel.edit_settings` (training settings and data): the edit is checked on a copy first, so an
impossible edit changes nothing and returns the core's message; a possible one becomes one undoable command
that stores the whole state before and after (networks are small), so undo and redo restore exact states.

Training writes its weights in with :meth:`DocumentModel.apply_training`; those changes are gathered into one
undoable "Train" step, recorded (by :meth:`flush_training`) before the next user edit, undo, or pause.

The window's views do not connect to a model directly but to the :class:`~.document_hub.DocumentHub`, which
re-emits the open document's signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ...core.datasets import Dataset
from ...core.document import (
    Document,
    DocumentError,
    GeneratorData,
    TableData,
    TrainingConfig,
    load_document,
    make_dataset,
    save_document,
)
from ...core.network import Change, Network, NetworkError
from ...core.optimizers import make_optimizer

Positions = dict[str, tuple[float, float]]
#: the reason other edits wait while a drag changes the network live
BUSY = "finish the drag first"


class EditState:
    """An exact copy of everything an edit can change (what an undo step restores)."""

    __slots__ = ("network", "positions", "training", "data")

    def __init__(self, network: Network, positions: Positions, training: TrainingConfig,
                 data: TableData | GeneratorData):
        self.network = network.copy()
        self.positions = dict(positions)
        self.training = training.copy()
        self.data = _copy_data(data)

    def same_as(self, other: EditState) -> bool:
        return (self.network.same_as(other.network) and self.positions == other.positions
                and self.training == other.training and self.data == other.data)


#: what a command restores: a network edit, a settings edit, or training (the weights only). Training goes on
#: while the user edits settings, so undoing a learning-rate change must not also roll the weights back.
EDIT, SETTINGS, TRAINING = ("network", "positions"), ("settings",), ("network",)


def train_text(steps: tuple[int, int]) -> str:
    a, b = steps
    return f"Train (steps {a + 1:,}–{b:,})" if b - a != 1 else f"Train (step {b:,})"


class EditCommand(QUndoCommand):
    """Undo/redo by restoring edit states (the ``scope`` part of them). ``merge_key`` lets a live drag collapse into
    one step."""

    def __init__(self, model: DocumentModel, text: str, before: EditState, after: EditState, merge_key=None,
                 scope=EDIT, steps: tuple[int, int] | None = None):
        super().__init__(text)
        self.model, self.before, self.after, self.merge_key = model, before, after, merge_key
        self.scope, self.steps = scope, steps

    def id(self) -> int:
        return 1 if self.merge_key is not None else -1

    def mergeWith(self, other) -> bool:
        if not isinstance(other, EditCommand) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        if self.steps is not None and other.steps is not None:  # consecutive training: one range
            self.steps = (self.steps[0], other.steps[1])
            self.setText(train_text(self.steps))
        else:  # a drag: where it ended ("Limit speed to 20 steps/s", not the first value it passed)
            self.setText(other.text())
        if self.after.same_as(self.before):
            self.setObsolete(True)  # e.g. a spin box stepped up and back down: no step left to undo
        return True

    def redo(self):
        self.model.restore(self.after, self.scope)

    def undo(self):
        self.model.restore(self.before, self.scope)


class DocumentModel(QObject):
    #: the network changed: the core's :class:`~bpgui.core.network.Change` (``.structural`` when neurons, edges,
    #: activations, layers or the loss changed; ``.parameters`` the names when only values changed)
    sigNetworkChanged = Signal(object)
    #: neuron positions on the canvas changed (an edit, an undo, or places found for neurons that had none)
    sigPositionsChanged = Signal()
    #: the training settings or the data settings changed
    sigSettingsChanged = Signal()
    sigPathChanged = Signal()
    #: unsaved training results appeared or were recorded as an undo step (the modified state may change)
    sigTrainingPending = Signal()

    def __init__(self, doc: Document, path: Path | None = None, parent=None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.doc = doc
        self.path = path
        self.display_name = path.name if path else "untitled"
        self.positions: Positions = _positions_from_view(doc)
        self.training_before: EditState | None = None  # the state before unrecorded training, if any
        self.training_steps = (0, 0)  # the step range of the last training written in
        self.applying_training = False  # True while training's own write-back is changing the network
        self.live_change = False  # a gesture is changing the network live (training must not write back)
        self.restored = False  # recovered after a crash: unsaved until saved
        self._dataset: Dataset | None = None
        self._dataset_key: tuple | None = None  # what the cached data set was made from
        self.data_problem: str | None = None  # why the data cannot be used with the network, if it cannot
        doc.network.subscribe(self._on_network_change)
        # a data table's JSON text is written a little at a time between events, so that saving and autosaving
        # do not take a good part of a second to write 100,000 rows (in a thread, it would compete with the
        # window for Python's lock)
        self._table_text = QTimer(self)
        self._table_text.timeout.connect(self._encode_table_some)
        self._table_text.start(0)

    # ------------------------------------------------------------------ reading
    @property
    def network(self) -> Network:
        return self.doc.network

    def state(self) -> EditState:
        return EditState(self.network, self.positions, self.doc.training, self.doc.data)

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean() or self.training_before is not None or self.restored

    def dataset(self) -> Dataset | None:
        """The document's data set for its network (made once per data settings and network structure), or None
        when the data cannot be used with the network (the reason in :attr:`data_problem`)."""
        key = (self.doc.data, self.network.structure_version)
        if self._dataset_key is None or key != self._dataset_key:  # settings equal: the same (seeded) data
            self._dataset_key = key
            try:
                self._dataset, self.data_problem = self.doc.dataset(), None
            except DocumentError as e:
                self._dataset, self.data_problem = None, str(e)
        return self._dataset

    def align_positions(self, column_x: Callable[[int], float]) -> None:
        """Every neuron's x at its layer's column ``column_x(layer)``, as the canvas draws it (a file may come from a
        version whose columns were further apart): when a document is opened, before any undo step."""
        for nid, (_x, y) in list(self.positions.items()):
            if nid in self.network.neurons:
                self.positions[nid] = (column_x(self.network.neurons[nid].layer), y)

    def add_positions(self, positions: Positions) -> None:
        """Places for neurons that have none yet (where the canvas draws them by default): not an undo step, and
        not announced either, since nothing on show moves. Moving a neuron is an :meth:`edit`."""
        self.positions.update({k: v for k, v in positions.items()
                               if k not in self.positions and k in self.network.neurons})

    # ------------------------------------------------------------------ editing
    def edit(self, text: str, change: Callable[[Network, Positions], None], merge_key=None) -> str | None:
        """Apply ``change(network, positions)`` as one undoable step. Returns None, or the reason it is impossible
        (then nothing changed)."""
        if self.live_change:
            return BUSY
        self.flush_training()
        before = self.state()
        trial = self.state()
        try:
            change(trial.network, trial.positions)
            trial.network.validate()
        except NetworkError as e:
            return str(e)
        trial.positions = {k: v for k, v in trial.positions.items() if k in trial.network.neurons}
        if trial.same_as(before):
            return None  # nothing changed: no undo step, the document stays unmodified
        self.undo_stack.push(EditCommand(self, text, before, trial, merge_key))
        return None

    def edit_settings(self, text: str, training: TrainingConfig | None = None,
                      data: TableData | GeneratorData | None = None, merge_key=None,
                      network: Network | None = None) -> str | None:
        """Replace the training settings and/or the data settings as one undoable step (that restores only
        them: training may go on meanwhile), and the network too when ``network`` is given (e.g. fitted to an
        imported file: then the step restores the network and the neurons' places as well). Returns None, or the
        reason they cannot be used (then nothing changed)."""
        if self.live_change:
            return BUSY
        if network is not None:
            self.flush_training()
        before = self.state()
        trial = self.state()
        if network is not None:
            trial.network = network.copy()
            # a layer that gained or lost neurons is laid out afresh (its kept neurons' old places would sit among
            # the new ones); the other layers keep their places
            old, new = self.network, network
            changed = ({n.layer for n in new if n.id not in old.neurons}
                       | {n.layer for n in old if n.id not in new.neurons})
            trial.positions = {k: v for k, v in trial.positions.items()
                               if k in new.neurons and new.neurons[k].layer not in changed}
        if training is not None:
            trial.training = training.copy()
        if data is not None:
            trial.data = _copy_data(data)
        try:
            t = trial.training
            make_optimizer(t.optimizer, 1, t.learning_rate, **t.hyper_for_optimizer())
            dataset = make_dataset(trial.data, trial.network) if data is not None else None
        except (ValueError, DocumentError) as e:
            return str(e)
        if trial.same_as(before):
            return None
        if dataset is not None:  # made once: 100,000 points take a while
            self._dataset, self.data_problem = dataset, None
            self._dataset_key = (trial.data, self.network.structure_version)
        scope = SETTINGS if network is None else EDIT + SETTINGS
        self.undo_stack.push(EditCommand(self, text, before, trial, merge_key, scope=scope))
        return None

    def begin_live_change(self) -> EditState:
        """A gesture starts changing the network live: returns the state to record its undo step from."""
        self.flush_training()
        self.live_change = True
        return self.state()

    def cancel_live_change(self) -> None:
        self.live_change = False

    def commit_live_change(self, text: str, before: EditState) -> None:
        """Record a change already made live (e.g. a weight drag) as one undoable step from ``before``."""
        self.live_change = False
        after = self.state()
        if after.same_as(before):
            return
        self.undo_stack.push(EditCommand(self, text, before, after))

    # ------------------------------------------------------------------ training results
    def apply_training(self, values: dict[str, float], step: int) -> None:
        """Write the trained parameter values of training step ``step`` in (not an undo step yet: see
        :meth:`flush_training`)."""
        changed = {k: v for k, v in values.items() if self.network.get_parameter(k) != v}
        first = self.training_before is None
        if first and changed:
            self.training_before = self.state()
            start = self.training_steps[1] if step >= self.training_steps[1] else 0
            self.training_steps = (start, step)
        elif not first:
            self.training_steps = (self.training_steps[0], step)
        else:
            self.training_steps = (step, step)
        if changed:
            self.applying_training = True
            try:
                self.network.set_parameters(changed)
            finally:
                self.applying_training = False
            if first:
                self.sigTrainingPending.emit()

    def flush_training(self) -> None:
        """Record the training since the last user edit as one undo step ("Train (steps a–b)")."""
        before, self.training_before = self.training_before, None
        if before is None:
            return
        after = self.state()
        if not after.same_as(before):
            steps = self.training_steps
            self.undo_stack.push(EditCommand(self, train_text(steps), before, after, merge_key=("train",),
                                                 scope=TRAINING, steps=steps))
        self.sigTrainingPending.emit()

    def undo(self) -> None:
        if self.live_change:  # a drag records its step when it ends
            return
        self.flush_training()
        self.undo_stack.undo()

    def redo(self) -> None:
        if self.live_change:
            return
        self.flush_training()
        self.undo_stack.redo()

    def restore(self, snap: EditState, scope=EDIT + SETTINGS) -> None:
        net = self.network
        # the places first (announced after the network): a canvas rebuilt for a new structure then lays out
        # afresh the neurons the restored places leave out, rather than keeping them where they were
        moved = "positions" in scope and snap.positions != self.positions
        if moved:
            self.positions = dict(snap.positions)
        if "network" in scope:
            if not net.same_structure(snap.network):
                net.assign(snap.network)
            else:
                changed = {k: v for k, v in snap.network.parameters().items() if net.get_parameter(k) != v}
                if changed:
                    net.set_parameters(changed)
        if moved:
            self.sigPositionsChanged.emit()
        if "settings" in scope and (snap.training != self.doc.training or snap.data != self.doc.data):
            self.doc.training = snap.training.copy()
            self.doc.data = _copy_data(snap.data)
            self._table_text.start(0)
            self.sigSettingsChanged.emit()

    def _on_network_change(self, change: Change) -> None:
        self.sigNetworkChanged.emit(change)

    def _encode_table_some(self) -> None:
        data = self.doc.data
        if not isinstance(data, TableData) or data.encode_some():
            self._table_text.stop()

    # ------------------------------------------------------------------ files
    def save(self, path: Path | None = None, allow_read_only: bool = False) -> None:
        """Save to ``path`` (or the current path); raises DocumentError with the reason on failure (a read-only
        file too, unless ``allow_read_only``)."""
        target = Path(path or self.path)
        self.doc.view = {**(self.doc.view or {}), "positions": {k: [round(x, 1), round(y, 1)]
                                                               for k, (x, y) in self.positions.items()}}
        self.flush_training()
        save_document(self.doc, target, allow_read_only)
        self.restored = False
        self.undo_stack.setClean()
        if target != self.path:
            self.path = target
            self.display_name = target.name
            self.sigPathChanged.emit()

    @classmethod
    def open(cls, path: Path, parent=None) -> DocumentModel:
        """Raises DocumentError with the same message the CLI gives. Data that does not fit the network is
        accepted here (the window says it cannot train until it does)."""
        return cls(load_document(path, fit_data=False), Path(path), parent)


def _copy_data(data: TableData | GeneratorData) -> TableData | GeneratorData:
    """A copy of data settings for an edit state; a table is never changed (a new one replaces it), so it is
    shared, with the JSON text of its rows once written."""
    return data if isinstance(data, TableData) else replace(data)


def _positions_from_view(doc: Document) -> Positions:
    raw = (doc.view or {}).get("positions", {})
    out: Positions = {}
    if isinstance(raw, dict):
        for k, v in raw.items():
            if (k in doc.network.neurons and isinstance(v, list) and len(v) == 2
                    and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in v)):
                out[k] = (float(v[0]), float(v[1]))
    return out


__all__ = ["DocumentModel", "DocumentError", "EditCommand", "EditState"]
