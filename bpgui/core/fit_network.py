"""Fit a network's input and output layers to a data table's width (for CSV files of another shape).

The hidden layers and every weight between surviving neurons stay. The input layer gets ``n_inputs`` neurons and
the output layer ``n_outputs``: the first existing neurons of each (document order) are kept, extra ones removed
with their edges, new ones added as x1, x2, … and y1, y2, … (the next free ids) and connected to every neuron of
the next (inputs) or previous (outputs) layer with seeded Glorot-uniform weights ±√(6 / (fan_in + fan_out)) of the
fitted network; new biases are 0. ``loss`` (when given) becomes the network's loss, and every output neuron takes
the activation it requires (sigmoid for bce, linear for cross_entropy); other losses keep the outputs' activations.
"""

from __future__ import annotations

import math

import numpy as np

from .limits import MAX_NEURONS
from .losses import LOSSES
from .network import Network, NetworkError, Neuron


def _fresh_ids(prefix: str, taken: set[str], count: int) -> list[str]:
    ids, k = [], 1
    while len(ids) < count:
        nid = f"{prefix}{k}"
        if nid not in taken:
            ids.append(nid)
            taken.add(nid)
        k += 1
    return ids


def fit_network(network: Network, n_inputs: int, n_outputs: int, loss: str | None = None, seed: int = 0) -> Network:
    """A new network shaped for ``n_inputs`` input and ``n_outputs`` output columns (see the module's text);
    ``network`` is not changed. Raises NetworkError when the result would break a limit."""
    if n_inputs < 1 or n_outputs < 1:
        raise NetworkError("a network needs at least one input and one output neuron")
    loss = network.loss if loss is None else loss
    if loss not in LOSSES:
        raise NetworkError(f"unknown loss '{loss}' (choose from {', '.join(LOSSES)})")
    out_layer = network.output_layer
    if out_layer < 1:
        raise NetworkError("the network has no output layer")
    required = LOSSES[loss].required_output_activation
    old_in = [n.id for n in network.inputs]
    old_out = [n.id for n in network.outputs]
    keep_in, keep_out = old_in[:n_inputs], old_out[:n_outputs]
    taken = set(network.neurons)
    new_in = _fresh_ids("x", taken, n_inputs - len(keep_in))
    new_out = _fresh_ids("y", taken, n_outputs - len(keep_out))
    default_act = required or (network.outputs[0].activation if network.outputs else "linear")

    dropped = set(old_in[n_inputs:]) | set(old_out[n_outputs:])
    if len(network.neurons) - len(dropped) + len(new_in) + len(new_out) > MAX_NEURONS:
        raise NetworkError(f"a network may have at most {MAX_NEURONS:,} neurons")
    fitted = Network(loss)
    # layer by layer as a loader does (add_neuron would take a hidden layer for the outputs until they exist)
    for n in network:  # document order: kept inputs, hidden neurons, kept outputs
        if n.id in dropped:
            continue
        act = (required or n.activation) if n.layer == out_layer else n.activation
        fitted._add_neuron_unchecked(Neuron(n.id, n.layer, act, n.bias))
        if n.layer == 0 and n.id == keep_in[-1]:
            for nid in new_in:  # new inputs follow the kept ones
                fitted._add_neuron_unchecked(Neuron(nid, 0, None, 0.0))
    for nid in new_out:
        fitted._add_neuron_unchecked(Neuron(nid, out_layer, default_act, 0.0))
    for (a, b), w in network.edges.items():
        if a not in dropped and b not in dropped:
            fitted.add_edge(a, b, w)

    # new neurons connect to every neuron of the neighbouring layer
    new_edges = [(a, b.id) for a in new_in for b in fitted.layer(1)]
    new_edges += [(a.id, b) for b in new_out for a in fitted.layer(out_layer - 1)]
    new_edges = list(dict.fromkeys(new_edges))  # without hidden layers a new input meets a new output twice
    fan_in = {n.id: 0 for n in fitted}
    fan_out = dict(fan_in)
    for a, b in list(fitted.edges) + new_edges:
        fan_out[a] += 1
        fan_in[b] += 1
    rng = np.random.default_rng(seed)
    for a, b in new_edges:
        limit = math.sqrt(6.0 / max(1, fan_out[a] + fan_in[b]))
        fitted.add_edge(a, b, math.trunc(float(rng.uniform(-limit, limit)) * 1e4) / 1e4)
    fitted.validate()
    return fitted


def fit_to_table_shape(network: Network, n_inputs: int, n_targets: int, labels: list[str] | None,
                       seed: int = 0) -> Network:
    """``network`` fitted to a table of ``n_inputs`` input columns and ``n_targets`` target columns, or one column of
    class ``labels``: two labels make one sigmoid output with bce, K ≥ 3 make K outputs with cross_entropy (softmax);
    number targets make one linear output each, with the network's loss if it is a regression loss, else half_sse."""
    if labels is not None:
        if len(labels) < 2:
            raise NetworkError(f"the label column holds {len(labels)} class label; a classifier needs 2 or more")
        if len(labels) == 2:
            return fit_network(network, n_inputs, 1, loss="bce", seed=seed)
        return fit_network(network, n_inputs, len(labels), loss="cross_entropy", seed=seed)
    loss = network.loss if network.loss in ("half_sse", "mse") else "half_sse"
    fitted = fit_network(network, n_inputs, n_targets, loss=loss, seed=seed)
    for n in fitted.outputs:
        if n.activation != "linear":
            fitted.set_activation(n.id, "linear")
    return fitted
