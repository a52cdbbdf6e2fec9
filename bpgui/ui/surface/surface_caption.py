"""The words under the error surface: what is drawn (the total E + R with a weight decay), the gradient's numbers,
the arrows' scale (or that there is no gradient to draw), how much E varies over the window, and whether the
landscape under the path has moved."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...core.regularization import WeightDecay
from ..text import num, rich_name
from .surface_view import X_ARROW, Y_ARROW

#: below this variation of E over the window (relative), the caption says the landscape is nearly flat
NEARLY_FLAT = 0.05


@dataclass(frozen=True)
class CaptionFacts:
    pair: tuple[str, str]
    loss: float | None  # E at the current point
    gradient: tuple[float, float] | None  # (∂E/∂x, ∂E/∂y), None when not finite or unknown
    stationary: bool  # |∇E| is below its rounding noise
    noise: float  # that noise (the size of ∇E it cannot tell from 0)
    scale: float | None  # arrows from p to p − scale·∂E/∂p
    scale_since: int | None  # the step from which the scale has held
    rescaled: str | None  # why the scale was just chosen anew, if it was
    variation: float | None  # (max − min) / max of E over the grid
    moved: tuple[str, float] | None  # the other parameter that moved most since the path began, and by how much
    start_outside: bool  # the path's start is outside the grid
    decay: WeightDecay | None = None  # the document's weight decay: the surface is of E + R


def _total(decay: WeightDecay | None) -> tuple[str, str]:
    """The loss's name ("E", or "E + R" with a weight decay) and how a caption's first line names what is drawn:
    "E", or "E + R = E + (λ/2)·Σw², λ = 0.01,"."""
    if decay is None:
        return "E", "E"
    return "E + R", f"E + R = {decay.formula()},"


def surface_caption(f: CaptionFacts) -> str:
    x, y = (f"<b>{rich_name(p)}</b>" for p in f.pair)
    e, drawn = _total(f.decay)
    lines = [f"{drawn} over {x} and {y}, the other parameters held"
             + (f"; here {e} = {num(f.loss, 4)}." if f.loss is not None and math.isfinite(f.loss) else ".")]
    if f.gradient is not None:
        gx, gy = f.gradient
        grad = f"∂E/∂x = {num(gx, 3)}, ∂E/∂y = {num(gy, 3)}."
        if f.stationary:
            lines.append(f"{grad} <b>∇E ≈ 0: a stationary point</b> (|∇E| = {num(math.hypot(gx, gy), 2)}, below "
                         f"the rounding noise {num(f.noise, 2)} of its terms): no downhill to draw.")
        elif f.scale is not None:
            since = f" since step {f.scale_since:,}" if f.scale_since is not None else ""
            why = f", {f.rescaled}" if f.rescaled else ""
            lines.append(f"{grad} Arrows p − {num(f.scale, 3)}·∂E/∂p (one scale{since}{why}: they shrink with "
                         f"∇E): <span style='color:{X_ARROW}'>−∂E/∂x</span>, "
                         f"<span style='color:{Y_ARROW}'>−∂E/∂y</span>, <b>−∇E</b>; ○ the next step.")
        else:
            lines.append(grad)
    if f.variation is not None and f.variation < NEARLY_FLAT:
        lines.append(f"E changes by only {num(100 * f.variation, 2)} % here: nearly flat colours; the contours "
                     "show the shape.")
    if f.moved is not None:
        name, by = f.moved
        lines.append(f"Other weights moved (most: {rich_name(name)} by {num(by, 2)}): the path's fainter, older "
                     "part crossed another landscape.")
    if f.start_outside:
        lines.append("The path starts outside this grid: choose grid <i>Whole path</i> to see it all.")
    return "<br>".join(lines)


#: each plane of directions in a few words (first line of the caption), and in full (its last line)
PLANE_SHORT = {
    "gradient": "u = −∇E/|∇E|, v = the steepest curvature ⊥ u",
    "pca": "u, v = the top two principal directions of the path so far (PC1, PC2)",
    "random": "u, v = two seeded random directions, filter-normalised",
}
PLANE_WORDS = {
    "gradient": "The gradient plane: u is the steepest descent; v is the Hessian's top eigenvector made orthogonal "
                "to u.",
    "pca": "The pca plane: the two directions along which the recorded weights varied most (centred, as a PCA "
           "does).",
    "random": "A random plane: two seeded Gaussian directions, each neuron's incoming block scaled to the norm of "
              "its weights (Li et al. 2018), biases 0.",
}


def plane_caption(result, gradient=None, share=None, scale=None, scale_since=None, rescaled=None,
                  decay: WeightDecay | None = None) -> str:
    """The caption of a surface over a plane of directions (a SurfaceResult with ``plane``): what the plane is,
    E here, −∇E on the plane (``gradient`` = (gᵀu, gᵀv), ``share`` of |∇E| the plane holds, arrows on ``scale``),
    and for pca how much of the path it holds and how far the path strays from it. The numbers come first: a
    short view shows the caption's first lines."""
    e, drawn = _total(decay)
    here = f" here {e} = {num(result.current_loss, 4)};" if math.isfinite(result.current_loss) else ""
    lines = [f"{drawn} over the <b>{result.kind} plane</b> ({PLANE_SHORT.get(result.kind, result.kind)}):{here} every "
             "parameter moves, (x, y) = the weights at (0, 0) + x·u + y·v (drag the point)."]
    if gradient is not None:
        gx, gy = gradient
        line = ""
        if share is not None and math.isfinite(share):
            line = f"The plane holds <b>{num(100 * share, 3)} %</b> of |∇E|; "
        line += f"−∇E on it: (−gᵀu, −gᵀv) = ({num(-gx, 3)}, {num(-gy, 3)})"
        if scale is not None:
            since = f" since step {scale_since:,}" if scale_since is not None else ""
            why = f", {rescaled}" if rescaled else ""
            line += (f". Arrows p − {num(scale, 3)}·∂E/∂(x, y) (one scale{since}{why}): "
                     f"<span style='color:{X_ARROW}'>along u</span>, <span style='color:{Y_ARROW}'>along v</span>, "
                     "<b>their sum</b>")
        elif gx == 0 and gy == 0:
            line += ": no downhill within the plane"
        lines.append(line + ".")
    plane, path = result.plane, result.path
    if plane is not None and plane.explained is not None:
        line = (f"The plane holds {num(100 * plane.explained, 3)} % of the path's variance"
                + (f" ({len(path.x)} recorded rows, drawn by their projection)" if path is not None else ""))
        if path is not None and len(path.residual):
            line += f"; the path is at most {num(float(path.residual.max()), 3)} from the plane"
            gap = np.abs(path.loss - path.plane_loss)
            if np.isfinite(gap).any():
                i = int(np.nanargmax(gap))
                line += (f", and the true E along it differs from E on the plane under it by at most "
                         f"{num(float(gap[i]), 3)} (row {i + 1}: {num(float(path.loss[i]), 4)} against "
                         f"{num(float(path.plane_loss[i]), 4)}).")
            else:
                line += "."
        lines.append(line + ("" if line.endswith(".") else "."))
    if result.picture is not None and result.picture.variation < NEARLY_FLAT:
        lines.append(f"E changes by only {num(100 * result.picture.variation, 2)} % here: nearly flat colours; the "
                     "contours show the shape.")
    lines.append(PLANE_WORDS.get(result.kind, ""))
    return "<br>".join(line for line in lines if line)
