"""Fitting a network's input and output layers to a table's width (``bpgui.core.fit_network``)."""

from __future__ import annotations

import math

import pytest

from bpgui.core import load_document
from bpgui.core.fit_network import fit_network
from bpgui.core.network import Network, NetworkError
from bpgui.resources import example_paths


def example(name: str) -> Network:
    return load_document(example_paths()[name]).network


def test_a_2_2_1_net_becomes_64_2_10_keeping_its_hidden_layer_and_weights():
    net = example("xor")
    fitted = fit_network(net, 64, 10, loss="cross_entropy", seed=1)
    assert len(fitted.inputs) == 64 and len(fitted.outputs) == 10
    assert [n.id for n in fitted.layer(1)] == [n.id for n in net.layer(1)]
    assert fitted.loss == "cross_entropy" and {n.activation for n in fitted.outputs} == {"linear"}
    # every old weight between surviving neurons is kept exactly
    for (a, b), w in net.edges.items():
        if a in fitted.neurons and b in fitted.neurons:
            assert fitted.weight(a, b) == w
    # every input feeds every hidden neuron, every hidden neuron feeds every output
    hidden = [n.id for n in fitted.layer(1)]
    assert all((x.id, h) in fitted.edges for x in fitted.inputs for h in hidden)
    assert all((h, y.id) in fitted.edges for y in fitted.outputs for h in hidden)
    assert len(fitted.edges) == 64 * 2 + 2 * 10
    net.validate()  # the original is untouched
    assert len(net.inputs) == 2


def test_new_weights_are_seeded_glorot_within_their_limit():
    net = example("xor")
    a = fit_network(net, 64, 10, loss="cross_entropy", seed=3)
    b = fit_network(net, 64, 10, loss="cross_entropy", seed=3)
    c = fit_network(net, 64, 10, loss="cross_entropy", seed=4)
    assert a.edges == b.edges and a.edges != c.edges
    fan_in = {n.id: 0 for n in a}
    fan_out = dict(fan_in)
    for s, d in a.edges:
        fan_out[s] += 1
        fan_in[d] += 1
    new = [(s, d) for (s, d) in a.edges if (s, d) not in net.edges]
    assert len(new) == 62 * 2 + 2 * 9  # the kept x1, x2 and the first output's edges are old
    for s, d in new:
        assert abs(a.weight(s, d)) <= math.sqrt(6 / (fan_out[s] + fan_in[d]))


def test_shrinking_drops_the_last_inputs_and_outputs_with_their_edges():
    net = fit_network(example("xor"), 5, 3, loss="cross_entropy")
    small = fit_network(net, 1, 2)
    assert [n.id for n in small.inputs] == [net.inputs[0].id]
    assert [n.id for n in small.outputs] == [n.id for n in net.outputs[:2]]
    assert all(a in small.neurons and b in small.neurons for a, b in small.edges)


def test_bce_makes_the_outputs_sigmoid_and_a_net_without_hidden_layers_connects_once():
    net = Network("half_sse")
    net.add_neuron("a", 0)
    net.add_neuron("o", 1, "linear")
    net.add_edge("a", "o", 0.5)
    fitted = fit_network(net, 3, 2, loss="bce")
    assert {n.activation for n in fitted.outputs} == {"sigmoid"}
    assert len(fitted.edges) == 3 * 2 and fitted.weight("a", "o") == 0.5


def test_limits_and_nonsense_are_refused():
    with pytest.raises(NetworkError, match="at most"):
        fit_network(example("xor"), 1000, 10)
    with pytest.raises(NetworkError, match="at least one"):
        fit_network(example("xor"), 0, 1)
