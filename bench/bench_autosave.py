"""How long autosave keeps the window waiting on a large document.

    QT_QPA_PLATFORM=offscreen python bench/bench_autosave.py [--edges 5000] [--rows 5000] [--repeats 3]

Opens a network of 1,000 neurons with ``--edges`` edges and a data table of ``--rows`` rows, lets the window
encode the table's text between events (as it does after opening), then for each repeat makes an edit and asks
for a recovery copy. Prints the time the main thread spent in ``Autosave.write()``, the longest gap between
the event loop's 1 ms ticks until the copy is on disk (what a user feels), and the time until it is there.
Works on versions that write in the window's thread too (then the three are about equal).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BPGUI_RECOVERY_DIR", tempfile.mkdtemp(prefix="bpgui-bench-"))

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402

from bpgui.core.document import document_from_dict  # noqa: E402
from bpgui.ui.app import make_application  # noqa: E402
from bpgui.ui.document.document_model import DocumentModel  # noqa: E402
from bpgui.ui.main_window import MainWindow  # noqa: E402


def big_document(edges: int, rows: int):
    """2 inputs, two hidden tanh layers of 498 neurons, 1 output (999 neurons); the hidden layers joined by
    ``edges``."""
    rng = np.random.default_rng(0)
    a, b = [f"a{i}" for i in range(498)], [f"b{i}" for i in range(498)]
    neurons = [{"id": "x1", "layer": 0}, {"id": "x2", "layer": 0}]
    neurons += [{"id": n, "layer": 1, "activation": "tanh", "bias": 0.1} for n in a]
    neurons += [{"id": n, "layer": 2, "activation": "tanh", "bias": 0.1} for n in b]
    neurons.append({"id": "y1", "layer": 3, "activation": "sigmoid", "bias": 0.0})
    links = [{"from": x, "to": n, "weight": 0.5} for n in a for x in ("x1", "x2")]
    links += [{"from": n, "to": "y1", "weight": 0.3} for n in b]
    pairs = [(i, j) for i in range(498) for j in range(498)][: max(0, edges - len(links))]
    links += [{"from": a[i], "to": b[j], "weight": float(w)} for (i, j), w in zip(pairs, rng.normal(size=len(pairs)))]
    x = rng.random((rows, 2))
    raw = {"format": "bpgui-network", "version": 1, "neurons": neurons, "edges": links, "loss": "bce",
           "data": {"inputs": x.tolist(), "targets": (x[:, :1] > 0.5).astype(float).tolist()}}
    return document_from_dict(raw)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=int, default=5_000)
    ap.add_argument("--rows", type=int, default=5_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    app = make_application()
    doc = big_document(args.edges, args.rows)
    w = MainWindow(DocumentModel(doc))
    w.show()
    deadline = time.monotonic() + 60
    while doc.data._encoded is None and time.monotonic() < deadline:  # the table's text, between events
        app.processEvents()
    ticks, last, longest = QElapsedTimer(), [0.0], [0.0]
    ticks.start()

    def tick():
        now = ticks.nsecsElapsed() / 1e6
        longest[0] = max(longest[0], now - last[0])
        last[0] = now

    probe = QTimer()
    probe.timeout.connect(tick)
    probe.start(1)
    print(f"{len(doc.network.neurons):,} neurons, {len(doc.network.edges):,} edges, {args.rows:,} rows")
    for i in range(args.repeats):
        assert w.model.edit("w", lambda n, p, v=0.1 * (i + 1): n.set_weight("a0", "b0", v)) is None
        before = w.autosave.recovery_file.stat().st_mtime_ns if w.autosave.recovery_file.exists() else None
        for _ in range(20):
            app.processEvents()
        last[0], longest[0] = ticks.nsecsElapsed() / 1e6, 0.0
        t0 = time.perf_counter()
        w.autosave.write()
        call = time.perf_counter() - t0

        def written(before=before):
            f = w.autosave.recovery_file
            return f.exists() and f.stat().st_mtime_ns != before and not getattr(w.autosave, "busy", bool)()

        while not written():
            app.processEvents()
            time.sleep(0.0005)
        total = time.perf_counter() - t0
        app.processEvents()
        size = w.autosave.recovery_file.stat().st_size / 1e6
        print(f"  write(): main thread {call * 1000:7.1f} ms · longest event-loop gap {longest[0]:7.1f} ms · "
              f"copy on disk after {total * 1000:7.1f} ms ({size:.1f} MB)")
    probe.stop()
    w.autosave.stop()
    w.training.shutdown()
    w.surface.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
