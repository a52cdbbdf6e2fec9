"""Benchmark bpgui's NumPy engine against PyTorch, as whole processes doing the same training.

    pip install '.[bench]'          # PyTorch, only for this benchmark
    python bench/bench_engine.py    # about two minutes; --quick for a short run

For 500 and for 5,000 samples it writes one network document (a 2-8-8-1 net, tanh hidden layers, a sigmoid
output, seeded random weights and biases, the half_sse loss, a literal data table from a seeded generator, SGD,
full batch) and trains it in two kinds of process, alternating them, best of ``--repeats``:

* bpgui:  ``python -m bpgui train NET.json --steps S -o OUT.json --quiet``; its training loop time comes from the
  ``... in X s (N steps/s)`` line it prints;
* torch:  ``python bench/torch_reference.py NET.json --steps S``: float64 ``nn.Linear`` layers holding the same
  weights, ``torch.set_num_threads(1)``, autograd and ``torch.optim.SGD``; it prints its loop time as JSON.

Both are also timed whole, from start to exit. Then it checks that the two did the same maths: the final losses
(bpgui's recomputed at full precision from OUT.json) must agree to a relative 1e-6, and it reports the largest
difference between the trained parameters. Last, it times the phases of one bpgui step (forward, backward,
optimizer) in fresh processes, with numpy's OpenBLAS as is and on one thread, to show where the time goes.

Exit status: 0, or 1 if the two sides disagree (or, with ``--strict``, if a speed target is missed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TORCH_REFERENCE = HERE / "torch_reference.py"

SIZES = [2, 8, 8, 1]
HIDDEN, OUTPUT = "tanh", "sigmoid"
LOSS = "half_sse"
LEARNING_RATE = 0.5
WEIGHT_SEED, DATA_SEED = 1, 2
#: samples -> (steps, quick steps, target: bpgui steps/s at least this many times torch's)
CASES = {500: (10_000, 2_000, 4.0), 5_000: (2_000, 400, 1.3)}
LOSS_RTOL = 1e-6
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")

TRAIN_LINE = re.compile(r" in ([0-9.]+) s \(([0-9,.]+) steps/s\)")


# ---------------------------------------------------------------------------------------------- the documents
def make_document(n_samples: int):
    """The benchmark's network document: same weights for every size, data drawn by a seeded generator."""
    from bpgui.core.document import Document, TableData, TrainingConfig
    from bpgui.core.network import layered

    wrng = np.random.default_rng(WEIGHT_SEED)
    net = layered(SIZES, HIDDEN, OUTPUT, LOSS, weights=lambda a, b: wrng.normal(0.0, 1.0))
    # scale each weight by 1/sqrt(fan-in) (Xavier-like), give every neuron a small random bias
    params = {}
    for (a, b), w in net.edges.items():
        params[f"{a}->{b}"] = w / math.sqrt(len(net.incoming(b)))
    for n in net:
        if n.layer > 0:
            params[f"{n.id}.bias"] = float(wrng.normal(0.0, 0.1))
    net.set_parameters(params)

    drng = np.random.default_rng(DATA_SEED)
    x = np.round(drng.uniform(-1.0, 1.0, size=(n_samples, SIZES[0])), 6)
    # a ring: 1 inside a disc of radius 0.7, 0 outside, with 5% of the labels flipped
    t = (np.hypot(x[:, 0], x[:, 1]) < 0.7).astype(float)
    flip = drng.random(n_samples) < 0.05
    t[flip] = 1.0 - t[flip]
    training = TrainingConfig(optimizer="sgd", learning_rate=LEARNING_RATE, batch_size=None, seed=0)
    return Document(net, TableData(x, t[:, None]), training)


def exact_loss(path: Path) -> float:
    """The training loss of a document at full precision (``bpgui train`` prints only 6 digits)."""
    from bpgui.core.document import load_document
    from bpgui.core.engine import Engine

    doc = load_document(path)
    d = doc.dataset()
    return float(Engine(doc.network).loss_value(d.x_train, d.t_train))


# ---------------------------------------------------------------------------------------------- the runs
@dataclass
class Run:
    loop_s: float
    wall_s: float
    loss_before: float
    loss_after: float
    parameters: dict[str, float] = field(default_factory=dict)


#: the environment of both sides: this process's, changed by --env
CHILD_ENV = dict(os.environ)


def _run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[str, float]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       env=CHILD_ENV if env is None else env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}{p.stderr}")
    return p.stdout, wall


def run_bpgui(doc: Path, out: Path, steps: int) -> Run:
    stdout, wall = _run([sys.executable, "-m", "bpgui", "train", str(doc), "--steps", str(steps), "-o", str(out),
                         "--quiet"])
    m = TRAIN_LINE.search(stdout)
    if not m:
        raise SystemExit(f"cannot find '... in X s (N steps/s)' in bpgui's output:\n{stdout}")
    rate = float(m.group(2).replace(",", ""))
    loop = steps / rate if rate > 0 else float(m.group(1))
    from bpgui.core.document import load_document

    params = load_document(out).network.parameters()
    return Run(loop, wall, exact_loss(doc), exact_loss(out), params)


def run_torch(doc: Path, steps: int) -> Run:
    stdout, wall = _run([sys.executable, str(TORCH_REFERENCE), str(doc), "--steps", str(steps), "--threads", "1"])
    r = json.loads(stdout)
    return Run(r["loop_s"], wall, r["loss_before"], r["loss_after"], r["parameters"])


# ---------------------------------------------------------------------------------------------- profile
def profile_step(doc_path: Path, repeats: int, min_time: float) -> dict[str, float]:
    """Seconds per training step in this process, and how much of it goes to the engine's forward and backward
    passes and the optimizer (timed around each call inside one loop; best of ``repeats`` loops)."""
    from bpgui.core.document import load_document
    from bpgui.core.training import Trainer

    tr = Trainer.from_document(load_document(doc_path))
    eng, opt = tr.engine, tr.optimizer
    d = tr.dataset
    ws = eng.workspace(len(d.x_train))  # buffers of the same shapes as the trainer's full batch
    ws.load(d.x_train, d.t_train)
    g, p = ws.G.reshape(-1), eng.params
    clock = time.perf_counter
    tr.train(20)  # warm up
    t0 = clock()
    tr.train(20)
    steps = max(20, int(min_time / max((clock() - t0) / 20, 1e-9)))
    step = math.inf
    for _ in range(repeats):
        t0 = clock()
        tr.train(steps)
        step = min(step, (clock() - t0) / steps)
    best = None
    for _ in range(repeats):
        fwd = bwd = upd = 0.0
        for _ in range(steps):
            t0 = clock()
            eng.forward(ws)
            t1 = clock()
            eng.backward(ws)
            t2 = clock()
            opt.step(p, g)
            t3 = clock()
            fwd += t1 - t0
            bwd += t2 - t1
            upd += t3 - t2
        if best is None or fwd + bwd + upd < sum(best):
            best = (fwd, bwd, upd)
    return {"step": step, "forward": best[0] / steps, "backward": best[1] / steps, "optimizer": best[2] / steps}


# ---------------------------------------------------------------------------------------------- report
def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def _openblas() -> str:
    """numpy's OpenBLAS: its core type and thread count, as this process sees them (best effort, a label)."""
    import ctypes
    import glob

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        text = f"numpy BLAS {blas.get('name')} {blas.get('version')}"
    except Exception:
        return "numpy BLAS unknown"
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            for prefix in ("scipy_openblas_", "openblas_"):
                for suffix in ("64_", ""):
                    core = getattr(lib, f"{prefix}get_corename{suffix}", None)
                    threads = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                    if core is not None and threads is not None:
                        core.restype = ctypes.c_char_p
                        return f"{text} (core {core().decode()}, {threads()} threads)"
        except OSError:
            pass
    return text


def _environment() -> list[str]:
    import torch  # noqa: F401  (checked importable before the runs)

    lines = [f"python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__}, "
             f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
             _openblas() + " in this process (the bpgui side's may differ if --env changes it)"]
    env = ", ".join(f"{k}={CHILD_ENV[k]}" for k in OPENBLAS_VARS if k in CHILD_ENV)
    lines.append(f"environment of both sides: {env or 'no ' + '/'.join(OPENBLAS_VARS) + ' set'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="bpgui engine vs PyTorch, whole processes doing the same training.")
    ap.add_argument("--quick", action="store_true", help="fewer steps, one repeat (a smoke run; noisy)")
    ap.add_argument("--repeats", type=int, help="runs of each side per case, best kept (default 3, quick 1)")
    ap.add_argument("--no-profile", action="store_true", help="skip the phase profile of a bpgui step")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a speed target is missed")
    ap.add_argument("--keep", metavar="DIR", help="write the documents and outputs here and keep them")
    ap.add_argument("--env", metavar="VAR=VALUE", action="append", default=[],
                    help="set (or with an empty VALUE, unset) a variable for both sides, e.g. OPENBLAS_NUM_THREADS=1")
    ap.add_argument("--profile-only", metavar="DOC", help=argparse.SUPPRESS)  # the profile's child process
    ap.add_argument("--profile-time", type=float, default=0.3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.profile_only:
        print(json.dumps(profile_step(Path(args.profile_only), repeats=5, min_time=args.profile_time)))
        return 0
    for item in args.env:
        key, eq, value = item.partition("=")
        if not eq or not key:
            ap.error(f"--env wants VAR=VALUE, not {item!r}")
        if value:
            CHILD_ENV[key] = value
        else:
            CHILD_ENV.pop(key, None)
    repeats = args.repeats or (1 if args.quick else 3)
    if repeats < 1:
        ap.error("--repeats must be at least 1")

    try:
        import torch  # noqa: F401
    except ImportError:
        print("bench: PyTorch is not installed; run pip install '.[bench]' first", file=sys.stderr)
        return 2

    tmp = None
    if args.keep:
        work = Path(args.keep)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bpgui-bench-")
        work = Path(tmp.name)

    from bpgui.core.document import save_document

    print(f"bpgui engine vs PyTorch: {'-'.join(map(str, SIZES))} net ({HIDDEN} hidden, {OUTPUT} output), {LOSS}, "
          f"SGD lr {LEARNING_RATE:g}, full batch, float64")
    for line in _environment():
        print(line)
    print(f"best of {repeats}, the two sides alternated; 'loop' is the training loop timed inside each process, "
          "'wall' the whole process timed from here\n", flush=True)

    results: dict[int, dict[str, list[Run]]] = {}
    docs: dict[int, Path] = {}
    flip = False
    for n, (steps, quick_steps, _) in CASES.items():
        steps = quick_steps if args.quick else steps
        doc = work / f"net{n}.json"
        save_document(make_document(n), doc)
        docs[n] = doc
        res = results[n] = {"bpgui": [], "torch": []}
        for r in range(repeats):
            sides = ["bpgui", "torch"][::-1 if flip else 1]
            flip = not flip
            for side in sides:
                if side == "bpgui":
                    run = run_bpgui(doc, work / f"net{n}.trained.json", steps)
                else:
                    run = run_torch(doc, steps)
                res[side].append(run)
                print(f"  {n:>5} samples, {steps} steps, run {r + 1}/{repeats}: {side:5s} "
                      f"{steps / run.loop_s:>9,.0f} steps/s, wall {run.wall_s:6.2f} s", flush=True)

    # ---- the table
    print(f"\nload average after the runs: {os.getloadavg()[0]:.2f} (other work on the machine slows either side)")
    hdr = (f"{'samples':>7}  {'steps':>6}  {'side':5}  {'loop steps/s':>12}  {'(range)':>17}  {'loop s':>7}  "
           f"{'wall s':>7}  {'final loss':>20}")
    print(hdr)
    print("─" * len(hdr))
    ok = True
    summary = []
    for n, (steps, quick_steps, target) in CASES.items():
        steps = quick_steps if args.quick else steps
        best = {}
        for side in ("bpgui", "torch"):
            runs = results[n][side]
            rates = [steps / r.loop_s for r in runs]
            loop = min(r.loop_s for r in runs)
            wall = min(r.wall_s for r in runs)
            best[side] = (steps / loop, loop, wall, runs[0])
            print(f"{n:>7}  {steps:>6}  {side:5}  {steps / loop:>12,.0f}  "
                  f"{f'{min(rates):,.0f}–{max(rates):,.0f}':>17}  {loop:>7.3f}  {wall:>7.2f}  "
                  f"{runs[0].loss_after:>20.15g}")
        b, t = best["bpgui"][3], best["torch"][3]
        # every run of a side must give the same loss, and the two sides must agree
        spread = max(_rel(r.loss_after, runs[0].loss_after) for runs in results[n].values() for r in runs)
        d_before = _rel(b.loss_before, t.loss_before)
        d_after = _rel(b.loss_after, t.loss_after)
        common = set(b.parameters) & set(t.parameters)
        if common != set(b.parameters) or common != set(t.parameters):
            print(f"  parameter names differ: {sorted(set(b.parameters) ^ set(t.parameters))[:5]} ...")
            ok = False
        d_param = max((abs(b.parameters[k] - t.parameters[k]) for k in common), default=math.nan)
        agree = d_before <= LOSS_RTOL and d_after <= LOSS_RTOL and spread <= LOSS_RTOL
        ok &= agree
        summary.append((n, best["bpgui"][0] / best["torch"][0], target, best["torch"][2] / best["bpgui"][2],
                        d_before, d_after, d_param, agree))
        print()

    print(f"{'samples':>7}  {'bpgui/torch loop':>16}  {'target':>7}  {'met':>4}  {'bpgui/torch wall':>16}  "
          f"{'Δ loss before':>13}  {'Δ loss after':>12}  {'max |Δ param|':>13}  same maths")
    missed = False
    for n, ratio, target, wall_ratio, d0, d1, dp, agree in summary:
        met = ratio >= target
        missed |= not met
        print(f"{n:>7}  {ratio:>15.2f}×  {f'≥ {target:g}×':>7}  {'yes' if met else 'NO':>4}  {wall_ratio:>15.2f}×  "
              f"{d0:>13.1e}  {d1:>12.1e}  {dp:>13.1e}  {'yes' if agree else 'NO (rel. > 1e-6)'}")
    print("(ratios are speed: bpgui steps/s ÷ torch steps/s, torch wall s ÷ bpgui wall s; Δ loss is relative)")

    if not args.no_profile:
        print("\nwhere one bpgui training step goes: µs per step (and share of the three phases), timed in a fresh "
              "process, best of 5 loops")
        print(f"{'samples':>7}  {'OpenBLAS threads':>16}  {'whole step':>10}  {'forward':>15}  {'backward':>15}  "
              f"{'optimizer':>15}")
        variants = [(CHILD_ENV.get("OPENBLAS_NUM_THREADS", "default"), {})]
        if CHILD_ENV.get("OPENBLAS_NUM_THREADS") != "1":
            variants.append(("1", {"OPENBLAS_NUM_THREADS": "1"}))
        for n in CASES:
            for label, extra in variants:
                cmd = [sys.executable, __file__, "--profile-only", str(docs[n]),
                       "--profile-time", "0.1" if args.quick else "0.3"]
                stdout, _ = _run(cmd, {**CHILD_ENV, **extra})
                ph = json.loads(stdout)
                phases = ("forward", "backward", "optimizer")
                total = sum(ph[k] for k in phases)
                cells = [f"{ph[k] * 1e6:7.1f} ({ph[k] / total:4.0%})" for k in phases]
                print(f"{n:>7}  {label:>16}  {ph['step'] * 1e6:>10.1f}  " + "  ".join(f"{c:>15}" for c in cells))
        print("(the whole step, Trainer.step, is timed on its own; the phases inside one loop, each call timed)")

    if tmp is not None:
        tmp.cleanup()
    if not ok:
        print("\nbench: the two sides do NOT agree: the comparison is not of the same work", file=sys.stderr)
        return 1
    if args.strict and missed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
