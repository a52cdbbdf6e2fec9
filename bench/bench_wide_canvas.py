"""Benchmark the network canvas on a wide network: how long one training snapshot takes to show.

    python bench/bench_wide_canvas.py                    # 64-32-16-10 (2,720 edges) and xor, 60 snapshots each
    python bench/bench_wide_canvas.py --sizes 64-32-16-10,256-64-10 --snapshots 100

It opens the canvas alone (a NetworkScene in a NetworkView of the size it has in the window at 1280x800,
offscreen unless ``QT_QPA_PLATFORM`` is set) on a fully connected net with seeded random weights, then feeds it
snapshots the way training does: every weight and bias moves a little and the document takes the values in
(``DocumentModel.apply_training``, whose change event the scene handles), then the posted events are sent, in
which the view paints what changed (what the window's ``_paint_now`` does per snapshot). For each snapshot it
times

* **update**: the scene's handling of the change (``apply_training`` returns when the scene has updated its items),
* **paint**: the posted events, with the view's paint (it checks that the view painted once per snapshot),

and, with the scene no longer listening, **document**: ``apply_training`` alone (the document's and the core
network's share of "update").

and prints the median, p90 and the longest of each, and how long the canvas took to open. Numbers on this shared
2-core machine vary from run to run: compare figures of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

VIEW_SIZE = (475, 710)  # the canvas's size in the window at 1280x800


def wide_document(sizes: list[int], seed: int = 0):
    """A fully connected net of ``sizes`` (tanh hidden layers; linear outputs with cross-entropy when there are
    several) with seeded random weights, and a table of random data that fits it."""
    from bpgui.core.document import Document, TableData
    from bpgui.core.network import layered

    rng = np.random.default_rng(seed)
    many = sizes[-1] > 1
    net = layered(sizes, activation="tanh", output_activation="linear" if many else "sigmoid",
                  loss="cross_entropy" if many else "bce",
                  weights=lambda a, b: round(float(rng.normal(0.0, 0.3)), 3))
    x = rng.normal(size=(100, sizes[0]))
    t = np.eye(sizes[-1])[rng.integers(0, sizes[-1], 100)] if many else rng.integers(0, 2, (100, 1)) * 1.0
    return Document(net, TableData(x, t))


def measure(doc, snapshots: int, seed: int = 1) -> dict:
    from PySide6.QtCore import QCoreApplication, QEvent, QObject
    from PySide6.QtTest import QTest

    from bpgui.ui.document.document_hub import DocumentHub
    from bpgui.ui.document.document_model import DocumentModel
    from bpgui.ui.editor.network_scene import NetworkScene
    from bpgui.ui.editor.network_view import NetworkView

    t0 = time.perf_counter()
    hub = DocumentHub(DocumentModel(doc))
    scene = NetworkScene(hub)
    view = NetworkView(scene)
    view.resize(*VIEW_SIZE)
    view.show()
    QTest.qWaitForWindowExposed(view)
    view.fit()
    QCoreApplication.processEvents()
    view.viewport().repaint()
    opened = time.perf_counter() - t0

    class PaintCounter(QObject):
        paints = 0

        def eventFilter(self, obj, ev):
            if ev.type() == QEvent.Paint:
                self.paints += 1
            return False

    counter = PaintCounter()
    view.viewport().installEventFilter(counter)
    rng = np.random.default_rng(seed)
    model = hub.model
    names = model.network.parameter_names()
    values = np.array([model.network.get_parameter(k) for k in names])
    update, paint = [], []
    for step in range(1, snapshots + 1):
        values = values + rng.normal(0.0, 0.01, size=len(values))
        new = dict(zip(names, values.tolist()))
        t0 = time.perf_counter()
        model.apply_training(new, step)
        t1 = time.perf_counter()
        QCoreApplication.sendPostedEvents()
        t2 = time.perf_counter()
        update.append((t1 - t0) * 1e3)
        paint.append((t2 - t1) * 1e3)
    # the same again with the scene not listening: the document's own share of "update"
    hub.sigNetworkChanged.disconnect(scene._on_network_change)
    alone = []
    for step in range(snapshots + 1, 2 * snapshots + 1):
        values = values + rng.normal(0.0, 0.01, size=len(values))
        new = dict(zip(names, values.tolist()))
        t0 = time.perf_counter()
        model.apply_training(new, step)
        alone.append((time.perf_counter() - t0) * 1e3)
    if counter.paints != snapshots:
        print(f"warning: the view painted {counter.paints} times in {snapshots} snapshots")
    edges = len(model.network.edges)
    view.close()
    del view, scene, hub
    return {"opened": opened * 1e3, "update": update, "paint": paint, "edges": edges, "document": alone}


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    return f"{statistics.median(ms):7.1f} {p90:7.1f} {ms[-1]:7.1f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="64-32-16-10,2-2-1",
                    help="comma-separated layer sizes of the nets to measure (default: 64-32-16-10,2-2-1)")
    ap.add_argument("--snapshots", type=int, default=60, help="snapshots per net (default 60)")
    args = ap.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # noqa: F841 (kept alive for the run)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.snapshots} snapshots per net; times in ms "
          "(median, p90, max)")
    print(f"{'net':>14} {'edges':>6} {'open':>7} | {'update per snapshot':^23} | {'paint per snapshot':^23} |"
          f" {'both':^23} | {'document (in update)':^23}")
    for spec in args.sizes.split(","):
        sizes = [int(s) for s in spec.split("-")]
        r = measure(wide_document(sizes), args.snapshots)
        both = [a + b for a, b in zip(r["update"], r["paint"])]
        print(f"{spec:>14} {r['edges']:>6} {r['opened']:7.0f} | {summary(r['update'])} | {summary(r['paint'])} |"
              f" {summary(both)} | {summary(r['document'])}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
