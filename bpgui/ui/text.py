"""Numbers and names as the views write them: significant digits, real minus signs, names safe in rich text."""

from __future__ import annotations

import math
import re
from html import escape

_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def num(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits, with a real minus sign and a short exponent."""
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def rich_name(name: str) -> str:
    """A parameter or neuron name for rich text: escaped, and not broken after a hyphen (as in x1->h1)."""
    return escape(name).replace("-", "-\u2060")  # word joiner


def distinct(a: float, b: float, digits: int) -> tuple[str, str]:
    """``a`` and ``b`` with at least ``digits`` significant digits, more if needed to tell them apart."""
    for d in range(digits, 12):
        sa, sb = num(a, d), num(b, d)
        if sa != sb:
            break
    return sa, sb


def loss_name(decay) -> str:
    """What the gradient views call the loss they show: "E", or "E + R" with a weight decay (a
    core.regularization.WeightDecay or None)."""
    return "E" if decay is None else "E + R"


def total_words(decay) -> str:
    """With a weight decay, a sentence that says the view's E is the total training minimises ("" without)."""
    if decay is None:
        return ""
    return f"E here is the total {decay.formula()} (the data loss and the {decay.kind} weight decay)."


def parse_number(text: str) -> float | None:
    """A plain finite decimal number as a person types it (no "nan", "inf" or Python's "1_0"), or None."""
    if not _NUMBER.match(text):
        return None
    v = float(text)
    return v if math.isfinite(v) else None


def parse_count(text: str) -> int | None:
    """A whole number as a person types it ("1000", "1,000", "1e3"), or None."""
    v = parse_number(text.replace(",", ""))
    return int(v) if v is not None and v == int(v) and abs(v) < 2**53 else None
