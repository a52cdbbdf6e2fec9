"""Edit fuzzing (issue 7): random sequences of network edits, training, undo, redo and saves on a DocumentModel over
a bundled example, with the document's invariants checked after every step and undo-all at the end.

:class:`EditFuzz` holds the document, a training run driven the way the app drives it, and a shadow of the undo
stack (the states every command should restore, worked out independently of the model). Its actions draw their
arguments from a chooser: :class:`HypothesisChooser` for the state machine here, :class:`RandomChooser` for the
long seeded run in ``bench/fuzz_edits.py``.

Invariants after every step: the network validates; each edit did what the same change does to a copy, or was
refused with that copy's message and changed nothing (no signal either); the undo stack's count, index, clean
state and texts match the shadow; undo and redo restore the shadow's states; the engine runs a forward pass and
the loss on the document's data (a float, maybe not finite; never an exception); ``parse_document(to_json())``
gives the same text and network; the training run has the document's structure and values, and cannot train
exactly when the data does not fit the network. At the end undo all returns the starting state, redo all the top
of the stack, and undoing back returns the state the run ended in.
"""

from __future__ import annotations

import math
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from bpgui.core import (
    ACTIVATION_NAMES,
    LOSS_NAMES,
    LOSSES,
    Document,
    DocumentError,
    Engine,
    Network,
    NetworkError,
    load_document,
    parse_document,
)
from bpgui.core.document import make_dataset, read_document_text
from bpgui.core.training_run import TrainingRun, initial_parameters
from bpgui.resources import example_paths
from bpgui.ui.document.document_model import DocumentModel

EXAMPLES = tuple(example_paths())
MAX = 1.7976931348623157e308
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, 1e3, -1e3, 1e6, -1e6, 1e100, -1e154, 1e300, MAX, -MAX, 5e-324,
           math.nan, math.inf, -math.inf)
BAD_IDS = ("", "1x", "a-b", "x y", "x1 ", "é")
VALUE_EDITS = ("set_weight", "set_bias", "reset_weights")
STRUCTURE_EDITS = ("add_neuron", "remove_neuron", "rename_neuron", "add_edge", "remove_edge", "set_activation",
                   "set_loss", "add_layer", "remove_layer", "move_neuron")
EDITS = STRUCTURE_EDITS + VALUE_EDITS + ("compound",)
ACTIONS = EDITS + ("spin_box", "train", "undo", "redo", "back_and_forth", "save")


# ---------------------------------------------------------------------------------------------- choosers
class HypothesisChooser:
    """Draws through hypothesis (shrinkable, printed in a failure's steps)."""

    NUMBERS = st.one_of(st.floats(-4, 4), st.sampled_from(SPECIAL), st.floats())

    def __init__(self, data):
        self.data = data

    def pick(self, options: Sequence, label: str = "pick"):
        return self.data.draw(st.sampled_from(list(options)), label=label)

    def integer(self, lo: int, hi: int, label: str = "integer") -> int:
        return self.data.draw(st.integers(lo, hi), label=label)

    def number(self, label: str = "number") -> float:
        return self.data.draw(self.NUMBERS, label=label)

    def chance(self, p: float, label: str = "chance") -> bool:
        """True with probability about ``p`` (shrinks to False)."""
        return self.data.draw(st.integers(0, 99), label=label) >= round(100 * (1 - p))


class RandomChooser:
    """The same draws from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, options: Sequence, label: str = ""):
        return self.rng.choice(list(options))

    def integer(self, lo: int, hi: int, label: str = "") -> int:
        return self.rng.randint(lo, hi)

    def number(self, label: str = "") -> float:
        r = self.rng.random()
        if r < 0.7:
            return self.rng.uniform(-4, 4)
        if r < 0.9:
            return self.rng.choice(SPECIAL)
        return self.rng.choice((-1.0, 1.0)) * 10 ** self.rng.uniform(-300, 308)

    def chance(self, p: float, label: str = "") -> bool:
        return self.rng.random() < p


# ---------------------------------------------------------------------------------------------- the shadow stack
class State:
    """A copy of what undo restores: the network and the neuron positions."""

    def __init__(self, network: Network, positions: dict):
        self.network, self.positions = network.copy(), dict(positions)

    def same_as(self, other: State) -> bool:
        return self.network.same_as(other.network) and self.positions == other.positions


class Entry:
    def __init__(self, kind: str, text: str, key, before: State, after: State):
        self.kind, self.text, self.key, self.before, self.after = kind, text, key, before, after


class ShadowStack:
    """What QUndoStack should hold, with its push (truncate, merge with the top when the keys match and the top is
    not the clean state, drop a merge that ends where it began), undo, redo and clean index."""

    def __init__(self):
        self.entries: list[Entry] = []
        self.index = 0
        self.clean = 0

    def push(self, entry: Entry) -> str:
        """Returns what became of the entry: "pushed", "merged", or "merged back" (a merge that dropped the top)."""
        top = self.entries[self.index - 1] if self.index else None
        del self.entries[self.index:]
        if self.clean > self.index:
            self.clean = -1
        if top is not None and top.key is not None and top.key == entry.key and self.index != self.clean:
            top.after = entry.after
            top.text = entry.text  # a drag is named by where it ended
            if top.after.same_as(top.before):
                self.entries.pop()
                self.index -= 1
                return "merged back"
            return "merged"
        self.entries.append(entry)
        self.index += 1
        return "pushed"


def structure(net: Network):
    return net.loss, list(net.edges), [(n.id, n.layer, n.activation) for n in net]


# ---------------------------------------------------------------------------------------------- the fuzzer
class EditFuzz:
    """One document under random actions. ``act(name, chooser)`` does one step; ``check()`` the invariants;
    ``finish()`` undoes everything (and redoes it) and closes the document."""

    totals: Counter = Counter()  # the stats of every finished run

    def __init__(self, example: str):
        self.model = DocumentModel(load_document(example_paths()[example]))
        net = self.model.network
        self.start = State(net, self.model.positions)
        self.expected = State(net, self.model.positions)
        self.shadow = ShadowStack()
        self.pending: State | None = None  # the state before training not yet recorded as an undo step
        self.stats: Counter = Counter()
        self.log: list[str] = []
        self.fresh = 0
        self.tmp = Path(tempfile.mkdtemp(prefix="bpgui-fuzz-"))
        doc = self.model.doc
        self.run = TrainingRun(net, doc.data, doc.training)
        self.signals = 0
        self.model.sigNetworkChanged.connect(self._on_network_change)

    # what the app's TrainingController does: user edits (not training's write-back) go to the run
    def _on_network_change(self, change) -> None:
        self.signals += 1
        if self.model.applying_training:
            return
        names = change.parameters
        net = self.model.network
        if names is not None:
            self.run.set_values({n: net.get_parameter(n) for n in names})
        else:
            self.run.adopt(net.copy())

    # ------------------------------------------------------------------ argument choices
    def _new_id(self) -> str:
        while f"n{self.fresh}" in self.model.network.neurons:
            self.fresh += 1
        self.fresh += 1
        return f"n{self.fresh - 1}"

    def _id(self, c, label: str, hidden: bool = False) -> str:
        """Mostly an existing non-input id (a hidden one if ``hidden``: removing or moving an input or output makes
        the data not fit), sometimes any existing, a new or an invalid one."""
        net = self.model.network
        kind = c.pick(("existing",) * 7 + ("any", "new", "bad"), label=f"{label} kind")
        top = net.output_layer
        ids = [n.id for n in net if 0 < n.layer < (top if hidden else top + 1)]
        if kind == "any" or not ids:
            ids = list(net.neurons)
        if kind == "new":
            return self._new_id()
        if kind == "bad":
            return c.pick(BAD_IDS, label=label)
        return c.pick(ids, label=label)

    def _edge(self, c, label: str, existing: bool) -> tuple[str, str]:
        net = self.model.network
        if existing and net.edges and not c.chance(0.1, label=f"{label} any pair"):
            return c.pick(list(net.edges), label=label)
        ids = list(net.neurons)
        if not existing and not c.chance(0.3, label=f"{label} any pair"):
            free = [(a.id, b.id) for a in net for b in net if a.layer < b.layer and (a.id, b.id) not in net.edges]
            if free:
                return c.pick(free, label=label)
        return c.pick(ids, label=f"{label} from"), c.pick(ids, label=f"{label} to")

    def _parameter(self, kind: str, c) -> str:
        return "->".join(self._edge(c, "edge", existing=True)) if kind == "set_weight" else self._id(c, "id") + ".bias"

    def _layer(self, c, label: str) -> int:
        """A layer index, often at an edge: -1, 0, 1, the output layer, one past it."""
        top = self.model.network.output_layer
        if c.chance(0.5, label=f"{label} at an edge"):
            return c.pick((-1, 0, 1, top, top + 1), label=label)
        return c.integer(-1, top + 1, label=label)

    def _activation(self, c, label: str = "activation"):
        return c.pick(ACTIVATION_NAMES + ("bogus",), label=label)

    # ------------------------------------------------------------------ edits
    def _make_edit(self, name: str, c) -> tuple[str, Callable, object, bool]:
        """(text, change, merge key, True if it is one core edit)."""
        net = self.model.network
        x, y = float(c.integer(0, 800, label="x")), float(c.integer(0, 600, label="y"))
        if name == "add_neuron":
            nid = c.pick(("new",) * 8 + ("existing", "bad"), label="id kind")
            nid = self._new_id() if nid == "new" else self._id(c, "id")
            if c.chance(0.05, label="input"):
                layer, act, bias = 0, None, 0.0
            else:
                layer = self._layer(c, "layer") if c.chance(0.2, label="any layer") else \
                    c.integer(1, max(1, net.output_layer - 1), label="layer")  # a hidden one if there is one
                act = c.pick((None,) + ACTIVATION_NAMES + ("bogus",), label="activation")
                bias = c.number("bias") if c.chance(0.5, label="bias?") else 0.0

            def change(n, p):
                n.add_neuron(nid, layer, act, bias)
                p[nid] = (x, y)
            return f"add_neuron({nid!r}, {layer}, {act!r}, {bias!r})", change, None, True
        if name == "remove_neuron":
            nid = self._id(c, "id", hidden=True)
            return f"remove_neuron({nid!r})", lambda n, p: n.remove_neuron(nid), None, True
        if name == "rename_neuron":
            old = self._id(c, "old")
            new = c.pick(("new",) * 6 + ("existing", "bad", "same"), label="new kind")
            new = {"new": self._new_id, "same": lambda: old}.get(new, lambda: self._id(c, "new"))()

            def change(n, p):
                n.rename_neuron(old, new)
                if old in p:
                    p[new] = p.pop(old)
            return f"rename_neuron({old!r}, {new!r})", change, None, True
        if name == "add_edge":
            a, b = self._edge(c, "edge", existing=False)
            w = c.number("weight")
            return f"add_edge({a!r}, {b!r}, {w!r})", lambda n, p: n.add_edge(a, b, w), None, True
        if name == "remove_edge":
            a, b = self._edge(c, "edge", existing=True)
            return f"remove_edge({a!r}, {b!r})", lambda n, p: n.remove_edge(a, b), None, True
        if name in ("set_weight", "set_bias"):
            ref = self._parameter(name, c)
            v = c.number("value")
            key = (name, ref) if c.chance(0.3, label="spin box") else None  # the properties panel merges its steps
            return f"set_parameter({ref!r}, {v!r})", lambda n, p: n.set_parameter(ref, v), key, True
        if name == "set_activation":
            nid = self._id(c, "id")
            act = self._activation(c)
            return f"set_activation({nid!r}, {act!r})", lambda n, p: n.set_activation(nid, act), None, True
        if name == "set_loss":
            loss = c.pick(LOSS_NAMES + ("bogus",), label="loss")
            if not c.chance(0.5, label="with output activations"):
                return f"set_loss({loss!r})", lambda n, p: n.set_loss(loss), None, True
            need = LOSSES[loss].required_output_activation if loss in LOSSES else None
            act = need or self._activation(c, "output activation")

            def change(n, p):  # what a user does to switch between bce and cross_entropy
                n.set_loss("half_sse")
                for o in n.outputs:
                    n.set_activation(o.id, act)
                n.set_loss(loss)
            return f"set_loss({loss!r}) with {act} outputs", change, None, False
        if name == "add_layer":
            i = self._layer(c, "index")
            return f"add_layer({i})", lambda n, p: n.add_layer(i), None, True
        if name == "remove_layer":
            i = self._layer(c, "index")
            return f"remove_layer({i})", lambda n, p: n.remove_layer(i), None, True
        if name == "move_neuron":
            nid = self._id(c, "id", hidden=True)
            layer = self._layer(c, "layer")

            def change(n, p):
                n.move_neuron(nid, layer)
                p[nid] = (x, y)
            return f"move_neuron({nid!r}, {layer})", change, None, True
        if name == "reset_weights":
            seed = c.integer(0, 3, label="seed")
            return f"reset_weights({seed})", lambda n, p: n.set_parameters(initial_parameters(n, seed)), None, True
        raise AssertionError(name)

    # ------------------------------------------------------------------ actions
    def act(self, name: str, c) -> None:
        self.stats[f"action {name}"] += 1
        if name in EDITS:
            if name == "compound":
                parts = [self._make_edit(c.pick(STRUCTURE_EDITS + VALUE_EDITS, label="part"), c)
                         for _ in range(c.integer(2, 4, label="parts"))]
                text = "; ".join(part[0] for part in parts)
                self._edit(f"[{text}]", lambda n, p: [part[1](n, p) for part in parts], None, False, name)
            else:
                self._edit(*self._make_edit(name, c), name)
        elif name == "train":
            self._train(c.integer(1, 20, label="steps"), c.chance(0.5, label="pause"))
        elif name in ("undo", "redo"):
            for _ in range(c.integer(1, 3, label="times")):
                getattr(self, "_" + name)()
        elif name == "spin_box":  # steps in one spin box merge into one undo step; back to the start: none
            kind = c.pick(("set_weight", "set_bias"), label="spin box")
            ref = self._parameter(kind, c)
            start = self.model.network.get_parameter(ref) if self.model.network.has_parameter(ref) else 0.0
            steps = c.integer(1, 4, label="steps")
            for i in range(steps):
                v = start if i == steps - 1 and c.chance(0.3, label="back to the start") else c.number("value")
                self._edit(f"set_parameter({ref!r}, {v!r})", lambda n, p, v=v: n.set_parameter(ref, v),
                           (kind, ref), True, kind)
        elif name == "back_and_forth":  # a user stepping back through the history and forward again
            back = c.integer(1, 5, label="undos")
            for _ in range(back):
                self._undo()
            for _ in range(c.integer(0, back + 1, label="redos")):
                self._redo()
        else:
            self._save()
        self.stats["steps"] += 1

    def _flush_expected(self) -> None:
        """What the model's flush_training should do: record pending training as one "Train" step."""
        before, self.pending = self.pending, None
        if before is not None and not self.expected.same_as(before):
            after = State(self.expected.network, self.expected.positions)
            self.stats[f"undo steps {self.shadow.push(Entry('train', 'Train', ('train',), before, after))}"] += 1

    def _edit(self, text: str, change: Callable, key, single: bool, name: str) -> None:
        model, net = self.model, self.model.network
        self._flush_expected()  # model.edit records pending training first
        before = State(net, model.positions)
        trial, positions = net.copy(), dict(model.positions)
        events: list = []
        trial.subscribe(events.append)
        try:
            change(trial, positions)
        except NetworkError as e:
            error = str(e)
            if single:  # one core edit: a refused one changes nothing
                assert trial.same_as(before.network) and not events, f"refused {text} changed the network"
        else:
            error = None
            trial.validate()  # edits keep the network valid
        signals, version = self.signals, net.structure_version
        self.log.append(f"edit {text}")
        self.stats[f"tried {name}"] += 1
        result = model.edit(text, change, key)
        assert result == error, f"{text}: model said {result!r}, a copy said {error!r}"
        if error is not None:
            self.stats[f"refused {name}"] += 1
            assert net.same_as(before.network) and model.positions == before.positions
            assert self.signals == signals and net.structure_version == version
            return
        after = State(trial, {k: v for k, v in positions.items() if k in trial.neurons})
        assert net.same_as(after.network) and model.positions == after.positions, f"{text} did something else"
        if after.same_as(before):
            self.stats[f"no-op {name}"] += 1
            assert self.signals == signals
            return
        self.stats[f"accepted {name}"] += 1
        self.stats[f"undo steps {self.shadow.push(Entry('edit', text, key, before, after))}"] += 1
        self.expected = State(after.network, after.positions)  # a copy: training changes it

    def _train(self, k: int, pause: bool) -> None:
        """A few steps as the app's worker makes them, then its snapshot written in (and recorded on pause)."""
        model, run, net = self.model, self.run, self.model.network
        self.log.append(f"train {k}{' and pause' if pause else ''}")
        run.resume()
        step0 = run.step_count
        done = run.run(k)
        assert 0 <= done <= k and run.step_count == step0 + done
        snap = run.snapshot(playing=not pause)
        self.stats["training steps"] += done
        if run.problem:
            self.stats["training blocked (data does not fit)"] += 1
            assert done == 0
        if run.diverged:
            self.stats["training diverged"] += 1
        if snap.finite and snap.names == tuple(net.parameter_names()):
            values = snap.parameters
            changed = {n: v for n, v in values.items() if net.get_parameter(n) != v}
            if changed and self.pending is None:
                self.pending = State(self.expected.network, self.expected.positions)
            version = net.structure_version
            model.apply_training(values, snap.step)
            assert net.structure_version == version
            assert all(net.get_parameter(n) == v for n, v in values.items())
            self.expected.network.set_parameters(changed)
            self.stats["training applied"] += bool(changed)
        if pause and model.training_before is not None:
            self._flush_expected()
            model.flush_training()

    def _undo(self) -> None:
        self.log.append("undo")
        self._flush_expected()
        s = self.shadow
        if s.index:
            s.index -= 1
            e = s.entries[s.index]
            self.expected = State(e.before.network, e.before.positions if e.kind == "edit" else
                                  self.expected.positions)
            self.stats["undo"] += 1
        else:
            self.stats["undo at the bottom"] += 1
        self.model.undo()

    def _redo(self) -> None:
        self.log.append("redo")
        self._flush_expected()
        s = self.shadow
        if s.index < len(s.entries):
            e = s.entries[s.index]
            s.index += 1
            self.expected = State(e.after.network, e.after.positions if e.kind == "edit" else
                                  self.expected.positions)
            self.stats["redo"] += 1
        else:
            self.stats["redo at the top"] += 1
        self.model.redo()

    def _save(self) -> None:
        self.log.append("save")
        self._flush_expected()
        path = self.tmp / "fuzz.json"
        self.model.save(path)
        self.shadow.clean = self.shadow.index
        text = self.model.doc.to_json()
        assert read_document_text(path) == text
        assert self._reopen(text).network.same_as(self.model.network)
        self.stats["save"] += 1

    def _reopen(self, text: str) -> Document:
        """The saved text opens again as the window opens files (data that no longer fits the network is
        accepted, e.g. after an input or output neuron was added) and gives the same text back."""
        again = parse_document(text, fit_data=False)
        assert again.to_json() == text, "save and reload changed the document"
        return again

    def _data_fits(self) -> bool:
        try:
            make_dataset(self.model.doc.data, self.model.network)
        except DocumentError:
            return False
        return True

    # ------------------------------------------------------------------ invariants
    def check(self) -> None:
        model, net, doc, s = self.model, self.model.network, self.model.doc, self.shadow
        net.validate()
        assert net.same_as(self.expected.network), "the network is not the expected one"
        assert model.positions == self.expected.positions
        stack = model.undo_stack
        assert (stack.count(), stack.index()) == (len(s.entries), s.index), "undo stack count/index"
        assert stack.isClean() == (s.index == s.clean)
        assert (model.training_before is not None) == (self.pending is not None)
        assert model.is_modified() == (s.index != s.clean or self.pending is not None)
        if s.index:
            top = s.entries[s.index - 1]
            assert stack.undoText().startswith("Train") if top.kind == "train" else stack.undoText() == top.text

        again = self._reopen(doc.to_json())
        assert again.network.same_as(net)

        engine = Engine(net)
        data = doc.dataset() if self._data_fits() else None
        assert (data is None) == (self.run.problem is not None), self.run.problem
        with np.errstate(all="ignore"):
            if data is None:
                out = engine.predict(np.zeros((3, len(net.inputs))))
                assert out.shape == (3, len(net.outputs))
            else:
                x, t = data.x_train, data.t_train
                loss = engine.loss_value(x, t)
                assert isinstance(loss, float)
                reloaded = Engine(again.network).loss_value(x, t)
                assert loss == reloaded or (math.isnan(loss) and math.isnan(reloaded))
                assert engine.predict(x[:5]).shape == (min(5, len(x)), len(net.outputs))
                self.stats["finite losses" if math.isfinite(loss) else "non-finite losses"] += 1

        assert structure(self.run.network) == structure(net), "the training run has another network"
        if self.run.trainer is not None and np.isfinite(self.run.trainer.engine.params).all():
            assert self.run.parameter_values() == net.parameters(), "the training run has other values"

    def finish(self) -> None:
        """Undo everything: the starting state; redo everything: the top of the stack; undo back to where the run
        ended: its state. Then close the document."""
        model = self.model
        try:
            self._flush_expected()
            model.flush_training()
            end = State(model.network, model.positions)
            depth = self.shadow.index
            EditFuzz.totals["max undo depth"] = max(EditFuzz.totals["max undo depth"], depth)
            for _ in range(depth):
                model.undo()
            assert not model.undo_stack.canUndo()
            assert model.network.same_as(self.start.network), "undo all did not return to the start"
            assert model.positions == self.start.positions
            count = model.undo_stack.count()
            for _ in range(count):
                model.redo()
            if count:
                top = self.shadow.entries[-1]
                assert model.network.same_as(top.after.network), "redo all"
                assert top.kind == "train" or model.positions == top.after.positions
            for _ in range(count - depth):
                model.undo()
            assert model.network.same_as(end.network) and model.positions == end.positions, "back to the end"
        finally:
            EditFuzz.totals.update(self.stats)
            model.sigNetworkChanged.disconnect(self._on_network_change)
            model.undo_stack.clear()  # its commands hold the model
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- the state machine
class EditMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.fuzz: EditFuzz | None = None

    @initialize(example=st.sampled_from(EXAMPLES))
    def open_example(self, example):
        self.fuzz = EditFuzz(example)

    @invariant()
    def invariants(self):
        self.fuzz.check()

    def teardown(self):
        if self.fuzz is not None:
            self.fuzz.finish()


def _rule(name: str):
    def step(self, data):
        self.fuzz.act(name, HypothesisChooser(data))
    step.__name__ = name
    return rule(data=st.data())(step)


for _name in ACTIONS:
    setattr(EditMachine, _name, _rule(_name))

SHORT = settings(max_examples=50, stateful_step_count=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")  # from weights like 1e308
def test_random_edits_training_undo_and_redo_keep_the_document_consistent(qapp):
    run_state_machine_as_test(EditMachine, settings=SHORT)
