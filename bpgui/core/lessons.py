"""Lessons: short guided walks through a bundled document, one step at a time, that ask the learner to predict
before they see (Help > Lessons in the window; ``bpgui lessons`` lists them, ``bpgui lessons --check FILE``
validates one).

A lesson is a JSON file (UTF-8), ``"format": "bpgui-lesson"``, ``"version": 1``::

    {"format": "bpgui-lesson", "version": 1,
     "title": "One weight", "summary": "E along w, its slope, and one step of −η·∂E/∂w",
     "document": "one_weight.json",
     "steps": [STEP, ...]}

``document`` is a network document beside the lesson file, or a bundled example's name (``xor``). Each STEP::

    {"title": "The slope",                            # optional, a few words
     "text": "The tangent's slope is ∂E/∂w ...",      # a sentence or two; formulas in Unicode
     "look": ["view:slice", "edge:x->y"],             # optional: what to raise and highlight (see TARGETS)
     "setup": {"learning_rate": 0.5, "surface": ["x->h", "h->y"]},   # optional, applied when the step opens
     "predict": PREDICTION,                           # optional
     "reveal": {"do": "step", "count": 1}}            # optional: what shows the truth

Targets: ``view:NAME`` (a view of the window: VIEWS), ``control:NAME`` (CONTROLS), ``edge:SRC->DST`` and
``neuron:ID`` (on the canvas, in the lesson's document).

Setup keys: ``learning_rate`` (> 0), ``optimizer`` (a name of core/optimizers), ``batch_size`` (0 = full batch, or
a positive count), ``surface`` (two parameter names: the surface's x and y), ``reset`` (true: the lesson's
document as it was, at step 0).

A PREDICTION is ``{"kind": KIND, "question": "…", "quantity": QUANTITY, …}`` of three kinds:

* ``number``: the learner types a number; ``tolerance`` (≥ 0) and ``relative`` (default false: absolute);
* ``choice``: the learner picks one of ``options`` (``[{"label": "…", "value": "…"}, …]``; for
  ``largest_share`` they may be left out: then every weight is an option);
* ``point``: the learner drags where the surface's point goes (``tolerance``: a share of the step's length,
  default 0.5).

QUANTITY is what the live network says (the training loss E is the total with a weight decay):

* ``loss``: E; ``weight:P``: the value of parameter P; ``gradient:P``: ∂E/∂P; ``delta:N``: neuron N's mean δ
  (= ∂E/∂bias); ``step:P``: how far the optimizer's next step moves P; ``loss_after_step``: E after that step;
* ``largest_share``: the weight whose first-order term ∂E/∂wᵢ·Δwᵢ of ΔE lowers E most (its value is the name);
* ``diverges:N``: "yes" when N more steps with the current settings blow the loss up (not finite, or above where it
  started), else "no";
* ``uphill``: "yes" when the optimizer's next step moves some weight uphill (its term ∂E/∂wᵢ·Δwᵢ > 0: momentum and
  adam can; plain gradient descent never), else "no";
* ``rises_within:N``: "yes" when the full training loss goes up at least once in the next N steps (minibatches
  make noisy steps), else "no";
* ``next_point``: where the surface's two parameters are after the next step (for ``point`` predictions);
* ``stable_rate``: 2/λ_max, the largest learning rate for which plain gradient descent converges on the
  quadratic model here.

A REVEAL is ``{"do": "step", "count": n}`` (n optimizer steps), ``{"do": "play", "steps": n}`` (train n steps,
visibly), or ``{"do": "open", "view": NAME}``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .document import Document, DocumentError, load_document, parse_json, read_document_text
from .network import NetworkError, parse_parameter_name
from .optimizers import OPTIMIZER_NAMES as OPTIMIZERS

FORMAT = "bpgui-lesson"
VERSION = 1
#: the views a step can raise (the window's names for them)
VIEWS = ("canvas", "surface", "surface3d", "step", "line", "slopes", "loss", "outputs", "slice", "directions",
         "chain_rule", "properties", "training")
#: the controls a step can point at
CONTROLS = ("play", "step", "reset", "learning_rate", "optimizer", "batch_size", "speed", "data")
KINDS = ("number", "choice", "point")
#: the quantities a choice asks for (a name, or "yes"/"no")
CHOICE_QUANTITIES = ("largest_share", "diverges", "uphill", "rises_within")
REVEALS = ("step", "play", "open")
#: the most steps a reveal or a divergence check may take
MAX_REVEAL_STEPS = 10_000
MAX_STEPS = 100
MAX_TEXT = 2_000


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the place (e.g. ``steps[2].predict.tolerance``)."""


@dataclass(frozen=True)
class Prediction:
    kind: str
    question: str
    quantity: str
    tolerance: float = 0.0
    relative: bool = False
    options: tuple[tuple[str, str], ...] = ()  # (label, value)


@dataclass(frozen=True)
class Reveal:
    do: str
    count: int = 1
    view: str | None = None


@dataclass(frozen=True)
class Step:
    text: str
    title: str = ""
    look: tuple[str, ...] = ()
    setup: dict = field(default_factory=dict)
    predict: Prediction | None = None
    reveal: Reveal | None = None


@dataclass(frozen=True)
class Lesson:
    title: str
    summary: str
    document: str
    steps: tuple[Step, ...]
    path: Path | None = None

    def document_path(self) -> Path:
        """The lesson's document: a file beside the lesson, else a bundled example of that name."""
        if self.path is not None:
            beside = self.path.parent / self.document
            if beside.is_file():
                return beside
        from ..resources import example_paths

        examples = example_paths()
        name = self.document[:-5] if self.document.endswith(".json") else self.document
        if name in examples:
            return examples[name]
        raise LessonError(f"document: no file {self.document!r} beside the lesson and no example of that name")

    def load_document(self) -> Document:
        try:
            return load_document(self.document_path())
        except DocumentError as e:
            raise LessonError(f"document {self.document!r}: {e}") from None


# ---------------------------------------------------------------------------------------------- reading
def _type(value: Any, kind, where: str, what: str):
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise LessonError(f"{where}: must be {what}")
    return value


def _text(d: dict, key: str, where: str, required: bool = True) -> str:
    if key not in d:
        if required:
            raise LessonError(f"{where}: {key!r} is missing")
        return ""
    value = _type(d[key], str, f"{where}.{key}", "text")
    if required and not value.strip():
        raise LessonError(f"{where}.{key}: must not be empty")
    if len(value) > MAX_TEXT:
        raise LessonError(f"{where}.{key}: longer than {MAX_TEXT:,} characters")
    return value


def _keys(d: dict, allowed: tuple[str, ...], where: str) -> None:
    for k in d:
        if k not in allowed:
            raise LessonError(f"{where}: unknown key {k!r} (expected {', '.join(allowed)})")


def _object(value: Any, where: str) -> dict:
    return _type(value, dict, where, "an object {…}")


def _quantity(q: Any, where: str) -> str:
    q = _type(q, str, where, "text such as \"gradient:x->y\"")
    name, _, arg = q.partition(":")
    if name in ("loss", "loss_after_step", "largest_share", "next_point", "stable_rate", "uphill") and not arg:
        return q
    if name in ("weight", "gradient", "step") and arg:
        try:
            parse_parameter_name(arg)
        except NetworkError as e:
            raise LessonError(f"{where}: {e}") from None
        return q
    if name == "delta" and arg:
        return q
    if name in ("diverges", "rises_within") and arg.isdigit() and 1 <= int(arg) <= MAX_REVEAL_STEPS:
        return q
    raise LessonError(f"{where}: {q!r} is not a quantity (loss, weight:P, gradient:P, delta:N, step:P, "
                      f"loss_after_step, largest_share, diverges:N, uphill, rises_within:N, next_point, stable_rate)")


def _prediction(d: Any, where: str) -> Prediction:
    d = _object(d, where)
    _keys(d, ("kind", "question", "quantity", "tolerance", "relative", "options"), where)
    kind = _text(d, "kind", where)
    if kind not in KINDS:
        raise LessonError(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    question = _text(d, "question", where)
    if "quantity" not in d:
        raise LessonError(f"{where}: 'quantity' is missing")
    quantity = _quantity(d["quantity"], f"{where}.quantity")
    name = quantity.partition(":")[0]
    if kind == "point" and name != "next_point":
        raise LessonError(f"{where}.quantity: a point prediction asks for next_point, not {quantity!r}")
    if kind == "number" and name in CHOICE_QUANTITIES + ("next_point",):
        raise LessonError(f"{where}.quantity: {quantity!r} is not a number: use a choice prediction")
    if kind == "choice" and name not in CHOICE_QUANTITIES:
        raise LessonError(f"{where}.quantity: a choice prediction asks for largest_share, diverges:N, uphill or "
                          f"rises_within:N")
    tolerance = 0.5 if kind == "point" else 0.0
    if "tolerance" in d:
        tolerance = float(_type(d["tolerance"], float, f"{where}.tolerance", "a number"))
        if tolerance < 0:
            raise LessonError(f"{where}.tolerance: must be zero or more, not {tolerance}")
    relative = bool(_type(d.get("relative", False), bool, f"{where}.relative", "true or false"))
    options: list[tuple[str, str]] = []
    if "options" in d:
        if kind != "choice":
            raise LessonError(f"{where}.options: only a choice prediction has options")
        items = _type(d["options"], list, f"{where}.options", "a list")
        if len(items) < 2:
            raise LessonError(f"{where}.options: a choice needs two options or more")
        for i, item in enumerate(items):
            item = _object(item, f"{where}.options[{i}]")
            _keys(item, ("label", "value"), f"{where}.options[{i}]")
            options.append((_text(item, "label", f"{where}.options[{i}]"),
                            _text(item, "value", f"{where}.options[{i}]")))
        values = [v for _, v in options]
        if len(set(values)) != len(values):
            raise LessonError(f"{where}.options: two options have the same value")
    elif kind == "choice" and name != "largest_share":
        options = [("yes", "yes"), ("no", "no")]
    return Prediction(kind, question, quantity, tolerance, relative, tuple(options))


def _reveal(d: Any, where: str) -> Reveal:
    d = _object(d, where)
    _keys(d, ("do", "count", "steps", "view"), where)
    do = _text(d, "do", where)
    if do not in REVEALS:
        raise LessonError(f"{where}.do: {do!r} is not one of {', '.join(REVEALS)}")
    if do == "open":
        view = _text(d, "view", where)
        if view not in VIEWS:
            raise LessonError(f"{where}.view: {view!r} is not a view ({', '.join(VIEWS)})")
        return Reveal(do, 0, view)
    key = "count" if do == "step" else "steps"
    count = _type(d.get(key, 1), int, f"{where}.{key}", "a whole number")
    if not 1 <= count <= MAX_REVEAL_STEPS:
        raise LessonError(f"{where}.{key}: must be 1 to {MAX_REVEAL_STEPS:,}, not {count}")
    return Reveal(do, count)


def _setup(d: Any, where: str) -> dict:
    d = _object(d, where)
    _keys(d, ("learning_rate", "optimizer", "batch_size", "surface", "reset"), where)
    out: dict = {}
    if "learning_rate" in d:
        lr = float(_type(d["learning_rate"], float, f"{where}.learning_rate", "a number"))
        if not lr > 0:
            raise LessonError(f"{where}.learning_rate: must be above 0, not {lr}")
        out["learning_rate"] = lr
    if "optimizer" in d:
        opt = _text(d, "optimizer", where)
        if opt not in OPTIMIZERS:
            raise LessonError(f"{where}.optimizer: {opt!r} is not one of {', '.join(OPTIMIZERS)}")
        out["optimizer"] = opt
    if "batch_size" in d:
        b = _type(d["batch_size"], int, f"{where}.batch_size", "a whole number")
        if b < 0:
            raise LessonError(f"{where}.batch_size: must be 0 (full batch) or more, not {b}")
        out["batch_size"] = b
    if "surface" in d:
        pair = _type(d["surface"], list, f"{where}.surface", "a list of two parameter names")
        if len(pair) != 2 or pair[0] == pair[1]:
            raise LessonError(f"{where}.surface: must name two different parameters")
        for i, p in enumerate(pair):
            _type(p, str, f"{where}.surface[{i}]", "a parameter name")
            try:
                parse_parameter_name(p)
            except NetworkError as e:
                raise LessonError(f"{where}.surface[{i}]: {e}") from None
        out["surface"] = tuple(pair)
    if "reset" in d:
        out["reset"] = bool(_type(d["reset"], bool, f"{where}.reset", "true or false"))
    return out


def _look(items: Any, where: str) -> tuple[str, ...]:
    items = _type(items, list, where, "a list of targets")
    out = []
    for i, t in enumerate(items):
        t = _type(t, str, f"{where}[{i}]", "a target such as \"view:surface\"")
        kind, _, name = t.partition(":")
        if kind == "view" and name in VIEWS or kind == "control" and name in CONTROLS:
            out.append(t)
        elif kind == "edge" and "->" in name:
            try:
                parse_parameter_name(name)
            except NetworkError as e:
                raise LessonError(f"{where}[{i}]: {e}") from None
            out.append(t)
        elif kind == "neuron" and name:
            out.append(t)
        else:
            raise LessonError(f"{where}[{i}]: {t!r} is not a target (view:{'|'.join(VIEWS)}, "
                              f"control:{'|'.join(CONTROLS)}, edge:SRC->DST or neuron:ID)")
    return tuple(out)


def _step(d: Any, where: str) -> Step:
    d = _object(d, where)
    _keys(d, ("title", "text", "look", "setup", "predict", "reveal"), where)
    return Step(
        text=_text(d, "text", where),
        title=_text(d, "title", where, required=False),
        look=_look(d["look"], f"{where}.look") if "look" in d else (),
        setup=_setup(d["setup"], f"{where}.setup") if "setup" in d else {},
        predict=_prediction(d["predict"], f"{where}.predict") if "predict" in d else None,
        reveal=_reveal(d["reveal"], f"{where}.reveal") if "reveal" in d else None,
    )


def lesson_from_dict(d: Any, path: Path | None = None) -> Lesson:
    d = _object(d, "the lesson")
    if d.get("format") != FORMAT:
        raise LessonError(f"not a bpgui lesson (\"format\" must be \"{FORMAT}\")")
    if d.get("version") != VERSION:
        raise LessonError(f"version: this bpgui reads lesson version {VERSION}, not {d.get('version')!r}")
    _keys(d, ("format", "version", "title", "summary", "document", "steps"), "the lesson")
    steps = _type(d.get("steps"), list, "steps", "a list of steps")
    if not steps:
        raise LessonError("steps: a lesson needs at least one step")
    if len(steps) > MAX_STEPS:
        raise LessonError(f"steps: more than {MAX_STEPS} steps")
    return Lesson(_text(d, "title", "the lesson"), _text(d, "summary", "the lesson", required=False),
                  _text(d, "document", "the lesson"), tuple(_step(s, f"steps[{i}]") for i, s in enumerate(steps)),
                  path)


def read_lesson(path: str | os.PathLike) -> Lesson:
    """The lesson in ``path``; raises LessonError (the reason, with its place) for anything malformed."""
    try:
        text = read_document_text(path)
        data = parse_json(text)
    except DocumentError as e:
        raise LessonError(str(e)) from None
    return lesson_from_dict(data, Path(path))


def check_lesson(lesson: Lesson) -> Document:
    """Load the lesson's document and check every name the lesson uses against it (edges, neurons, parameters of
    targets, setups and quantities); returns the document. Raises LessonError naming the step."""
    doc = lesson.load_document()
    net = doc.network
    params = set(net.parameter_names())
    for i, step in enumerate(lesson.steps):
        where = f"steps[{i}]"
        for j, t in enumerate(step.look):
            kind, _, name = t.partition(":")
            if kind == "edge" and name not in params:
                raise LessonError(f"{where}.look[{j}]: the document has no edge {name}")
            if kind == "neuron" and name not in net.neurons:
                raise LessonError(f"{where}.look[{j}]: the document has no neuron {name!r}")
        for k, p in enumerate(step.setup.get("surface", ())):
            if p not in params:
                raise LessonError(f"{where}.setup.surface[{k}]: the document has no parameter {p}")
        if step.predict is not None:
            name, _, arg = step.predict.quantity.partition(":")
            if name in ("weight", "gradient", "step") and arg not in params:
                raise LessonError(f"{where}.predict.quantity: the document has no parameter {arg}")
            if name == "delta" and (arg not in net.neurons or net.neurons[arg].layer == 0):
                raise LessonError(f"{where}.predict.quantity: the document has no neuron {arg!r} with a δ")
            for _label, value in step.predict.options:
                if name == "largest_share" and value not in params:
                    raise LessonError(f"{where}.predict.options: the document has no parameter {value}")
            if name == "next_point" and not _surface_at(lesson, i):
                raise LessonError(f"{where}.predict: a point prediction needs a surface pair set by this step's "
                                  f"or an earlier step's setup.surface")
    return doc


def _surface_at(lesson: Lesson, index: int) -> tuple[str, str] | None:
    for step in reversed(lesson.steps[: index + 1]):
        if "surface" in step.setup:
            return step.setup["surface"]
    return None


def surface_pair(lesson: Lesson, index: int) -> tuple[str, str] | None:
    """The surface's two parameters at step ``index``: the last ``setup.surface`` up to it."""
    return _surface_at(lesson, index)


def bundled_lessons() -> list[Path]:
    """The bundled lessons, in their order: ``resources/lessons/NN_name.json`` (the documents beside them have no
    number)."""
    from ..resources import resource_path

    return sorted(resource_path("lessons").glob("[0-9][0-9]_*.json"), key=lambda p: p.name)


# ---------------------------------------------------------------------------------------------- the truth
#: quantities about the optimizer's next step: they depend on its state (momentum's velocity, adam's averages)
NEXT_STEP_QUANTITIES = ("step", "next_point", "loss_after_step", "uphill", "largest_share")


def next_step_value(snap, quantity: str, surface: tuple[str, str] | None = None):
    """``quantity`` (one of NEXT_STEP_QUANTITIES) as a training snapshot says it (its ``next_values``, and its
    ``anatomy`` for loss_after_step, uphill and largest_share): with the run's real optimizer state when ``snap``
    is the live run's. None when the snapshot does not carry it."""
    name, _, arg = quantity.partition(":")
    if snap.next_values is None:
        return None
    index = {n: i for i, n in enumerate(snap.names)}
    if name == "step":
        return float(snap.next_values[index[arg]] - snap.values[index[arg]])
    if name == "next_point":
        if surface is None:
            raise LessonError("next_point needs the surface's two parameters")
        return tuple(float(snap.next_values[index[p]]) for p in surface)
    anatomy = snap.anatomy
    if anatomy is None:
        return None
    if name == "loss_after_step":
        return float(anatomy.loss_after)
    if name == "uphill":
        return "yes" if np.any(anatomy.contributions > 0) else "no"
    if name == "largest_share":
        weights = [i for i, n in enumerate(anatomy.names) if "->" in n]
        # the most negative term: it lowers E most
        return anatomy.names[min(weights, key=lambda i: anatomy.contributions[i])] if weights else None
    return None


def quantity_value(doc: Document, quantity: str, surface: tuple[str, str] | None = None, live=None):
    """What the network in ``doc`` says ``quantity`` is (see the module's text): a float, a name, "yes"/"no", or
    (for next_point) a pair of floats. ``live``: the live run's snapshot (with its anatomy), whose optimizer state
    answers the NEXT_STEP_QUANTITIES (a fresh run starts with none: after momentum's steps the two differ); without
    it a fresh run's snapshot answers. The document is not changed."""
    from .engine import Engine
    from .training_run import TrainingRun

    name, _, arg = quantity.partition(":")
    if name == "diverges":
        run = TrainingRun(doc.network, doc.data, doc.training.copy())
        with np.errstate(all="ignore"):
            start = run.snapshot().total_loss
            run.run(int(arg))
            end = run.snapshot().total_loss
        blew_up = run.diverged is not None or not math.isfinite(end) or end > start
        return "yes" if blew_up else "no"
    if name == "rises_within":
        run = TrainingRun(doc.network, doc.data, doc.training.copy())
        with np.errstate(all="ignore"):
            last = run.snapshot().total_loss
            for _ in range(int(arg)):
                run.run(1)
                now = run.snapshot().total_loss
                if not now <= last:
                    return "yes"
                last = now
        return "no"
    if name in NEXT_STEP_QUANTITIES and live is not None:
        value = next_step_value(live, quantity, surface)
        if value is not None:
            return value
    run = TrainingRun(doc.network, doc.data, doc.training.copy())
    snap = run.snapshot(anatomy=name in ("largest_share", "loss_after_step", "stable_rate", "uphill"))
    if name in NEXT_STEP_QUANTITIES:
        return next_step_value(snap, quantity, surface)
    index = {n: i for i, n in enumerate(snap.names)}
    if name == "loss":
        return float(snap.total_loss)
    if name == "weight":
        return float(snap.values[index[arg]])
    if name == "gradient":
        return float(snap.gradient[index[arg]])
    if name == "delta":
        d = doc.dataset()
        ev = Engine(doc.network, weight_decay=doc.training.weight_decay).evaluate(d.x_train, d.t_train)
        return float(np.mean(ev.delta[arg]))
    anatomy = snap.anatomy
    if name == "stable_rate":
        rate = anatomy.curvature.stable_learning_rate
        return math.inf if rate is None else float(rate)
    raise LessonError(f"unknown quantity {quantity!r}")


@dataclass(frozen=True)
class Verdict:
    right: bool
    text: str
    truth: Any


def _fmt(v: float) -> str:
    return f"{v:.4g}" if v != 0 else "0"


def judge(prediction: Prediction, guess, truth) -> Verdict:
    """How close the learner's number or choice ``guess`` is to the ``truth`` (from :func:`quantity_value`), in
    words (a point: :func:`judge_point`)."""
    if prediction.kind == "number":
        guess = float(guess)
        off = abs(guess - truth)
        allowed = prediction.tolerance * abs(truth) if prediction.relative else prediction.tolerance
        right = off <= allowed
        within = (f"within {prediction.tolerance:.0%} of it" if prediction.relative
                  else f"within ±{_fmt(prediction.tolerance)} of it")
        text = (f"You said {_fmt(guess)}; the network says {_fmt(truth)}. Off by {_fmt(off)}: "
                + (f"{within}, right." if right else f"not {within}."))
        return Verdict(right, text, truth)
    if prediction.kind == "choice":
        right = guess == truth
        labels = dict((v, lab) for lab, v in prediction.options)
        said, real = labels.get(guess, guess), labels.get(truth, truth)
        text = f"You chose {said}; " + ("right." if right else f"the network says {real}.")
        return Verdict(right, text, truth)
    raise LessonError("a point prediction is judged against where the step starts: use judge_point")


def judge_point(prediction: Prediction, guess: tuple[float, float], truth: tuple[float, float],
                start: tuple[float, float]) -> Verdict:
    """A point prediction: right within ``tolerance`` × the step's length from where the step lands."""
    off = math.hypot(float(guess[0]) - truth[0], float(guess[1]) - truth[1])
    length = math.hypot(truth[0] - start[0], truth[1] - start[1])
    right = off <= prediction.tolerance * max(length, 1e-12)
    text = (f"Your point is {_fmt(off)} from where the step lands ({_fmt(truth[0])}, {_fmt(truth[1])}): "
            + ("close enough, right." if right else "too far."))
    return Verdict(right, text, truth)
