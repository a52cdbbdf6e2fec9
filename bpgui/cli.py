"""The ``bpgui`` command: no argument (or a file) opens the window; subcommands work headless.

Any bad input (a file or an option) prints one line, ``bpgui: error: ...``, and exits with status 2 without
writing or changing any file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import sys
import time
from pathlib import Path

from . import __version__

SCREENSHOT_VIEWS = ("window", "canvas", "surface", "loss", "boundary", "slice", "directions", "step", "line",
                    "slopes")
SUBCOMMANDS = ("inspect", "explain", "train", "screenshot", "surface", "data", "examples", "lessons")


class CLIError(Exception):
    """A problem with the user's input: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # no option looks like a number, so "-1e308" and "-inf" are values, not options (argparse only knows
        # "-1" and "-1.5")
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message):  # one line, no usage dump
        raise CLIError(message)

    def _print_message(self, message, file=None):  # --help, --version: argparse would hide a failed write
        if message:
            try:
                (file or sys.stderr).write(message)
            except OSError as e:
                raise _OutputError(e) from None


_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)


class _OutputError(Exception):
    """Standard output cannot be written (a closed pipe, a full disk): the OSError is the argument."""


def _print(*values, **kwargs) -> None:
    try:
        print(*values, **kwargs)
    except OSError as e:
        raise _OutputError(e) from None


def _flush_output() -> None:
    try:
        sys.stdout.flush()
    except OSError as e:
        raise _OutputError(e) from None


def _discard_output() -> None:
    """Send what is still buffered for standard output to /dev/null, so that the interpreter's last flush does
    not fail again (and print a traceback) on its way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a file (e.g. captured in a test)
        pass


def _one_line(text: str) -> str:
    """``text`` with what would break a one-line message (a newline in a file name, a byte that is not text)
    written as an escape, e.g. \\n."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


def _positive_float(hi: float):
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not (math.isfinite(v) and 0 < v <= hi):
            raise argparse.ArgumentTypeError(f"must be a positive number up to {hi:g}, not {text}")
        return v

    return parse


def _int_range(lo: int, hi: int, allow_full: bool = False):
    def parse(text: str):
        if allow_full and text.lower() == "full":
            return "full"
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo} and {hi}, not {v}")
        return v

    return parse


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size like 1100x700") from None
    if not (200 <= w <= 8000 and 150 <= h <= 8000):
        raise argparse.ArgumentTypeError(f"{text}: width must be 200 to 8000 and height 150 to 8000")
    return w, h


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None


def _finite(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return v


def _fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.0 <= v < 1.0:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, not {text}")
    return v


def _build_parser() -> _Parser:
    from .core.document import MAX_LEARNING_RATE, MAX_SEED
    from .core.limits import MAX_POINTS
    from .core.optimizers import OPTIMIZER_NAMES
    from .core.planes import PLANES
    from .core.step_anatomy import DEFAULT_DIRECTIONS, DEFAULT_LINE_POINTS, DEFAULT_LINE_TO
    from .core.surface import DEFAULT_SPAN, MAX_GRID

    p = _Parser(prog="bpgui", description="A desktop sandbox for gradient descent and backpropagation.")
    p.add_argument("--version", action="version", version=f"bpgui {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    ins = sub.add_parser("inspect", help="one forward and backward pass: loss, outputs, each sample's δ and ∂E/∂p")
    ins.add_argument("file", help="a network document (.json)")
    ins.add_argument("--json", action="store_true", help="print a JSON object instead of tables")

    ex = sub.add_parser("explain", help="why −∂E/∂p for every parameter at once: the anatomy of the optimizer's "
                        "first step (first-order terms, the loss along the step, curvature, slopes of directions)")
    ex.add_argument("file", help="a network document (.json)")
    ex.add_argument("--json", action="store_true", help="print a JSON object instead of tables")
    ex.add_argument("--directions", type=_int_range(0, 100_000), default=DEFAULT_DIRECTIONS,
                    help=f"random unit directions to compare (default {DEFAULT_DIRECTIONS})")
    ex.add_argument("--seed", type=_int_range(0, MAX_SEED), default=0, help="seed of the random directions")
    ex.add_argument("--line-to", type=_positive_float(1000.0), default=DEFAULT_LINE_TO, metavar="T",
                    help=f"the line E(w + t·Δw) runs from t = 0 to T (default {DEFAULT_LINE_TO:g})")
    ex.add_argument("--line-points", type=_int_range(2, 10_001), default=DEFAULT_LINE_POINTS, metavar="N",
                    help=f"points on the line (default {DEFAULT_LINE_POINTS})")

    tr = sub.add_parser("train", help="train headless and write the trained network; prints the loss before and "
                        "after (and the accuracy, for networks that classify: loss bce or cross_entropy)")
    tr.add_argument("file", help="a network document (.json)")
    tr.add_argument("--steps", type=_int_range(1, 10**9), required=True, help="number of optimizer steps")
    tr.add_argument("--learning-rate", type=_positive_float(MAX_LEARNING_RATE),
                    help="override training.learning_rate")
    tr.add_argument("--optimizer", choices=OPTIMIZER_NAMES, help="override training.optimizer")
    tr.add_argument("--batch-size", type=_int_range(1, MAX_POINTS, allow_full=True),
                    help="override training.batch_size ('full' for the whole training set)")
    tr.add_argument("--seed", type=_int_range(0, MAX_SEED), help="override training.seed (minibatch order)")
    tr.add_argument("-o", "--output", required=True, help="where to write the trained network (.json)")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.add_argument("--trajectory", metavar="T.npz", help="also write the path: names, steps, values (every "
                    "parameter at each recorded step) and loss (.npz)")
    tr.add_argument("--until-loss", type=_finite, metavar="X",
                    help="stop once the training loss (E on the whole training set, without a weight decay's penalty) "
                         "is at most X, checked at every evaluation: before the first step and after every epoch "
                         "(every step for full-batch training)")
    tr.add_argument("--patience", type=_int_range(1, 10**9), metavar="K",
                    help="stop once the test loss has not fallen below its best for K evaluations in a row (an "
                         "evaluation: before the first step and after every epoch; needs a test set)")
    tr.add_argument("--every", type=_int_range(1, 10**9), default=1, metavar="K",
                    help="record the path every K steps (default 1; thinned to at most 1024 rows, the last step "
                    "always kept)")

    sh = sub.add_parser("screenshot", help="render the window on a document to a PNG, without a display")
    sh.add_argument("file", nargs="?", help="a network document (.json); default: the bundled xor example")
    sh.add_argument("-o", "--output", required=True, help="the image to write (.png)")
    sh.add_argument("--size", type=_size, default=(1280, 800), help="window size WxH in pixels (default 1280x800)")
    sh.add_argument("--steps", type=_int_range(0, 10_000_000), default=0,
                    help="train this many steps first (seeded by the document, so the image is reproducible)")
    sh.add_argument("--weight-labels", action="store_true", help="show every edge's weight")
    sh.add_argument("--accuracy", action="store_true", help="show the accuracy in the loss plot (networks that "
                    "classify: loss bce or cross_entropy)")
    sh.add_argument("--neuron-pictures", action="store_true", help="show each neuron's output over the two inputs "
                    "on the network (View > Neuron Pictures; networks of 2 inputs)")
    sh.add_argument("--view", choices=SCREENSHOT_VIEWS, default="window",
                    help="the whole window (default), or one view: the network canvas or a plot (.svg allowed)")
    sh.add_argument("--x", metavar="PARAM", help="the surface's x parameter (default: the document's or two weights "
                    "into the first output)")
    sh.add_argument("--y", metavar="PARAM", help="the surface's y parameter")
    sh.add_argument("--plane", choices=PLANES, default=None,
                    help="the surface's plane (default: the document's, else weights): weights, gradient, pca "
                    "(the path of the --steps trained) or random")

    su = sub.add_parser("surface", help="the error surface: the training loss over a plane through the "
                        "parameters (two weights, the gradient's, a recorded path's or random directions)")
    su.add_argument("file", help="a network document (.json)")
    su.add_argument("--plane", choices=PLANES, default="weights",
                    help="weights (default): two parameters --x and --y; gradient: −∇E and the Hessian's top "
                    "eigenvector; pca: the top two principal directions of --trajectory; random: two seeded "
                    "filter-normalised directions")
    su.add_argument("--x", metavar="PARAM", help="the parameter along x, e.g. 'x1->h1' or 'h1.bias' (--plane "
                    "weights)")
    su.add_argument("--y", metavar="PARAM", help="the parameter along y (--plane weights)")
    su.add_argument("--trajectory", metavar="T.npz", help="a path written by 'bpgui train --trajectory' (needed "
                    "for --plane pca; with it the path's projection is written too)")
    su.add_argument("--seed", type=_int_range(0, MAX_SEED), default=0, help="seed of --plane random's directions")
    su.add_argument("--grid", type=_int_range(2, MAX_GRID), default=64, help="values per axis (default 64)")
    su.add_argument("--span", type=_number,
                    help=f"half-width of the window around the current values (default {DEFAULT_SPAN:g}; 1 for "
                    "random; pca fits the path)")
    su.add_argument("--x-range", type=_number, nargs=2, metavar=("A", "B"), help="x from A to B (with --y-range)")
    su.add_argument("--y-range", type=_number, nargs=2, metavar=("A", "B"), help="y from A to B (with --x-range)")
    su.add_argument("-o", "--output", required=True,
                    help="the arrays to write (.npz): x, y, loss (loss[i, j] = E at origin + x[j]·u + y[i]·v), "
                    "names, origin, u, v; for pca also path_x, path_y, path_residual, path_loss")

    da = sub.add_parser("data", help="replace a document's data with the table in a CSV file")
    da.add_argument("file", help="a network document (.json)")
    da.add_argument("csv", help="the table (.csv): a header row is optional")
    da.add_argument("-o", "--output", required=True, help="where to write the document (.json)")
    da.add_argument("--targets", metavar="COL[,COL...]", help="the target columns by header name (default: the "
                    "columns after the network's inputs)")
    da.add_argument("--test-fraction", type=_fraction, default=0.0, metavar="F",
                    help="hold out a seeded random F of the rows as a test set (default 0)")
    da.add_argument("--seed", type=_int_range(0, MAX_SEED), default=0,
                    help="seed of the test split (and of the new weights with --fit)")
    da.add_argument("--fit", action="store_true",
                    help="resize the network's input and output layers to the file (the hidden layers and their "
                         "weights stay): the targets are the --targets columns or else the last column; a column of "
                         "class labels makes one sigmoid output (2 labels, bce) or one output per label (softmax, "
                         "cross_entropy)")

    sub.add_parser("examples", help="list the bundled example networks")
    le = sub.add_parser("lessons", help="list the bundled lessons (Help > Lessons in the window), or check a lesson "
                                        "file")
    le.add_argument("--check", metavar="FILE", help="validate this lesson file: its format, and every name it uses "
                                                   "against its document; one line, exit status 2 when malformed")
    return p


def _load(path: str):
    from .core.document import DocumentError, load_document

    try:
        return load_document(path)
    except DocumentError as e:
        raise CLIError(f"{path}: {e}") from None


# ---------------------------------------------------------------------------------------------- inspect
def _fmt(v: float) -> str:
    return f"{v: .6g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([line(header), line(["─" * w for w in widths])] + [line(r) for r in rows])


def _finite_or_none(obj):
    """JSON has no NaN or Infinity: such values become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite_or_none(v) for v in obj]
    return obj


def cmd_inspect(args) -> int:
    """One forward and backward pass. δ are each sample's own (δ⁽ⁿ⁾ = ∂Eₙ/∂net, no 1/N), as in the window's Chain
    Rule panel; E and ∂E/∂p are of the mean loss E = (1/N) Σₙ Eₙ, so ∂E/∂bias is the mean of δ. Samples are
    numbered from 1, as in the window (in --json, sample n is item n − 1 of each list)."""
    import numpy as np

    from .core.accuracy import accuracy, has_accuracy
    from .core.engine import Engine

    doc = _load(args.file)
    data = doc.dataset()
    net = doc.network
    decay = doc.training.weight_decay
    engine = Engine(net, decay)
    with np.errstate(all="ignore"):  # overflow shows as inf / nan in the results, not as warnings
        ev = engine.evaluate(data.x_train, data.t_train)
        mean_delta = {nid: float(d.mean()) for nid, d in ev.delta.items()}
    if args.json:
        out = {
            "file": args.file,
            "loss_function": net.loss,
            "loss": ev.loss,
            "samples": len(data.x_train),
            "inputs": data.x_train.tolist(),
            "targets": data.t_train.tolist(),
            "outputs": ev.outputs.tolist(),
            "sample_losses": ev.sample_loss.tolist(),
            "deltas": {nid: d.tolist() for nid, d in ev.delta.items()},
            "mean_deltas": mean_delta,
            "parameters": engine.parameter_values(),
            "gradients": ev.gradients,
        }
        if decay is not None:  # then loss and gradients are of E + R
            out.update(weight_decay=decay.to_dict(), data_loss=ev.data_loss, penalty=ev.penalty,
                       penalty_gradients=ev.penalty_gradients)
        if len(data.x_test):
            with np.errstate(all="ignore"):
                out["test_loss"] = engine.data_loss_value(data.x_test, data.t_test)
        if has_accuracy(net.loss, data.t_train):
            out["accuracy"] = accuracy(ev.outputs, data.t_train)
            if len(data.x_test):
                with np.errstate(all="ignore"):
                    out["test_accuracy"] = accuracy(engine.predict(data.x_test), data.t_test)
        _print(json.dumps(_finite_or_none(out), indent=1, allow_nan=False))
        return 0

    n = len(data.x_train)
    shown = min(n, 4)
    _print(f"{args.file}: {len(net.neurons)} neurons, {len(net.edges)} edges, {n} training samples"
          f" (numbered from 1, as in the window)")
    if decay is None:
        _print(f"loss ({net.loss}): E = {ev.loss:.10g} = (1/N) Σₙ Eₙ, the mean of the samples' own losses Eₙ\n")
    else:
        _print(f"loss ({net.loss}): E = {ev.data_loss:.10g} = (1/N) Σₙ Eₙ, the mean of the samples' own losses Eₙ")
        _print(f"{decay.kind} weight decay: R = {ev.penalty:.10g}; total {decay.formula()} = {ev.loss:.10g} "
               f"(∂/∂p below are of the total)\n")
    in_ids = [x.id for x in net.inputs]
    out_ids = [y.id for y in net.outputs]
    rows = []
    for i in range(min(n, 10)):
        rows.append([str(i + 1)] + [_fmt(v) for v in data.x_train[i]] + [_fmt(v) for v in ev.outputs[i]]
                    + [_fmt(v) for v in data.t_train[i]] + [_fmt(ev.sample_loss[i])])
    _print("outputs")
    _print(_table(["sample"] + in_ids + out_ids + [f"target {o}" for o in out_ids] + ["Eₙ"], rows))
    if n > 10:
        _print(f"... and {n - 10} more samples")
    _print("\nneurons: δ[n] = ∂Eₙ/∂net, sample n's own"
          + (f" (the first {shown} of {n} samples)" if n > shown else "")
          + f"; mean δ = (1/N) Σₙ δ[n] over all {n} = ∂E/∂bias")
    rows = []
    for x in net:
        if x.layer == 0:
            continue
        d = ev.delta[x.id]
        rows.append([x.id, str(x.layer), net.role(x.id), x.activation, _fmt(x.bias)]
                    + [_fmt(v) for v in d[:shown]] + [_fmt(mean_delta[x.id])])
    _print(_table(["neuron", "layer", "role", "activation", "bias"] + [f"δ[{i + 1}]" for i in range(shown)]
                 + ["mean δ"], rows))
    values = engine.parameter_values()
    if decay is None:
        _print("\nparameters: ∂E/∂w = (1/N) Σₙ δⱼ[n] · outᵢ[n] for a weight i → j")
        rows = [[name, _fmt(values[name]), _fmt(ev.gradients[name])] for name in engine.parameter_names]
        _print(_table(["parameter", "value", "∂E/∂p"], rows))
    else:
        r = "λ·w" if decay.kind == "l2" else "λ·sign(w)"
        _print(f"\nparameters: ∂(E + R)/∂w = (1/N) Σₙ δⱼ[n] · outᵢ[n] + {r} for a weight i → j (biases: no R)")
        rows = [[name, _fmt(values[name]), _fmt(ev.gradients[name] - ev.penalty_gradients[name]),
                 _fmt(ev.penalty_gradients[name]), _fmt(ev.gradients[name])] for name in engine.parameter_names]
        _print(_table(["parameter", "value", "∂E/∂p", "∂R/∂p", "∂(E + R)/∂p"], rows))
    return 0


# ---------------------------------------------------------------------------------------------- explain
def cmd_explain(args) -> int:
    """The anatomy of the first step of the document's optimizer, from a fresh state, on the full training set."""
    import numpy as np

    from .core.step_anatomy import first_step_anatomy

    doc = _load(args.file)
    try:
        a = first_step_anatomy(doc, directions=args.directions, seed=args.seed, line_to=args.line_to,
                               line_points=args.line_points)
    except ValueError as e:
        raise CLIError(str(e)) from None
    c = a.curvature
    if args.json:
        out = {
            "loss": a.loss,
            "optimizer": a.optimizer,
            "learning_rate": a.learning_rate,
            "parameters": [{"name": n, "value": w, "gradient": g, "step": d, "contribution": gd}
                           for n, w, g, d, gd in zip(a.names, a.values.tolist(), a.gradient.tolist(),
                                                     a.step.tolist(), a.contributions.tolist())],
            "predicted_change": a.predicted_change,
            "actual_change": a.actual_change,
            "gradient_norm": a.gradient_norm,
            "line": {"t": a.line_t.tolist(), "loss": a.line_loss.tolist(), "linear": a.line_linear.tolist(),
                     "quadratic": a.line_quadratic.tolist()},
            "curvature": {"lambda_max": c.lambda_max, "lambda_min": c.lambda_min, "along_step": c.along_step,
                          "along_gradient": c.along_gradient, "stable_learning_rate": c.stable_learning_rate},
            "directions": {"steepest": a.steepest_slope, "best_single_parameter": a.best_single_parameter_slope,
                           "random": a.random_slopes.tolist(), "count": len(a.random_slopes)},
        }
        if doc.training.weight_decay is not None:  # then loss, gradients and line are of E + R
            out["weight_decay"] = doc.training.weight_decay.to_dict()
        _print(json.dumps(_finite_or_none(out), indent=1, allow_nan=False))
        return 0

    n = len(doc.dataset().x_train)
    _print(f"{args.file}: the first {a.optimizer} step (η = {a.learning_rate:g}) from a fresh state, on all {n} "
           f"training samples; {len(a.names)} trainable parameters"
           + ("" if doc.training.train_biases else " (biases frozen)"))
    decay = doc.training.weight_decay
    if decay is None:
        _print(f"E = {a.loss:.10g} ({doc.network.loss})\n")
    else:
        _print(f"E = {a.loss:.10g}: the total {decay.formula()} ({doc.network.loss} and {decay.kind} weight decay); "
               f"E below is this total\n")
    _print("first order: ΔE ≈ Σᵢ gᵢ·Δwᵢ, one term per parameter (most helpful first)")
    order = sorted(range(len(a.names)), key=lambda i: a.contributions[i])
    rows = [[a.names[i], _fmt(a.values[i]), _fmt(a.gradient[i]), _fmt(a.step[i]), _fmt(a.contributions[i])]
            for i in order]
    _print(_table(["parameter", "w", "g = ∂E/∂w", "Δw", "g·Δw"], rows))
    _print(f"\npredicted ΔE = Σ g·Δw = {a.predicted_change:.6g}")
    _print(f"actual ΔE = E(w+Δw) − E(w) = {a.actual_change:.6g}")
    _print(f"|∇E| = {a.gradient_norm:.6g}")

    _print("\nalong the step: E(w + t·Δw), the linear model E + t·gᵀΔw and the quadratic E + t·gᵀΔw + ½t²·ΔwᵀHΔw")
    every = max(1, (len(a.line_t) - 1) // 8)
    shown = sorted(set(range(0, len(a.line_t), every)) | {len(a.line_t) - 1})
    rows = [[_fmt(a.line_t[i]), _fmt(a.line_loss[i]), _fmt(a.line_linear[i]), _fmt(a.line_quadratic[i])]
            for i in shown]
    _print(_table(["t", "E", "linear", "quadratic"], rows))

    _print("\ncurvature (Hessian H of E)")
    _print(f"  λ_max = {c.lambda_max:.6g}, λ_min = {c.lambda_min:.6g}")
    _print(f"  along the step ΔwᵀHΔw/ΔwᵀΔw = {c.along_step:.6g}; along the gradient gᵀHg/gᵀg = "
           f"{c.along_gradient:.6g}")
    eta = c.stable_learning_rate
    if eta is not None:
        _print(f"  plain gradient descent is stable for η < 2/λ_max = {eta:.6g}")
    elif c.lambda_max <= 0:
        _print("  λ_max ≤ 0: no direction curves up, so the quadratic model sets no limit on η")

    _print("\nslopes of unit directions u (gᵀu ≥ −|∇E| for every u, by Cauchy–Schwarz)")
    _print(f"  steepest, −∇E/|∇E|: {a.steepest_slope:.6g}")
    best = a.best_single_parameter
    _print(f"  best single parameter{f' ({best})' if best else ''}: {a.best_single_parameter_slope:.6g}")
    r = a.random_slopes
    if len(r) and np.isfinite(r).all():
        _print(f"  {len(r)} random directions (seed {args.seed}): lowest {r.min():.6g}, median {np.median(r):.6g}")
    return 0


# ---------------------------------------------------------------------------------------------- train
class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled
        self.start = self.last = time.perf_counter()

    def __call__(self, done: int) -> None:
        if not self.enabled or (done % 64 and done != self.total):
            return
        now = time.perf_counter()
        if now - self.last < 0.1 and done != self.total:
            return
        self.last = now
        frac = done / self.total
        bar = "█" * int(30 * frac) + "·" * (30 - int(30 * frac))
        rate = done / max(now - self.start, 1e-9)
        sys.stderr.write(f"\r  {bar} {done}/{self.total} steps  {rate:,.0f} steps/s ")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")


def _output_path(arg: str) -> Path:
    """The path of a file to write, checked before any work is done (the write checks again)."""
    from .core.safe_write import check_target

    try:
        real, _ = check_target(arg)
        if not os.access(real.parent, os.W_OK):
            raise CLIError(f"{arg}: the folder is not writable")
    except ValueError:  # a NUL character
        raise CLIError(f"{arg!r}: is not a valid file name") from None
    except OSError as e:  # e.g. a folder on the way that this user cannot enter, a name too long
        raise CLIError(f"{arg}: {e.strerror or e}") from None
    return Path(arg)


def cmd_train(args) -> int:
    import numpy as np

    from .core.blas import training_threads
    from .core.document import DocumentError, save_document
    from .core.stopping import Stopper, StopRule
    from .core.training import Trainer

    doc = _load(args.file)
    cfg = doc.training
    if args.learning_rate is not None:
        cfg.learning_rate = args.learning_rate
    if args.optimizer is not None:
        cfg.optimizer = args.optimizer
    if args.batch_size is not None:
        cfg.batch_size = None if args.batch_size == "full" else args.batch_size
    if args.seed is not None:
        cfg.seed = args.seed
    if args.every != 1 and args.trajectory is None:
        raise CLIError("--every K goes with --trajectory T.npz (it says how often the path is recorded)")
    out = _output_path(args.output)
    path_out = _trajectory_output(args.trajectory, out) if args.trajectory is not None else None
    trainer = Trainer.from_document(doc)
    rule = StopRule(until_loss=args.until_loss, patience=args.patience)
    stopper = Stopper(rule) if args.until_loss is not None or args.patience is not None else None
    if args.patience is not None and trainer.test_loss() is None:
        raise CLIError("--patience K watches the test loss, and the document has no test set (give the generator a "
                       "test_fraction, or the table test_inputs and test_targets)")
    decay = cfg.weight_decay
    e0 = trainer.train_loss()
    total0 = trainer.total_loss() if decay is not None else e0
    a0 = _accuracies(trainer)[0]
    progress = _Progress(args.steps, sys.stderr.isatty() and not args.quiet and args.steps >= 1000)
    record = _PathRecorder(trainer, total0, args.steps, args.every) if path_out is not None else None

    def after_step(done: int) -> None:
        progress(done)
        if record is not None:
            record(done)

    def evaluate(step: int):
        test = trainer.test_loss() if args.patience is not None else None
        return stopper.observe(step, trainer.train_loss() if args.until_loss is not None else None, test)

    t0 = time.perf_counter()
    done, stop = 0, None
    try:
        # divergence is reported below in one line, not as NumPy warnings; BLAS on one thread (core/blas.py), also
        # for the loop with a stop rule, which steps the trainer itself
        with np.errstate(all="ignore"), training_threads():
            if stopper is None:
                trainer.train(args.steps, after_step)
                done = args.steps
            else:
                stop = evaluate(0)
                epoch = trainer.epoch
                while stop is None and done < args.steps:
                    trainer.step()
                    done += 1
                    after_step(done)
                    if trainer.epoch != epoch:  # an epoch ended: an evaluation
                        epoch = trainer.epoch
                        stop = evaluate(done)
                if record is not None:
                    record.finish(done)
            e1 = trainer.train_loss()
            total1 = trainer.total_loss() if decay is not None else e1
    finally:
        progress.close()
    elapsed = time.perf_counter() - t0
    if not (math.isfinite(e1) and trainer.parameters_finite()):
        print(f"bpgui: error: training diverged (the loss became {e1}); try a smaller learning rate than "
              f"{cfg.learning_rate:g}. Nothing was written.", file=sys.stderr)
        return 1
    trainer.write_back()
    try:
        save_document(doc, out)
    except DocumentError as e:
        raise CLIError(f"{args.output}: {e}") from None
    if record is not None:
        from .core.safe_write import atomic_write_bytes

        try:
            atomic_write_bytes(path_out, record.recorder.trajectory().to_npz())
        except OSError as e:
            raise CLIError(f"{args.trajectory}: cannot write ({e.strerror or e})") from None
    test = trainer.test_loss()
    test_text = f", test loss {test:.6g}" if test is not None else ""
    steps_text = f"{done} steps" if done == args.steps else f"{done} of {args.steps} steps"
    rate = f"learning rate {cfg.learning_rate:g}"
    if cfg.schedule is not None:
        rate += f", schedule {cfg.schedule.describe()}, now {trainer.learning_rate_now:.6g}"
    _print(f"trained {steps_text} ({cfg.optimizer}, {rate}) in {elapsed:.2f} s "
          f"({done / max(elapsed, 1e-9):,.0f} steps/s)")
    if stopper is not None:
        why = stop.message if stop is not None else f"it made the {args.steps} steps asked for"
        flag = {"until_loss": " (--until-loss)", "patience": " (--patience)"}.get(stop.rule if stop else "", "")
        _print(f"stopped at step {done}: {why}{flag}")
    _print(f"loss ({doc.network.loss}): {e0:.6g} -> {e1:.6g}{test_text}")
    if decay is not None:
        _print(f"total loss {decay.formula()}: {total0:.6g} -> {total1:.6g}")
    if a0 is not None:
        from .core.accuracy import percent

        a1, test_a = _accuracies(trainer)
        test_text = f", test accuracy {percent(test_a)}" if test_a is not None else ""
        _print(f"accuracy: {percent(a0)} -> {percent(a1)}{test_text}")
    _print(f"wrote {_one_line(args.output)}")
    if record is not None:
        _print(f"wrote {_one_line(args.trajectory)} ({len(record.recorder.trajectory())} rows of "
               f"{len(trainer.engine.parameter_names)} parameters, steps 0..{done})")
    return 0


def _accuracies(trainer) -> tuple[float | None, float | None]:
    """The trainer's accuracy on the training and the test set; None for a network that does not classify or data
    whose targets are values to fit (see core/accuracy.py), and for no test set."""
    import numpy as np

    from .core.accuracy import accuracy, has_accuracy

    d, eng = trainer.dataset, trainer.engine
    if not has_accuracy(trainer.network.loss, np.concatenate([d.t_train, d.t_test]) if len(d.t_test) else d.t_train):
        return None, None
    test = accuracy(eng.predict(d.x_test), d.t_test) if len(d.x_test) else None
    return accuracy(eng.predict(d.x_train), d.t_train), test


def _trajectory_output(arg: str, document: Path) -> Path:
    path = _output_path(arg)
    if path.suffix.lower() != ".npz":
        raise CLIError(f"{arg}: the trajectory is written as .npz")
    if os.path.abspath(path) == os.path.abspath(document):
        raise CLIError(f"{arg}: the trajectory and the trained network must be different files")
    return path


class _PathRecorder:
    """After each step of ``bpgui train``: every parameter and E on the training set (E + R with a weight decay,
    as surfaces show it) at every K-th step (as the recorder thins) and at the last."""

    def __init__(self, trainer, e0: float, steps: int, every: int):
        import numpy as np

        from .core.trajectory import TrajectoryRecorder

        eng = self.engine = trainer.engine
        self.trainer, self.steps, self.every = trainer, steps, every
        self.order = np.array([eng.index[n] for n in eng.parameter_names], dtype=np.intp)
        self.recorder = TrajectoryRecorder(eng.parameter_names)
        self.recorder.add(0, eng.params[self.order], e0)

    def __call__(self, done: int) -> None:
        last = done == self.steps
        if last or (done % self.every == 0 and self.recorder.wants(done)):
            self.recorder.add(done, self.engine.params[self.order], self.trainer.total_loss())

    def finish(self, done: int) -> None:
        """The row of the last step, where training stopped early."""
        if self.recorder.last_step != done:
            self.recorder.add(done, self.engine.params[self.order], self.trainer.total_loss())


def cmd_screenshot(args) -> int:
    out = _output_path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg") or (suffix == ".svg" and args.view == "window"):
        raise CLIError(f"{args.output}: write a .png" + (" or .svg" if args.view != "window" else "")
                       + (" (the whole window is a .png; choose a --view for .svg)" if suffix == ".svg" else ""))
    if (args.x is None) != (args.y is None):
        raise CLIError("give both --x and --y, or neither")
    # a bad file: the usual one-line error, before any window exists
    doc = _load(args.file) if args.file is not None else None
    if args.x is not None:
        net = doc.network if doc is not None else _load(str(_default_example())).network
        for p in (args.x, args.y):
            if not net.has_parameter(p):
                raise CLIError(f"--x/--y: the network has no parameter '{p}' (weights are 'a->b', biases 'b.bias')")
        if args.x == args.y:
            raise CLIError("--x and --y must be two different parameters")
    if args.neuron_pictures:
        net = doc.network if doc is not None else _load(str(_default_example())).network
        if len(net.inputs) != 2:
            raise CLIError(f"--neuron-pictures: the network has {len(net.inputs)} input"
                           f"{'s' if len(net.inputs) != 1 else ''}; neuron pictures need 2")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .ui.app import make_application
    from .ui.document.document_model import DocumentModel
    from .ui.document.export import ExportError
    from .ui.main_window import MainWindow
    from .ui.threads import process_events_until

    app = make_application()
    window = MainWindow(DocumentModel(doc, Path(args.file)) if doc is not None else None)
    # Ctrl+C only sets a flag: the waits below end on it, and the window's threads are stopped before the
    # interpreter leaves (an exception raised inside one of Qt's calls into Python would be printed and lost)
    interrupted: list[int] = []
    old_handler = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))

    def wait(ready, timeout: float) -> bool:
        done = process_events_until(lambda: bool(interrupted) or ready(), timeout)
        if interrupted:
            raise KeyboardInterrupt
        return done

    def trained(snap) -> bool:
        return snap.step >= args.steps or snap.diverged or bool(snap.problem)

    try:
        window.resize(*args.size)
        window.show()
        if args.x is not None:
            window.surface.choose(args.x, args.y)
        if args.neuron_pictures:
            window.neuron_pictures.set_on(True)
        wait(lambda: window.training.latest is not None, 10)
        if args.steps:
            window.training.train_steps(args.steps)
            if not wait(lambda: window.training.latest is not None and trained(window.training.latest), 600):
                raise CLIError(f"training {args.steps} steps did not finish in 10 minutes")
        if args.plane is not None:
            window.surface.choose_plane(args.plane)
            wait(lambda: window.training.latest is not None and window.training.latest.step >= args.steps
                 and (args.plane != "pca" or window.training.latest.trajectory is not None), 10)
        wait(lambda: window.surface.settled and not window.chain_rule.busy(), 60)
        if args.neuron_pictures:  # the last snapshot carries them (a run that cannot train has none)
            wait(lambda: window.scene.neuron_pictures or not window.training.latest.finite
                 or bool(window.training.latest.problem), 10)
        app.processEvents()
        window.view.fit()
        if args.weight_labels:
            window.window_actions.labels.trigger()
        if args.accuracy:
            window.loss_plot.set_accuracy_shown(True)
        app.processEvents()
        if interrupted:
            raise KeyboardInterrupt
        if args.view == "window":
            window.exports.export_window(out)
        else:
            window.exports.export_view_at_size(args.view, out, args.size)
    except ExportError as e:
        raise CLIError(str(e)) from None
    finally:
        window.model.undo_stack.setClean()
        window.close()  # stops the threads
        window.deleteLater()  # gone once the event loop turns (a caller in the same process keeps no window)
        app.processEvents()
        signal.signal(signal.SIGINT, old_handler)
    if interrupted:
        raise KeyboardInterrupt
    _print(f"wrote {_one_line(args.output)} ({args.view})")
    return 0


def _default_example():
    from .resources import example_paths
    from .ui.document.document_files import DEFAULT_EXAMPLE

    return example_paths()[DEFAULT_EXAMPLE]


def cmd_surface(args) -> int:
    import io

    import numpy as np

    from .core.document import atomic_write_bytes
    from .core.planes import make_plane, plane_surface
    from .core.step_anatomy import trainable_parameters
    from .core.trajectory import TrajectoryError, load_trajectory

    if args.span is not None and (args.x_range or args.y_range):
        raise CLIError("use either --span or --x-range and --y-range, not both")
    if (args.x_range is None) != (args.y_range is None):
        raise CLIError("--x-range and --y-range go together")
    if args.plane == "weights" and (args.x is None or args.y is None):
        raise CLIError("--plane weights needs --x and --y (two parameters, e.g. 'x1->h1' and 'h1.bias')")
    if args.plane != "weights" and (args.x is not None or args.y is not None):
        raise CLIError(f"--x and --y name the two parameters of --plane weights, not of --plane {args.plane}")
    if args.plane == "pca" and args.trajectory is None:
        raise CLIError("--plane pca needs --trajectory T.npz (written by 'bpgui train --trajectory T.npz')")
    out = _output_path(args.output)
    if out.suffix.lower() != ".npz":
        raise CLIError(f"{args.output}: only .npz is supported")
    doc = _load(args.file)
    data = doc.dataset()
    path = None
    if args.trajectory is not None:
        try:
            path = load_trajectory(args.trajectory)
            path.check_names(doc.network.parameter_names(), f"the trajectory (of {len(path.names)} parameters)")
        except TrajectoryError as e:
            raise CLIError(f"{args.trajectory}: {e}") from None
    try:
        movable = trainable_parameters(doc.network.parameter_names(), doc.training.train_biases)
        decay = doc.training.weight_decay
        plane = make_plane(args.plane, doc.network, data.x_train, data.t_train, x_name=args.x, y_name=args.y,
                           trajectory=path, seed=args.seed, movable=movable, decay=decay)
        s = plane_surface(doc.network, data.x_train, data.t_train, plane, grid=args.grid, span=args.span,
                          x_range=args.x_range, y_range=args.y_range, trajectory=path, decay=decay)
    except ValueError as e:  # a bad parameter name, span or range; a plane that cannot be formed
        raise CLIError(str(e)) from None
    arrays = dict(x=s.x, y=s.y, loss=s.loss, names=np.array(plane.names, dtype=str), origin=plane.origin,
                  u=plane.u, v=plane.v)
    if s.path is not None:
        arrays.update(path_x=s.path.x, path_y=s.path.y, path_residual=s.path.residual, path_loss=s.path.loss,
                      path_plane_loss=s.path.plane_loss)
    if plane.explained is not None:
        arrays["explained"] = np.array(plane.explained)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    try:
        atomic_write_bytes(out, buf.getvalue())
    except OSError as e:
        raise CLIError(f"{args.output}: cannot write ({e.strerror or e})") from None
    finite = s.loss[np.isfinite(s.loss)]
    summary = f"E {finite.min():.3g}..{finite.max():.3g}" if finite.size else "E not finite"
    if 0 < finite.size < s.loss.size:
        summary += f", not finite at {s.loss.size - finite.size} points"
    what = f"of {args.x} and {args.y}" if args.plane == "weights" else f"on the {args.plane} plane"
    if plane.explained is not None:
        summary += f"; the plane holds {100 * plane.explained:.1f}% of the path's variance"
    if decay is not None:
        summary += f"; E is the total {decay.formula()}"
    _print(f"wrote {_one_line(args.output)} ({args.grid}x{args.grid} surface {what}, {summary})")
    return 0


def cmd_data(args) -> int:
    from .core.csv_data import CSVError, csv_shape, csv_table, read_csv_text
    from .core.document import DocumentError, load_document, make_dataset, save_document
    from .core.fit_network import fit_to_table_shape
    from .core.network import NetworkError

    out = _output_path(args.output)
    if os.path.exists(args.csv) and os.path.exists(out) and os.path.samefile(args.csv, out):
        raise CLIError(f"{args.output}: is the CSV file itself; write the document elsewhere")
    try:
        doc = load_document(args.file, fit_data=False)  # its old data is replaced, so it need not fit
    except DocumentError as e:
        raise CLIError(f"{args.file}: {e}") from None
    net = doc.network
    targets = None
    if args.targets is not None:
        targets = [t.strip() for t in args.targets.split(",")]
        if not all(targets):
            raise CLIError(f"--targets: {args.targets!r} names an empty column")
    try:
        text = read_csv_text(args.csv)
        if args.fit:
            net = doc.network = fit_to_table_shape(net, *csv_shape(text, targets), seed=args.seed)
        data = csv_table(text, len(net.inputs), len(net.outputs),
                         sigmoid_output=len(net.outputs) == 1 and net.outputs[0].activation == "sigmoid",
                         targets=targets, test_fraction=args.test_fraction, seed=args.seed)
        make_dataset(data, net)
    except (CSVError, DocumentError, NetworkError) as e:
        hint = ""
        if not args.fit and isinstance(e, CSVError) and "the network has" in str(e):
            hint = " (--fit resizes the network's input and output layers to the file)"
        raise CLIError(f"{args.csv}: {e}{hint}") from None
    doc.data = data
    try:
        save_document(doc, out)
    except DocumentError as e:
        raise CLIError(f"{args.output}: {e}") from None
    def rows(n: int, kind: str) -> str:
        return f"{n:,} {kind} row{'' if n == 1 else 's'}"

    _print(f"wrote {_one_line(args.output)} ({rows(len(data.inputs), 'training')}, "
           f"{rows(len(data.test_inputs), 'test')} from {_one_line(args.csv)})")
    return 0


def cmd_examples(args) -> int:
    from .resources import example_paths

    for name, path in example_paths().items():
        _print(f"{name:20s} {path}")
    return 0


def cmd_lessons(args) -> int:
    from .core.lessons import LessonError, bundled_lessons, check_lesson, read_lesson

    if args.check is not None:
        try:
            lesson = read_lesson(args.check)
            check_lesson(lesson)
        except LessonError as e:
            raise CLIError(f"{args.check}: {e}") from None
        predictions = sum(s.predict is not None for s in lesson.steps)
        _print(f"{_one_line(args.check)}: a good lesson: {lesson.title!r}, {len(lesson.steps)} steps, "
               f"{predictions} prediction{'s' if predictions != 1 else ''}, on {lesson.document}")
        return 0
    for path in bundled_lessons():
        try:
            lesson = read_lesson(path)
        except LessonError as e:  # a bundled lesson is checked by the tests: say so, and go on
            _print(f"{path.name}: cannot be read: {e}")
            continue
        _print(f"{lesson.title}\n    {lesson.summary}\n    {path}")
    return 0


def cmd_open(file: str | None) -> int:
    try:
        from .ui.app import run
    except ImportError as e:  # e.g. Qt's system libraries are missing on a headless machine
        raise CLIError(f"cannot start the window: {e}") from None
    return run(file)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            status = _run(argv)
        except SystemExit:  # --help, --version: written, now flushed
            _flush_output()
            raise
        _flush_output()
        return status
    except _OutputError as e:
        _discard_output()
        if isinstance(e.args[0], BrokenPipeError):  # e.g. `bpgui inspect net.json | head`
            return 0
        _print_error(f"cannot write to standard output ({e.args[0].strerror or e.args[0]})")
        return 2


def _run(argv: list[str]) -> int:
    try:
        if argv and argv[0] in SUBCOMMANDS or any(a in ("-h", "--help", "--version") for a in argv[:1]):
            args = _build_parser().parse_args(argv)
            return {"inspect": cmd_inspect, "explain": cmd_explain, "train": cmd_train, "screenshot": cmd_screenshot,
                    "surface": cmd_surface, "data": cmd_data, "examples": cmd_examples,
                    "lessons": cmd_lessons}[args.command](args)
        opener = _Parser(prog="bpgui", add_help=False)
        opener.add_argument("file", nargs="?")
        args = opener.parse_args(argv)
        return cmd_open(args.file)
    except CLIError as e:
        _print_error(str(e))
        return 2
    except KeyboardInterrupt:
        _print_error("interrupted", prefix="bpgui: ")
        return 130
    except MemoryError:  # within the documented limits only where the machine (or a ulimit) has little memory
        _print_error("out of memory (this machine cannot hold the document's work; try a smaller network or fewer "
                     "points)")
        return 2


def _print_error(message: str, prefix: str = "bpgui: error: ") -> None:
    try:
        sys.stderr.write(prefix + _one_line(message) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # nowhere left to say it
        pass


if __name__ == "__main__":
    sys.exit(main())
