"""The network graph: neurons in layers, weighted edges, and the edits the editor makes.

Layer 0 holds the inputs (no activation, no bias), the highest layer holds the outputs, the layers between are
hidden and may be empty. An edge goes from a lower layer to any higher one (skip connections are fine), with at
most one edge per ordered pair. Every edit either succeeds completely or raises :class:`NetworkError` with a
message a user can read, leaving the network unchanged.

Parameters are named ``"a->b"`` (the weight of the edge from ``a`` to ``b``) and ``"b.bias"``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .limits import MAX_EDGES, MAX_LAYERS, MAX_NEURONS
from .losses import LOSSES

ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class NetworkError(ValueError):
    """An impossible edit or an invalid network; the message is meant for the user."""


@dataclass(frozen=True)
class Neuron:
    id: str
    layer: int
    activation: str | None = None  # None for inputs
    bias: float = 0.0

    @property
    def is_input(self) -> bool:
        return self.layer == 0


@dataclass(frozen=True)
class Change:
    """What an edit did, for views that mirror the network. ``kind`` is the edit's method name."""

    kind: str
    args: tuple = ()
    #: True when neurons, edges, activations, layers or the loss changed (not just weight or bias values)
    structural: bool = False

    @property
    def parameters(self) -> tuple[str, ...] | None:
        """The parameters a change of values only set (e.g. ``("x1->h1",)``), or None for any other change."""
        if self.kind == "set_weight":
            return (weight_name(self.args[0], self.args[1]),)
        if self.kind == "set_bias":
            return (bias_name(self.args[0]),)
        if self.kind == "set_parameters":
            return tuple(self.args[0])
        return None


def _check_finite(value, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise NetworkError(f"{what} must be a number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise NetworkError(f"{what} must be a finite number, not {value}")
    return value


def parse_parameter_name(name: str) -> tuple[str, str] | str:
    """``"a->b"`` → ``("a", "b")``; ``"b.bias"`` → ``"b"``. Raises NetworkError for anything else."""
    if not isinstance(name, str):
        raise NetworkError(f"parameter name must be a string, not {type(name).__name__}")
    if name.endswith(".bias"):
        nid = name[: -len(".bias")]
        if ID_PATTERN.match(nid):
            return nid
    elif "->" in name:
        a, _, b = name.partition("->")  # no spaces: a name is written one way only (e.g. in a document's view)
        if ID_PATTERN.match(a) and ID_PATTERN.match(b):
            return (a, b)
    raise NetworkError(f"'{name}' is not a parameter name (use 'a->b' for a weight or 'b.bias' for a bias)")


def weight_name(src: str, dst: str) -> str:
    return f"{src}->{dst}"


def bias_name(nid: str) -> str:
    return f"{nid}.bias"


class Network:
    """An editable feed-forward network with skip connections."""

    def __init__(self, loss: str = "half_sse"):
        self._neurons: dict[str, Neuron] = {}
        self._edges: dict[tuple[str, str], float] = {}
        self._loss = self._check_loss_name(loss)
        self._listeners: list[Callable[[Change], None]] = []
        #: incremented by every edit that changes the structure (not by weight or bias values)
        self.structure_version = 0

    # ------------------------------------------------------------------ reading
    @property
    def loss(self) -> str:
        return self._loss

    @property
    def neurons(self) -> dict[str, Neuron]:
        """Neurons by id, in document order (a read-only view by convention: edit through methods)."""
        return self._neurons

    @property
    def edges(self) -> dict[tuple[str, str], float]:
        """Weights by (from, to), in document order."""
        return self._edges

    def neuron(self, nid: str) -> Neuron:
        try:
            return self._neurons[nid]
        except (KeyError, TypeError):
            raise NetworkError(f"unknown neuron '{nid}'") from None

    @property
    def num_layers(self) -> int:
        return 1 + max((n.layer for n in self._neurons.values()), default=0)

    @property
    def output_layer(self) -> int:
        return self.num_layers - 1

    def layer(self, index: int) -> list[Neuron]:
        return [n for n in self._neurons.values() if n.layer == index]

    @property
    def inputs(self) -> list[Neuron]:
        return self.layer(0)

    @property
    def outputs(self) -> list[Neuron]:
        out = self.num_layers - 1
        return [n for n in self._neurons.values() if n.layer == out and out > 0]

    def is_output(self, nid: str) -> bool:
        n = self.neuron(nid)
        return n.layer > 0 and n.layer == self.output_layer

    def role(self, nid: str) -> str:
        n = self.neuron(nid)
        if n.layer == 0:
            return "input"
        return "output" if n.layer == self.output_layer else "hidden"

    def roles(self) -> dict[str, str]:
        """:meth:`role` of every neuron by id, in one pass (``role`` looks through every neuron for the last
        layer)."""
        out = self.output_layer
        return {nid: "input" if n.layer == 0 else "output" if n.layer == out else "hidden"
                for nid, n in self._neurons.items()}

    def incoming(self, nid: str) -> list[tuple[str, str]]:
        return [e for e in self._edges if e[1] == nid]

    def outgoing(self, nid: str) -> list[tuple[str, str]]:
        return [e for e in self._edges if e[0] == nid]

    def weight(self, src: str, dst: str) -> float:
        try:
            return self._edges[(src, dst)]
        except (KeyError, TypeError):  # TypeError: an unhashable id, reported by neuron() below
            self.neuron(src)
            self.neuron(dst)
            raise NetworkError(f"there is no edge '{src}' -> '{dst}'") from None

    # parameters ---------------------------------------------------------------
    def parameter_names(self) -> list[str]:
        """Every parameter: the edge weights in edge order, then the biases of non-input neurons."""
        names = [weight_name(a, b) for a, b in self._edges]
        names += [bias_name(n.id) for n in self._neurons.values() if n.layer > 0]
        return names

    def parameters(self) -> dict[str, float]:
        p = {weight_name(a, b): w for (a, b), w in self._edges.items()}
        p.update({bias_name(n.id): n.bias for n in self._neurons.values() if n.layer > 0})
        return p

    def has_parameter(self, name: str) -> bool:
        try:
            self.get_parameter(name)
        except NetworkError:
            return False
        return True

    def get_parameter(self, name: str) -> float:
        ref = parse_parameter_name(name)
        if isinstance(ref, tuple):
            return self.weight(*ref)
        n = self.neuron(ref)
        if n.layer == 0:
            raise NetworkError(f"'{name}': input neuron '{ref}' has no bias")
        return n.bias

    def set_parameter(self, name: str, value: float) -> None:
        ref = parse_parameter_name(name)
        if isinstance(ref, tuple):
            self.set_weight(*ref, value)
        else:
            self.set_bias(ref, value)

    def set_parameters(self, values: dict[str, float]) -> None:
        """Set many parameters at once (all are checked before any is changed)."""
        checked = []
        for name, value in values.items():
            ref = parse_parameter_name(name)
            value = _check_finite(value, f"'{name}'")
            if isinstance(ref, tuple):
                self.weight(*ref)
            elif self.neuron(ref).layer == 0:
                raise NetworkError(f"'{name}': input neuron '{ref}' has no bias")
            checked.append((ref, value))
        for ref, value in checked:
            if isinstance(ref, tuple):
                self._edges[ref] = value
            else:
                self._neurons[ref] = _replace(self._neurons[ref], bias=value)
        self._emit("set_parameters", tuple(values))

    # ------------------------------------------------------------------ events
    def subscribe(self, callback: Callable[[Change], None]) -> None:
        self._listeners.append(callback)

    def unsubscribe(self, callback: Callable[[Change], None]) -> None:
        self._listeners.remove(callback)

    def _emit(self, kind: str, *args, structural: bool = False) -> None:
        if structural:
            self.structure_version += 1
        change = Change(kind, args, structural)
        for cb in list(self._listeners):
            cb(change)

    # ------------------------------------------------------------------ checks
    @staticmethod
    def _check_loss_name(loss) -> str:
        if not isinstance(loss, str) or loss not in LOSSES:
            raise NetworkError(f"unknown loss '{loss}' (choose from {', '.join(LOSSES)})")
        return loss

    @staticmethod
    def _check_activation_name(activation) -> str:
        if not isinstance(activation, str) or activation not in ACTIVATIONS:
            raise NetworkError(f"unknown activation '{activation}' (choose from {', '.join(ACTIVATIONS)})")
        return activation

    def _check_output_activation(self, nid: str, activation: str, loss: str | None = None) -> None:
        need = LOSSES[loss or self._loss].required_output_activation
        if need is not None and activation != need:
            raise NetworkError(
                f"output neuron '{nid}' must use the {need} activation with the "
                f"{loss or self._loss} loss (it would be {activation})"
            )

    def _check_new_id(self, nid) -> str:
        if not isinstance(nid, str) or not ID_PATTERN.match(nid):
            raise NetworkError(
                f"'{nid}' is not a valid neuron id (use letters, digits and _, not starting with a digit)"
            )
        if nid in self._neurons:
            raise NetworkError(f"there is already a neuron '{nid}'")
        return nid

    def _check_edge(self, src: str, dst: str) -> None:
        a, b = self.neuron(src), self.neuron(dst)
        if (src, dst) in self._edges:
            raise NetworkError(f"edge '{src}' -> '{dst}' already exists")
        if len(self._edges) >= MAX_EDGES:
            raise NetworkError(f"a network may have at most {MAX_EDGES:,} edges")
        if b.layer == 0:
            raise NetworkError(f"edge '{src}' -> '{dst}': an edge cannot end at input neuron '{dst}'")
        if src == dst:
            raise NetworkError(f"edge '{src}' -> '{dst}': a neuron cannot connect to itself")
        if a.layer == b.layer:
            raise NetworkError(
                f"edge '{src}' -> '{dst}': both neurons are in layer {a.layer}; "
                "edges go from a lower layer to a higher one"
            )
        if a.layer > b.layer:
            raise NetworkError(
                f"edge '{src}' -> '{dst}' goes backwards (layer {a.layer} to layer {b.layer}); "
                "edges go from a lower layer to a higher one"
            )

    def check_edge(self, src: str, dst: str) -> str | None:
        """Why ``src -> dst`` cannot be added, or None if it can (for editors to explain a drag)."""
        try:
            self._check_edge(src, dst)
        except NetworkError as e:
            return str(e)
        return None

    def _check_layer_index(self, layer) -> int:
        if isinstance(layer, bool) or not isinstance(layer, int):
            raise NetworkError(f"layer must be a whole number, not {layer!r}")
        if not 0 <= layer < self.num_layers:
            raise NetworkError(f"there is no layer {layer} (layers are 0 to {self.num_layers - 1})")
        return layer

    def validate(self) -> None:
        """Check the whole network; raises NetworkError for the first problem."""
        if not self.inputs:
            raise NetworkError("the network needs at least one input neuron (layer 0)")
        if not self.outputs:
            raise NetworkError("the network needs at least one output neuron (a layer above the inputs)")
        for n in self._neurons.values():
            if n.layer > 0:
                self._check_activation_name(n.activation)
        for n in self.outputs:
            self._check_output_activation(n.id, n.activation)
        for (a, b) in self._edges:
            la, lb = self._neurons[a].layer, self._neurons[b].layer
            if not la < lb:
                raise NetworkError(f"edge '{a}' -> '{b}' does not go from a lower layer to a higher one")

    # ------------------------------------------------------------------ edits
    def add_neuron(self, nid: str, layer: int, activation: str | None = None, bias: float = 0.0) -> Neuron:
        """Add a neuron to an existing layer (0 = inputs). Activation defaults to the loss's requirement
        for outputs, else tanh for hidden neurons."""
        self._check_new_id(nid)
        if len(self._neurons) >= MAX_NEURONS:
            raise NetworkError(f"a network may have at most {MAX_NEURONS:,} neurons")
        if not self._neurons and layer != 0:
            raise NetworkError("the first neuron must be an input (layer 0)")
        if not (layer == 1 and self.num_layers == 1):  # with only inputs so far, layer 1 starts the outputs
            self._check_layer_index(layer)
        if layer == 0:
            if activation is not None:
                raise NetworkError(f"input neuron '{nid}' cannot have an activation")
            if bias != 0.0:
                raise NetworkError(f"input neuron '{nid}' cannot have a bias")
            neuron = Neuron(nid, 0, None, 0.0)
        else:
            is_output = layer == self.output_layer
            if activation is None:
                need = LOSSES[self._loss].required_output_activation
                activation = need if (is_output and need) else ("linear" if is_output else "tanh")
            self._check_activation_name(activation)
            if is_output:
                self._check_output_activation(nid, activation)
            neuron = Neuron(nid, layer, activation, _check_finite(bias, f"bias of '{nid}'"))
        self._neurons[nid] = neuron
        self._emit("add_neuron", nid, structural=True)
        return neuron

    def _add_neuron_unchecked(self, neuron: Neuron) -> None:
        """For loaders that build a network and then call validate()."""
        self._neurons[neuron.id] = neuron

    def remove_neuron(self, nid: str) -> None:
        n = self.neuron(nid)
        if n.layer == 0 and len(self.inputs) == 1:
            raise NetworkError(f"cannot remove '{nid}': it is the last input neuron")
        if n.layer > 0 and n.layer == self.output_layer and len(self.outputs) == 1:
            raise NetworkError(f"cannot remove '{nid}': it is the last output neuron")
        for e in [e for e in self._edges if nid in e]:
            del self._edges[e]
        del self._neurons[nid]
        self._emit("remove_neuron", nid, structural=True)

    def rename_neuron(self, old: str, new: str) -> None:
        self.neuron(old)
        if new == old:
            return
        self._check_new_id(new)
        self._neurons = {(new if k == old else k): (_replace(v, id=new) if k == old else v)
                         for k, v in self._neurons.items()}
        self._edges = {((new if a == old else a), (new if b == old else b)): w for (a, b), w in self._edges.items()}
        self._emit("rename_neuron", old, new, structural=True)

    def add_edge(self, src: str, dst: str, weight: float = 0.0) -> None:
        self._check_edge(src, dst)
        self._edges[(src, dst)] = _check_finite(weight, f"weight of '{src}' -> '{dst}'")
        self._emit("add_edge", src, dst, structural=True)

    def remove_edge(self, src: str, dst: str) -> None:
        self.weight(src, dst)
        del self._edges[(src, dst)]
        self._emit("remove_edge", src, dst, structural=True)

    def set_weight(self, src: str, dst: str, weight: float) -> None:
        self.weight(src, dst)
        self._edges[(src, dst)] = _check_finite(weight, f"weight of '{src}' -> '{dst}'")
        self._emit("set_weight", src, dst)

    def set_bias(self, nid: str, bias: float) -> None:
        n = self.neuron(nid)
        if n.layer == 0:
            raise NetworkError(f"input neuron '{nid}' has no bias")
        self._neurons[nid] = _replace(n, bias=_check_finite(bias, f"bias of '{nid}'"))
        self._emit("set_bias", nid)

    def set_activation(self, nid: str, activation: str) -> None:
        n = self.neuron(nid)
        if n.layer == 0:
            raise NetworkError(f"input neuron '{nid}' has no activation")
        self._check_activation_name(activation)
        if self.is_output(nid):
            self._check_output_activation(nid, activation)
        self._neurons[nid] = _replace(n, activation=activation)
        self._emit("set_activation", nid, structural=True)

    def set_loss(self, loss: str) -> None:
        self._check_loss_name(loss)
        for n in self.outputs:
            self._check_output_activation(n.id, n.activation, loss)
        self._loss = loss
        self._emit("set_loss", loss, structural=True)

    def add_layer(self, index: int) -> None:
        """Insert an empty hidden layer at ``index`` (1 ≤ index ≤ output layer); later layers move up."""
        if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index <= self.output_layer:
            raise NetworkError(
                f"a new layer must go between the inputs and the outputs (index 1 to {self.output_layer})"
            )
        if self.num_layers >= MAX_LAYERS:
            raise NetworkError(f"a network may have at most {MAX_LAYERS} layers")
        self._neurons = {k: (_replace(n, layer=n.layer + 1) if n.layer >= index else n)
                         for k, n in self._neurons.items()}
        self._emit("add_layer", index, structural=True)

    def remove_layer(self, index: int) -> None:
        """Remove a hidden layer, its neurons and their edges; later layers move down."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.num_layers:
            raise NetworkError(f"there is no layer {index} (layers are 0 to {self.num_layers - 1})")
        if index == 0:
            raise NetworkError("the input layer cannot be removed")
        if index == self.output_layer:
            raise NetworkError("the output layer cannot be removed")
        gone = {n.id for n in self._neurons.values() if n.layer == index}
        self._edges = {e: w for e, w in self._edges.items() if e[0] not in gone and e[1] not in gone}
        self._neurons = {k: (_replace(n, layer=n.layer - 1) if n.layer > index else n)
                         for k, n in self._neurons.items() if k not in gone}
        self._emit("remove_layer", index, structural=True)

    def move_neuron(self, nid: str, layer: int) -> None:
        """Move a non-input neuron to another non-input layer, if all its edges stay valid."""
        n = self.neuron(nid)
        self._check_layer_index(layer)
        if layer == n.layer:
            return
        if n.layer == 0:
            raise NetworkError(f"input neuron '{nid}' stays in layer 0 (inputs are the data's columns)")
        if layer == 0:
            raise NetworkError(f"'{nid}' cannot become an input; add an input neuron instead")
        out = self.output_layer
        if n.layer == out and len(self.outputs) == 1:
            raise NetworkError(f"cannot move '{nid}': it is the last output neuron")
        for a, b in self._edges:
            if b == nid and self._neurons[a].layer >= layer:
                raise NetworkError(
                    f"cannot move '{nid}' to layer {layer}: its input edge from '{a}' (layer "
                    f"{self._neurons[a].layer}) would not come from a lower layer"
                )
            if a == nid and self._neurons[b].layer <= layer:
                raise NetworkError(
                    f"cannot move '{nid}' to layer {layer}: its output edge to '{b}' (layer "
                    f"{self._neurons[b].layer}) would not go to a higher layer"
                )
        if layer == out:
            self._check_output_activation(nid, n.activation)
        self._neurons[nid] = _replace(n, layer=layer)
        self._emit("move_neuron", nid, layer, structural=True)

    # ------------------------------------------------------------------ copies
    def copy(self) -> Network:
        net = Network(self._loss)
        net._neurons = dict(self._neurons)
        net._edges = dict(self._edges)
        return net

    def assign(self, other: Network) -> None:
        """Become an exact copy of ``other`` (keeps listeners; used by undo)."""
        self._neurons = dict(other._neurons)
        self._edges = dict(other._edges)
        self._loss = other._loss
        self._emit("assign", structural=True)

    def same_structure(self, other: Network) -> bool:
        """The same neurons (ids, layers, activations), edges and loss, in the same order; values may differ."""
        return (
            self._loss == other._loss
            and list(self._edges) == list(other._edges)
            and [(n.id, n.layer, n.activation) for n in self] == [(n.id, n.layer, n.activation) for n in other]
        )

    def same_as(self, other: Network) -> bool:
        """Equal neurons, edges, weights and loss, in the same order."""
        return (
            self._loss == other._loss
            and list(self._neurons.items()) == list(other._neurons.items())
            and list(self._edges.items()) == list(other._edges.items())
        )

    def __eq__(self, other):
        return isinstance(other, Network) and self.same_as(other)

    __hash__ = None  # mutable

    def __iter__(self) -> Iterator[Neuron]:
        return iter(self._neurons.values())

    def __repr__(self):
        sizes = [len(self.layer(i)) for i in range(self.num_layers)]
        return f"<Network {'-'.join(map(str, sizes))}, {len(self._edges)} edges, loss={self._loss}>"


def _replace(n: Neuron, **kw) -> Neuron:
    return Neuron(**{**n.__dict__, **kw})


def layered(sizes: list[int], activation: str = "tanh", output_activation: str = "sigmoid",
            loss: str = "half_sse", weights=None, prefix: str = "") -> Network:
    """A fully connected net, e.g. ``layered([2, 8, 8, 1])``; neurons are named x1.., h1_1.., y1...
    ``weights`` is a callable ``(src, dst) -> float`` or None for zeros."""
    net = Network(loss)
    names: list[list[str]] = []
    for li, size in enumerate(sizes):
        if li == 0:
            ids = [f"{prefix}x{i + 1}" for i in range(size)]
        elif li == len(sizes) - 1:
            ids = [f"{prefix}y{i + 1}" for i in range(size)]
        else:
            ids = [f"{prefix}h{li}_{i + 1}" if len(sizes) > 3 else f"{prefix}h{i + 1}" for i in range(size)]
        names.append(ids)
        for nid in ids:
            act = None if li == 0 else (output_activation if li == len(sizes) - 1 else activation)
            net._add_neuron_unchecked(Neuron(nid, li, act, 0.0))
    for a_ids, b_ids in zip(names, names[1:]):
        for a in a_ids:
            for b in b_ids:
                net._edges[(a, b)] = float(weights(a, b)) if weights else 0.0
    net.validate()
    return net
