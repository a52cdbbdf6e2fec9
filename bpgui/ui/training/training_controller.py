"""The main thread's handle on the training thread, bound to the open document.

It sends the user's edits and settings to the :class:`~.training_worker.TrainingWorker` as typed commands, writes
the trained weights of each snapshot into the document (unless a user edit is newer), and hands the snapshot to
the views. The worker waits while the views draw a snapshot (see :attr:`TrainingController.sigSnapshot`).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from ...core.initialization import init_warning
from ...core.network import Change
from ...core.stopping import Stop as StopReason
from ...core.stopping import StopRule
from ...core.training_run import TrainingSnapshot, initial_parameters
from ..document.document_hub import DocumentHub
from ..document.document_model import DocumentModel
from ..threads import WorkerThread
from .training_worker import (
    SWITCH_INTERVAL,
    Adopt,
    Load,
    Pause,
    Play,
    Reset,
    RestoreFinite,
    SetConfig,
    SetData,
    SetValues,
    ShowInputs,
    Steps,
    Stop,
    StopAt,
    TrainingWorker,
    Want,
)


class TrainingController(QObject):
    #: a new snapshot (main thread), after its weights were written into the document. The training thread
    #: waits while its slots run: a slot should draw what it changed before it returns (see MainWindow).
    sigSnapshot = Signal(object)
    #: True when training runs, False when it stopped (paused, diverged, or cannot train)
    sigPlayingChanged = Signal(bool)
    #: the run diverged: the message for the user (or "" when that is over)
    sigDiverged = Signal(str)
    #: an unexpected error in the training thread
    sigError = Signal(str)
    #: Play paused where the stop rule said: the message for the user ("stopped at step 812: …")
    sigStopped = Signal(str)
    #: a message for the status bar
    sigStatus = Signal(str)
    _sigCommand = Signal(object)

    def __init__(self, hub: DocumentHub, parent=None):
        super().__init__(parent)
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self.hub = hub
        self.worker = TrainingWorker()
        self._sigCommand.connect(self.worker.command)
        self.worker.sigSnapshot.connect(self._on_snapshot)
        self.worker.sigError.connect(self._on_error)
        self.worker.sigStopped.connect(self._on_stopped)
        self.thread = WorkerThread(self.worker, "bpgui training", self)
        self.generation = 0
        self.latest: TrainingSnapshot | None = None
        self._handling = False
        self._queued: TrainingSnapshot | None = None
        self._sent_config = None
        self._sent_data = None
        self.playing = False
        self.diverged = ""
        self.snapshots = 0
        self._names_version = -1
        self._names: tuple[str, ...] = ()
        self.wanted: set[str] = set()  # what snapshots carry on request (training_worker.EXTRAS)
        self.shown_inputs: tuple[int, ...] | None = None  # the inputs output pictures span (None: the default)
        self.stop_rule: StopRule | None = None  # where Play pauses (a window setting, see set_stop_rule)
        self.stopped: StopReason | None = None  # why Play last paused by the stop rule (None after another Play)
        hub.sigNetworkChanged.connect(self._on_network_change)
        hub.sigSettingsChanged.connect(self._on_settings_change)
        hub.sigDocumentReplaced.connect(self._load)
        self._load(hub.model)

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    def is_current(self, snap: TrainingSnapshot) -> bool:
        """The snapshot is of the network as it is now (no user edit since)."""
        return snap.generation == self.generation

    # ------------------------------------------------------------------ the document
    def _load(self, model: DocumentModel) -> None:
        """Train this document from now on (the previous one's run is dropped)."""
        self._names_version = -1
        self.generation += 1
        self.latest = None
        self._set_playing(False)
        self._set_diverged("")
        doc = model.doc
        self._sent_config, self._sent_data = doc.training.copy(), doc.data
        self._send(Load(doc.network.copy(), doc.data, doc.training.copy(), self.generation))

    def _on_network_change(self, change: Change) -> None:
        if self.model.applying_training:
            return
        self.generation += 1
        net = self.model.network
        names = change.parameters
        if names is not None:  # new values for a few parameters: the others keep training
            self._send(SetValues({n: net.get_parameter(n) for n in names}, self.generation))
        else:
            self._send(Adopt(net.copy(), self.generation))

    def _on_settings_change(self) -> None:
        """Only what changed: new data (or a new batch size or seed) restarts the minibatch order."""
        doc = self.model.doc
        if doc.training != self._sent_config:
            self._sent_config = doc.training.copy()
            self._send(SetConfig(doc.training.copy()))
        if doc.data != self._sent_data:
            self._sent_data = doc.data
            self._send(SetData(doc.data))

    # ------------------------------------------------------------------ commands
    def _send(self, cmd) -> None:
        self._sigCommand.emit(cmd)

    def play(self) -> None:
        self.stopped = None
        self._set_playing(True)
        self._set_diverged("")
        self._send(Play())

    def pause(self) -> None:
        self._set_playing(False)  # at once: a Play that follows must not read a stale state
        self._send(Pause())

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def step(self) -> None:
        self._set_diverged("")
        self._send(Steps(1))

    def train_steps(self, n: int) -> None:
        """Train ``n`` steps at once, then publish (headless screenshots)."""
        self._set_diverged("")
        self._send(Steps(n))

    def step_epoch(self) -> None:
        self._set_diverged("")
        self._send(Steps(epoch=True))

    def reset(self) -> None:
        """New random weights drawn by the document's initialisation from the training seed, step 0 and an empty
        history (undoable)."""
        cfg = self.model.doc.training
        seed, init = cfg.seed, cfg.init
        error = self.model.edit("Reset weights",
                                lambda n, p: n.set_parameters(initial_parameters(n, seed, init)))
        if error:
            return
        self.generation += 1
        self._set_diverged("")
        self._send(Reset(self.model.network.copy(), self.generation))
        warning = init_warning(init)
        self.sigStatus.emit(f"reset the weights ({init.describe()}, seed {seed})"
                            + (f". {warning}" if warning else ""))

    def set_stop_rule(self, rule: StopRule | None) -> None:
        """Pause Play where ``rule`` says: at a target training loss and/or a step count (None: never)."""
        if rule != self.stop_rule:
            self.stop_rule = rule
            self._send(StopAt(rule))

    def restore_finite(self) -> None:
        self._set_diverged("")
        self._send(RestoreFinite())

    def want(self, extra: str, on: bool) -> None:
        """Snapshots carry ``extra`` (e.g. "anatomy": ``snapshot.anatomy``) from now on, or not: on only while a view
        that draws it is on show."""
        if on != (extra in self.wanted):
            (self.wanted.add if on else self.wanted.discard)(extra)
            self._send(Want(extra, on))

    def show_inputs(self, inputs: tuple[int, ...] | None) -> None:
        """Picture the outputs over these one or two inputs (indices from 0), the others held at their mean; None:
        the default (1-D and 2-D data only). The next snapshot's ``grid_inputs`` says which are drawn."""
        self.shown_inputs = None if inputs is None else tuple(inputs)
        self._send(ShowInputs(self.shown_inputs))

    @property
    def anatomy_wanted(self) -> bool:
        return "anatomy" in self.wanted

    def anatomy_ready(self) -> bool:
        """The latest snapshot carries the anatomy if it is wanted and can be had (headless screenshots wait)."""
        snap = self.latest
        return (not self.anatomy_wanted or snap is None or snap.anatomy is not None or bool(snap.problem)
                or not snap.finite)

    def shutdown(self) -> None:
        """Stop the thread and wait for it (call before the application quits)."""
        if self.thread.is_running():
            self._send(Stop())
            self.thread.stop()

    # ------------------------------------------------------------------ results
    def _on_snapshot(self, snap: TrainingSnapshot) -> None:
        if self._handling:  # delivered while drawing the previous one (views process posted events): after it
            self._queued = snap
            return
        self._handling = True
        self.worker.ui_idle.clear()  # the worker waits until this snapshot is drawn
        try:
            while snap is not None:
                self._show(snap)
                snap, self._queued = self._queued, None
        finally:
            self._handling = False
            self.worker.in_flight = False
            self.worker.ui_idle.set()

    def _show(self, snap: TrainingSnapshot) -> None:
        if self.thread.is_finished():
            return
        self.snapshots += 1
        self.latest = snap
        model = self.model
        if (self.is_current(snap) and snap.finite and not model.live_change
                and snap.names == self._model_names()):
            model.apply_training(snap.parameters, snap.step)
        if not snap.playing and model.training_before is not None:
            model.flush_training()
        self._set_playing(snap.playing)
        if self.is_current(snap):
            self._set_diverged(snap.diverged or "")  # the run's own word: set, or over (e.g. after an edit)
        self.sigSnapshot.emit(snap)

    def _model_names(self) -> tuple[str, ...]:
        net = self.model.network
        if net.structure_version != self._names_version or not self._names:
            self._names = tuple(net.parameter_names())
            self._names_version = net.structure_version
        return self._names

    def _on_stopped(self, stop: StopReason) -> None:
        if self.thread.is_finished():
            return
        self.stopped = stop
        self.sigStopped.emit(f"stopped at step {stop.step:,}: {stop.message}")

    def _on_error(self, message: str) -> None:
        self._set_playing(False)
        self.sigError.emit(message)

    def _set_playing(self, on: bool) -> None:
        if on != self.playing:
            self.playing = on
            self.sigPlayingChanged.emit(on)

    def _set_diverged(self, message: str) -> None:
        if message != self.diverged:
            self.diverged = message
            self.sigDiverged.emit(message)
