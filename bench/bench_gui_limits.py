"""Benchmark the window at the documented limits: does the GUI thread ever block for long?

    python bench/bench_gui_limits.py                     # about 3-4 minutes
    python bench/bench_gui_limits.py --seconds 3 --neurons 1000,10000

It opens the real main window offscreen (``QT_QPA_PLATFORM=offscreen`` unless set), with the Outputs tab on show
(the view that draws every data point), and measures the **event loop's lateness** the way
``bench_gui_training.py`` does: a 10 ms timer in the main thread, whose lateness (actual minus expected interval)
is how long a click or a repaint would wait. For each phase it prints the longest stall, the p99 and the median.
The phases, each measured until the window has drawn its result (the snapshot and the error surface):

* **data size**: the user types a number of points into the Data box's "points" spin box and presses Enter,
  200 → 20,000 → 100,000 (the documented maximum) → 200, on the circles example;
* **training**: Play for ``--seconds`` at 200 (for comparison), 20,000 and 100,000 generated points, and on a
  literal table of 100,000 rows opened from a file (the opening itself is a phase too, and so are a save and an
  autosave of it);
* **chain rule**: the Chain Rule panel on show with a weight selected, while training plays at 100,000 points;
* **neurons**: opening a document with many neurons (``--neurons``, default 1,000; 10,000 is the documented
  maximum: about 9 GB of memory and 2 minutes) and pressing Step.

Target (issue 7): no phase stalls the event loop for more than about 100 ms. The machine is shared and noisy:
compare figures from one run, never across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MS = 100.0
INTERVAL_MS = 10


class Probe:
    """A 10 ms precise timer in the main thread; each tick's lateness is filed under the current phase."""

    def __init__(self):
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.phases: dict[str, list[float]] = {}
        self.current: list[float] | None = None
        self.notes: dict[str, str] = {}
        self._last = 0.0

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        if self.current is not None:
            self.current.append(max(0.0, now - self._last - INTERVAL_MS))
        self._last = now

    def phase(self, name: str | None) -> None:
        """File the following ticks under ``name`` (None: measure nothing while setting up); the first tick of a
        phase measures from now."""
        if not self.timer.isActive():
            self.clock.start()
            self.timer.start(INTERVAL_MS)
        self.current = None if name is None else self.phases.setdefault(name, [])
        self._last = self.clock.nsecsElapsed() / 1e6

    def note(self, text: str) -> None:
        name = next(k for k, v in self.phases.items() if v is self.current)
        self.notes[name] = text

    def stop(self) -> None:
        self.current = None
        self.timer.stop()
        self._sampling = False

    def sample_stalls(self, after_ms: float = 50.0) -> None:
        """Find out what stalls: a thread looks at the main thread's stack every 5 ms while a tick is more than
        ``after_ms`` late, and counts the innermost bpgui and library frames per phase (``--why``)."""
        import collections
        import threading
        import traceback

        main = threading.main_thread().ident
        self.stacks: dict[str, collections.Counter] = {}
        self._sampling = True

        def where(frame) -> str:
            entries = traceback.extract_stack(frame)
            ours = [e for e in entries if "/bpgui/" in e.filename]
            inner = entries[-1]
            own = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} {ours[-1].name}" if ours else "-"
            return f"{own}  <  {Path(inner.filename).name}:{inner.lineno} {inner.name}"

        def run():
            while self._sampling:
                time.sleep(0.005)
                current = self.current
                if current is None or self.clock.nsecsElapsed() / 1e6 - self._last < after_ms + INTERVAL_MS:
                    continue
                frame = sys._current_frames().get(main)
                if frame is not None:
                    name = next(k for k, v in self.phases.items() if v is current)
                    self.stacks.setdefault(name, collections.Counter())[where(frame)] += 1

        threading.Thread(target=run, daemon=True).start()

    def stall_report(self) -> str:
        lines = []
        for name, counts in getattr(self, "stacks", {}).items():
            lines.append(f"{name}: where the main thread was during stalls (5 ms samples)")
            lines += [f"  {n:5d}  {w}" for w, n in counts.most_common(6)]
        return "\n".join(lines)

    def table(self) -> str:
        rows = [f"{'phase':<58} {'longest':>9} {'p99':>8} {'median':>7} {'ticks':>6}   target <= {TARGET_MS:.0f} ms"]
        for name, lat in self.phases.items():
            if not lat:
                rows.append(f"{name:<58} {'(no ticks)':>9}")
                continue
            a = np.array(lat)
            worst = a.max()
            mark = "ok" if worst <= TARGET_MS else "OVER"
            rows.append(f"{name:<58} {worst:8.0f}  {np.percentile(a, 99):7.0f}  {np.median(a):6.1f}  {len(a):6d}   "
                        f"{mark}{'  ' + self.notes[name] if name in self.notes else ''}")
        return "\n".join(rows)


def run_for(seconds: float) -> None:
    """Run the event loop (a real one, as app.exec does) for ``seconds``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def run_until(done, timeout: float) -> bool:
    """Run the event loop until ``done()`` holds (checked every 20 ms) or ``timeout`` seconds passed."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer()
    check.timeout.connect(lambda: done() and loop.quit())
    check.start(20)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    if not done():
        loop.exec()
    check.stop()
    return bool(done())


def settled(w) -> bool:
    """The window has drawn a snapshot of the current network and data, and the surface has nothing pending."""
    snap = w.training.latest
    busy = getattr(w.chain_rule, "busy", lambda: False)()  # (the panel had no thread before issue 7)
    return snap is not None and w.training.is_current(snap) and w.surface.settled and not busy


def type_points(w, n: int) -> None:
    """Type ``n`` into the Data box's points spin box and press Enter, as a user does."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    edit = w.training_panel.points.lineEdit()
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, str(n))
    QTest.keyClick(edit, Qt.Key_Return)


def show_dock(w, name: str) -> None:
    from PySide6.QtWidgets import QDockWidget

    dock = w.findChild(QDockWidget, name)
    dock.show()
    dock.raise_()


def circles_document(n: int, path: Path) -> Path:
    from bpgui.resources import example_paths

    raw = json.loads(example_paths()["circles"].read_text())
    raw["data"]["n"] = n
    path.write_text(json.dumps(raw))
    return path


def table_document(n: int, path: Path) -> Path:
    """The circles network with a literal table of ``n`` rows (the circles generator's points, written out)."""
    from bpgui.core.datasets import generate
    from bpgui.resources import example_paths

    raw = json.loads(example_paths()["circles"].read_text())
    d = generate("circles", n, noise=0.05, seed=3)
    raw["data"] = {"inputs": np.round(d.x_train, 4).tolist(), "targets": d.t_train.tolist()}
    path.write_text(json.dumps(raw))
    return path


def wide_document(n_neurons: int, path: Path) -> Path:
    """2 inputs, one hidden tanh layer, 1 sigmoid output: ``n_neurons`` neurons in all, fully connected layers,
    on 200 circles points."""
    rng = np.random.default_rng(0)
    hidden = [f"h{i}" for i in range(1, n_neurons - 2)]
    neurons = [{"id": "x1", "layer": 0}, {"id": "x2", "layer": 0}]
    neurons += [{"id": h, "layer": 1, "activation": "tanh", "bias": 0.0} for h in hidden]
    neurons.append({"id": "y1", "layer": 2, "activation": "sigmoid", "bias": 0.0})
    edges = [{"from": x, "to": h, "weight": round(float(rng.normal(0, 1)), 3)} for x in ("x1", "x2") for h in hidden]
    edges += [{"from": h, "to": "y1", "weight": round(float(rng.normal(0, 0.05)), 3)} for h in hidden]
    raw = {"format": "bpgui-network", "version": 1, "neurons": neurons, "edges": edges, "loss": "bce",
           "data": {"generator": "circles", "n": 200, "noise": 0.05, "test_fraction": 0.2, "seed": 3},
           "training": {"optimizer": "adam", "learning_rate": 0.03, "batch_size": None, "train_biases": True,
                        "seed": 0}}
    path.write_text(json.dumps(raw))
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="how long each training phase plays")
    ap.add_argument("--neurons", default="1000", help="comma-separated neuron counts to open and step")
    ap.add_argument("--why", action="store_true", help="also print where the main thread was during stalls")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: data, training, table, chain, "
                                               "neurons")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))

    from PySide6.QtWidgets import QMessageBox

    from bpgui.ui.app import make_application
    from bpgui.ui.document.document_model import DocumentModel
    from bpgui.ui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="bpgui-bench-"))
    os.environ.setdefault("BPGUI_RECOVERY_DIR", str(tmp / "recovery"))
    _app = make_application()  # keep the application alive as long as the window
    start = circles_document(200, tmp / "circles200.json")
    w = MainWindow(DocumentModel.open(start))
    w.files.ask_save_changes = lambda: QMessageBox.Discard
    w.resize(1280, 800)
    w.show()
    show_dock(w, "outputs")
    probe = Probe()
    if args.why:
        probe.sample_stalls()
    run_until(lambda: settled(w), 30)
    t_start = time.perf_counter()

    def play(seconds: float) -> None:
        w.training.play()
        run_for(seconds)
        w.training.pause()

    def wait_settled(what: str) -> None:
        if not run_until(lambda: settled(w), 120):
            probe.note(f"({what} not settled after 120 s)")

    if "training" not in skip:  # for comparison: the same window and machine with little data
        probe.phase(f"training: play {args.seconds:g} s at 200 generated points (for comparison)")
        play(args.seconds)
        wait_settled("training")
        probe.phase(None)

    if "data" not in skip:
        for a, b in ((200, 20_000), (20_000, 100_000), (100_000, 200)):
            probe.phase(f"data: points {a:,} -> {b:,} (typed into the spin box)")
            type_points(w, b)
            wait_settled("data")
        probe.phase(None)
        type_points(w, 20_000)
        run_until(lambda: settled(w), 120)

    if "training" not in skip:
        for n in (20_000, 100_000):
            if w.training_panel.points.value() != n:
                probe.phase(None)
                type_points(w, n)
                run_until(lambda: settled(w), 120)
            probe.phase(f"training: play {args.seconds:g} s at {n:,} generated points")
            play(args.seconds)
            wait_settled("training")
        probe.phase(None)

    if "chain" not in skip:
        if w.training_panel.points.value() != 100_000:
            type_points(w, 100_000)
            run_until(lambda: settled(w), 120)
        probe.phase("chain rule: select a weight at 100,000 points")
        w.scene.clearSelection()
        w.scene.edge_items[("x1", "h1")].setSelected(True)
        show_dock(w, "chain rule")
        run_for(0.5)
        probe.phase(f"chain rule: play {args.seconds:g} s at 100,000 points")
        play(args.seconds)
        wait_settled("chain rule")
        probe.phase(None)
        w.scene.clearSelection()
        show_dock(w, "properties")

    if "table" not in skip:
        path = table_document(100_000, tmp / "table100k.json")
        probe.phase("table: open a file with a 100,000-row table")
        w.open_path(path, ask=False)
        wait_settled("table")
        probe.phase(f"table: play {args.seconds:g} s on the 100,000-row table")
        play(args.seconds)
        wait_settled("table")
        probe.phase("table: autosave (recovery copy) of the 100,000-row table")
        w.autosave.dirty = True
        w.autosave.write()
        run_for(0.3)
        probe.phase("table: save the 100,000-row table")
        w.files.save_to(tmp / "table100k-saved.json")
        run_for(0.3)

    if "neurons" not in skip:
        for n in (int(s) for s in args.neurons.split(",") if s):
            path = wide_document(n, tmp / f"wide{n}.json")
            probe.phase(f"neurons: open a document with {n:,} neurons")
            w.open_path(path, ask=False)
            wait_settled("neurons")
            probe.phase(f"neurons: press Step with {n:,} neurons")
            step = w.training.latest.step
            w.window_actions.step.trigger()
            run_until(lambda s=step: w.training.latest.step > s and settled(w), 120)
            run_for(0.3)

    probe.stop()
    total = time.perf_counter() - t_start
    w.training.shutdown()
    w.surface.shutdown()
    w.close()
    print(f"event-loop lateness (10 ms timer, main window offscreen, Outputs on show; {total:.0f} s in all), ms:")
    print(probe.table())
    if args.why:
        print(probe.stall_report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
