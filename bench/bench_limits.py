"""Benchmark every documented limit: time and peak memory of each command on a document at the limits.

    python bench/bench_limits.py                 # about 5 minutes
    python bench/bench_limits.py --only neurons  # one document

For each document below it runs, each in its own child process (so that peak memory is the command's own, read
from ``wait4``'s resource usage), and prints seconds and peak resident memory:

* ``load``: read and validate the file (``bpgui.core.document.load_document``);
* ``inspect``: ``bpgui inspect FILE``;
* ``train``: ``bpgui train FILE --steps 20 -o OUT`` (which also saves the trained document: the saved file is
  then loaded again, so a document bpgui writes is one it can open);
* ``surface``: ``bpgui surface FILE --x … --y … --grid 64 -o OUT.npz``;
* ``screenshot``: ``bpgui screenshot FILE --steps 5 -o OUT.png`` (the real window offscreen: opening the document,
  drawing the canvas, five training steps, the error surface);
* ``window``: the window opened in-process, then an autosave written (the main thread's longest block is
  printed: the autosave must not freeze the window).

The documents, each at one or more of the limits in ``bpgui/core/limits.py``:

* ``neurons``: MAX_NEURONS neurons in four hidden layers with MAX_EDGES edges, and generated data with as many
  points as MAX_NEURON_POINTS allows;
* ``points``: the circles network on MAX_POINTS generated points;
* ``table``: a literal table of MAX_TABLE_VALUES numbers (the largest file bpgui writes), 9 inputs, 1 output;
* ``neuron-points``: 100,000 points through a network of MAX_NEURON_POINTS / 100,000 neurons.

The machine is shared and noisy: read the figures of one run together.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(HERE.parent))


def layered_document(n_neurons: int, n_edges: int, n_points: int, path: Path, n_inputs: int = 2,
                     hidden_layers: int = 4) -> Path:
    """``n_inputs`` inputs, ``hidden_layers`` equal tanh layers, one sigmoid output: ``n_neurons`` in all, with
    ``n_edges`` edges (every neuron fed by the layer before, the rest drawn at random between consecutive
    layers), on ``n_points`` circles-like generated points (or a 9-input table made from random numbers)."""
    rng = np.random.default_rng(0)
    n_hidden = n_neurons - n_inputs - 1
    sizes = [n_hidden // hidden_layers + (i < n_hidden % hidden_layers) for i in range(hidden_layers)]
    layers = [[f"x{i + 1}" for i in range(n_inputs)]]
    for k, size in enumerate(sizes):
        layers.append([f"h{k + 1}_{i + 1}" for i in range(size)])
    layers.append(["y1"])
    neurons = [{"id": x, "layer": 0} for x in layers[0]]
    for k, layer in enumerate(layers[1:-1], 1):
        neurons += [{"id": h, "layer": k, "activation": "tanh", "bias": 0.0} for h in layer]
    neurons.append({"id": "y1", "layer": len(layers) - 1, "activation": "sigmoid", "bias": 0.0})
    edges = set()
    for a, b in zip(layers, layers[1:]):  # every neuron has a source
        for i, dst in enumerate(b):
            edges.add((a[i % len(a)], dst))
    pairs = [(a, b) for a, b in zip(layers, layers[1:])]
    weights = np.array([len(a) * len(b) for a, b in pairs], dtype=float)
    capacity = int(weights.sum())
    if n_edges > capacity:
        raise ValueError(f"{n_edges} edges do not fit ({capacity} possible)")
    while len(edges) < n_edges:
        a, b = pairs[rng.choice(len(pairs), p=weights / weights.sum())]
        edges.add((a[rng.integers(len(a))], b[rng.integers(len(b))]))
    scale = {dst: 1 / np.sqrt(sum(1 for _, d in edges if d == dst)) for _, dst in edges}
    edge_list = [{"from": s, "to": d, "weight": round(float(rng.normal(0, scale[d])), 4)} for s, d in sorted(edges)]
    if n_inputs == 2:
        data = {"generator": "circles", "n": n_points, "noise": 0.05, "test_fraction": 0.0, "seed": 3}
    else:
        x = np.round(rng.normal(size=(n_points, n_inputs)), 6)
        data = {"inputs": x.tolist(), "targets": (x.sum(axis=1, keepdims=True) > 0).astype(float).tolist()}
    raw = {"format": "bpgui-network", "version": 1, "neurons": neurons, "edges": edge_list, "loss": "bce",
           "data": data, "training": {"optimizer": "adam", "learning_rate": 0.01, "batch_size": None,
                                      "train_biases": True, "seed": 0}}
    path.write_text(json.dumps(raw))
    return path


def run_child(args: list[str], timeout: float = 600) -> tuple[float, float, int, str]:
    """Seconds, peak resident memory (MB), exit status and the last line of output of one child process."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return float("inf"), float("nan"), -9, "timed out"
    # communicate() has reaped the child; its rusage is folded into RUSAGE_CHILDREN, so run each child with a
    # wrapper that reports its own peak instead
    seconds = time.perf_counter() - t0
    lines = [line for line in out.splitlines() if line.strip()]
    peak = float("nan")
    rest = []
    for line in lines:
        if line.startswith("PEAK_MB "):
            peak = float(line.split()[1])
        else:
            rest.append(line)
    return seconds, peak, p.returncode, (rest[-1] if rest else "")


MEASURE = """
import resource, runpy, sys
sys.argv = {argv!r}
code = 0
try:
    {body}
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else 1
finally:
    print("PEAK_MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, flush=True)
sys.exit(code)
"""


def measured(body: str, argv: list[str]) -> list[str]:
    return ["-c", MEASURE.format(argv=argv, body=textwrap.indent(body.strip(), "    ").lstrip())]


def cli(*args: str) -> list[str]:
    return measured("from bpgui.cli import main; sys.exit(main(sys.argv[1:]))", ["bpgui", *map(str, args)])


WINDOW = """
import os, time
from pathlib import Path
from PySide6.QtCore import QElapsedTimer, QTimer
from bpgui.ui.app import make_application
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.main_window import MainWindow
from bpgui.ui.threads import process_events_until
app = make_application()
t0 = time.perf_counter()
w = MainWindow(DocumentModel.open(Path(sys.argv[1])))
w.resize(1280, 800); w.show()
ok = w.wait_for_snapshot(timeout=300)
opened = time.perf_counter() - t0
process_events_until(lambda: w.surface.settled, 300)  # the first surface drawn: the window is idle
process_events_until(lambda: False, 1.0)
clock = QElapsedTimer(); clock.start(); late = [0.0]; last = [0]
def tick():
    now = clock.elapsed(); late[0] = max(late[0], now - last[0] - 5); last[0] = now
timer = QTimer(); timer.timeout.connect(tick); timer.start(5)
w.model.edit("nudge", lambda n, p: n.set_bias("y1", 0.125))
process_events_until(lambda: False, 0.3)
late[0] = 0.0
t1 = time.perf_counter()
w.autosave.write()
call = time.perf_counter() - t1
process_events_until(lambda: w.autosave.recovery_file.exists() and not w.autosave.busy(), 60)
print(f"opened in {opened:.1f} s (snapshot {'yes' if ok else 'NO'}); autosave: write() {call * 1000:.0f} ms in the "
      f"main thread, longest event-loop wait until written {late[0]:.0f} ms", flush=True)
w.model.undo_stack.setClean(); w.autosave.stop(); w.training.shutdown(); w.surface.shutdown()
"""


def main(argv=None) -> int:
    from bpgui.core.limits import MAX_EDGES, MAX_NEURON_POINTS, MAX_NEURONS, MAX_POINTS, MAX_TABLE_VALUES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="one document: neurons, points, table or neuron-points")
    ap.add_argument("--ops", default="load,inspect,train,surface,screenshot,window")
    args = ap.parse_args(argv)
    ops = args.ops.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="bpgui-limits-"))
    table_rows = MAX_TABLE_VALUES // 10
    docs = {
        "neurons": (lambda p: layered_document(MAX_NEURONS, MAX_EDGES, MAX_NEURON_POINTS // MAX_NEURONS, p),
                    f"{MAX_NEURONS:,} neurons, {MAX_EDGES:,} edges, {MAX_NEURON_POINTS // MAX_NEURONS:,} points",
                    ("x1->h1_1", "h1_1->h2_1")),
        "points": (lambda p: layered_document(13, 40, MAX_POINTS, p, hidden_layers=2),
                   f"13 neurons, {MAX_POINTS:,} points", ("x1->h1_1", "x2->h1_2")),
        "table": (lambda p: layered_document(20, 90, table_rows, p, n_inputs=9, hidden_layers=1),
                  f"table {table_rows:,} rows x 10 columns", ("x1->h1_1", "x2->h1_2")),
        "neuron-points": (lambda p: layered_document(MAX_NEURON_POINTS // MAX_POINTS, 400, MAX_POINTS, p),
                          f"{MAX_NEURON_POINTS // MAX_POINTS} neurons, {MAX_POINTS:,} points",
                          ("x1->h1_1", "x2->h1_2")),
    }
    print(f"{'document':16s} {'operation':11s} {'seconds':>8s} {'peak MB':>8s}  result")
    for name, (make, what, (px, py)) in docs.items():
        if args.only and name != args.only:
            continue
        path = make(tmp / f"{name}.json")
        print(f"{name:16s} ({what}; file {path.stat().st_size / 1e6:.1f} MB)")
        out = tmp / f"{name}-trained.json"
        runs = {
            "load": measured("from bpgui.core.document import load_document; load_document(sys.argv[1])",
                             ["load", str(path)]),
            "inspect": cli("inspect", path),
            "train": cli("train", path, "--steps", "20", "--quiet", "-o", out),
            "surface": cli("surface", path, "--x", px, "--y", py, "--grid", "64", "-o", tmp / f"{name}.npz"),
            "screenshot": cli("screenshot", path, "--steps", "5", "-o", tmp / f"{name}.png"),
            "window": measured(WINDOW, ["window", str(path)]),
        }
        for op in ops:
            seconds, peak, code, last = run_child(runs[op])
            print(f"{'':16s} {op:11s} {seconds:8.1f} {peak:8.0f}  {'ok' if code == 0 else f'exit {code}'}: "
                  f"{last[:170]}", flush=True)
            if op == "train" and code == 0:
                seconds, peak, code, last = run_child(measured(
                    "from bpgui.core.document import load_document; load_document(sys.argv[1])",
                    ["load", str(out)]))
                print(f"{'':16s} {'reopen':11s} {seconds:8.1f} {peak:8.0f}  "
                      f"{'ok' if code == 0 else f'exit {code}'}: saved {out.stat().st_size / 1e6:.1f} MB {last[:60]}",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
