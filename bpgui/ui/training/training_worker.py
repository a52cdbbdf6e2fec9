"""Live training: a worker that owns a :class:`~bpgui.core.training_run.TrainingRun` in its own thread, and the
commands it takes.

One owner, one queue: every command (play, pause, step, a user's edit, new settings) reaches the worker through
its thread's event queue and is applied between steps, in order. The worker answers with immutable
:class:`~bpgui.core.training_run.TrainingSnapshot` objects, at most one per screen frame however fast it trains.
Its main-thread counterpart is :class:`~.training_controller.TrainingController`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ...core.network import Network
from ...core.stopping import Stop as StopReason
from ...core.stopping import Stopper, StopRule
from ...core.training_run import TrainingRun
from ..threads import failure_text

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


# ---------------------------------------------------------------------------------------------- commands
@dataclass(frozen=True)
class Load:
    """Train this network from now on (a new run, paused)."""

    network: Network
    data: object
    config: object
    generation: int


@dataclass(frozen=True)
class Play:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Steps:
    """Pause, then train ``count`` steps (``epoch``: to the end of the epoch) and publish."""

    count: int = 1
    epoch: bool = False


@dataclass(frozen=True)
class Adopt:
    """The user edited the network (its structure, or many values): the run takes it over."""

    network: Network
    generation: int


@dataclass(frozen=True)
class SetValues:
    """The user set a few parameters: the others keep training."""

    values: dict
    generation: int


@dataclass(frozen=True)
class Reset:
    network: Network
    generation: int


@dataclass(frozen=True)
class SetConfig:
    config: object


@dataclass(frozen=True)
class SetData:
    data: object


@dataclass(frozen=True)
class RestoreFinite:
    pass


#: what snapshots can carry on request (TrainingRun.snapshot's keywords): the next step's anatomy (1-6 ms each),
#: the real path so far (a copy of up to 1024 rows), every neuron's output over the 2-D grid (a copy per neuron)
EXTRAS = ("anatomy", "trajectory", "neurons")


@dataclass(frozen=True)
class Want:
    """Attach ``extra`` (one of EXTRAS) to each snapshot (``on``: a view that draws it is on show), or stop."""

    extra: str
    on: bool


@dataclass(frozen=True)
class ShowInputs:
    """Picture the outputs over these one or two inputs (indices from 0), the others at their mean; None: the
    default (see core.training_run.output_axes). Kept for later runs."""

    inputs: tuple[int, ...] | None


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class StopAt:
    """Pause Play where ``rule`` says (a target training loss, a step count; None: never). A window setting,
    kept for later runs and documents."""

    rule: StopRule | None


class TrainingWorker(QObject):
    """Lives in the training thread. Created without a parent (it is moved to the thread)."""

    sigSnapshot = Signal(object)
    #: an unexpected error stopped training (the message is for the user)
    sigError = Signal(str)
    #: Play paused where the stop rule said (a core.stopping.Stop), just before the snapshot of that step
    sigStopped = Signal(object)

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
        self.wanted: set[str] = set()  # the EXTRAS snapshots carry: each only while a view draws it
        self.shown_inputs: tuple[int, ...] | None = None  # the inputs output pictures span (None: the default)
        self.stop_rule: StopRule | None = None  # where Play pauses (see StopAt)
        self._stopper: Stopper | None = None  # the rule's watch over the current Play
        self._stop_epoch = -1  # the epoch at the stopper's last look at the training loss
        self._stop: StopReason | None = None  # why the current Play must pause, once it must

    # ------------------------------------------------------------------ commands (in the worker thread)
    @Slot(object)
    def command(self, cmd) -> None:
        try:
            self._handlers[type(cmd)](self, cmd)
        except Exception as e:  # a bug must not kill the thread: stop training and tell the user
            self._fail(e)

    def _fail(self, e: Exception) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()
        self.sigError.emit(failure_text("Training stopped by an internal error", e))

    def _load(self, cmd: Load) -> None:
        self.playing = False
        self.run = TrainingRun(cmd.network, cmd.data, cmd.config)
        self.run.show_inputs(self.shown_inputs)
        self.run.generation = cmd.generation
        self._cap = cmd.config.steps_per_second
        self._reset_rate()
        self._publish(force=True)

    def _play(self, _cmd=None) -> None:
        if self.run is None:
            return
        self.run.resume()
        if not self.run.can_train:
            self.playing = False
            self._publish(force=True)
            return
        self.playing = True
        self._arm_stopper()
        self._reset_rate()
        self._restart_cap()
        if self._timer is None:
            self._timer = QTimer(self)
            self._timer.timeout.connect(self._tick)
        self._timer.start(0)
        self._publish(force=True)

    def _pause(self, _cmd=None) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()
        self._publish(force=True)

    def _steps(self, cmd: Steps) -> None:
        self._pause_quietly()
        thread = self.thread()
        if self.run is not None:
            self.run.resume()
            if cmd.epoch:
                self.run.run_epoch()
            else:  # a long run ends early when the thread is asked to stop (the window closes, Ctrl+C)
                self.run.run(cmd.count, keep_going=lambda: not thread.isInterruptionRequested())
        self._publish(force=True)

    def _pause_quietly(self) -> None:
        self.playing = False
        if self._timer is not None:
            self._timer.stop()

    def _adopt(self, cmd: Adopt) -> None:
        self.run.adopt(cmd.network, cmd.generation)
        self._publish(force=not self.playing)

    def _set_values(self, cmd: SetValues) -> None:
        self.run.set_values(cmd.values, cmd.generation)
        self._publish(force=not self.playing)

    def _reset(self, cmd: Reset) -> None:
        self.run.reset(cmd.network, cmd.generation)
        self._reset_rate()
        self._publish(force=True)

    def _set_config(self, cmd: SetConfig) -> None:
        config = cmd.config
        self.run.set_config(config)
        if config.steps_per_second != self._cap:
            self._cap = config.steps_per_second
            self._restart_cap()
        self._publish(force=not self.playing)

    def _set_data(self, cmd: SetData) -> None:
        self.run.set_data(cmd.data)
        self._publish(force=True)

    def _restore(self, _cmd) -> None:
        self.run.restore_finite()
        self._publish(force=True)

    def _want(self, cmd: Want) -> None:
        if cmd.on != (cmd.extra in self.wanted):
            (self.wanted.add if cmd.on else self.wanted.discard)(cmd.extra)
            if cmd.on and not self.playing:  # a view just came on show: give it the extra of where the run is
                self._publish(force=True)

    def _show_inputs(self, cmd: ShowInputs) -> None:
        self.shown_inputs = cmd.inputs
        if self.run is not None:
            self.run.show_inputs(cmd.inputs)
            self._publish(force=True)

    def _stop_thread(self, _cmd) -> None:
        self._pause_quietly()
        self.run = None

    def _stop_at(self, cmd: StopAt) -> None:
        self.stop_rule = cmd.rule
        if self.playing:
            self._arm_stopper()

    _handlers = {Load: _load, Play: _play, Pause: _pause, Steps: _steps, Adopt: _adopt, SetValues: _set_values,
                 Reset: _reset, SetConfig: _set_config, SetData: _set_data, RestoreFinite: _restore,
                 Want: _want, ShowInputs: _show_inputs, Stop: _stop_thread, StopAt: _stop_at}

    # ------------------------------------------------------------------ stopping where the user asked
    def _arm_stopper(self) -> None:
        """Watch the stop rule over this Play. A part of it already met where Play starts (the target loss
        reached, the step count passed) is left out: Play after such a stop trains on past it."""
        self._stopper, self._stop = None, None
        rule, run = self.stop_rule, self.run
        if rule is None or run is None or not run.can_train:
            return
        until, max_steps = rule.until_loss, rule.max_steps
        if max_steps is not None and run.step_count >= max_steps:
            max_steps = None
        if until is not None and not run.trainer.train_loss() > until:
            until = None
        if until is None and max_steps is None:
            return
        self._stopper = Stopper(StopRule(until_loss=until, max_steps=max_steps))
        self._stop_epoch = run.epoch

    def _reached_stop(self) -> bool:
        """After each step of Play: has the run reached where the rule pauses it? The step count is looked at
        after every step, the training loss after every epoch (every step with full batches), as bpgui train
        --until-loss does."""
        stopper, run = self._stopper, self.run
        if stopper is None or self._stop is not None:
            return self._stop is not None
        train = None
        if stopper.rule.until_loss is not None and run.epoch != self._stop_epoch:
            self._stop_epoch = run.epoch
            train = run.trainer.train_loss()
        self._stop = stopper.observe(run.step_count, train)
        return self._stop is not None

    def _keep_playing(self) -> bool:
        return not self._reached_stop() and self.ui_idle.is_set()

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
        keep_going = self.ui_idle.is_set if self._stopper is None else self._keep_playing
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
        if self._stopper is not None:  # the run skips keep_going after the step that reaches its deadline
            self._reached_stop()
        if self._stop is not None:  # paused where the user asked: say why, then show that step
            stop, self._stop, self._stopper = self._stop, None, None
            self.playing = False
            self._timer.stop()
            self.sigStopped.emit(stop)
            self._publish(force=True)
        elif run.diverged or not run.can_train:
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
                if self._cap:  # a short window can count one step more than the cap allows on average
                    self._rate = min(self._rate, self._cap)
                self._rate_t, self._rate_step = now, self.run.step_count
        self._last_publish = now
        self._published_step = self.run.step_count
        self.in_flight = True
        self.sigSnapshot.emit(self.run.snapshot(self.playing, self._rate if self.playing else 0.0,
                                                **{extra: extra in self.wanted for extra in EXTRAS}))


