"""Random networks (with skip connections) and training data for them, shared by the tests that check the maths on
many cases."""

from __future__ import annotations

import numpy as np

from bpgui.core.network import Network, Neuron

ACTS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "gaussian")


def random_data(rng: np.random.Generator, net: Network, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples: inputs N(0, 1); targets that fit the loss (bce: half hard 0/1 labels and half soft ones;
    cross-entropy: half one-hot rows and half random distributions; else N(0, 1))."""
    n_in, n_out = len(net.inputs), len(net.outputs)
    x = rng.normal(0, 1.0, size=(n, n_in))
    if net.loss == "bce":
        t = rng.uniform(0, 1, size=(n, n_out))
        t[: n // 2] = t[: n // 2] > 0.5  # some hard labels, some soft
    elif net.loss == "cross_entropy":
        t = rng.dirichlet(np.ones(n_out), size=n)
        t[: n // 2] = np.eye(n_out)[rng.integers(0, n_out, n // 2)]
    else:
        t = rng.normal(0, 1.0, size=(n, n_out))
    return x, t


def random_network(rng: np.random.Generator, loss: str, act: str, choices: tuple[str, ...] = ACTS) -> Network:
    """Random layers (some hidden ones empty), random skip edges, mixed activations within a layer, neurons and
    edges in a shuffled document order. ``act`` is used in the hidden layers and, where the loss allows, the
    outputs; the other activations are drawn from ``choices``."""
    n_in = int(rng.integers(1, 4))
    n_hidden_layers = int(rng.integers(1, 4))
    sizes = [int(rng.integers(0, 4)) for _ in range(n_hidden_layers)]
    if sum(sizes) == 0:
        sizes[int(rng.integers(n_hidden_layers))] = 1
    n_out = int(rng.integers(2 if loss == "cross_entropy" else 1, 5))
    out_layer = n_hidden_layers + 1

    def mixed(count):
        acts = [act if rng.random() < 0.5 else str(rng.choice(choices)) for _ in range(count)]
        if count and act not in acts:
            acts[int(rng.integers(count))] = act
        return acts

    neurons = [Neuron(f"x{i}", 0) for i in range(n_in)]
    hidden_acts = mixed(sum(sizes))
    k = 0
    for li, size in enumerate(sizes, 1):
        for i in range(size):
            neurons.append(Neuron(f"h{li}_{i}", li, hidden_acts[k], float(rng.normal(0, 0.5))))
            k += 1
    need = {"bce": "sigmoid", "cross_entropy": "linear"}.get(loss)
    out_acts = [need] * n_out if need else mixed(n_out)
    neurons += [Neuron(f"o{i}", out_layer, out_acts[i], float(rng.normal(0, 0.5))) for i in range(n_out)]
    rng.shuffle(neurons)
    net = Network(loss)
    for n in neurons:
        net._add_neuron_unchecked(n)
    pairs = [(a.id, b.id) for a in neurons for b in neurons if a.layer < b.layer and rng.random() < 0.6]
    rng.shuffle(pairs)
    for a, b in pairs:
        net.add_edge(a, b, float(rng.normal(0, 1.0)))
    net.validate()
    return net
