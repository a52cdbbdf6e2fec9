"""Network edits: every possible edit does what it says, every impossible one raises NetworkError with a readable
message and leaves the network exactly as it was (same neurons, edges, weights, order and loss; no event)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpgui.core import ACTIVATION_NAMES, LOSS_NAMES, Engine, Network, NetworkError, Neuron, layered

EDGES = [
    ("x1", "h1", 0.1), ("x2", "h1", -0.2), ("x1", "h2", 0.3), ("x2", "h3", 0.35), ("h1", "g1", 0.4),
    ("h2", "g1", -0.5), ("g1", "y1", 0.6), ("g1", "y2", -0.7), ("x1", "y1", 0.8), ("h2", "y2", 0.9),
]


def base(loss: str = "half_sse", out_act: str = "linear") -> Network:
    """Inputs x1 x2 | hidden h1 (tanh) h2 (relu) h3 (sigmoid, no outgoing edge) | hidden g1 | outputs y1 y2,
    with skip edges x1 → y1 and h2 → y2."""
    net = Network(loss)
    for n in (
        Neuron("x1", 0), Neuron("x2", 0),
        Neuron("h1", 1, "tanh", 0.1), Neuron("h2", 1, "relu", 0.2), Neuron("h3", 1, "sigmoid", 0.3),
        Neuron("g1", 2, "sigmoid", -0.1),
        Neuron("y1", 3, out_act, 0.5), Neuron("y2", 3, out_act, -0.5),
    ):
        net._add_neuron_unchecked(n)
    for a, b, w in EDGES:
        net.add_edge(a, b, w)
    net.validate()
    net.structure_version = 0
    return net


def one_io() -> Network:
    """x → h → y: a single input and a single output."""
    return layered([1, 1, 1], loss="half_sse")


def watch(net: Network) -> list:
    events: list = []
    net.subscribe(events.append)
    return events


class Recorder:
    """Snapshot a network and check later that it is exactly unchanged and emitted nothing."""

    def __init__(self, net: Network):
        self.net = net
        self.copy = net.copy()
        self.version = net.structure_version
        self.events = watch(net)

    def assert_unchanged(self):
        assert self.net.same_as(self.copy)
        assert list(self.net.neurons) == list(self.copy.neurons)  # document order too
        assert list(self.net.edges) == list(self.copy.edges)
        assert self.net.structure_version == self.version
        assert self.events == []
        self.net.validate()


# ---------------------------------------------------------------------------------------------- possible edits
def test_base_network_is_what_the_tests_assume():
    net = base()
    assert [n.id for n in net.inputs] == ["x1", "x2"]
    assert [n.id for n in net.outputs] == ["y1", "y2"]
    assert net.num_layers == 4 and net.output_layer == 3
    assert [net.role(n) for n in ("x1", "h1", "g1", "y2")] == ["input", "hidden", "hidden", "output"]
    assert net.roles() == {n.id: net.role(n.id) for n in net}
    assert list(net.roles()) == list(net.neurons)
    net.move_neuron("h3", 3)  # an output now
    assert net.roles()["h3"] == "output" == net.role("h3")
    net = base()
    assert net.incoming("y1") == [("g1", "y1"), ("x1", "y1")]
    assert net.outgoing("h2") == [("h2", "g1"), ("h2", "y2")]


def test_add_neuron():
    net = base()
    events = watch(net)
    h = net.add_neuron("h4", 1)
    assert h == Neuron("h4", 1, "tanh", 0.0)  # hidden default: tanh
    assert net.add_neuron("y3", 3) == Neuron("y3", 3, "linear", 0.0)  # output default under half_sse: linear
    assert net.add_neuron("x3", 0) == Neuron("x3", 0, None, 0.0)
    assert net.add_neuron("g2", 2, "gaussian", 1.5) == Neuron("g2", 2, "gaussian", 1.5)
    assert list(net.neurons)[-4:] == ["h4", "y3", "x3", "g2"]
    assert [n.id for n in net.outputs] == ["y1", "y2", "y3"]
    assert [c.kind for c in events] == ["add_neuron"] * 4 and events[0].args == ("h4",)
    assert net.structure_version == 4
    # the loss's output activation is the default for a new output
    bce = base("bce", "sigmoid")
    assert bce.add_neuron("y3", 3).activation == "sigmoid"


def test_remove_neuron_removes_its_edges():
    net = base()
    events = watch(net)
    net.remove_neuron("h2")
    assert "h2" not in net.neurons
    assert list(net.edges) == [(a, b) for a, b, _ in EDGES if "h2" not in (a, b)]
    net.remove_neuron("x2")
    net.remove_neuron("y2")
    assert [n.id for n in net.inputs] == ["x1"] and [n.id for n in net.outputs] == ["y1"]
    assert [c.kind for c in events] == ["remove_neuron"] * 3
    net.validate()


def test_add_and_remove_edge():
    net = base()
    events = watch(net)
    net.add_edge("x2", "y2", 2.5)  # a skip over two layers
    assert list(net.edges)[-1] == ("x2", "y2") and net.weight("x2", "y2") == 2.5
    net.add_edge("h3", "g1")
    assert net.weight("h3", "g1") == 0.0
    net.remove_edge("x1", "h2")
    assert ("x1", "h2") not in net.edges
    assert [c.kind for c in events] == ["add_edge", "add_edge", "remove_edge"]
    assert all(c.structural and c.parameters is None for c in events)
    assert events[0].args == ("x2", "y2")
    assert net.structure_version == 3
    assert net.check_edge("x2", "h2") is None


def test_set_weight_bias_and_parameters_are_not_structural():
    net = base()
    events = watch(net)
    net.set_weight("x1", "h1", -3.0)
    net.set_bias("g1", 4)
    net.set_parameter("h2->y2", 7.0)
    net.set_parameter("y1.bias", -1.25)
    net.set_parameters({"x2->h1": 0.5, "h3.bias": 0.25})
    assert net.weight("x1", "h1") == -3.0 and net.neuron("g1").bias == 4.0
    assert isinstance(net.neuron("g1").bias, float)
    assert net.get_parameter("h2->y2") == 7.0 and net.get_parameter("y1.bias") == -1.25
    assert net.weight("x2", "h1") == 0.5 and net.neuron("h3").bias == 0.25
    assert [c.kind for c in events] == ["set_weight", "set_bias", "set_weight", "set_bias", "set_parameters"]
    # what a view needs to hear of a change of values only: the names it set
    assert [c.parameters for c in events] == [("x1->h1",), ("g1.bias",), ("h2->y2",), ("y1.bias",),
                                              ("x2->h1", "h3.bias")]
    assert not any(c.structural for c in events)
    assert net.structure_version == 0
    # order is unchanged by value edits
    assert list(net.edges) == [(a, b) for a, b, _ in EDGES]
    assert net.parameter_names() == [f"{a}->{b}" for a, b, _ in EDGES] + [
        f"{n}.bias" for n in ("h1", "h2", "h3", "g1", "y1", "y2")
    ]


def test_set_activation_and_loss():
    net = base()
    events = watch(net)
    net.set_activation("h1", "gaussian")
    net.set_activation("y1", "softplus")  # any output activation is fine under half_sse
    assert net.neuron("h1").activation == "gaussian" and net.neuron("y1").activation == "softplus"
    net.set_activation("y1", "linear")
    net.set_loss("cross_entropy")  # outputs are linear
    assert net.loss == "cross_entropy"
    net.set_loss("mse")
    assert [c.kind for c in events] == ["set_activation"] * 3 + ["set_loss"] * 2
    assert net.structure_version == 5
    bce = base("half_sse", "sigmoid")
    bce.set_loss("bce")
    assert bce.loss == "bce"


def test_rename_neuron_keeps_order_and_renames_edges():
    net = base()
    events = watch(net)
    net.rename_neuron("h2", "hidden_two")
    assert list(net.neurons) == ["x1", "x2", "h1", "hidden_two", "h3", "g1", "y1", "y2"]
    assert net.neuron("hidden_two") == Neuron("hidden_two", 1, "relu", 0.2)
    assert list(net.edges) == [
        (a.replace("h2", "hidden_two"), b.replace("h2", "hidden_two")) for a, b, _ in EDGES
    ]
    assert net.weight("hidden_two", "y2") == 0.9
    net.rename_neuron("h1", "h1")  # no-op
    assert [(c.kind, c.args) for c in events] == [("rename_neuron", ("h2", "hidden_two"))]


def test_add_layer_moves_later_layers_up():
    net = base()
    events = watch(net)
    net.add_layer(2)
    assert net.num_layers == 5 and net.layer(2) == []
    assert [net.neuron(n).layer for n in ("x1", "h1", "g1", "y1")] == [0, 1, 3, 4]
    assert list(net.edges) == [(a, b) for a, b, _ in EDGES]
    net.add_layer(net.output_layer)  # right below the outputs
    assert net.output_layer == 5 and [n.id for n in net.outputs] == ["y1", "y2"]
    net.add_neuron("e1", 2, "relu")
    net.add_edge("h1", "e1", 1.0)
    net.add_edge("e1", "y1", 1.0)
    assert [c.kind for c in events] == ["add_layer", "add_layer", "add_neuron", "add_edge", "add_edge"]
    Engine(net).predict(np.ones((3, 2)))


def test_remove_layer_removes_its_neurons_and_moves_later_layers_down():
    net = base()
    events = watch(net)
    net.remove_layer(1)
    assert list(net.neurons) == ["x1", "x2", "g1", "y1", "y2"]
    assert [net.neuron(n).layer for n in ("g1", "y1")] == [1, 2]
    assert list(net.edges) == [("g1", "y1"), ("g1", "y2"), ("x1", "y1")]
    # an empty hidden layer can be removed too
    net.add_layer(1)
    net.remove_layer(1)
    assert [(c.kind, c.args) for c in events] == [("remove_layer", (1,)), ("add_layer", (1,)), ("remove_layer", (1,))]


def test_move_neuron():
    net = base()
    events = watch(net)
    net.move_neuron("h3", 2)  # x2 → h3 still goes up
    assert net.neuron("h3").layer == 2
    net.move_neuron("h3", 3)  # into the output layer: it becomes an output
    assert [n.id for n in net.outputs] == ["h3", "y1", "y2"]  # document order
    net.move_neuron("h3", 1)  # not the last output: back down, hidden again
    assert net.role("h3") == "hidden" and [n.id for n in net.outputs] == ["y1", "y2"]
    net.move_neuron("g1", 2)  # same layer: nothing happens
    assert [(c.kind, c.args) for c in events] == [
        ("move_neuron", ("h3", 2)), ("move_neuron", ("h3", 3)), ("move_neuron", ("h3", 1)),
    ]
    assert net.structure_version == 3
    net.validate()


def test_move_neuron_into_output_layer_of_cross_entropy_net_with_the_right_activation():
    net = base("cross_entropy")
    net.set_activation("h3", "linear")
    net.move_neuron("h3", 3)
    assert net.is_output("h3")


def test_copy_same_as_and_assign():
    net = base()
    c = net.copy()
    assert c.same_as(net) and c == net and c is not net
    c.set_weight("x1", "h1", 9.0)
    assert not c.same_as(net) and net.weight("x1", "h1") == 0.1
    d = base()
    d.remove_edge("x1", "h1")
    d.add_edge("x1", "h1", 0.1)  # same edges, different order
    assert not d.same_as(net)
    events = watch(net)
    net.assign(c)
    assert net.same_as(c) and [e.kind for e in events] == ["assign"]
    c.set_weight("x1", "h1", 1.0)
    assert net.weight("x1", "h1") == 9.0  # assign copied, not shared


def test_unsubscribe():
    net = base()
    events = watch(net)
    net.unsubscribe(events.append)
    net.set_bias("h1", 1.0)
    assert events == []


# ---------------------------------------------------------------------------------------------- impossible edits
def _ce():
    return base("cross_entropy")


def _bce():
    return base("bce", "sigmoid")


IMPOSSIBLE = [
    # edges
    (base, lambda n: n.add_edge("h1", "x1"), "cannot end at input neuron 'x1'"),
    (base, lambda n: n.add_edge("x2", "x1"), "cannot end at input neuron 'x1'"),
    (base, lambda n: n.add_edge("g1", "h1"), "goes backwards"),
    (base, lambda n: n.add_edge("y1", "g1"), "goes backwards"),
    (base, lambda n: n.add_edge("h1", "h2"), "both neurons are in layer 1"),
    (base, lambda n: n.add_edge("y1", "y2"), "both neurons are in layer 3"),
    (base, lambda n: n.add_edge("h1", "h1"), "cannot connect to itself"),
    (base, lambda n: n.add_edge("x1", "h1"), "already exists"),
    (base, lambda n: n.add_edge("x1", "h1", 5.0), "already exists"),
    (base, lambda n: n.add_edge("x1", "nope"), "unknown neuron 'nope'"),
    (base, lambda n: n.add_edge("nope", "h1"), "unknown neuron 'nope'"),
    (base, lambda n: n.add_edge(None, "h1"), "unknown neuron"),
    (base, lambda n: n.add_edge(["x1"], "h2"), "unknown neuron"),
    (base, lambda n: n.add_edge("x2", "h2", math.nan), "finite"),
    (base, lambda n: n.add_edge("x2", "h2", math.inf), "finite"),
    (base, lambda n: n.add_edge("x2", "h2", "1"), "must be a number"),
    (base, lambda n: n.add_edge("x2", "h2", True), "must be a number"),
    (base, lambda n: n.add_edge("x2", "h2", None), "must be a number"),
    (base, lambda n: n.remove_edge("x2", "h2"), "no edge 'x2' -> 'h2'"),
    (base, lambda n: n.remove_edge("x1", "nope"), "unknown neuron 'nope'"),
    (base, lambda n: n.remove_edge(["x1"], "h1"), "unknown neuron"),
    (base, lambda n: n.set_weight("x2", "h2", 1.0), "no edge"),
    (base, lambda n: n.set_weight("x1", "h1", math.nan), "finite"),
    (base, lambda n: n.set_weight("x1", "h1", -math.inf), "finite"),
    (base, lambda n: n.set_weight("x1", "h1", "0.5"), "must be a number"),
    (base, lambda n: n.set_weight(["x1"], "h1", 1.0), "unknown neuron"),
    # biases and activations
    (base, lambda n: n.set_bias("x1", 1.0), "input neuron 'x1' has no bias"),
    (base, lambda n: n.set_bias("h1", math.inf), "finite"),
    (base, lambda n: n.set_bias("h1", "1"), "must be a number"),
    (base, lambda n: n.set_bias("nope", 1.0), "unknown neuron 'nope'"),
    (base, lambda n: n.set_activation("x1", "tanh"), "input neuron 'x1' has no activation"),
    (base, lambda n: n.set_activation("h1", "swish"), "unknown activation 'swish'"),
    (base, lambda n: n.set_activation("h1", None), "unknown activation"),
    (base, lambda n: n.set_activation("nope", "tanh"), "unknown neuron 'nope'"),
    (_ce, lambda n: n.set_activation("y1", "tanh"), "'y1' must use the linear activation with the cross_entropy"),
    (_bce, lambda n: n.set_activation("y2", "linear"), "must use the sigmoid activation with the bce loss"),
    # parameters
    (base, lambda n: n.set_parameters({"x1->h1": 5.0, "h1.bias": math.nan}), "finite"),
    (base, lambda n: n.set_parameters({"x1->h1": 5.0, "x1.bias": 1.0}), "input neuron 'x1' has no bias"),
    (base, lambda n: n.set_parameters({"x1->h1": 5.0, "x2->h2": 1.0}), "no edge 'x2' -> 'h2'"),
    (base, lambda n: n.set_parameters({"x1->h1": 5.0, "garbage": 1.0}), "not a parameter name"),
    (base, lambda n: n.set_parameters({"x1->h1": 5.0, "nope.bias": 1.0}), "unknown neuron 'nope'"),
    (base, lambda n: n.set_parameter("x1.bias", 1.0), "has no bias"),
    (base, lambda n: n.set_parameter("x1-h1", 1.0), "not a parameter name"),
    (base, lambda n: n.set_parameter("1x->h1", 1.0), "not a parameter name"),
    (base, lambda n: n.set_parameter(3, 1.0), "parameter name must be a string"),
    (base, lambda n: n.set_parameter("x1->h1", "a"), "must be a number"),
    # neurons
    (base, lambda n: n.add_neuron("h1", 1), "already a neuron 'h1'"),
    (base, lambda n: n.add_neuron("x1", 0), "already a neuron 'x1'"),
    (base, lambda n: n.add_neuron("1x", 1), "not a valid neuron id"),
    (base, lambda n: n.add_neuron("a-b", 1), "not a valid neuron id"),
    (base, lambda n: n.add_neuron("a b", 1), "not a valid neuron id"),
    (base, lambda n: n.add_neuron("", 1), "not a valid neuron id"),
    (base, lambda n: n.add_neuron("a\n", 1), "not a valid neuron id"),
    (base, lambda n: n.add_neuron(None, 1), "not a valid neuron id"),
    (base, lambda n: n.add_neuron(7, 1), "not a valid neuron id"),
    (base, lambda n: n.add_neuron("n", 4), "there is no layer 4"),
    (base, lambda n: n.add_neuron("n", -1), "there is no layer -1"),
    (base, lambda n: n.add_neuron("n", 1.0), "layer must be a whole number"),
    (base, lambda n: n.add_neuron("n", True), "layer must be a whole number"),
    (base, lambda n: n.add_neuron("n", 0, activation="tanh"), "input neuron 'n' cannot have an activation"),
    (base, lambda n: n.add_neuron("n", 0, bias=1.0), "input neuron 'n' cannot have a bias"),
    (base, lambda n: n.add_neuron("n", 1, "swish"), "unknown activation 'swish'"),
    (base, lambda n: n.add_neuron("n", 1, bias=math.nan), "finite"),
    (_ce, lambda n: n.add_neuron("n", 3, "tanh"), "must use the linear activation"),
    (_bce, lambda n: n.add_neuron("n", 3, "linear"), "must use the sigmoid activation"),
    (base, lambda n: n.remove_neuron("nope"), "unknown neuron 'nope'"),
    (one_io, lambda n: n.remove_neuron("x1"), "'x1': it is the last input neuron"),
    (one_io, lambda n: n.remove_neuron("y1"), "'y1': it is the last output neuron"),
    (base, lambda n: n.rename_neuron("h1", "h2"), "already a neuron 'h2'"),
    (base, lambda n: n.rename_neuron("h1", "2h"), "not a valid neuron id"),
    (base, lambda n: n.rename_neuron("h1", None), "not a valid neuron id"),
    (base, lambda n: n.rename_neuron("nope", "fine"), "unknown neuron 'nope'"),
    # moves
    (base, lambda n: n.move_neuron("x1", 1), "input neuron 'x1' stays in layer 0"),
    (base, lambda n: n.move_neuron("h1", 0), "cannot become an input"),
    (one_io, lambda n: n.move_neuron("y1", 1), "'y1': it is the last output neuron"),
    (base, lambda n: n.move_neuron("h1", 2), "its output edge to 'g1' \\(layer 2\\) would not go to a higher layer"),
    (base, lambda n: n.move_neuron("h2", 3), "its output edge to 'g1'"),
    (base, lambda n: n.move_neuron("g1", 1), "its input edge from 'h1' \\(layer 1\\) would not come from a lower"),
    (base, lambda n: n.move_neuron("y1", 2), "its input edge from 'g1'"),
    (_ce, lambda n: n.move_neuron("h3", 3), "'h3' must use the linear activation"),
    (base, lambda n: n.move_neuron("h3", 4), "there is no layer 4"),
    (base, lambda n: n.move_neuron("h3", "2"), "layer must be a whole number"),
    (base, lambda n: n.move_neuron("nope", 2), "unknown neuron 'nope'"),
    # layers
    (base, lambda n: n.remove_layer(0), "the input layer cannot be removed"),
    (base, lambda n: n.remove_layer(3), "the output layer cannot be removed"),
    (base, lambda n: n.remove_layer(4), "there is no layer 4"),
    (base, lambda n: n.remove_layer(-1), "there is no layer -1"),
    (base, lambda n: n.remove_layer(True), "there is no layer True"),
    (base, lambda n: n.remove_layer(1.0), "there is no layer 1.0"),
    (base, lambda n: n.add_layer(0), "between the inputs and the outputs"),
    (base, lambda n: n.add_layer(4), "between the inputs and the outputs"),
    (base, lambda n: n.add_layer("1"), "between the inputs and the outputs"),
    (base, lambda n: n.add_layer(True), "between the inputs and the outputs"),
    # loss
    (base, lambda n: n.set_loss("hinge"), "unknown loss 'hinge'"),
    (base, lambda n: n.set_loss(None), "unknown loss"),
    (base, lambda n: n.set_loss("bce"), "'y1' must use the sigmoid activation with the bce loss"),
    (_bce, lambda n: n.set_loss("cross_entropy"), "must use the linear activation with the cross_entropy"),
]


@pytest.mark.parametrize("make, edit, message", IMPOSSIBLE, ids=[f"{i}" for i in range(len(IMPOSSIBLE))])
def test_impossible_edit_raises_and_changes_nothing(make, edit, message):
    net = make()
    rec = Recorder(net)
    with pytest.raises(NetworkError, match=message):
        edit(net)
    rec.assert_unchanged()


def test_error_messages_are_readable():
    net = base()
    with pytest.raises(NetworkError) as e:
        net.add_edge("g1", "h1")
    assert str(e.value) == ("edge 'g1' -> 'h1' goes backwards (layer 2 to layer 1); "
                            "edges go from a lower layer to a higher one")
    assert net.check_edge("g1", "h1") == str(e.value)
    assert isinstance(e.value, ValueError)


def test_unknown_lookups_raise_network_error():
    net = base()
    for call in (lambda: net.neuron("nope"), lambda: net.weight("x2", "h2"), lambda: net.role("nope"),
                 lambda: net.get_parameter("nope.bias"), lambda: net.get_parameter("x1.bias"),
                 lambda: net.weight(["x1"], "h1"), lambda: net.neuron(["x1"])):
        with pytest.raises(NetworkError):
            call()
    assert net.has_parameter("x1->h1") and not net.has_parameter("x1.bias") and not net.has_parameter("x")


def test_network_constructor_rejects_unknown_loss():
    with pytest.raises(NetworkError, match="unknown loss 'l1'"):
        Network("l1")


def test_validate_catches_broken_networks():
    net = Network()
    with pytest.raises(NetworkError, match="at least one input"):
        net.validate()
    net._add_neuron_unchecked(Neuron("x", 0))
    with pytest.raises(NetworkError, match="at least one output"):
        net.validate()
    net._add_neuron_unchecked(Neuron("y", 1, "tanh"))
    net.validate()
    bad = Network("bce")
    bad._add_neuron_unchecked(Neuron("x", 0))
    bad._add_neuron_unchecked(Neuron("y", 1, "tanh"))
    with pytest.raises(NetworkError, match="sigmoid"):
        bad.validate()


# ---------------------------------------------------------------------------------------------- random edits
IDS = ["x1", "x2", "h1", "h2", "h3", "g1", "y1", "y2", "n0", "n1", "n2", "n3", "bad id", "9n"]
LAYERS = st.integers(-1, 6)
# mostly valid values, so that edits often succeed and the network wanders far from where it started
WEIGHTS = st.one_of(st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3),
                    st.sampled_from([math.nan, math.inf, -math.inf]))
ACTS = st.sampled_from(ACTIVATION_NAMES + ("bogus",))
ID = st.sampled_from(IDS)
NEW_ID = st.one_of(st.sampled_from(["n0", "n1", "n2", "n3", "n4", "n5"]), ID)
EDITS = st.one_of(
    st.tuples(st.just("add_neuron"), NEW_ID, st.integers(0, 4), st.one_of(st.none(), st.none(), ACTS)),
    st.tuples(st.just("remove_neuron"), ID),
    st.tuples(st.just("rename_neuron"), ID, ID),
    st.tuples(st.just("add_edge"), ID, ID, WEIGHTS),
    st.tuples(st.just("add_edge"), ID, ID, WEIGHTS),
    st.tuples(st.just("remove_edge"), ID, ID),
    st.tuples(st.just("set_weight"), ID, ID, WEIGHTS),
    st.tuples(st.just("set_bias"), ID, WEIGHTS),
    st.tuples(st.just("set_activation"), ID, ACTS),
    st.tuples(st.just("set_loss"), st.sampled_from(LOSS_NAMES + ("bogus",))),
    st.tuples(st.just("add_layer"), LAYERS),
    st.tuples(st.just("remove_layer"), LAYERS),
    st.tuples(st.just("move_neuron"), ID, LAYERS),
)
STRUCTURAL = {"add_neuron", "remove_neuron", "rename_neuron", "add_edge", "remove_edge", "set_activation",
              "set_loss", "add_layer", "remove_layer", "move_neuron"}
F = {
    "linear": lambda v: v, "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "tanh": math.tanh,
    "relu": lambda v: max(v, 0.0), "leaky_relu": lambda v: v if v > 0 else 0.01 * v,
    "softplus": lambda v: math.log1p(math.exp(v)), "gaussian": lambda v: math.exp(-v * v),
}


def reference_outputs(net: Network, x: list[float]) -> list[float]:
    """One sample through the network, neuron by neuron (inputs take x in document order)."""
    out = dict(zip([n.id for n in net.inputs], x))
    for n in sorted((n for n in net if n.layer > 0), key=lambda n: n.layer):
        s = n.bias + sum(w * out[a] for (a, b), w in net.edges.items() if b == n.id)
        out[n.id] = F[n.activation](s)
    y = [out[n.id] for n in net.outputs]
    if net.loss == "cross_entropy":
        m = max(y)
        e = [math.exp(v - m) for v in y]
        y = [v / sum(e) for v in e]
    return y


def check_invariants(net: Network):
    net.validate()
    layers = {n.id: n.layer for n in net}
    assert any(v == 0 for v in layers.values())
    top = max(layers.values())
    assert top > 0
    for n in net:
        if n.layer == 0:
            assert n.activation is None and n.bias == 0.0
        else:
            assert n.activation in ACTIVATION_NAMES and math.isfinite(n.bias)
    for (a, b), w in net.edges.items():
        assert layers[a] < layers[b] and math.isfinite(w)
    need = {"bce": "sigmoid", "cross_entropy": "linear"}.get(net.loss)
    if need:
        assert all(n.activation == need for n in net.outputs)
    engine = Engine(net)
    assert engine.parameter_names == net.parameter_names()
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(3, len(net.inputs)))
    y = engine.predict(x)
    assert y.shape == (3, len(net.outputs))
    np.testing.assert_allclose(y, [reference_outputs(net, list(row)) for row in x], rtol=1e-9, atol=1e-12)
    e, grads = engine.gradient(x, np.full((3, len(net.outputs)), 0.5))
    assert math.isfinite(e) and set(grads) == set(net.parameter_names())


@settings(max_examples=100, deadline=None)
@given(edits=st.lists(EDITS, min_size=1, max_size=30), start_loss=st.sampled_from(LOSS_NAMES))
def test_random_edit_sequences(edits, start_loss):
    net = base("half_sse", {"bce": "sigmoid"}.get(start_loss, "linear"))
    net.set_loss(start_loss)
    succeeded = 0
    for method, *args in edits:
        rec = Recorder(net)
        try:
            getattr(net, method)(*args)
        except NetworkError as e:
            assert str(e)
            rec.assert_unchanged()
        else:
            succeeded += 1
            events = rec.events
            if events:  # an edit emits exactly one Change named after it ...
                assert [c.kind for c in events] == [method]
            else:  # ... unless it is a no-op (rename to the same id, move to the same layer)
                assert method in ("rename_neuron", "move_neuron") and net.same_as(rec.copy)
            assert net.structure_version == rec.version + (1 if events and method in STRUCTURAL else 0)
        finally:
            net.unsubscribe(rec.events.append)
        check_invariants(net)


def test_numpy_scalars_are_accepted_as_weights_and_numpy_bools_are_not():
    from bpgui.core.network import layered

    net = layered([1, 1])
    net.set_weight("x1", "y1", np.float32(0.25))
    assert net.edges[("x1", "y1")] == 0.25
    net.set_bias("y1", np.int64(2))
    assert net.neuron("y1").bias == 2.0
    with pytest.raises(NetworkError):
        net.set_weight("x1", "y1", np.bool_(True))


@pytest.mark.parametrize("bad", [[], {}, None, 3])
def test_names_that_are_not_text_are_refused_with_a_network_error(bad):
    net = layered([2, 2, 1])
    before = net.copy()
    with pytest.raises(NetworkError):
        net.set_loss(bad)
    with pytest.raises(NetworkError):
        net.set_activation("h1", bad)
    assert net.same_as(before)
