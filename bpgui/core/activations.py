"""Activation functions, evaluated in place on the engine's buffers.

Each activation knows how to compute ``out = f(net)`` and the derivative ``f'(net)``, given both ``net`` and
``out`` so that sigmoid and tanh can reuse their output (``f' = y(1-y)``, ``1 - y²``). All functions write into
a caller-supplied ``out`` array, so a training step allocates nothing.
"""

from __future__ import annotations

import numpy as np

LEAKY_SLOPE = 0.01


def _forward_linear(net, out):
    np.copyto(out, net)


def _deriv_linear(net, out, d):
    d.fill(1.0)


def _forward_sigmoid(net, out):
    # 0.5 * (1 + tanh(x/2)) is exact and never overflows, unlike 1 / (1 + exp(-x)).
    np.multiply(net, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5


def _deriv_sigmoid(net, out, d):
    np.subtract(1.0, out, out=d)
    d *= out


def _forward_tanh(net, out):
    np.tanh(net, out=out)


def _deriv_tanh(net, out, d):
    np.multiply(out, out, out=d)
    np.subtract(1.0, d, out=d)


def _forward_relu(net, out):
    np.maximum(net, 0.0, out=out)


def _deriv_relu(net, out, d):
    np.greater(net, 0.0, out=d)


def _forward_leaky_relu(net, out):
    np.multiply(net, LEAKY_SLOPE, out=out)
    np.maximum(net, out, out=out)


def _deriv_leaky_relu(net, out, d):
    np.greater(net, 0.0, out=d)
    d *= 1.0 - LEAKY_SLOPE
    d += LEAKY_SLOPE


def _forward_softplus(net, out):
    np.logaddexp(net, 0.0, out=out)


def _deriv_softplus(net, out, d):
    # softplus' = sigmoid(net)
    _forward_sigmoid(net, d)


def _forward_gaussian(net, out):
    np.multiply(net, net, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)


def _deriv_gaussian(net, out, d):
    # d/dx exp(-x²) = -2x exp(-x²)
    np.multiply(net, out, out=d)
    d *= -2.0


class Activation:
    """A named activation: ``forward(net, out)`` and ``derivative(net, out, d)`` write into their last argument."""

    __slots__ = ("name", "forward", "derivative", "formula")

    def __init__(self, name, forward, derivative, formula):
        self.name = name
        self.forward = forward
        self.derivative = derivative
        self.formula = formula

    def __call__(self, net):
        """Convenience for tests and views: f(net) as a new array."""
        net = np.asarray(net, dtype=float)
        out = np.empty_like(net)
        self.forward(net, out)
        return out

    def __repr__(self):
        return f"Activation({self.name!r})"


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", _forward_linear, _deriv_linear, "f(x) = x"),
        Activation("sigmoid", _forward_sigmoid, _deriv_sigmoid, "f(x) = 1 / (1 + e^-x)"),
        Activation("tanh", _forward_tanh, _deriv_tanh, "f(x) = tanh x"),
        Activation("relu", _forward_relu, _deriv_relu, "f(x) = max(0, x)"),
        Activation("leaky_relu", _forward_leaky_relu, _deriv_leaky_relu, f"f(x) = max({LEAKY_SLOPE}·x, x)"),
        Activation("softplus", _forward_softplus, _deriv_softplus, "f(x) = log(1 + e^x)"),
        Activation("gaussian", _forward_gaussian, _deriv_gaussian, "f(x) = e^(-x²)"),
    )
}

ACTIVATION_NAMES = tuple(ACTIVATIONS)
