"""The network document: a JSON file (format ``bpgui-network``, version 1) holding a network, its data, its
training settings and an optional ``view`` section for the GUI.

Loading validates everything and raises :class:`DocumentError` with a message that names the place of the first
problem, e.g. ``edge 3 ('h1' -> 'z'): unknown neuron 'z'``. Documents are plain data: nothing in a file is ever
evaluated or unpickled. Saving writes a temporary file beside the target and renames it over the target
(:mod:`.safe_write`), so a failed save never damages an existing file.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .datasets import GENERATORS, DataError, Dataset, generate, generator_shape, table
from .initialization import INIT_FIELDS, INIT_KINDS, Init
from .limits import MAX_EDGES, MAX_FILE_BYTES, MAX_NEURON_POINTS, MAX_NEURONS, MAX_POINTS, MAX_TABLE_VALUES
from .losses import LOSSES
from .network import ID_PATTERN, Network, NetworkError, Neuron
from .optimizers import HYPERPARAMETER_RANGES, HYPERPARAMETERS
from .regularization import DECAY_KINDS, WeightDecay
from .safe_write import atomic_write_bytes  # noqa: F401 - callers import it from here
from .schedules import SCHEDULE_FIELDS, SCHEDULE_KINDS, Schedule

FORMAT = "bpgui-network"
VERSION = 1
MAX_DEPTH = 16
MAX_SEED = 2**63 - 1
MAX_LEARNING_RATE = 1e6
MAX_STEPS_PER_SECOND = 1e6

TOP_KEYS = ("format", "version", "neurons", "edges", "loss", "data", "training", "view")
HYPERPARAMETER_KEYS = tuple(dict.fromkeys(k for h in HYPERPARAMETERS.values() for k in h))
TRAINING_KEYS = ("optimizer", "learning_rate", "batch_size", "train_biases", "seed",
                 "steps_per_second") + HYPERPARAMETER_KEYS + ("weight_decay", "schedule", "init")
GENERATOR_KEYS = ("generator", "n", "noise", "test_fraction", "seed")
TABLE_KEYS = ("inputs", "targets", "test_inputs", "test_targets")


class DocumentError(ValueError):
    """A document that cannot be read or used; the message names the place and the problem."""


# ---------------------------------------------------------------------------------------------- model
@dataclass
class TrainingConfig:
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    batch_size: int | None = None  # None: full batch
    train_biases: bool = True
    seed: int = 0
    hyperparameters: dict[str, float] = field(default_factory=dict)  # only those given
    steps_per_second: float | None = None  # the live run's speed cap; None: as fast as it goes
    weight_decay: WeightDecay | None = None  # a penalty on the weights (see regularization.py); None: none
    schedule: Schedule | None = None  # the learning rate per step (see schedules.py); None: constant
    init: Init = field(default_factory=Init)  # how Reset draws fresh weights (see initialization.py)

    def hyper_for_optimizer(self) -> dict[str, float]:
        """The hyperparameters the chosen optimizer uses (defaults filled in)."""
        defaults = HYPERPARAMETERS[self.optimizer]
        return {k: self.hyperparameters.get(k, v) for k, v in defaults.items()}

    def to_dict(self) -> dict:
        d = {
            "optimizer": self.optimizer,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "train_biases": self.train_biases,
            "seed": self.seed,
        }
        d.update(self.hyperparameters)
        if self.steps_per_second is not None:
            d["steps_per_second"] = self.steps_per_second
        if self.weight_decay is not None:  # the new fields only where set: older files save as they were
            d["weight_decay"] = self.weight_decay.to_dict()
        if self.schedule is not None:
            d["schedule"] = self.schedule.to_dict()
        if self.init != Init():
            d["init"] = self.init.to_dict()
        return d

    def copy(self) -> TrainingConfig:
        return TrainingConfig(**{**self.__dict__, "hyperparameters": dict(self.hyperparameters)})


class EncodedRows:
    """The rows of a data table, each already JSON text: :func:`dumps` writes them as the list of those rows (and
    nothing else can: json refuses them). The text of the whole list is kept for the next save at the same
    indent."""

    __slots__ = ("rows", "written")

    def __init__(self, rows):
        self.rows: tuple[str, ...] = tuple(rows)
        self.written: dict[tuple[int, int], str] = {}  # (indent, width) → text

    def __len__(self) -> int:
        return len(self.rows)


#: rows encoded at a time by :meth:`TableData.encode_some` (about a millisecond's work)
ENCODE_ROWS = 500


def _encode_rows(a: np.ndarray) -> list[str]:
    """Each row of ``a`` as JSON text, as json writes a list of numbers: the rows are encoded as one list,
    "[[…], […]]", and cut between rows (a number never holds "], [")."""
    return _ENCODER.encode(a.tolist())[1:-1].replace("], [", "]\n[").split("\n")


@dataclass
class TableData:
    """A literal table of data, with an optional test set (``test_inputs``/``test_targets``, empty when there is
    none). Never changed once made (a new table replaces it), so its JSON text is written once
    (:meth:`encoded`): a table of 100,000 rows takes a good part of a second to encode. The window writes it a
    little at a time between events (:meth:`encode_some`), so that saving does not have to."""

    inputs: np.ndarray
    targets: np.ndarray
    test_inputs: np.ndarray | None = None
    test_targets: np.ndarray | None = None
    _encoded: tuple[EncodedRows, ...] | None = field(default=None, init=False, repr=False)
    _written: tuple[list[str], ...] = field(default_factory=lambda: ([], [], [], []), init=False, repr=False)

    def __post_init__(self):
        if self.test_inputs is None:
            self.test_inputs = np.zeros((0, self.inputs.shape[1]))
        if self.test_targets is None:
            self.test_targets = np.zeros((0, self.targets.shape[1]))

    @property
    def has_test(self) -> bool:
        return len(self.test_inputs) > 0

    def _arrays(self) -> tuple[np.ndarray, ...]:
        if self.has_test:
            return self.inputs, self.targets, self.test_inputs, self.test_targets
        return self.inputs, self.targets

    def encode_some(self, rows: int = ENCODE_ROWS) -> bool:
        """Encode up to ``rows`` more rows (of the inputs, then of the targets, then of the test set) for
        :meth:`encoded`; True once every row is encoded."""
        if self._encoded is None:
            arrays = self._arrays()
            for a, done in zip(arrays, self._written):
                if len(done) < len(a):
                    done += _encode_rows(a[len(done) : len(done) + rows])
                    break
            else:
                self._encoded = tuple(EncodedRows(done) for done in self._written[: len(arrays)])
                self._written = ([], [], [], [])
        return self._encoded is not None

    def encoded(self) -> tuple[EncodedRows, ...]:
        """The rows of the inputs and the targets (and of the test set, if any) as JSON text (the rows not encoded
        yet are encoded now)."""
        while not self.encode_some(len(self.inputs) + len(self.test_inputs)):
            pass
        return self._encoded

    def to_dict(self, encoded: bool = False) -> dict:
        """The table as JSON lists of rows; with ``encoded``, as :class:`EncodedRows` for :func:`dumps`. The test
        set is written only if there is one."""
        keys = TABLE_KEYS[: len(self._arrays())]
        if encoded:
            return dict(zip(keys, self.encoded()))
        return {k: a.tolist() for k, a in zip(keys, self._arrays())}

    def __eq__(self, other):
        return (isinstance(other, TableData) and np.array_equal(self.inputs, other.inputs)
                and np.array_equal(self.targets, other.targets)
                and np.array_equal(self.test_inputs, other.test_inputs)
                and np.array_equal(self.test_targets, other.test_targets))


@dataclass
class GeneratorData:
    generator: str
    n: int = 200
    noise: float = 0.0
    test_fraction: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict:
        return {"generator": self.generator, "n": self.n, "noise": self.noise,
                "test_fraction": self.test_fraction, "seed": self.seed}


@dataclass
class Document:
    network: Network
    data: TableData | GeneratorData
    training: TrainingConfig = field(default_factory=TrainingConfig)
    view: dict | None = None

    def dataset(self) -> Dataset:
        """The training (and test) data, checked against the network's inputs and outputs."""
        return make_dataset(self.data, self.network)

    def to_dict(self, encoded: bool = False) -> dict:
        """The document as JSON values; with ``encoded``, a data table's rows are :class:`EncodedRows` (for
        :func:`dumps` only)."""
        net = self.network
        neurons = []
        for n in net:
            d: dict[str, Any] = {"id": n.id, "layer": n.layer}
            if n.layer > 0:
                d["activation"] = n.activation
                d["bias"] = n.bias
            neurons.append(d)
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "neurons": neurons,
            "edges": [{"from": a, "to": b, "weight": w} for (a, b), w in net.edges.items()],
            "loss": net.loss,
            "data": self.data.to_dict(encoded) if isinstance(self.data, TableData) else self.data.to_dict(),
            "training": self.training.to_dict(),
        }
        if self.view is not None:
            doc["view"] = self.view
        return doc

    def to_json(self) -> str:
        return dumps(self.to_dict(encoded=True)) + "\n"

    def copy(self) -> Document:
        return parse_document(self.to_json(), fit_data=False)


def make_dataset(data: TableData | GeneratorData, network: Network) -> Dataset:
    n_in, n_out = len(network.inputs), len(network.outputs)
    points = data.n if isinstance(data, GeneratorData) else len(data.inputs) + len(data.test_inputs)
    neurons = len(network.neurons)
    if points * neurons > MAX_NEURON_POINTS:
        raise DocumentError(f"data: {points:,} points through {neurons:,} neurons is more than bpgui can hold "
                            f"(points × neurons may be at most {MAX_NEURON_POINTS:,}): use fewer points or a "
                            f"smaller network")
    if isinstance(data, TableData):
        if data.inputs.shape[1] != n_in:
            raise DocumentError(f"data.inputs has {data.inputs.shape[1]} columns; the network has {n_in} inputs")
        if data.targets.shape[1] != n_out:
            raise DocumentError(f"data.targets has {data.targets.shape[1]} columns; the network has "
                                f"{n_out} outputs")
        ds = table(data.inputs, data.targets)
        return Dataset(ds.x_train, ds.t_train, data.test_inputs, data.test_targets) if data.has_test else ds
    width, kind = generator_shape(data.generator)
    if width != n_in:
        raise DocumentError(f"data: the {data.generator} generator makes {width}-D inputs; "
                            f"the network has {n_in} input neuron{'s' if n_in != 1 else ''}")
    try:
        return generate(data.generator, data.n, data.noise, data.test_fraction, data.seed, n_outputs=n_out)
    except DataError as e:
        raise DocumentError(f"data: {e}") from None


# ---------------------------------------------------------------------------------------------- JSON text
_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False)


def dumps(obj: Any, indent: int = 0, width: int = 110) -> str:
    """JSON with short lists and objects kept on one line (one neuron, edge or data row per line). ``obj`` may
    hold :class:`EncodedRows`. Each value is encoded about once, so a long document takes time in proportion to
    its length."""
    if isinstance(obj, EncodedRows):
        return _dumps_rows(obj, indent, width)
    if not isinstance(obj, (list, dict)) or not obj:
        return _ENCODER.encode(obj)
    flat = _flat(obj, width - indent)
    if flat is not None:
        return flat
    pad = " " * (indent + 2)
    if isinstance(obj, list):
        items = [pad + dumps(v, indent + 2, width) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    items = [pad + _key(k) + ": " + dumps(v, indent + 2, width) for k, v in obj.items()]
    return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"


def _key(k) -> str:
    """An object's key as JSON text (json's rules: keys that are not text become text)."""
    return _ENCODER.encode(k) if isinstance(k, str) else _ENCODER.encode({k: None})[1 : -len(": null}")]


def _flat(obj: Any, room: int) -> str | None:
    """``obj`` as JSON on one line if that takes at most ``room`` characters, else None. Found out cheaply for a
    long list (it cannot fit) and with json's own encoder for the rest, but for what holds :class:`EncodedRows`."""
    if isinstance(obj, EncodedRows):
        if 4 * len(obj) > room + 2:  # each row is at least two characters, and a separator
            return None
        text = "[" + ", ".join(obj.rows) + "]"
        return text if len(text) <= room else None
    if isinstance(obj, (list, dict)):
        if room < 2 or 3 * len(obj) > room + 2:  # each value takes at least one character, and a separator
            return None
        values = obj.values() if isinstance(obj, dict) else obj
        if any(isinstance(v, (list, dict, EncodedRows)) and 3 * len(v) > room for v in values):
            return None
    try:
        text = _ENCODER.encode(obj)
    except TypeError:
        if not isinstance(obj, (list, dict)):
            raise
        return _flat_parts(obj, room)  # it holds EncodedRows
    return text if len(text) <= room else None


def _flat_parts(obj: list | dict, room: int) -> str | None:
    """:func:`_flat` of a list or object a value at a time."""
    items = ((_key(k) + ": ", v) for k, v in obj.items()) if isinstance(obj, dict) else (("", v) for v in obj)
    used, parts = 2, []
    for prefix, v in items:
        used += len(prefix) + (2 if parts else 0)
        text = _flat(v, room - used)
        if text is None:
            return None
        parts.append(prefix + text)
        used += len(text)
    return ("{" + ", ".join(parts) + "}") if isinstance(obj, dict) else ("[" + ", ".join(parts) + "]")


def _dumps_rows(rows: EncodedRows, indent: int, width: int) -> str:
    """Rows already encoded, one per line however long (or all on one line if that fits): a table of numbers
    stays compact (a row split one value per line took six times the bytes, past what bpgui opens)."""
    text = rows.written.get((indent, width))
    if text is not None:
        return text
    if not rows.rows:
        return "[]"
    text = _flat(rows, width - indent)
    if text is None:
        pad = " " * (indent + 2)
        text = "[\n" + pad + (",\n" + pad).join(rows.rows) + "\n" + " " * indent + "]"
    rows.written[(indent, width)] = text
    return text


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?(?:NaN|Infinity))|(-?\d+)')


def _place(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return f"line {line}, column {column}"


def _find_token(text: str, group: int, digits: int = 0) -> str:
    """The place of the first NaN/Infinity (group 1) or integer longer than ``digits`` (group 2) outside strings."""
    for m in _TOKEN.finditer(text):
        if m.group(group) and len(m.group(group).lstrip("-")) > digits:
            return f" at {_place(text, m.start())}"
    return ""


def _reject_constant(name):
    raise DocumentError(f"{name} is not a number JSON allows (numbers must be finite)")


def _depth(obj, limit: int, where: str = "the document") -> None:
    """Raise if anything in ``obj`` (parsed JSON) lies more than ``limit`` levels deep (``obj`` itself is level 1).
    A level at a time, by types, so that the numbers of a data table of 100,000 rows cost little."""
    level, d = [obj], 1
    while level:
        if d > limit:
            raise DocumentError(f"{where} is nested more than {limit} levels deep")
        types = set(map(type, level))
        if list not in types and dict not in types:
            return
        if dict in types:  # an object's values, a list's items
            level = [o.values() if type(o) is dict else o for o in level if type(o) in (list, dict)]
        elif types != {list}:
            level = [o for o in level if type(o) is list]
        level = list(itertools.chain.from_iterable(level))
        d += 1


class _DuplicateKey(Exception):
    """An object holds one key twice (the argument): json would keep the last silently."""


def _unique_keys(pairs: list) -> dict:
    """json's object_pairs_hook: the object as a dict, refusing a key given twice. Only objects pass here (a data
    table's rows are lists), so a table of 100,000 rows costs nothing more."""
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return d


_KEY_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?|[{}]')


def _find_duplicate(text: str, key: str) -> str:
    """The place of the second ``key`` in one object of ``text`` (valid JSON), for the message."""
    stack: list[set] = []
    for m in _KEY_TOKEN.finditer(text):
        token = m.group()
        if token == "{":
            stack.append(set())
        elif token == "}":
            stack.pop()
        elif m.group(2) and stack:  # a string followed by ":" is a key
            k = json.loads(m.group(1))
            if k in stack[-1] and k == key:
                return f" at {_place(text, m.start())}"
            stack[-1].add(k)
    return ""


def parse_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except _DuplicateKey as e:
        key = e.args[0]
        raise DocumentError(f"the key {_q(key)} is given twice in one object{_find_duplicate(text, key)}") from None
    except json.JSONDecodeError as e:
        # an unterminated string always runs to the end of the text
        if e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string"):
            raise DocumentError("the JSON text ends too early (is the file truncated?)") from None
        raise DocumentError(f"not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise DocumentError(f"the document is nested more than {MAX_DEPTH} levels deep") from None
    except DocumentError as e:  # from _reject_constant: say where
        name, rest = str(e).split(" ", 1)
        raise DocumentError(f"{name}{_find_token(text, 1)} {rest}") from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits())
        limit = sys.get_int_max_str_digits()
        raise DocumentError(f"the whole number{_find_token(text, 2, limit)} has too many digits") from None


# ---------------------------------------------------------------------------------------------- validation
def _q(name: str) -> str:
    """A name from the file, quoted for a one-line message: 'h1', or JSON-escaped if it holds odd characters."""
    if len(name) > 40:
        name = name[:37] + "..."
    return f"'{name}'" if name.isprintable() and "'" not in name else json.dumps(name)


def _type_name(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}.get(type(v), "?")


def _number(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise DocumentError(f"{where} must be a number, not {_type_name(v)}")
    try:
        f = float(v)
    except OverflowError:  # an integer beyond the float range
        f = math.inf
    if not math.isfinite(f):
        raise DocumentError(f"{where} must be a finite number")
    return f


def _integer(v, where: str, lo: int, hi: int) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise DocumentError(f"{where} must be a whole number, not {_type_name(v) if not isinstance(v, float) else v}")
    if not lo <= v <= hi:
        raise DocumentError(f"{where} must be between {lo} and {hi}, not {v}")
    return v


def _object(v, where: str, allowed: tuple[str, ...]) -> dict:
    if not isinstance(v, dict):
        raise DocumentError(f"{where} must be an object, not {_type_name(v)}")
    for k in v:
        if k not in allowed:
            raise DocumentError(f"{where}: unknown key {_q(k)} (allowed: {', '.join(allowed)})")
    return v


def _list(v, where: str, limit: int) -> list:
    if not isinstance(v, list):
        raise DocumentError(f"{where} must be a list, not {_type_name(v)}")
    if len(v) > limit:
        raise DocumentError(f"{where} has {len(v)} entries; the limit is {limit}")
    return v


def _choice(v, where: str, choices) -> str:
    if not isinstance(v, str):
        raise DocumentError(f"{where} must be text, not {_type_name(v)}")
    if v not in choices:
        raise DocumentError(f"{where}: unknown name {_q(v)} (choose from {', '.join(choices)})")
    return v


def _parse_neurons(raw, loss: str) -> Network:
    items = _list(raw, "neurons", MAX_NEURONS)
    net = Network(loss)
    for i, item in enumerate(items, 1):
        where = f"neuron {i}"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            where = f"neuron {i} ({_q(item['id'])})"
        _object(item, where, ("id", "layer", "activation", "bias"))
        if "id" not in item:
            raise DocumentError(f"{where}: missing 'id'")
        nid = item["id"]
        if not isinstance(nid, str) or not ID_PATTERN.match(nid):
            raise DocumentError(f"{where}: id {json.dumps(nid)} is not valid (use letters, digits and _, "
                                "not starting with a digit)")
        if nid in net.neurons:
            raise DocumentError(f"{where}: the id '{nid}' is used twice")
        if "layer" not in item:
            raise DocumentError(f"{where}: missing 'layer'")
        layer = _integer(item["layer"], f"{where}: layer", 0, 999)
        if layer == 0:
            if "activation" in item and item["activation"] is not None:
                raise DocumentError(f"{where}: an input neuron (layer 0) has no activation")
            if "bias" in item and item["bias"] not in (0, None):
                raise DocumentError(f"{where}: an input neuron (layer 0) has no bias")
            net._add_neuron_unchecked(Neuron(nid, 0))
        else:
            act = _choice(item.get("activation", "linear"), f"{where}: activation", ACTIVATIONS)
            bias = _number(item.get("bias", 0.0), f"{where}: bias")
            net._add_neuron_unchecked(Neuron(nid, layer, act, bias))
    if not net.inputs:
        raise DocumentError("neurons: there is no input neuron (layer 0)")
    if not net.outputs:
        raise DocumentError("neurons: there is no output neuron (a layer above 0)")
    need = LOSSES[loss].required_output_activation
    for n in net.outputs:
        if need and n.activation != need:
            raise DocumentError(f"neuron '{n.id}': the {loss} loss needs {need} output neurons, "
                                f"not {n.activation}")
    return net


def _parse_edges(raw, net: Network) -> None:
    items = _list(raw, "edges", MAX_EDGES)
    for i, item in enumerate(items, 1):
        where = f"edge {i}"
        if isinstance(item, dict) and isinstance(item.get("from"), str) and isinstance(item.get("to"), str):
            where = f"edge {i} ({_q(item['from'])} -> {_q(item['to'])})"
        _object(item, where, ("from", "to", "weight"))
        for k in ("from", "to", "weight"):
            if k not in item:
                raise DocumentError(f"{where}: missing '{k}'")
        for k in ("from", "to"):
            if not isinstance(item[k], str):
                raise DocumentError(f"{where}: '{k}' must be a neuron id, not {_type_name(item[k])}")
            if item[k] not in net.neurons:
                raise DocumentError(f"{where}: unknown neuron {_q(item[k])}")
        w = _number(item["weight"], f"{where}: weight")
        try:
            net.add_edge(item["from"], item["to"], w)
        except NetworkError as e:
            raise DocumentError(f"{where}: {_strip_edge_prefix(str(e))}") from None


def _strip_edge_prefix(msg: str) -> str:
    if msg.startswith("edge '") and ": " in msg:
        return msg.split(": ", 1)[1]
    return msg


def _parse_table_rows(raw, where: str, width_name: str) -> np.ndarray:
    rows = _list(raw, where, MAX_POINTS)
    if not rows:
        raise DocumentError(f"{where} is empty")
    fine = _number_rows(rows)
    if fine is not None:
        return fine
    width = None  # something is wrong: find the first problem, row by row
    for r, row in enumerate(rows, 1):
        if not isinstance(row, list):
            raise DocumentError(f"{where} row {r} must be a list of numbers, not {_type_name(row)}")
        if width is None:
            width = len(row)
            if width == 0 or width > MAX_NEURONS:
                raise DocumentError(f"{where} row 1 has {width} values")
        elif len(row) != width:
            raise DocumentError(f"{where} row {r} has {len(row)} values; row 1 has {width}")
        for c, v in enumerate(row, 1):
            _number(v, f"{where} row {r}, value {c}")
    return np.array(rows, dtype=float)


def _number_rows(rows: list) -> np.ndarray | None:
    """The rows as an array if they are lists of one width (1 to MAX_NEURONS) of finite numbers (not true/false),
    else None; checked a whole column of types at a time, since a table may have 100,000 rows."""
    if set(map(type, rows)) != {list}:
        return None
    widths = set(map(len, rows))
    if len(widths) != 1 or not 0 < widths.pop() <= MAX_NEURONS:
        return None
    if not set(map(type, itertools.chain.from_iterable(rows))) <= {int, float}:
        return None
    try:
        a = np.array(rows, dtype=float)
    except (OverflowError, ValueError):  # an integer beyond the float range
        return None
    return a if np.isfinite(a).all() else None


def _parse_data(raw, net: Network, fit: bool = True) -> TableData | GeneratorData:
    if not isinstance(raw, dict):
        raise DocumentError(f"data must be an object, not {_type_name(raw)}")
    if "generator" in raw:
        d = _object(raw, "data", GENERATOR_KEYS)
        gen = _choice(d["generator"], "data.generator", GENERATORS)
        spec = GeneratorData(
            gen,
            n=_integer(d.get("n", 200), "data.n", 1, MAX_POINTS),
            noise=_number(d.get("noise", 0.0), "data.noise"),
            test_fraction=_number(d.get("test_fraction", 0.0), "data.test_fraction"),
            seed=_integer(d.get("seed", 0), "data.seed", 0, MAX_SEED),
        )
        if not 0.0 <= spec.noise <= 10.0:
            raise DocumentError(f"data.noise must be between 0 and 10, not {spec.noise}")
        if not 0.0 <= spec.test_fraction < 1.0:
            raise DocumentError(f"data.test_fraction must be at least 0 and below 1, not {spec.test_fraction}")
    else:
        d = _object(raw, "data", TABLE_KEYS)
        for k in ("inputs", "targets"):
            if k not in d:
                raise DocumentError(f"data: missing '{k}' (or give a 'generator')")
        if ("test_inputs" in d) != ("test_targets" in d):
            raise DocumentError("data: 'test_inputs' and 'test_targets' go together")
        x = _parse_table_rows(d["inputs"], "data.inputs", "inputs")
        t = _parse_table_rows(d["targets"], "data.targets", "outputs")
        if len(x) != len(t):
            raise DocumentError(f"data has {len(x)} input rows but {len(t)} target rows")
        xt = tt = None
        if "test_inputs" in d:
            xt = _parse_table_rows(d["test_inputs"], "data.test_inputs", "inputs")
            tt = _parse_table_rows(d["test_targets"], "data.test_targets", "outputs")
            if len(xt) != len(tt):
                raise DocumentError(f"data has {len(xt)} test input rows but {len(tt)} test target rows")
            for name, a, b in (("test_inputs", xt, x), ("test_targets", tt, t)):
                if a.shape[1] != b.shape[1]:
                    raise DocumentError(f"data.{name} rows have {a.shape[1]} values; the training rows have "
                                        f"{b.shape[1]}")
            if len(x) + len(xt) > MAX_POINTS:
                raise DocumentError(f"data: {len(x) + len(xt):,} training and test rows; the limit is "
                                    f"{MAX_POINTS:,}")
        values = x.size + t.size + (0 if xt is None else xt.size + tt.size)
        rows = len(x) + (0 if xt is None else len(xt))
        if values > MAX_TABLE_VALUES:
            raise DocumentError(f"data: the table holds {values:,} numbers ({rows:,} rows of "
                                f"{x.shape[1] + t.shape[1]}); the limit is {MAX_TABLE_VALUES:,}")
        spec = TableData(x, t, xt, tt)
    if fit:
        make_dataset(spec, net)  # checks widths and generator options
    elif isinstance(spec, GeneratorData):
        try:  # the generator's own options, whatever the network's width
            generate(spec.generator, spec.n, spec.noise, spec.test_fraction, spec.seed)
        except DataError as e:
            raise DocumentError(f"data: {e}") from None
    return spec


def _parse_training(raw) -> TrainingConfig:
    d = _object(raw, "training", TRAINING_KEYS)
    cfg = TrainingConfig()
    if "optimizer" in d:
        cfg.optimizer = _choice(d["optimizer"], "training.optimizer", HYPERPARAMETERS)
    if "learning_rate" in d:
        lr = _number(d["learning_rate"], "training.learning_rate")
        if not 0.0 < lr <= MAX_LEARNING_RATE:
            raise DocumentError(f"training.learning_rate must be above 0 and at most {MAX_LEARNING_RATE:g}, "
                                f"not {lr}")
        cfg.learning_rate = lr
    if d.get("batch_size") is not None:
        cfg.batch_size = _integer(d["batch_size"], "training.batch_size", 1, MAX_POINTS)
    if "train_biases" in d:
        if not isinstance(d["train_biases"], bool):
            raise DocumentError(f"training.train_biases must be true or false, not {_type_name(d['train_biases'])}")
        cfg.train_biases = d["train_biases"]
    if "seed" in d:
        cfg.seed = _integer(d["seed"], "training.seed", 0, MAX_SEED)
    if d.get("steps_per_second") is not None:
        sps = _number(d["steps_per_second"], "training.steps_per_second")
        if not 0.0 < sps <= MAX_STEPS_PER_SECOND:
            raise DocumentError(f"training.steps_per_second must be above 0 and at most "
                                f"{MAX_STEPS_PER_SECOND:g} (or null for no limit), not {sps}")
        cfg.steps_per_second = sps
    for k in HYPERPARAMETER_KEYS:
        if k in d:
            v = _number(d[k], f"training.{k}")
            lo, hi, lo_inclusive = HYPERPARAMETER_RANGES[k]
            if not ((lo <= v if lo_inclusive else lo < v) and v < hi):
                raise DocumentError(f"training.{k} must be {'at least' if lo_inclusive else 'above'} {lo:g} "
                                    f"and below {hi:g}, not {v}")
            cfg.hyperparameters[k] = v
    if d.get("weight_decay") is not None:
        cfg.weight_decay = _parse_option(d["weight_decay"], "training.weight_decay", DECAY_KINDS,
                                         {k: ("lambda",) for k in DECAY_KINDS}, _make_decay)
    if d.get("schedule") is not None:
        cfg.schedule = _parse_option(d["schedule"], "training.schedule", SCHEDULE_KINDS, SCHEDULE_FIELDS, Schedule)
    if d.get("init") is not None:
        cfg.init = _parse_option(d["init"], "training.init", INIT_KINDS, INIT_FIELDS, Init)
    return cfg


#: the fields of the training section's options that are whole numbers (the others are numbers)
_WHOLE_FIELDS = ("every", "steps")


def _make_decay(kind: str, **fields) -> WeightDecay:
    return WeightDecay(kind, fields.get("lambda"))


def _parse_option(raw, where: str, kinds: tuple[str, ...], fields: dict[str, tuple[str, ...]], make):
    """An option of the training section, ``{"kind": K, field: value, …}``: the kind one of ``kinds``, its
    fields as ``fields[K]`` lists them (each a number; ``every`` and ``steps`` whole numbers), made with
    ``make(kind, **fields)``, whose ValueError (which starts with the field's name) names the place."""
    if not isinstance(raw, dict):
        raise DocumentError(f"{where} must be an object like {{\"kind\": \"{kinds[0]}\", ...}} (or null for none), "
                            f"not {_type_name(raw)}")
    if "kind" not in raw:
        raise DocumentError(f"{where}: missing 'kind' (one of {', '.join(kinds)})")
    kind = _choice(raw["kind"], f"{where}.kind", kinds)
    allowed = ("kind",) + fields[kind]
    _object(raw, f"{where} ({kind})", allowed)
    values = {}
    for name in fields[kind]:
        if name in raw:
            place = f"{where}.{name}"
            if name in _WHOLE_FIELDS:
                values[name] = _integer(raw[name], place, 1, 10**9)
            else:
                values[name] = _number(raw[name], place)
    try:
        return make(kind, **values)
    except ValueError as e:
        raise DocumentError(f"{where}.{e}") from None


#: the largest coordinate of a neuron's place on the canvas (view.positions); the canvas works in pixels
MAX_COORDINATE = 1e9


def _check_view(view: dict) -> None:
    """The view is free-form, but must save again and be usable: numbers that are finite as floats (no integer
    beyond the float range), neurons' places (view.positions) within ±MAX_COORDINATE, and text that is valid
    Unicode."""
    positions = view.get("positions")
    if isinstance(positions, dict):
        for nid, place in positions.items():
            for i, c in enumerate(place if isinstance(place, list) else [], 1):
                if isinstance(c, (int, float)) and not isinstance(c, bool) and not _within(c, MAX_COORDINATE):
                    where = f"view.positions.{nid}" if nid.isidentifier() else f"view.positions[{json.dumps(nid)}]"
                    raise DocumentError(f"{where}[{i}] must be a number from {-MAX_COORDINATE:g} to "
                                        f"{MAX_COORDINATE:g}, not {_short_number(c)}")
    stack: list[tuple[Any, str]] = [(view, "view")]
    while stack:
        o, where = stack.pop()
        if isinstance(o, (int, float)) and not isinstance(o, bool) and not _within(o, math.inf):
            raise DocumentError(f"{where} must be a finite number")
        if isinstance(o, str):
            try:
                o.encode("utf-8")
            except UnicodeEncodeError:
                raise DocumentError(f"{where} is not valid Unicode text") from None
        elif isinstance(o, dict):
            for k, v in reversed(o.items()):
                stack.append((k, f"{where}: a key"))
                stack.append((v, f"{where}.{k}" if k.isidentifier() else f"{where}[{json.dumps(k)}]"))
        elif isinstance(o, list):
            stack.extend((v, f"{where}[{i}]") for i, v in reversed(list(enumerate(o, 1))))


def _within(v: int | float, limit: float) -> bool:
    """-limit <= v <= limit, and v finite as a float (an integer too large for a float is not)."""
    try:
        f = float(v)
    except OverflowError:
        return False
    return math.isfinite(f) and -limit <= f <= limit


def _short_number(v: int | float) -> str:
    text = str(v)
    return text if len(text) <= 20 else f"{text[:12]}... ({len(text)} digits)"


def document_from_dict(raw: Any, fit_data: bool = True) -> Document:
    """A validated document. With ``fit_data`` false, data that does not fit the network's inputs or outputs is
    accepted (the window opens such a document, saved part way through an edit, and says it cannot train)."""
    if not isinstance(raw, dict):
        raise DocumentError(f"the document must be a JSON object, not {_type_name(raw)}")
    _depth(raw, MAX_DEPTH)
    if raw.get("format") != FORMAT:
        raise DocumentError(f"not a bpgui network document (\"format\" must be \"{FORMAT}\")")
    if "version" not in raw:
        raise DocumentError("missing 'version'")
    version = raw["version"]
    if version != VERSION or isinstance(version, bool):
        raise DocumentError(f"document version {json.dumps(version)} is not supported (this bpgui reads "
                            f"version {VERSION})")
    _object(raw, "the document", TOP_KEYS)
    for k in ("neurons", "edges", "data"):
        if k not in raw:
            raise DocumentError(f"missing '{k}'")
    loss = _choice(raw.get("loss", "half_sse"), "loss", LOSSES)
    net = _parse_neurons(raw["neurons"], loss)
    _parse_edges(raw["edges"], net)
    data = _parse_data(raw["data"], net, fit_data)
    training = _parse_training(raw.get("training", {}))
    view = raw.get("view")
    if view is not None and not isinstance(view, dict):
        raise DocumentError(f"view must be an object, not {_type_name(view)}")
    if view is not None:
        _check_view(view)
    return Document(net, data, training, view)


#: more values (counted by their separators) than any document within the limits holds: a file of 32 MB of small
#: numbers is refused before it is parsed (parsing it took 6 s and 800 MB only to refuse it)
MAX_VALUES = 2 * (MAX_TABLE_VALUES + 4 * MAX_EDGES + 8 * MAX_NEURONS)


def parse_document(text: str, fit_data: bool = True) -> Document:
    values = text.count(",") + 1
    if values > MAX_VALUES:
        raise DocumentError(f"the file holds about {values:,} values, more than any document within bpgui's "
                            f"limits (at most {MAX_TABLE_VALUES:,} numbers in a data table)")
    return document_from_dict(parse_json(text), fit_data)


def read_document_text(path: str | os.PathLike) -> str:
    p = Path(path)
    try:
        if p.is_dir():
            raise DocumentError("is a folder, not a file")
        if p.is_fifo() or p.is_socket():  # opening a pipe would wait forever for a writer
            raise DocumentError("is a pipe or socket, not a file")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DocumentError(f"the file is too large ({size / 1e6:.0f} MB; the limit is "
                                f"{MAX_FILE_BYTES // 2**20} MB)")
        with p.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise DocumentError(f"the file is too large (the limit is {MAX_FILE_BYTES // 2**20} MB)")
    except DocumentError:
        raise
    except FileNotFoundError:
        raise DocumentError("no such file") from None
    except ValueError:  # e.g. a NUL character in the path
        raise DocumentError("is not a valid file name") from None
    except PermissionError:
        raise DocumentError("permission denied") from None
    except OSError as e:
        raise DocumentError(f"cannot read the file ({e.strerror or e})") from None
    if not data.strip():
        raise DocumentError("the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError("not a text file (it is not UTF-8)") from None


def load_document(path: str | os.PathLike, fit_data: bool = True) -> Document:
    return parse_document(read_document_text(path), fit_data)


def document_bytes(doc: Document) -> bytes:
    """The document's file contents; raises DocumentError if bpgui could not open them again (too large, a
    number that is not finite, text that is not valid Unicode), so that a save never writes what cannot be read."""
    try:
        data = doc.to_json().encode("utf-8")
    except ValueError:  # a non-finite number or a lone surrogate, e.g. in a view built in memory
        raise DocumentError("cannot save: the document holds a number that is not finite or text that is not "
                            "valid Unicode") from None
    if len(data) > MAX_FILE_BYTES:
        raise DocumentError(f"cannot save: the file would be {len(data) / 2**20:.1f} MB, more than the "
                            f"{MAX_FILE_BYTES // 2**20} MB bpgui can open (nothing was written)")
    return data


def save_document(doc: Document, path: str | os.PathLike, allow_read_only: bool = False) -> None:
    """Save atomically (see :mod:`.safe_write`: links, read-only files, devices); raises DocumentError (old file
    untouched) if the file cannot be written or could not be opened again."""
    data = document_bytes(doc)
    try:
        atomic_write_bytes(path, data, allow_read_only)
    except OSError as e:
        raise DocumentError(f"cannot save: {e.strerror or e}") from None
