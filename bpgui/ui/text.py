"""Numbers and names as the views write them: significant digits, real minus signs, names safe in rich text."""

from __future__ import annotations

from html import escape


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
