"""Training speed when another process keeps a core busy: bpgui's engine against PyTorch.

    python bench/bench_contention.py            # about 3 minutes
    python bench/bench_contention.py --quick    # 1 short repetition: a smoke run, noisy

The network is 64-32-16-10: tanh hidden layers, linear outputs and the cross_entropy loss (softmax), seeded
Glorot-normal weights and small random biases, plain SGD (learning rate 0.1) on the full batch in float64. The
data: 64 standard-normal inputs per sample, its class (of 10) the largest output of a seeded random linear map,
one-hot targets; 1,000 and 5,000 samples.

Sides, each in a process of its own (so that one library's threads cannot slow another's), timed for
``--seconds`` per measurement, from the same starting weights:

* ``train``: ``Trainer.train(steps)``, the loop of ``bpgui train``: the same steps as PyTorch's (forward, loss,
  backward, SGD update), so the one the target is about;
* ``window``: bpgui's :class:`~bpgui.core.training_run.TrainingRun` (what the window's training worker owns; it
  steps the same Trainer and records the loss, accuracy and parameters at every step of the first 2,048) stepped
  as the worker does while playing: ``run.run(...)`` in chunks of ``CHUNK`` (8 ms) with a deadline, and a
  snapshot (the views' loss, gradient and outputs on the whole training set) after a chunk when 1/40 s has passed
  since the last. More work per step than PyTorch's: what a learner sees in the window;
* ``as is``: ``window`` with bpgui's limit of numpy's BLAS threads switched off (``bpgui.core.blas
  .TRAINING_THREADS = None``), i.e. how the window trained before there was one (on a bpgui without
  core/blas.py it is the same as ``window``);
* ``torch``: ``nn.Linear`` layers (float64) holding the same weights, ``torch.set_num_threads(1)``, and per step
  ``zero_grad``, forward, ``F.cross_entropy``, ``backward``, ``SGD.step``. Skipped, with a message, when PyTorch
  is not installed (``pip install torch==2.13.0``; it is never a dependency of bpgui).

Conditions: ``idle`` (nothing started by the bench; other work on the machine is not under its control, so the
load average is printed) and ``busy``: another process spinning a pure-Python loop, started before the
condition's measurements and stopped after them. Repetitions interleave everything (each one runs both
conditions, every size and every side, the sides' order rotated; a pause between measurements lets a library's
spinning threads go to sleep), so that noise hits all of them alike. Two tables: steps per second of wall time
(what a user waits for) and per second of the process's CPU time (all its threads: what a step costs, whatever
else runs; spinning BLAS threads count). Each gives the median of the repetitions with their range, and the ratio
to PyTorch as the median of each repetition's ratio (the two measured seconds apart).

It first checks that bpgui and PyTorch compute the same thing: 20 steps from the same weights, the losses must
agree to a relative 1e-9 (exit 1 if not).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's bpgui, when run from anywhere

SIZES = [64, 32, 16, 10]
LEARNING_RATE = 0.1
WEIGHT_SEED, DATA_SEED = 1, 2
SAMPLES = (1_000, 5_000)
#: the training worker's chunk and its most snapshots per second (bpgui.ui.training.training_worker's CHUNK and
#: MAX_SNAPSHOTS_PER_SECOND, checked in main() when Qt is installed)
CHUNK = 0.008
SNAPSHOTS = 40.0
LOSS_RTOL = 1e-9
#: issue 17: bpgui's training loop at least 1.5x PyTorch in both conditions at TARGET_SAMPLES (and no collapse at
#: 5,000)
TARGET, TARGET_SAMPLES = 1.5, 1_000
PAUSE = 0.3  # between measurements: OpenBLAS's and OpenMP's idle threads spin for a while before they sleep
SPIN = "while True:\n    pass\n"
#: side -> the process it runs in
SIDES = {"train": "bpgui", "window": "bpgui", "as is": "bpgui-as-is", "torch": "torch"}


# ---------------------------------------------------------------------------------------------- the problem
def make_problem(n: int):
    """(network, inputs n x 64, one-hot targets n x 10, class labels)."""
    from bpgui.core.network import layered

    wrng = np.random.default_rng(WEIGHT_SEED)
    net = layered(SIZES, "tanh", "linear", "cross_entropy")
    fan_in = {m.id: 0 for m in net}
    fan_out = dict(fan_in)
    for a, b in net.edges:
        fan_out[a] += 1
        fan_in[b] += 1
    params = {f"{a}->{b}": float(wrng.normal(0.0, math.sqrt(2.0 / (fan_out[a] + fan_in[b])))) for a, b in net.edges}
    params.update({f"{m.id}.bias": float(wrng.normal(0.0, 0.1)) for m in net if m.layer > 0})
    net.set_parameters(params)
    drng = np.random.default_rng(DATA_SEED)
    teacher = drng.normal(size=(SIZES[0], SIZES[-1]))
    x = drng.normal(size=(n, SIZES[0]))
    labels = np.argmax(x @ teacher, axis=1)
    return net, x, np.eye(SIZES[-1])[labels], labels


def timed(step, seconds: float) -> list[float]:
    """Steps per second of ``step()`` (which returns how many steps it made) over about ``seconds``, and steps per
    second of the process's CPU time (all its threads)."""
    done = 0
    cpu = time.process_time()
    t0 = clock = time.perf_counter()
    end = t0 + seconds
    while True:  # at least once
        done += step(clock)
        clock = time.perf_counter()
        if clock >= end:
            return [done / (clock - t0), done / max(time.process_time() - cpu, 1e-9)]


# ---------------------------------------------------------------------------------------------- bpgui
class Bpgui:
    def __init__(self, n: int, limit: bool):
        from bpgui.core.document import TableData, TrainingConfig

        net, x, t, _ = make_problem(n)
        self.net, self.data = net, TableData(x, t)
        self.config = TrainingConfig(optimizer="sgd", learning_rate=LEARNING_RATE, batch_size=None, seed=0)
        try:
            from bpgui.core import blas

            if not limit:
                blas.TRAINING_THREADS = None
        except ImportError:  # a bpgui from before the limit: BLAS as is anyway
            pass

    def _run(self):
        from bpgui.core.training_run import TrainingRun

        return TrainingRun(self.net, self.data, self.config)

    def rate(self, side: str, seconds: float) -> list[float]:
        run = self._run()  # a fresh run from the same weights: every measurement does the same work
        run.run(20)  # warm-up: buffers, first touches
        if side == "train":
            trainer = run.trainer
            t0 = time.perf_counter()
            trainer.train(20)
            steps = max(20, int(seconds * 20 / (time.perf_counter() - t0)))

            def whole(clock):  # one call, as `bpgui train --steps S` makes
                trainer.train(steps)
                return steps

            return timed(whole, 0.0)

        last = [0.0]

        def chunk(clock):  # as the worker plays: a chunk, a snapshot if one is due, back to its event queue
            done = run.run(1 << 40, deadline=clock + CHUNK)
            if run.diverged:
                raise SystemExit(f"bpgui's run stopped: {run.diverged}")
            now = time.perf_counter()
            if now - last[0] >= 1.0 / SNAPSHOTS:
                run.snapshot(True, 1000.0)
                last[0] = now
            return done

        return timed(chunk, seconds)

    def losses(self, steps: int) -> list[float]:
        trainer = self._run().trainer
        return [trainer.step() for _ in range(steps)]


# ---------------------------------------------------------------------------------------------- torch
class Torch:
    def __init__(self, n: int):
        import torch
        from torch import nn

        torch.set_num_threads(1)
        self.torch, self.nn = torch, nn
        net, x, _, labels = make_problem(n)
        ids = [[m.id for m in net.layer(k)] for k in range(net.num_layers)]
        self.layers = [(np.array([[net.edges[(a, b)] for a in src] for b in dst]),
                        np.array([net.neuron(b).bias for b in dst])) for src, dst in zip(ids, ids[1:])]
        self.x = torch.tensor(x, dtype=torch.float64)
        self.labels = torch.tensor(labels, dtype=torch.long)

    def _model(self):
        torch, nn = self.torch, self.nn
        mods = []
        for i, (w, bias) in enumerate(self.layers):
            lin = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(bias))
            mods.append(lin)
            if i < len(self.layers) - 1:
                mods.append(nn.Tanh())
        model = nn.Sequential(*mods)
        return model, torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def _step(self, model, opt):
        opt.zero_grad()
        loss = self.nn.functional.cross_entropy(model(self.x), self.labels)
        loss.backward()
        opt.step()
        return loss

    def rate(self, side: str, seconds: float) -> list[float]:
        model, opt = self._model()
        for _ in range(20):
            self._step(model, opt)
        return timed(lambda clock: self._step(model, opt) is not None, seconds)

    def losses(self, steps: int) -> list[float]:
        model, opt = self._model()
        return [self._step(model, opt).item() for _ in range(steps)]


def worker(kind: str) -> int:
    """A side's process: answers lines ``rate SIDE N SECONDS`` and ``losses N STEPS`` with a line of JSON."""
    made: dict[int, object] = {}
    for line in sys.stdin:
        cmd, *args = line.rstrip("\n").split("\t")
        if cmd == "blas":
            print(json.dumps(blas_description()), flush=True)
            continue
        n = int(args[-2])
        if n not in made:
            made[n] = Torch(n) if kind == "torch" else Bpgui(n, limit=kind == "bpgui")
        side = made[n]
        out = side.rate(args[0], float(args[-1])) if cmd == "rate" else side.losses(int(args[-1]))
        print(json.dumps(out), flush=True)
    return 0


class Worker:
    def __init__(self, kind: str):
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", kind], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)

    def ask(self, *words):
        self.proc.stdin.write("\t".join(map(str, words)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"a worker ({' '.join(self.proc.args[-2:])}) failed")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


# ---------------------------------------------------------------------------------------------- conditions
class Busy:
    """Another process keeping one core busy with a pure-Python loop, for the duration of a ``with``."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SPIN], stdin=subprocess.DEVNULL)
        time.sleep(PAUSE)  # let it start spinning
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


class Idle:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


CONDITIONS = {"idle": Idle, "busy": Busy}


def blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "(threadpoolctl is not installed)"
    libs = [f"{i['internal_api']} {i['version']}, {i['num_threads']} threads" for i in threadpool_info()
            if i["user_api"] == "blas"]
    return "; ".join(libs) or "no BLAS library found"


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def table(title: str, rates: dict[tuple[int, str, str], list[float]], names: list[str], sizes: list[int],
          busy_idle: bool) -> bool:
    """Print one table of the measurements; True if bpgui's loop is at least TARGET times PyTorch at
    TARGET_SAMPLES in both conditions."""
    med = {key: statistics.median(v) for key, v in rates.items()}
    print(title)
    ratio_cols = [s for s in names if s != "torch"] if "torch" in names else []
    if ratio_cols:
        title += "; x torch: the median of each repetition's ratio"
    hdr = (f"{'samples':>7}  {'condition':9}" + "".join(f"  {s:>19}" for s in names)
           + "".join(f"  {s + ' / torch':>15}" for s in ratio_cols))
    print(hdr)
    print("─" * len(hdr))
    met = True
    for n in sizes:
        for cond in CONDITIONS:
            row = f"{n:>7,}  {cond:9}" + "".join(f"  {fmt(rates[n, cond, s]):>19}" for s in names)
            for s in ratio_cols:  # each repetition's pair, measured close together in time
                ratio = statistics.median(a / b for a, b in zip(rates[n, cond, s], rates[n, cond, "torch"]))
                row += f"  {ratio:>14.2f}x"
                if s == "train" and n == TARGET_SAMPLES:
                    met &= ratio >= TARGET
            print(row)
    if busy_idle:
        for n in sizes:
            print(f"{n:,} samples, busy / idle: " + ", ".join(f"{s} {med[n, 'busy', s] / med[n, 'idle', s]:.2f}"
                                                             for s in names))
    print()
    return met


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="bpgui's training speed against PyTorch, idle and with a core busy.")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions (default 3)")
    ap.add_argument("--seconds", type=float, default=1.5, help="length of one measurement (default 1.5 s)")
    ap.add_argument("--samples", default=",".join(map(str, SAMPLES)), help="sizes, comma-separated")
    ap.add_argument("--quick", action="store_true", help="1 repetition of 0.5 s: a smoke run, noisy")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    ap.add_argument("--strict", action="store_true",
                    help=f"exit 1 if bpgui's loop is under {TARGET}x PyTorch at {TARGET_SAMPLES:,} samples")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    repeats, seconds = (1, 0.5) if args.quick else (args.repeats, args.seconds)
    try:
        sizes = [int(s.replace("_", "")) for s in args.samples.split(",") if s.strip()]
    except ValueError:
        ap.error("--samples takes whole numbers, e.g. 1000,5000")
    if repeats < 1 or seconds <= 0 or not sizes or min(sizes) < 1:
        ap.error("--repeats, --seconds and --samples must be positive")
    try:
        from bpgui.ui.training import training_worker as tw

        if (tw.CHUNK, tw.MAX_SNAPSHOTS_PER_SECOND) != (CHUNK, SNAPSHOTS):
            print(f"note: the training worker now trains in chunks of {tw.CHUNK * 1e3:g} ms and takes up to "
                  f"{tw.MAX_SNAPSHOTS_PER_SECOND:g} snapshots/s; this bench {CHUNK * 1e3:g} ms and {SNAPSHOTS:g}/s")
    except ImportError:
        pass

    import bpgui

    sides = dict(SIDES)
    torch_version = None
    if args.no_torch:
        del sides["torch"]
    elif importlib.util.find_spec("torch") is None:
        del sides["torch"]
        print("PyTorch is not installed: measuring bpgui only (pip install torch==2.13.0 to compare)\n")
    else:
        torch_version = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                                       capture_output=True, text=True).stdout.strip()
    workers = {kind: Worker(kind) for kind in dict.fromkeys(sides.values())}
    try:
        print(f"{'-'.join(map(str, SIZES))} net (tanh hidden, linear outputs, cross_entropy), SGD lr "
              f"{LEARNING_RATE}, full batch, float64; bpgui from {Path(bpgui.__file__).parent}")
        print(f"python {sys.version.split()[0]}, numpy {np.__version__}"
              + (f", torch {torch_version} (1 thread)" if torch_version else "")
              + f"; numpy's BLAS: {workers['bpgui'].ask('blas')}; {os.cpu_count()} CPUs")
        print(f"{repeats} interleaved repetitions of {seconds:g} s per measurement; the window's side in chunks of "
              f"{CHUNK * 1e3:g} ms with up to {SNAPSHOTS:g} snapshots/s; load average {os.getloadavg()[0]:.2f}\n")

        agree = True
        if "torch" in sides:
            for n in sizes:
                a, b = workers["bpgui"].ask("losses", n, 20), workers["torch"].ask("losses", n, 20)
                rel = max(abs(p - q) / abs(q) for p, q in zip(a, b))
                agree &= rel <= LOSS_RTOL
                print(f"{n:,} samples: loss {a[0]:.6f} -> {a[-1]:.6f} in 20 steps; largest relative difference "
                      f"from PyTorch {rel:.1e} ({'ok' if rel <= LOSS_RTOL else 'DISAGREE'})")
            print()

        names = list(sides)
        rates: dict[tuple[int, str, str], list[list[float]]] = {}
        for rep in range(repeats):
            for cond, make in CONDITIONS.items():
                with make():
                    for n in sizes:
                        k = rep % len(names)
                        for name in names[k:] + names[:k]:
                            time.sleep(PAUSE)
                            rates.setdefault((n, cond, name), []).append(
                                workers[sides[name]].ask("rate", name, n, seconds))
            print(f"repetition {rep + 1}/{repeats} done, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    finally:
        for w in workers.values():
            w.close()

    met = True
    for i, title in enumerate(("steps/s", "steps per second of CPU time (all the process's threads)")):
        met &= table(f"{title}: median of the repetitions (range)", {k: [v[i] for v in vs] for k, vs in rates.items()},
                     names, sizes, i == 0)
    print(f"load average after the runs: {os.getloadavg()[0]:.2f}")
    if "torch" in sides:
        if TARGET_SAMPLES in sizes:
            print(f"target: bpgui's training loop (train) at least {TARGET}x PyTorch at {TARGET_SAMPLES:,} samples in "
                  f"both conditions, in both tables: {'met' if met else 'NOT met'}")
    if not agree:
        return 1
    return 1 if args.strict and "torch" in sides and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
