"""Live training: a worker that owns a :class:`~bpgui.core.training_run.TrainingRun` in its own QThread, and the
controller that drives it from the main thread.

One owner, one queue: every command (play, pause, step, a user's edit, new settings) reaches the worker through
its thread's event queue and is applied between steps, in order. The worker answers with immutable
:class:`~bpgui.core.training_run.TrainingSnapshot` objects, at most one per screen frame however fast it trains;
the controller writes their weights into the document (unless a user edit is newer) and hands them to the views.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from functools import partial

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ...core.network import bias_name, weight_name
from ...core.training_run import TrainingRun, TrainingSnapshot, initial_parameters
from ..document.document_model import DocumentModel

#: how long the worker trains before it looks at its queue again (seconds)
CHUNK = 0.008
#: the most snapshots per second (below the screen's refresh rate: each one is drawn while training waits)
MAX_SNAPSHOTS_PER_SECOND = 40.0
#: how long Python lets one thread run while another waits (seconds; Python's default is 0.005). Each call from
#: Qt into Python in the main thread (a paint, a mouse move) may wait that long for the training thread; waiting
#: costs nothing when no thread waits
SWITCH_INTERVAL = 0.001
#: the longest the worker waits for the window to finish drawing a snapshot (seconds)
MAX_UI_WAIT = 0.05


class TrainingWorker(QObject):
    """Lives in the training thread. Created without a parent (it is moved to the thread)."""

    sigSnapshot = Signal(object)
    #: an unexpected error stopped training (the message is for the user)
    sigError = Signal(str)

    def __init__(self):
        super().__init__()
        self.run: TrainingRun | None = None
        self.playing = False
        self.in_flight = False  # a snapshot is on its way to the main thread (cleared there)
        # Set while the main thread has nothing to do. Python lets one thread run at a time: while the window
        # draws a snapshot (many short calls into Python), the worker waits, or each call would wait for it.
        self.ui_idle = threading.Event()
        self.ui_idle.set()
        self._timer: QTimer | None = None
        self._cap: float | None = None
        self._cap_t0 = 0.0
        self._cap_done = 0
        self._last_publish = 0.0
        self._rate_t = 0.0
        self._rate_step = 0
        self._rate = 0.0
        self._published_step = -1

    # ------------------------------------------------------------------ commands (in the worker thread)
    @Slot(object)
    def command(self, cmd: tuple) -> None:
        name, *args = cmd
        try:
            getattr(self, f"_do_{name}")(*args)
        except Exception as e:  # a bug must not kill the thread: stop training and tell the user
            self._fail(e)

    def _fail(self, e: Exception) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()
        self.sigError.emit(f"Training stopped by an internal error: {type(e).__name__}: {e}\n\n"
                           + "".join(traceback.format_exception(e, limit=-3)))

    def _do_load(self, network, data, config, generation) -> None:
        self.playing = False
        self.run = TrainingRun(network, data, config)
        self.run.generation = generation
        self._cap = config.steps_per_second
        self._reset_rate()
        self._publish(force=True)

    def _do_play(self) -> None:
        if self.run is None:
            return
        self.run.resume()
        if not self.run.can_train:
            self.playing = False
            self._publish(force=True)
            return
        self.playing = True
        self._reset_rate()
        self._restart_cap()
        if self._timer is None:
            self._timer = QTimer(self)
            self._timer.timeout.connect(self._tick)
        self._timer.start(0)
        self._publish(force=True)

    def _do_pause(self) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()
        self._publish(force=True)

    def _do_step(self) -> None:
        self._do_pause_quietly()
        if self.run is not None:
            self.run.resume()
            self.run.run(1)
        self._publish(force=True)

    def _do_steps(self, n: int) -> None:
        self._do_pause_quietly()
        if self.run is not None:
            self.run.resume()
            self.run.run(n)
        self._publish(force=True)

    def _do_epoch(self) -> None:
        self._do_pause_quietly()
        if self.run is not None:
            self.run.resume()
            self.run.run_epoch()
        self._publish(force=True)

    def _do_pause_quietly(self) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()

    def _do_network(self, network, generation) -> None:
        self.run.adopt(network, generation)
        self._publish(force=not self.playing)

    def _do_values(self, values, generation) -> None:
        self.run.set_values(values, generation)
        self._publish(force=not self.playing)

    def _do_reset(self, network, generation) -> None:
        self.run.reset(network, generation)
        self._reset_rate()
        self._publish(force=True)

    def _do_config(self, config) -> None:
        self.run.set_config(config)
        if config.steps_per_second != self._cap:
            self._cap = config.steps_per_second
            self._restart_cap()
        self._publish(force=not self.playing)

    def _do_data(self, data) -> None:
        self.run.set_data(data)
        self._publish(force=True)

    def _do_restore(self) -> None:
        self.run.restore_finite()
        self._publish(force=True)

    def _do_stop(self) -> None:
        self._do_pause_quietly()
        self.run = None

    # ------------------------------------------------------------------ the loop
    def _restart_cap(self) -> None:
        self._cap_t0 = time.perf_counter()
        self._cap_done = 0

    def _tick(self) -> None:
        try:
            self._train_a_while()
        except Exception as e:
            self._fail(e)

    def _train_a_while(self) -> None:
        run = self.run
        if not self.playing or run is None or not run.can_train:
            self.playing = False
            self._timer.stop()
            self._publish(force=True)
            return
        if not self.ui_idle.is_set():
            self.ui_idle.wait(MAX_UI_WAIT)
        now = time.perf_counter()
        keep_going = self.ui_idle.is_set
        if self._cap:
            due = int((now - self._cap_t0) * self._cap) + 1 - self._cap_done  # the first step at once
            if due > 0:
                done = run.run(due, deadline=now + CHUNK, keep_going=keep_going)
                self._cap_done += done
                if due - done > self._cap:  # more than a second behind (a slow machine): do not try to catch up
                    self._restart_cap()
            wait = self._cap_done / self._cap - (time.perf_counter() - self._cap_t0)
            self._timer.setInterval(max(0, min(100, int(wait * 1000))))
        else:
            run.run(1 << 40, deadline=now + CHUNK, keep_going=keep_going)
        if run.diverged or not run.can_train:
            self.playing = False
            self._timer.stop()
            self._publish(force=True)
        elif (time.perf_counter() - self._last_publish >= 1.0 / MAX_SNAPSHOTS_PER_SECOND
              and run.step_count != self._published_step):  # nothing new under a slow speed cap: no snapshot
            self._publish()

    def _reset_rate(self) -> None:
        self._rate_t = time.perf_counter()
        self._rate_step = self.run.step_count if self.run else 0
        self._rate = 0.0

    def _publish(self, force: bool = False) -> None:
        if self.run is None or (self.in_flight and not force):
            return
        now = time.perf_counter()
        if self.playing:
            dt = now - self._rate_t
            if dt >= max(0.25, 2.0 / self._cap if self._cap else 0.0):  # a steady figure over a few steps
                self._rate = (self.run.step_count - self._rate_step) / dt
                self._rate_t, self._rate_step = now, self.run.step_count
        self._last_publish = now
        self._published_step = self.run.step_count
        self.in_flight = True
        self.sigSnapshot.emit(self.run.snapshot(self.playing, self._rate if self.playing else 0.0))


class TrainingController(QObject):
    """The main thread's handle on the training thread, bound to the open document."""

    #: a new snapshot (main thread), after its weights were written into the document. The training thread
    #: waits while its slots run: a slot should draw what it changed before it returns (see MainWindow).
    sigSnapshot = Signal(object)
    #: True when training runs, False when it stopped (paused, diverged, or cannot train)
    sigPlayingChanged = Signal(bool)
    #: the run diverged: the message for the user (or "" when that is over)
    sigDiverged = Signal(str)
    #: an unexpected error in the training thread
    sigError = Signal(str)
    _sigCommand = Signal(object)

    def __init__(self, model: DocumentModel, parent=None):
        super().__init__(parent)
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self.thread = QThread(self)
        self.thread.setObjectName("bpgui training")
        # a window deleted without being closed must still stop its thread before the thread object goes
        self.destroyed.connect(partial(stop_thread, self.thread))
        self.worker = TrainingWorker()
        self.worker.moveToThread(self.thread)
        self._sigCommand.connect(self.worker.command)
        self.worker.sigSnapshot.connect(self._on_snapshot)
        self.worker.sigError.connect(self._on_error)
        self.thread.finished.connect(self.worker.deleteLater)
        self.thread.start()
        self.model: DocumentModel | None = None
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
        self.set_model(model)

    # ------------------------------------------------------------------ the document
    def set_model(self, model: DocumentModel) -> None:
        """Train this document from now on (the previous one's run is dropped)."""
        if self.model is not None:
            self.model.sigNetworkChanged.disconnect(self._on_network_change)
            self.model.sigSettingsChanged.disconnect(self._on_settings_change)
        self.model = model
        self._names_version = -1
        model.sigNetworkChanged.connect(self._on_network_change)
        model.sigSettingsChanged.connect(self._on_settings_change)
        self.generation += 1
        self.latest = None
        self._set_playing(False)
        self._set_diverged("")
        doc = model.doc
        self._sent_config, self._sent_data = doc.training.copy(), doc.data
        self._send("load", doc.network.copy(), doc.data, doc.training.copy(), self.generation)

    def _on_network_change(self, structural: bool) -> None:
        if self.model.applying_training:
            return
        self.generation += 1
        change = self.model.last_change
        names = _changed_parameters(change) if change is not None and not structural else None
        net = self.model.network
        if names is not None:  # new values for a few parameters: the others keep training
            self._send("values", {n: net.get_parameter(n) for n in names}, self.generation)
        else:
            self._send("network", net.copy(), self.generation)

    def _on_settings_change(self) -> None:
        """Only what changed: new data (or a new batch size or seed) restarts the minibatch order."""
        doc = self.model.doc
        if doc.training != self._sent_config:
            self._sent_config = doc.training.copy()
            self._send("config", doc.training.copy())
        if doc.data != self._sent_data:
            self._sent_data = doc.data
            self._send("data", doc.data)

    # ------------------------------------------------------------------ commands
    def _send(self, *cmd) -> None:
        self._sigCommand.emit(cmd)

    def play(self) -> None:
        self._set_playing(True)
        self._set_diverged("")
        self._send("play")

    def pause(self) -> None:
        self._set_playing(False)  # at once: a Play that follows must not read a stale state
        self._send("pause")

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def step(self) -> None:
        self._set_diverged("")
        self._send("step")

    def train_steps(self, n: int) -> None:
        """Train ``n`` steps at once, then publish (headless screenshots)."""
        self._set_diverged("")
        self._send("steps", n)

    def step_epoch(self) -> None:
        self._set_diverged("")
        self._send("epoch")

    def reset(self) -> None:
        """New random weights from the training seed, step 0 and an empty history (undoable)."""
        seed = self.model.doc.training.seed
        error = self.model.edit("Reset weights",
                                lambda n, p: n.set_parameters(initial_parameters(n, seed)))
        if error:
            return
        self.generation += 1
        self._set_diverged("")
        self._send("reset", self.model.network.copy(), self.generation)

    def restore_finite(self) -> None:
        self._set_diverged("")
        self._send("restore")

    def shutdown(self) -> None:
        """Stop the thread and wait for it (call before the application quits)."""
        if self.thread.isRunning():
            self._send("stop")
            stop_thread(self.thread)

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
        if self.thread.isFinished():
            return
        self.snapshots += 1
        self.latest = snap
        model = self.model
        if (snap.generation == self.generation and snap.finite and not model.live_change
                and snap.names == self._model_names()):
            model.apply_training(snap.parameters, snap.step)
        if not snap.playing and model.training_before is not None:
            model.flush_training()
        self._set_playing(snap.playing)
        if snap.generation == self.generation:
            self._set_diverged(snap.diverged or "")  # the run's own word: set, or over (e.g. after an edit)
        self.sigSnapshot.emit(snap)

    def _model_names(self) -> tuple[str, ...]:
        net = self.model.network
        if net.structure_version != self._names_version or not self._names:
            self._names = tuple(net.parameter_names())
            self._names_version = net.structure_version
        return self._names

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


def stop_thread(thread: QThread, *_) -> None:
    if thread.isRunning():
        thread.requestInterruption()
        thread.quit()
        thread.wait()


def _changed_parameters(change) -> list[str] | None:
    """The parameters a value-only change set, or None if it is not one."""
    if change.kind == "set_weight":
        return [weight_name(change.args[0], change.args[1])]
    if change.kind == "set_bias":
        return [bias_name(change.args[0])]
    if change.kind == "set_parameters":
        return list(change.args[0])
    return None
