"""Loss functions E(y, t), averaged over the N samples of a batch.

Arrays are feature-major, as in the engine: ``z`` (net inputs), ``y`` (outputs) and ``t`` (targets) have shape
(K, N) for K output neurons and N samples.

``half_sse``       E = (1/N) Σₙ Σₖ ½ (tₙₖ − yₙₖ)²
``mse``            E = (1/(N·K)) Σₙ Σₖ (tₙₖ − yₙₖ)²
``bce``            E = −(1/N) Σₙ Σₖ [t log y + (1 − t) log(1 − y)], outputs must be sigmoid; computed from the
                   net input as softplus(z) − t·z, so it stays finite at saturated sigmoids.
``cross_entropy``  E = −(1/N) Σₙ Σₖ tₙₖ log softmax(zₙ)ₖ, outputs must be linear; the reported outputs are the
                   softmax probabilities.

Each is the mean E = (1/N) Σₙ Eₙ of the samples' own losses Eₙ (for mse, Eₙ = (1/K) Σₖ (tₙₖ − yₙₖ)²):
:meth:`Loss.sample_losses` gives the Eₙ.

A loss either gives ∂E/∂y, which the engine multiplies by f'(net) (``fused = False``), or, for bce and
cross-entropy, gives δ = ∂E/∂net of the output neurons directly (``fused = True``), which is both simpler
and numerically safer.
"""

from __future__ import annotations

import numpy as np


class Loss:
    name = ""
    fused = False
    #: activation the output neurons must have, or None for any
    required_output_activation: str | None = None
    formula = ""

    def workspace(self, k: int, n: int):
        return np.empty((k, n))

    def forward_backward(self, z, y, t, ws, grad) -> float:
        """Return E and write ∂E/∂y (unfused) or ∂E/∂z (fused) into ``grad``."""
        raise NotImplementedError

    def outputs(self, z, y):
        """What the network reports as its outputs for this loss (a new array)."""
        return np.array(y)

    def sample_losses(self, z, y, t) -> np.ndarray:
        """Eₙ, each sample's own loss, shape (N,); E is their mean (for the explain views; not on the hot path)."""
        raise NotImplementedError

    def dE_dout(self, z, y, t):
        """∂E/∂out of each output neuron, per sample (for the chain-rule views; not on the hot path)."""
        ws = self.workspace(*y.shape)
        g = np.empty_like(y)
        self.forward_backward(z, y, t, ws, g)
        return g


class HalfSSE(Loss):
    name = "half_sse"
    formula = "E = (1/N) Σₙ Σₖ ½ (tₙₖ − yₙₖ)²"

    def forward_backward(self, z, y, t, ws, grad):
        n = y.shape[1]
        np.subtract(y, t, out=grad)
        e = 0.5 * float(np.vdot(grad, grad)) / n
        grad *= 1.0 / n
        return e

    def sample_losses(self, z, y, t):
        return 0.5 * np.sum((y - t) ** 2, axis=0)


class MSE(Loss):
    name = "mse"
    formula = "E = (1/(N·K)) Σₙ Σₖ (tₙₖ − yₙₖ)²"

    def forward_backward(self, z, y, t, ws, grad):
        scale = 1.0 / y.size
        np.subtract(y, t, out=grad)
        e = float(np.vdot(grad, grad)) * scale
        grad *= 2.0 * scale
        return e

    def sample_losses(self, z, y, t):
        return np.mean((y - t) ** 2, axis=0)


class BCE(Loss):
    name = "bce"
    fused = True
    required_output_activation = "sigmoid"
    formula = "E = −(1/N) Σₙ Σₖ [tₙₖ log yₙₖ + (1 − tₙₖ) log(1 − yₙₖ)]"

    def forward_backward(self, z, y, t, ws, grad):
        n = y.shape[1]
        np.logaddexp(z, 0.0, out=ws)
        e = (float(ws.sum()) - float(np.vdot(t, z))) / n
        np.subtract(y, t, out=grad)
        grad *= 1.0 / n
        return e

    def sample_losses(self, z, y, t):
        return np.sum(np.logaddexp(z, 0.0) - t * z, axis=0)

    def dE_dout(self, z, y, t):
        n = y.shape[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return (y - t) / (y * (1.0 - y) * n)


class CrossEntropy(Loss):
    name = "cross_entropy"
    fused = True
    required_output_activation = "linear"
    formula = "E = −(1/N) Σₙ Σₖ tₙₖ log softmax(zₙ)ₖ"

    def workspace(self, k, n):
        return (np.empty((k, n)), np.empty((1, n)), np.empty((1, n)))

    def _softmax(self, z, p, m, s):
        np.max(z, axis=0, keepdims=True, out=m)
        np.subtract(z, m, out=p)
        np.exp(p, out=p)
        np.sum(p, axis=0, keepdims=True, out=s)
        p /= s

    def forward_backward(self, z, y, t, ws, grad):
        p, m, s = ws
        n = z.shape[1]
        self._softmax(z, p, m, s)
        # log-sum-exp per sample: m + log s
        np.log(s, out=s)
        s += m
        np.sum(t, axis=0, keepdims=True, out=m)  # Σₖ tₙₖ (1 for one-hot targets)
        e = (float(np.vdot(s, m)) - float(np.vdot(t, z))) / n
        # δₖ = (pₖ Σⱼ tⱼ − tₖ) / N
        np.multiply(p, m, out=grad)
        grad -= t
        grad *= 1.0 / n
        return e

    def sample_losses(self, z, y, t):
        m = np.max(z, axis=0)
        log_sum_exp = m + np.log(np.sum(np.exp(z - m), axis=0))
        return log_sum_exp * np.sum(t, axis=0) - np.sum(t * z, axis=0)

    def outputs(self, z, y):
        k, n = z.shape
        p, m, s = self.workspace(k, n)
        self._softmax(z, p, m, s)
        return p


LOSSES: dict[str, Loss] = {cls.name: cls() for cls in (HalfSSE, MSE, BCE, CrossEntropy)}
LOSS_NAMES = tuple(LOSSES)

#: how close to 0 or 1 a constant probability may come (a mean target of exactly 0 or 1 would need z = ∓∞)
_P_EDGE = 1e-12


def constant_output_loss(name: str, t: np.ndarray) -> float:
    """E of the best network that ignores its inputs: every output is the mean target (``t`` is N × K, sample
    major). The mean minimises all four losses among constant outputs; a trained network should do better, and a
    network far above this is doing worse than answering the average."""
    t = np.asarray(t, dtype=float)
    mean = t.mean(axis=0)
    y = np.repeat(mean[:, None], len(t), axis=1)  # K × N
    loss = LOSSES[name]
    if name == "bce":  # a sigmoid output of the mean: z = logit(mean)
        p = np.clip(y, _P_EDGE, 1 - _P_EDGE)
        z = np.log(p) - np.log1p(-p)
    elif name == "cross_entropy":  # softmax(log mean) = mean (targets' rows sum to 1)
        z = np.log(np.clip(y, _P_EDGE, None))
    else:
        z = y
    return loss.forward_backward(z, y, t.T, loss.workspace(*y.shape), np.empty_like(y))
