"""Fresh random weights for Reset: the ``init`` of a document's ``training`` section.

For the edge a → b, with fan_in(b) the edges into b and fan_out(a) the edges out of a (skip connections count):

``glorot``   uniform in ±√(6 / (fan_out(a) + fan_in(b)))  (Glorot & Bengio 2010; bpgui's default, cut to 4 decimals)
``he``       normal with standard deviation √(2 / fan_in(b))  (He et al. 2015, "He-normal": PyTorch's
             kaiming_normal_ with its defaults, mode fan_in and a relu gain)
``uniform``  uniform in ±``range``
``normal``   normal with standard deviation ``std`` (mean 0)
``zeros``    every weight 0: see :func:`init_warning`

Biases start at 0 for every kind. Values are drawn in the network's parameter order from a generator seeded with
``training.seed``, so Reset is reproducible; all but glorot's are cut (towards 0) to 4 significant digits, so a
file stays readable and every value stays within its range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .network import Network, parse_parameter_name

INIT_KINDS = ("glorot", "he", "uniform", "normal", "zeros")
#: each kind's fields (besides ``kind``)
INIT_FIELDS = {"glorot": (), "he": (), "uniform": ("range",), "normal": ("std",), "zeros": ()}
#: the largest range or standard deviation a document may hold
MAX_INIT_SCALE = 1e3

ZEROS_WARNING = ("Every weight starts at 0, so every neuron of a layer gets the same gradient: they stay equal "
                 "(symmetry), and the hidden layers act like a single neuron. Choose another initialisation to "
                 "break the symmetry.")


@dataclass(frozen=True)
class Init:
    """One of INIT_KINDS with its field: ``uniform`` (``range`` r > 0: values in ±r), ``normal`` (``std`` > 0)."""

    kind: str = "glorot"
    range: float | None = None
    std: float | None = None

    def __post_init__(self):
        if self.kind not in INIT_KINDS:
            raise ValueError(f"kind: unknown initialisation {self.kind!r} (choose from {', '.join(INIT_KINDS)})")
        wanted = INIT_FIELDS[self.kind]
        for name in ("range", "std"):
            value = getattr(self, name)
            if value is not None and name not in wanted:
                raise ValueError(f"{name}: a {self.kind} initialisation has no {name}")
            if name in wanted:
                if value is None:
                    raise ValueError(f"{name}: a {self.kind} initialisation needs its {name}")
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                        math.isfinite(value) and 0.0 < value <= MAX_INIT_SCALE):
                    raise ValueError(f"{name} must be above 0 and at most {MAX_INIT_SCALE:g}, not {value!r}")
                object.__setattr__(self, name, float(value))

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{name: getattr(self, name) for name in INIT_FIELDS[self.kind]}}

    def describe(self) -> str:
        if self.kind == "uniform":
            return f"uniform in ±{self.range:g}"
        if self.kind == "normal":
            return f"normal, standard deviation {self.std:g}"
        return {"glorot": "Glorot uniform", "he": "He normal", "zeros": "all zeros"}[self.kind]


GLOROT = Init()


def init_warning(init: Init | None) -> str | None:
    """A warning for the window to show about ``init``, or None: ``zeros`` keeps every neuron of a layer equal."""
    if init is not None and init.kind == "zeros":
        return ZEROS_WARNING
    return None


def _cut(v: float, digits: int = 4) -> float:
    """``v`` cut towards 0 to ``digits`` significant digits (so |result| ≤ |v|)."""
    if v == 0.0 or not math.isfinite(v):
        return v
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(abs(v))))
    return math.trunc(v * scale) / scale


def initial_parameters(network: Network, seed: int, init: Init | None = None) -> dict[str, float]:
    """Fresh weights by ``init`` (default glorot) and zero biases, drawn from ``seed``: parameter name → value."""
    init = GLOROT if init is None else init
    rng = np.random.default_rng(seed)
    fan_in = {n.id: 0 for n in network}
    fan_out = dict(fan_in)
    for a, b in network.edges:
        fan_out[a] += 1
        fan_in[b] += 1
    values = {}
    for name in network.parameter_names():
        ref = parse_parameter_name(name)
        if not isinstance(ref, tuple):
            values[name] = 0.0
            continue
        a, b = ref
        kind = init.kind
        if kind == "glorot":
            limit = math.sqrt(6.0 / max(1, fan_out[a] + fan_in[b]))
            values[name] = math.trunc(float(rng.uniform(-limit, limit)) * 1e4) / 1e4  # 4 decimals, within ±limit
        elif kind == "he":
            values[name] = _cut(float(rng.normal(0.0, math.sqrt(2.0 / max(1, fan_in[b])))))
        elif kind == "uniform":
            values[name] = _cut(float(rng.uniform(-init.range, init.range)))
        elif kind == "normal":
            values[name] = _cut(float(rng.normal(0.0, init.std)))
        else:
            values[name] = 0.0
    return values
