"""Random training data for random networks, shared by the tests that check the maths on many cases."""

from __future__ import annotations

import numpy as np

from bpgui.core.network import Network


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
