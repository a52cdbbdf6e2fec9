"""Benchmark the error surface (bpgui.core.surface) against a forward pass per grid point, in one process.

    python bench/bench_surface.py            # about half a minute; --quick for a smoke run

The network is bench_engine.py's: 2-8-8-1, tanh hidden layers, a sigmoid output, seeded random weights and
biases (Xavier-like), the half_sse loss, 500 samples of a seeded ring data set. For each pair of parameters it
computes E on a 128 × 128 grid, centred on their current values ± DEFAULT_SPAN, with

* ``loss_surface`` in float64 and in float32 (best of ``--repeats`` runs, after one warm-up run);
* ``naive_loss_surface``, the reference: both parameters set in an engine and ``loss_value`` per grid point
  (float64). It is timed on every ``--stride``-th value of each axis (16 × 16 = 256 points by default) and on one
  point, best of 3 each; the whole grid's time is the one-point time (compiling the engine) plus the time per
  further point times 128² − 1;

checks that the fast values equal the naive ones on those points (float64 to a relative 1e-9, float32 within
2e-5 · max(1, |E|), the tolerance documented in tests/test_surface.py), and measures the peak memory of one call
with tracemalloc (NumPy reports its arrays to it). Targets (issue 5): a last-layer surface in ≤ 60 ms; ≥ 60×
the naive loop for two last-layer weights, ≥ 8× for two first-layer weights; ≤ 64 MB extra memory.

Then planes (bpgui.core.planes, issue: planes that hold the real path): ``plane_loss`` on a 64 × 64 grid of the
gradient, pca (through a path of 200 recorded steps) and random planes, on the bundled xor and circles examples and
on the net above, against ``naive_plane_loss`` (every parameter set, a forward pass per grid point, all 4096
points), best of ``--repeats``; ``--planes`` runs only this part.

Exit status: 0, or 1 if the fast and naive values disagree (or, with ``--strict``, if a float32 target is
missed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import HIDDEN, LOSS, OUTPUT, SIZES, make_document  # noqa: E402

from bpgui.core import load_document  # noqa: E402
from bpgui.core.planes import make_plane, naive_plane_loss, plane_loss  # noqa: E402
from bpgui.core.surface import DEFAULT_SPAN, loss_surface, naive_loss_surface  # noqa: E402
from bpgui.core.training_run import TrainingRun  # noqa: E402
from bpgui.resources import example_paths  # noqa: E402

SAMPLES, GRID = 500, 128
#: (label, x parameter, y parameter, target: at least this many times the naive loop)
CASES = [
    ("last layer", "h2_1->y1", "h2_2->y1", 60.0),
    ("first layer, one neuron", "x1->h1_1", "x2->h1_1", 8.0),
    ("first layer, two neurons", "x1->h1_1", "x2->h1_2", 8.0),
]
LAST_LAYER_MS = 60.0
MEMORY_MB = 64.0
RTOL64, F32_TOL = 1e-9, 2e-5


def best_of(repeats: int, fn, *args, **kwargs) -> tuple[float, float, object]:
    """(best, worst) seconds of ``repeats`` calls ``fn(*args, **kwargs)``, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return min(times), max(times), result


def peak_memory(fn, *args, **kwargs) -> float:
    """Peak bytes allocated during ``fn(*args, **kwargs)`` (tracemalloc, which sees NumPy's arrays)."""
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="bpgui's error surface against a forward pass per grid point.")
    ap.add_argument("--repeats", type=int, default=7, help="timed runs of the fast surface, best kept (default 7)")
    ap.add_argument("--stride", type=int, default=8, help="the naive loop runs on every STRIDE-th value of each axis")
    ap.add_argument("--quick", action="store_true", help="2 repeats and stride 16: a smoke run, noisy")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a float32 target is missed")
    ap.add_argument("--planes", action="store_true", help="only the planes' table")
    args = ap.parse_args(argv)
    repeats, stride = (2, 16) if args.quick else (args.repeats, args.stride)
    if repeats < 1 or not 1 <= stride <= GRID:
        ap.error(f"--repeats must be at least 1 and --stride 1 to {GRID}")
    if args.planes:
        return 0 if bench_planes(repeats) else 1

    doc = make_document(SAMPLES)
    net, data = doc.network, doc.dataset()
    x, t = data.x_train, data.t_train
    sub = np.arange(0, GRID, stride)
    print(f"error surface: {'-'.join(map(str, SIZES))} net ({HIDDEN} hidden, {OUTPUT} output), {LOSS}, {SAMPLES} "
          f"samples, {GRID}x{GRID} grid (current values ± {DEFAULT_SPAN:g})")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"fast: best of {repeats} after a warm-up; naive: timed on {len(sub)}x{len(sub)} = {len(sub) ** 2} of the "
          f"{GRID * GRID} points (every {stride}th value per axis) and on 1, best of 3, and scaled\n")

    hdr = (f"{'case':26}  {'parameters':20}  {'dtype':7}  {'ms':>7}  {'(range)':>13}  {'naive ms':>8}  "
           f"{'speed-up':>8}  {'target':>6}  {'met':>3}  {'peak MB':>7}  {'max rel. diff':>13}")
    print(hdr)
    print("─" * len(hdr))
    agree = met32 = True
    for label, px, py, target in CASES:
        cx, cy = net.get_parameter(px), net.get_parameter(py)
        xs = cx + DEFAULT_SPAN * np.linspace(-1.0, 1.0, GRID)
        ys = cy + DEFAULT_SPAN * np.linspace(-1.0, 1.0, GRID)
        one_s = best_of(3, naive_loss_surface, net, x, t, px, py, xs[:1], ys[:1])[0]
        naive_s, _, naive = best_of(3, naive_loss_surface, net, x, t, px, py, xs[sub], ys[sub])
        naive_ms = 1e3 * (one_s + (naive_s - one_s) * (GRID * GRID - 1) / (len(sub) ** 2 - 1))
        for dtype in (np.float64, np.float32):
            call = (loss_surface, net, x, t, px, py, xs, ys)
            best_of(1, *call, dtype=dtype)  # warm up
            best, worst, e = best_of(repeats, *call, dtype=dtype)
            peak = peak_memory(*call, dtype=dtype) / 1e6
            diff = np.abs(e[np.ix_(sub, sub)] - naive)
            if dtype == np.float64:
                rel = float(np.max(diff / np.abs(naive)))
                ok = rel <= RTOL64
            else:
                rel = float(np.max(diff / np.maximum(1.0, np.abs(naive))))
                ok = rel <= F32_TOL
            agree &= ok
            ratio = naive_ms / (best * 1e3)
            met = ratio >= target and peak <= MEMORY_MB and (label != "last layer" or best * 1e3 <= LAST_LAYER_MS)
            if dtype == np.float32:
                met32 &= met
            name = np.dtype(dtype).name
            print(f"{label:26}  {px + ', ' + py:20}  {name:7}  {best * 1e3:7.1f}  "
                  f"{f'{best * 1e3:.1f}–{worst * 1e3:.1f}':>13}  {naive_ms:8.0f}  {ratio:7.1f}×  "
                  f"{f'≥ {target:g}×':>6}  {'yes' if met else 'NO':>3}  {peak:7.1f}  "
                  f"{rel:13.1e}{'' if ok else '  DISAGREE'}", flush=True)
    print(f"\ntargets: ≤ {LAST_LAYER_MS:g} ms for the last-layer surface, the speed-ups above, ≤ {MEMORY_MB:g} MB peak "
          "memory (tracemalloc, one call); 'met' needs all of a row's")
    print("max rel. diff: fast against naive on the naive points (float64: relative; float32: ÷ max(1, |E|))")
    agree &= bench_planes(repeats)
    print(f"load average after the runs: {os.getloadavg()[0]:.2f}")
    if not agree:
        print("bench: the fast surface does NOT equal the naive one", file=sys.stderr)
        return 1
    return 1 if args.strict and not met32 else 0


PLANE_GRID, PATH_STEPS = 64, 200


def bench_planes(repeats: int) -> bool:
    """The planes' table; True when fast and naive agree (float64, relative 1e-9)."""
    docs = [(name, load_document(example_paths()[name])) for name in ("xor", "circles")]
    docs.append(("2-8-8-1 net above", make_document(SAMPLES)))
    print(f"\nplanes: E on a {PLANE_GRID}x{PLANE_GRID} grid (± 1) of a plane, plane_loss against a forward pass per "
          f"grid point (naive_plane_loss, all {PLANE_GRID ** 2} points); best of {repeats}; 'last': the gradient "
          "plane of the weights into the output only")
    hdr = (f"{'network':20}  {'samples':>7}  {'plane':8}  {'ms':>7}  {'naive ms':>8}  {'speed-up':>8}  "
           f"{'max rel. diff':>13}")
    print(hdr)
    print("─" * len(hdr))
    agree = True
    axis = np.linspace(-1.0, 1.0, PLANE_GRID)
    for label, doc in docs:
        data = doc.dataset()
        x, t = data.x_train, data.t_train
        run = TrainingRun(doc.network, doc.data, doc.training)
        run.run(PATH_STEPS)
        path = run.trajectory()
        net = doc.network.copy()
        net.set_parameters(run.parameter_values())
        last = [n for n in net.parameter_names() if n.endswith("->" + net.outputs[0].id)]
        for kind in ("gradient", "pca", "random", "last"):  # last: the gradient plane of the last layer's weights
            plane = make_plane("gradient" if kind == "last" else kind, net, x, t, trajectory=path, seed=1,
                               movable=last if kind == "last" else None)
            plane_loss(net, x, t, plane, axis, axis)  # warm up
            fast_s, _, e = best_of(repeats, plane_loss, net, x, t, plane, axis, axis)
            naive_s, _, ref = best_of(max(1, repeats // 3), naive_plane_loss, net, x, t, plane, axis, axis)
            rel = float(np.max(np.abs(e - ref) / np.maximum(np.abs(ref), 1e-300)))
            ok = rel <= RTOL64
            agree &= ok
            print(f"{label:20}  {len(x):7d}  {kind:8}  {fast_s * 1e3:7.1f}  {naive_s * 1e3:8.0f}  "
                  f"{naive_s / fast_s:7.1f}×  {rel:13.1e}{'' if ok else '  DISAGREE'}", flush=True)
    return agree


if __name__ == "__main__":
    sys.exit(main())
