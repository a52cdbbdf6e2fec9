"""Benchmark live training in the real window: is the window smooth while the training thread runs flat out?

    python bench/bench_gui_training.py            # about 30 s
    python bench/bench_gui_training.py --seconds 5 --example circles
    python bench/bench_gui_training.py --show step      # with the Step view (and its anatomy) on show

It opens the real main window offscreen (``QT_QPA_PLATFORM=offscreen`` unless set) on a bundled example (the
default network, xor, unless ``--example``), presses Play with no speed cap, and for ``--seconds`` measures:

* **event-loop latency**: a 10 ms QTimer in the main thread; its lateness (actual minus expected interval) is
  how long a click or a repaint would wait. Median and p99.
* **redraws per second**: paint events of the loss plot's and the surface view's viewports (what the user sees
  change), and snapshots handled per second.
* **training throughput**: steps per second in the GUI, against the same network trained headless by
  ``bpgui train`` (run as a subprocess right before and right after; its own "N steps/s" line, best of the two)
  and by the same core loop in this process with no window (``Trainer.train``). Reported as fractions.

Targets (issue 4): p99 latency ≤ 30 ms, ≥ 30 redraws/s, GUI throughput ≥ 50 % of headless. The machine is
shared and noisy: compare figures from one run, never across runs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def headless_cli(path: str, steps: int) -> float:
    """Steps per second that ``bpgui train`` reports for its training loop."""
    with tempfile.TemporaryDirectory() as tmp:  # (not /dev/null: bpgui refuses to replace a device)
        out = subprocess.run([sys.executable, "-m", "bpgui", "train", path, "--steps", str(steps), "-o",
                              str(Path(tmp) / "trained.json"), "--quiet"], capture_output=True, text=True, check=True)
    m = re.search(r"\(([\d,]+) steps/s\)", out.stdout + out.stderr)
    if not m:
        raise SystemExit(f"cannot read the speed of bpgui train from: {out.stdout!r} {out.stderr!r}")
    return float(m.group(1).replace(",", ""))


def headless_in_process(path: str, seconds: float) -> float:
    from bpgui.core import load_document
    from bpgui.core.training import Trainer

    t = Trainer.from_document(load_document(path))
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        t.train(500)
        n += 500
    return n / (time.perf_counter() - t0)


def gui_run(path: str, seconds: float, show: str | None = None) -> dict:
    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer
    from PySide6.QtWidgets import QGraphicsView, QMessageBox

    from bpgui.core import load_document
    from bpgui.ui.app import make_application
    from bpgui.ui.document.document_model import DocumentModel
    from bpgui.ui.main_window import MainWindow

    app = make_application()
    doc = load_document(path)
    doc.training.steps_per_second = None  # the examples open at a watchable speed: measure with no cap
    w = MainWindow(DocumentModel(doc, Path(path)))
    w.files.ask_save_changes = lambda: QMessageBox.Discard
    w.resize(1280, 800)
    w.show()
    w.wait_for_snapshot()
    if show:  # e.g. "step": its tab raised, so its view draws every snapshot
        from PySide6.QtWidgets import QDockWidget

        w.findChild(QDockWidget, show).raise_()

    class PaintCounter(QObject):
        def __init__(self):
            super().__init__()
            self.count = 0

        def eventFilter(self, obj, ev):
            if ev.type() == QEvent.Paint:
                self.count += 1
            return False

    counter = PaintCounter()
    for plot in (w.loss_plot, w.surface_view):  # the two plots on show by default
        for view in plot.findChildren(QGraphicsView):
            view.viewport().installEventFilter(counter)

    lateness: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setTimerType(Qt.PreciseTimer)
    interval = 10
    last = [0.0]

    def tick():
        now = clock.nsecsElapsed() / 1e6
        lateness.append(max(0.0, now - last[0] - interval))
        last[0] = now

    timer.timeout.connect(tick)
    # warm up: let the first snapshots and the plots settle, then measure inside app.exec() as the app runs
    w.training.play()
    marks = {}

    def start():
        counter.count = 0
        marks["snaps"], marks["step"] = w.training.snapshots, w.training.latest.step
        clock.start()
        last[0] = 0.0
        timer.start(interval)
        marks["t0"] = time.perf_counter()

    QTimer.singleShot(1000, start)
    QTimer.singleShot(int(1000 + seconds * 1000), app.quit)
    app.exec()
    t0 = marks["t0"]
    snaps0, step0 = marks["snaps"], marks["step"]
    elapsed = time.perf_counter() - t0
    timer.stop()
    snaps, step = w.training.snapshots - snaps0, w.training.latest.step - step0
    paints = counter.count
    w.training.pause()
    w.close()
    lat = np.array(lateness[1:])
    return {"latency_median": float(np.median(lat)), "latency_p99": float(np.percentile(lat, 99)),
            "latency_max": float(lat.max()), "paints_per_s": paints / elapsed / 2, "snapshots_per_s": snaps / elapsed,
            "steps_per_s": step / elapsed}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--example", default="xor", help="bundled example to train (default: xor, the default net)")
    ap.add_argument("--seconds", type=float, default=10.0, help="how long to train in the window")
    ap.add_argument("--show", help="raise this view's tab first, e.g. step, line or 'all directions'")
    args = ap.parse_args(argv)
    from bpgui.resources import example_paths

    path = str(example_paths()[args.example])
    cli_before = headless_cli(path, 50_000)
    inproc = headless_in_process(path, 3.0)
    g = gui_run(path, args.seconds, args.show)
    cli_after = headless_cli(path, 50_000)
    cli = max(cli_before, cli_after)
    shown = f", the {args.show} view on show" if args.show else ""
    print(f"network: {args.example}  ({args.seconds:g} s of training in the window, offscreen{shown})")
    print(f"event-loop latency (10 ms timer lateness): median {g['latency_median']:.2f} ms, "
          f"p99 {g['latency_p99']:.2f} ms, max {g['latency_max']:.1f} ms   [target p99 <= 30 ms]")
    print(f"plot redraws: {g['paints_per_s']:.1f} per plot per second; snapshots drawn: "
          f"{g['snapshots_per_s']:.1f}/s   [target >= 30/s]")
    print(f"training: GUI {g['steps_per_s']:,.0f} steps/s; headless bpgui train {cli:,.0f} steps/s "
          f"(before {cli_before:,.0f}, after {cli_after:,.0f}); same loop in-process {inproc:,.0f} steps/s")
    print(f"GUI / headless bpgui train: {g['steps_per_s'] / cli:.2f}   [target >= 0.50]")
    print(f"GUI / in-process loop:      {g['steps_per_s'] / inproc:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
