"""Soak: train in the real window (offscreen) for a long time with every live view on, and check that memory
stays flat and the history buffers stay bounded.

    python bench/soak_gui.py                  # 10 minutes on the default network
    python bench/soak_gui.py --minutes 1 --example circles

Memory is the process's resident set size (``/proc/self/statm``), sampled every 30 s; the first minute is
warm-up (caches, the first surfaces). It reports the RSS after warm-up and at the end and the growth between
them (target ≤ 5 %), the steps trained, the snapshots drawn, the loss history's and the weight path's lengths
(bounded: they thin themselves out), and any exception that reached the event loop (must be none).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--example", default="xor")
    args = ap.parse_args(argv)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from bpgui.core import load_document
    from bpgui.resources import example_paths
    from bpgui.ui.app import make_application
    from bpgui.ui.document.document_model import DocumentModel
    from bpgui.ui.main_window import MainWindow

    errors: list[str] = []
    sys.excepthook = lambda *exc: errors.append("".join(traceback.format_exception(*exc)))
    app = make_application()
    path = example_paths()[args.example]
    doc = load_document(path)
    doc.training.steps_per_second = None  # the examples open at a watchable speed: soak at full speed
    w = MainWindow(DocumentModel(doc, path))
    w.files.ask_save_changes = lambda: QMessageBox.Discard
    w.resize(1280, 800)
    w.show()
    w.wait_for_snapshot()
    w.window_actions.gradients.trigger()  # every live view on: the canvas overlay too
    w.training.play()
    samples: list[tuple[float, float]] = []
    t0 = time.perf_counter()

    def sample():
        samples.append((time.perf_counter() - t0, rss_mb()))
        print(f"  {samples[-1][0] / 60:5.1f} min  RSS {samples[-1][1]:7.1f} MB  step {w.training.latest.step:,}",
              flush=True)

    timer = QTimer()
    timer.timeout.connect(sample)
    timer.start(30_000)
    QTimer.singleShot(0, sample)
    QTimer.singleShot(int(args.minutes * 60_000), app.quit)
    app.exec()
    sample()
    snap = w.training.latest
    w.training.pause()
    w.close()
    warm = [m for t, m in samples if t >= min(60.0, args.minutes * 30)]
    start, end = warm[0], samples[-1][1]
    growth = (end - start) / start * 100
    print(f"network {args.example}, {args.minutes:g} min of training with live views (offscreen)")
    print(f"steps {snap.step:,}; snapshots drawn {w.training.snapshots:,}; loss history {len(snap.history_steps):,} "
          f"points (capacity 2,048); weight path {len(w.surface.path_x):,} points (at most 5,000)")
    print(f"RSS after warm-up {start:.1f} MB, at the end {end:.1f} MB: growth {growth:+.1f} %   [target <= 5 %]")
    print(f"exceptions that reached the event loop: {len(errors)}")
    for e in errors[:3]:
        print(e)
    return 0 if growth <= 5 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
