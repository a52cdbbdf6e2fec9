"""The views that answer "why −∂E/∂w?": the 1-D slice with its tangent, the directional derivative against the
direction's angle, and the chain rule with numbers; fed with hand-built inputs and with bpgui.core.explain."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor, QTextTable
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionSpinBox

from bpgui.core import load_document
from bpgui.core.document import make_dataset
from bpgui.core.explain import ChainRule, Downstream, StepPrediction, chain_rule, predict_step, slice_1d
from bpgui.resources import example_paths
from bpgui.ui.surface.chain_rule_panel import HINT, INDEX_COLORS, ChainRulePanel
from bpgui.ui.surface.direction_plot import STATIONARY, DirectionPlot
from bpgui.ui.surface.slice_plot import SlicePlot
from bpgui.ui.text import num

pg.setConfigOption("mouseRateLimit", -1)


def shown(qtbot, widget, width, height):
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    QTest.qWait(30)


def points(item) -> tuple[np.ndarray, np.ndarray]:
    """The x and y data of a curve or scatter item (empty arrays when it has none)."""
    x, y = item.getData()
    return (np.zeros(0), np.zeros(0)) if x is None else (np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def colors(widget) -> list[QColor]:
    image = widget.grab().toImage()
    return [image.pixelColor(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)]


def is_blue(c: QColor) -> bool:
    return c.blue() > c.red() + 60


def is_orange(c: QColor) -> bool:
    return c.red() > c.blue() + 60 and c.red() > c.green()


def is_dark(c: QColor) -> bool:
    return c.lightness() < 110


@pytest.fixture(scope="module")
def xor():
    """The xor example's network and its training samples."""
    doc = load_document(example_paths()["xor"])
    data = make_dataset(doc.data, doc.network)
    return doc.network, data.x_train, data.t_train


# ---------------------------------------------------------------------------------------------- slice
GRID = np.linspace(-1.0, 3.0, 401)


def parabola_slice(qtbot, p0=0.4, rate=0.3) -> SlicePlot:
    """E = (p − 1)² sampled on GRID, at p0 with its exact gradient."""
    plot = SlicePlot()
    shown(qtbot, plot, 420, 300)
    plot.set_slice("x1->h1", GRID, (GRID - 1) ** 2, p0, (p0 - 1) ** 2, 2 * (p0 - 1), rate)
    return plot


def test_slice_tangent_and_landing_point(qtbot):
    plot = parabola_slice(qtbot)
    p0, e0, g, rate = 0.4, 0.36, -1.2, 0.3
    x, y = points(plot.curve)
    assert np.array_equal(x, GRID) and np.allclose(y, (GRID - 1) ** 2)
    assert [list(a) for a in points(plot.current)] == [[p0], [pytest.approx(e0)]]
    tx, ty = points(plot.tangent)
    assert len(tx) == 2 and tx[1] > tx[0]
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(g)  # slope ∂E/∂p
    assert np.allclose(ty, e0 + g * (tx - p0))  # through the current point
    p1 = p0 - rate * g
    lx, ly = points(plot.tangent_landing)
    assert lx == pytest.approx([p1]) and ly == pytest.approx([e0 - rate * g * g])  # one step along the tangent
    cx, cy = points(plot.curve_landing)
    assert cx == pytest.approx([p1]) and cy == pytest.approx([np.interp(p1, GRID, (GRID - 1) ** 2)])
    assert cy[0] == pytest.approx((p1 - 1) ** 2, abs=1e-4)
    dx, dy = points(plot.drop)
    assert dx == pytest.approx([p1, p1]) and sorted(dy) == pytest.approx(sorted([ly[0], cy[0]]))
    assert plot.plot_item.getAxis("bottom").labelText == "x1->h1"
    assert plot.plot_item.getAxis("left").labelText == "loss E"
    caption = plot.caption.text()
    assert "∂E/∂p = −1.2 · a step of −η·∂E/∂p = 0.36 moves p from 0.4 to 0.76: E 0.36 → 0.0576" in caption
    assert "the tangent predicts −0.072" in caption
    assert "<b>x1-\u2060&gt;h1</b>" in caption  # the name, escaped, with a word joiner: no line break after "-"


def test_slice_caption_tells_close_values_apart(qtbot):
    plot = SlicePlot()
    qtbot.addWidget(plot)
    values = np.linspace(0.3, 0.5, 201)
    losses = 0.3 + 0.08 * (values - 0.4)
    plot.set_slice("w", values, losses, 0.4, 0.3, 0.08, 0.05)
    # the step is 0.004: three digits would show p from 0.4 to 0.396 and E 0.3 → 0.2997
    assert "a step of −η·∂E/∂p = −0.004 moves p from 0.4 to 0.396: E 0.3 → 0.2997" in plot.caption.text()


def test_slice_range_follows_the_curve_not_a_steep_tangent(qtbot):
    plot = SlicePlot()
    shown(qtbot, plot, 420, 300)
    losses = (GRID - 1) ** 2
    plot.set_slice("w", GRID, losses, 0.4, 0.36, 1e6, 0.1)
    (x0, x1), (y0, y1) = plot.plot_item.vb.viewRange()
    assert y0 < 0 < 4 < y1 and y1 - y0 < 1.3 * 4  # the curve's span (0…4), a little padding
    assert x0 <= -1 and x1 >= 3
    tx, ty = points(plot.tangent)
    assert np.all((ty >= y0 - 1e-9) & (ty <= y1 + 1e-9)) and np.all((tx >= x0) & (tx <= x1))  # clipped to the view
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(1e6)
    assert tx[1] - tx[0] < 1e-5  # nearly vertical, so very short in p
    # the step lands far outside the slice: no curve marker, the caption says so
    assert len(points(plot.curve_landing)[0]) == 0 and len(points(plot.drop)[0]) == 0
    assert "(not on the slice)" in plot.caption.text()


def test_slice_with_gaps_and_infinities(qtbot):
    losses = (GRID - 1) ** 2
    losses[50:60] = np.nan
    losses[300:] = np.inf  # e.g. a loss that overflows
    losses[10] = -np.inf
    plot = SlicePlot()
    shown(qtbot, plot, 420, 300)
    p0 = GRID[45]
    plot.set_slice("w", GRID, losses, p0, losses[45], 2 * (p0 - 1), 0.04)  # lands at −0.426, in the NaN gap
    x, y = points(plot.curve)
    assert np.isnan(y[[10, 55, 300, 400]]).all() and np.isfinite(y[:10]).all()
    (_, _), (y0, y1) = plot.plot_item.vb.viewRange()
    assert np.isfinite([y0, y1]).all() and y1 < 5
    assert len(points(plot.curve_landing)[0]) == 0  # the curve has no value there
    assert len(points(plot.tangent_landing)[0]) == 1
    assert "(not on the slice)" in plot.caption.text()
    assert sum(is_dark(c) for c in colors(plot)) > 200  # drawn, not blank

    plot.set_slice("w", GRID, np.full(len(GRID), np.nan), 0.0, np.nan, np.nan, 0.1)  # nothing finite at all
    assert len(points(plot.tangent)[0]) == 0 and len(points(plot.current)[0]) == 0
    assert "not finite" in plot.caption.text()


def test_slice_zero_gradient(qtbot):
    plot = SlicePlot()
    shown(qtbot, plot, 420, 300)
    plot.set_slice("b", GRID, (GRID - 1) ** 2, 1.0, 0.0, 0.0, 0.5)
    tx, ty = points(plot.tangent)
    (x0, x1), _ = plot.plot_item.vb.viewRange()
    assert list(ty) == [0.0, 0.0] and tx[0] == pytest.approx(x0) and tx[1] == pytest.approx(x1)  # flat, across
    assert points(plot.curve_landing)[0] == pytest.approx([1.0])  # the step does not move p
    assert "∂E/∂p = 0" in plot.caption.text() and "leaves p at 1" in plot.caption.text()


def test_slice_clear(qtbot):
    plot = parabola_slice(qtbot)
    items = list(plot.plot_item.items)
    plot.clear()
    assert all(len(points(item)[0]) == 0 for item in (plot.curve, plot.tangent, plot.current, plot.drop,
                                                      plot.tangent_landing, plot.curve_landing))
    assert plot.caption.text() == ""
    plot.set_slice("w", GRID, GRID**2, 0.0, 0.0, 0.0, 0.1)
    assert plot.plot_item.items == items  # updated in place


def test_slice_renders_curve_and_tangent(qtbot):
    plot = parabola_slice(qtbot)
    shown_colors = colors(plot)
    assert sum(c.name() == "#08306b" for c in shown_colors) > 40  # the curve
    assert sum(is_orange(c) for c in shown_colors) > 15  # the dashed tangent
    assert sum(is_dark(c) for c in shown_colors) > 300  # axes and caption


def test_slice_of_a_real_network(qtbot, xor):
    network, x, t = xor
    name = "h1->y1"
    p0 = network.get_parameter(name)
    values = np.linspace(p0 - 2, p0 + 2, 81)
    losses = slice_1d(network, x, t, name, values)
    rule = chain_rule(network, x, t, name)
    plot = SlicePlot()
    shown(qtbot, plot, 420, 300)
    plot.set_slice(name, values, losses, p0, rule.loss, rule.gradient, 0.5)
    assert plot.curve_at(p0) == pytest.approx(rule.loss, abs=1e-3)
    # the tangent touches the curve: near p0 the slice's slope is the gradient
    i = int(np.argmin(np.abs(values - p0)))
    assert (losses[i + 1] - losses[i - 1]) / (values[i + 1] - values[i - 1]) == pytest.approx(rule.gradient, rel=0.05)
    cx, cy = points(plot.curve_landing)
    p1 = p0 - 0.5 * rule.gradient
    assert cx == pytest.approx([p1]) and cy == pytest.approx(slice_1d(network, x, t, name, np.array([p1])), abs=2e-3)


# ---------------------------------------------------------------------------------------------- direction
@pytest.mark.parametrize("gx, gy", [(0.082, -0.031), (-2.0, 0.5), (0.0, 1.0), (3.0, 0.0), (-1.0, 0.0),
                                    (-1e-4, -3e-4)])
def test_direction_curve_and_markers(qtbot, gx, gy):
    plot = DirectionPlot()
    qtbot.addWidget(plot)
    plot.set_gradient("w1", "w2", gx, gy)
    theta, d = points(plot.curve)
    assert theta[0] == -180 and theta[-1] == 180 and np.all(np.diff(theta) > 0) and np.all(np.diff(theta) <= 1)
    assert np.allclose(d, gx * np.cos(np.radians(theta)) + gy * np.sin(np.radians(theta)), rtol=0, atol=1e-12)
    steepest = np.degrees(np.arctan2(-gy, -gx))  # −180 and 180 are the same direction
    descent, ascent = plot.descent.value(), plot.ascent.value()
    assert -180 < descent <= 180 and -180 <= ascent <= 180
    assert np.cos(np.radians(descent - steepest)) == pytest.approx(1.0)
    assert np.cos(np.radians(ascent - steepest)) == pytest.approx(-1.0)
    lowest = theta[d == d.min()]
    assert np.cos(np.radians(lowest - descent)) == pytest.approx(1.0)  # the minimum is at the −∇E marker...
    assert d.min() == pytest.approx(-np.hypot(gx, gy))  # ...sampled exactly: D = −|∇E| there
    assert d.max() == pytest.approx(np.hypot(gx, gy))
    # downhill and uphill fills
    assert np.array_equal(points(plot.downhill)[1], np.minimum(d, 0))
    assert np.array_equal(points(plot.uphill)[1], np.maximum(d, 0))
    # flat directions ⟂ ∇E are sampled exactly
    assert np.sum(np.abs(d) < 1e-12 * max(1.0, np.hypot(gx, gy))) >= 2
    assert plot.descent.label.textItem.toPlainText() == "−∇E: steepest descent"
    assert plot.ascent.label.textItem.toPlainText() == "∇E: steepest ascent"
    assert "positive dot product with ∇E increase E" in plot.caption.text()
    assert "<b>w1</b>" in plot.caption.text() and "<b>w2</b>" in plot.caption.text()


def test_direction_minimum_is_at_the_steepest_descent_angle(qtbot):
    plot = DirectionPlot()
    qtbot.addWidget(plot)
    plot.set_gradient("a", "b", 0.3, 0.4)
    theta, d = points(plot.curve)
    steepest = np.degrees(np.arctan2(-0.4, -0.3))  # −126.87°: not a whole degree
    assert theta[np.argmin(d)] == pytest.approx(steepest)
    assert plot.descent.value() == pytest.approx(steepest)
    assert plot.ascent.value() == pytest.approx(steepest + 180)
    assert d.min() == pytest.approx(-0.5)
    assert "−|∇E|&nbsp;=&nbsp;−0.5" in plot.caption.text()


def test_direction_zero_gradient_shows_a_message(qtbot):
    plot = DirectionPlot()
    shown(qtbot, plot, 420, 300)
    plot.set_gradient("a", "b", 0.0, 0.0)
    assert plot.message.isVisible() and plot.message.text() == STATIONARY
    assert not plot.plot_widget.isVisible()
    assert len(points(plot.curve)[0]) == 0
    plot.set_gradient("a", "b", np.nan, 1.0)
    assert plot.message.isVisible() and "not finite" in plot.message.text()
    plot.set_gradient("a", "b", 0.0, 1e-9)
    assert plot.plot_widget.isVisible() and not plot.message.isVisible()
    assert len(points(plot.curve)[0]) > 300


def test_direction_prediction_caption(qtbot):
    plot = DirectionPlot()
    shown(qtbot, plot, 420, 300)
    plot.set_gradient("a", "b", 0.1, 0.2)
    assert not plot.prediction.isVisible()
    plot.set_prediction(StepPrediction({"a": -0.01, "b": -0.02}, -0.00123, -0.00119, 0.3))
    assert plot.prediction.isVisible()
    text = plot.prediction.text()
    assert "ΔE ≈ Σ ∂E/∂pᵢ Δpᵢ = <b>−0.00123</b> (first order)" in text
    assert "actual ΔE = <b>−0.00119</b>" in text
    plot.set_prediction(None)
    assert not plot.prediction.isVisible()
    plot.set_prediction(StepPrediction({"a": 0.1}, 0.5, 2.5e-7, 1.0))
    assert "= <b>0.5</b> (first order)" in plot.prediction.text() and "= <b>2.5e−7</b>" in plot.prediction.text()
    plot.clear()
    assert not plot.prediction.isVisible() and plot.caption.text() == "" and len(points(plot.curve)[0]) == 0


def test_direction_of_a_real_step(qtbot, xor):
    network, x, t = xor
    names = ("x1->h1", "x2->h1")
    gx, gy = (chain_rule(network, x, t, name).gradient for name in names)
    rate = 0.5
    prediction = predict_step(network, x, t, {names[0]: -rate * gx, names[1]: -rate * gy})
    assert prediction.predicted == pytest.approx(-rate * (gx * gx + gy * gy))
    plot = DirectionPlot()
    qtbot.addWidget(plot)
    plot.set_gradient(*names, gx, gy)
    plot.set_prediction(prediction)
    # the step −η∇E goes in the direction of the −∇E marker
    assert plot.descent.value() == pytest.approx(np.degrees(np.arctan2(-gy, -gx)))
    predicted = f"{prediction.predicted:.3g}".replace("-", "−")
    assert f"= <b>{predicted}</b> (first order)" in plot.prediction.text()


def test_direction_renders_both_regions(qtbot):
    plot = DirectionPlot()
    shown(qtbot, plot, 420, 300)
    plot.set_gradient("w1", "w2", 0.082, -0.031)
    plot.set_prediction(StepPrediction({"w1": -0.04}, -0.00123, -0.00119, 0.3))
    shown_colors = colors(plot)
    light = [c for c in shown_colors if c.lightness() > 150]
    assert sum(c.blue() > c.red() + 25 for c in light) > 200  # the light blue downhill fill
    assert sum(c.red() > c.blue() + 25 for c in light) > 200  # the light orange uphill fill
    assert sum(is_dark(c) for c in shown_colors) > 300


# ---------------------------------------------------------------------------------------------- inspector
def tables(panel) -> list[list[list[str]]]:
    """The text of every table the panel shows, cell by cell (row-major)."""
    out = []
    for frame in panel.browser.document().rootFrame().childFrames():
        if isinstance(frame, QTextTable):
            rows = []
            for r in range(frame.rows()):
                row = []
                for c in range(frame.columns()):
                    cell = frame.cellAt(r, c)
                    cursor = cell.firstCursorPosition()
                    cursor.setPosition(cell.lastCursorPosition().position(), QTextCursor.KeepAnchor)
                    row.append(cursor.selectedText())
                rows.append(row)
            out.append(rows)
    return out


def value(cell: str) -> float:
    """A number as the panel writes it (real minus signs, short exponents)."""
    return float(cell.replace("−", "-").split()[0])


def hidden_rule() -> ChainRule:
    """Weight x1 → h1 for one sample, h1 feeding y1 (w 0.5, δ 0.12) and y2 (w −0.3, δ 0.4)."""
    out_x1, f1 = 0.8, 0.25
    dE = 0.5 * 0.12 + -0.3 * 0.4  # −0.06
    delta = dE * f1  # −0.015
    downstream = (Downstream("y1", 0.5, np.array([0.12])), Downstream("y2", -0.3, np.array([0.4])))
    return ChainRule("x1->h1", "x1", "h1", False, 0.4321, np.array([out_x1]), np.array([dE]), np.array([f1]),
                     np.array([delta]), downstream, delta * out_x1, delta * out_x1 * (1 + 1e-8))


def test_inspector_hidden_weight_one_sample(qtbot):
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(hidden_rule(), 7, 20)  # row 7: sample 8, numbered from 1
    text = panel.text()
    assert "weight x1 → h1" in text and "i = x1,  j = h1,  k ∈ {y1, y2}" in text.replace("\xa0", " ")
    assert "sample n = 8 of 20, its own loss: En = 0.4321" in text
    gradient, local, upstream = tables(panel)
    # ∂Eₙ/∂w = δⱼ · outᵢ = −0.015 · 0.8 = −0.012, the sample's own (no 1/N), beside its finite difference
    assert gradient == [["∂En/∂w", "=", "δj · outi"], ["", "=", "−0.015 · 0.8"], ["", "=", "−0.012"],
                        ["", "≈", "−0.012 finite difference"]]
    assert "relative difference 1e−8" in text
    assert "∂E/∂w is the mean of the 20 samples' ∂En/∂w: choose all samples to see them" in text
    # δⱼ = ∂Eₙ/∂outⱼ · ∂outⱼ/∂netⱼ = −0.06 · 0.25 = −0.015
    assert local == [["δj", "=", "∂En/∂outj · ∂outj/∂netj"], ["", "=", "−0.06 · 0.25"], ["", "=", "−0.015"]]
    # ∂Eₙ/∂outⱼ = Σₖ wⱼₖ δₖ: one row per downstream neuron, and their sum
    assert "∂En/∂outj = Σk wjk δk  (j is hidden)" in text.replace("\xa0", " ")
    assert upstream == [["k", "wjk", "", "δk", "", "wjk δk"], ["y1", "0.5", "·", "0.12", "=", "0.06"],
                        ["y2", "−0.3", "·", "0.4", "=", "−0.12"], ["", "", "", "", "Σk =", "−0.06"]]
    assert "from the loss" not in text
    assert "a step −η·∂En/∂w makes w larger" in text  # ∂Eₙ/∂w < 0
    html = panel.browser.toHtml()
    assert "#d6604d" in html and "#2166ac" not in html  # the negative gradient in red


def test_inspector_output_bias(qtbot):
    delta = np.array([0.3])
    rule = ChainRule("y1.bias", None, "y1", True, 0.1, np.ones(1), np.array([0.6]), np.array([0.5]), delta, (),
                     0.3, 0.3000002)
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, 0, 4)
    text = panel.text().replace("\xa0", " ")
    assert "bias of y1" in text and "j = y1  (outi = 1 for a bias)" in text and "sample n = 1 of 4" in text
    assert tables(panel)[0][:3] == [["∂En/∂b", "=", "δj · 1"], ["", "=", "0.3 · 1"], ["", "=", "0.3"]]
    assert "∂En/∂outj = 0.6  from the loss (j is an output)" in text
    assert "Σk" not in text and "k =" not in text
    assert "makes b smaller" in text and "relative difference 6.7e−7" in text
    assert "#2166ac" in panel.browser.toHtml()  # positive: blue


def test_inspector_output_weight_negative_input(qtbot):
    rule = ChainRule("h2->y1", "h2", "y1", True, 0.2, np.array([-0.5]), np.array([0.2]), np.array([1.0]),
                     np.array([0.2]), (), -0.1, -0.1)
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, 2, 4)
    text = panel.text()
    assert "0.2 · (−0.5)" in text  # a negative second factor in parentheses
    assert "from the loss" in text and "relative difference 0\n" in text


def test_inspector_the_only_sample_is_all_samples(qtbot):
    """With N = 1, E is the one sample's loss and ∂E/∂w its δ · out: no "mean of the samples" to choose."""
    rule = ChainRule("h2->y1", "h2", "y1", True, 0.2, np.array([-0.5]), np.array([0.2]), np.array([1.0]),
                     np.array([0.2]), (), -0.1, -0.1)
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, None, 1)
    text = panel.text()
    assert "the only sample (N = 1): E = E1 = 0.2" in text
    assert tables(panel)[0][0] == ["∂E/∂w", "=", "δj · outi"]
    assert "choose all samples" not in text and not panel.sample_spin.isEnabled()


def batch_rule(n: int = 4) -> ChainRule:
    """Weight x1 → h1 over ``n`` samples (the first four hand-picked), h1 feeding y1 and y2; each sample's own δ,
    ∂E/∂w the mean of the products."""
    rng = np.random.default_rng(5)
    out = np.r_[[0.0, 1.0, 0.5, 2.0], rng.normal(size=n - 4)]
    f1 = np.r_[[0.25, 0.2, 0.1, 0.5], rng.uniform(0, 1, n - 4)]
    d1 = np.r_[[0.1, -0.2, 0.3, 0.0], rng.normal(size=n - 4)]
    d2 = np.r_[[0.04, 0.0, -0.08, 0.12], rng.normal(size=n - 4)]
    dE = 0.5 * d1 - 0.3 * d2
    delta = dE * f1
    g = float(np.mean(delta * out))
    return ChainRule("x1->h1", "x1", "h1", False, 0.25, out, dE, f1, delta,
                     (Downstream("y1", 0.5, d1), Downstream("y2", -0.3, d2)), g, g + 1e-12)


def test_inspector_batch(qtbot):
    """All samples: ∂E/∂w = (1/N) Σₙ δⱼ⁽ⁿ⁾ outᵢ⁽ⁿ⁾ with each sample's own δ in a table whose last row, (1/N) Σₙ, is
    ∂E/∂w; and how each δⱼ⁽ⁿ⁾ = (Σₖ wⱼₖ δₖ⁽ⁿ⁾) · f′ comes about, with each k's weight beneath its δₖ."""
    rule = batch_rule()
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, None, 4)
    text = panel.text()
    assert "all N = 4 samples: E = (1/N) Σn En = 0.25" in text  # E is the mean it is
    gradient, products, deltas = tables(panel)
    # hand-worked: products 0, −0.02, 0.0087, −0.036; Σ = −0.0473; ∂E/∂w = −0.0473 / 4 = −0.011825
    assert gradient == [["∂E/∂w", "=", "(1/N) Σn δj(n) · outi(n)"], ["", "=", "(1/4) · (−0.0473)"],
                        ["", "=", "−0.011825"], ["", "≈", "−0.011825 finite difference"]]
    assert "each sample's own δj(n) = ∂En/∂netj (no 1/N in it):" in text
    assert products == [["n", "δh1", "outx1", "δh1 · outx1", ""],
                        ["1", "0.0095", "0", "0", ""], ["2", "−0.02", "1", "−0.02", ""],
                        ["3", "0.0174", "0.5", "0.0087", ""], ["4", "−0.018", "2", "−0.036", ""],
                        ["Σn", "", "", "−0.0473", ""], ["(1/N) Σn", "", "", "−0.011825", "= ∂E/∂w"]]
    assert "(j is hidden)" in text and "δj(n) = (Σk wjk δk(n)) · ∂outj/∂netj" in text
    assert deltas[0] == ["n", "δy1", "δy2", "Σk wjk δk", "∂outh1/∂neth1", "δh1"]
    assert deltas[1] == ["wjk", "0.5", "−0.3", "", "", ""]
    for r in range(4):
        row = deltas[2 + r]
        assert row[0] == str(r + 1)
        assert [value(c) for c in row[1:]] == pytest.approx(
            [rule.downstream[0].delta[r], rule.downstream[1].delta[r], rule.dE_dout[r], rule.dout_dnet[r],
             rule.delta[r]], rel=5e-4, abs=1e-12)
        assert value(row[3]) == pytest.approx(0.5 * value(row[1]) - 0.3 * value(row[2]), rel=1e-3, abs=1e-12)
        assert row[5] == products[1 + r][1]  # the same δⱼ⁽ⁿ⁾ in both tables
    assert "⋮" not in text and "not listed" not in text


def test_inspector_batch_of_many_samples_lists_the_first(qtbot):
    """200 samples: the first 8 rows, a row of ⋮ and a note on the ones left out; Σₙ and the mean are over all."""
    rule = batch_rule(200)
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, None, 200)
    text = panel.text()
    _, products, deltas = tables(panel)
    assert [row[0] for row in products] == ["n"] + [str(i) for i in range(1, 9)] + ["⋮", "Σn", "(1/N) Σn"]
    assert [row[0] for row in deltas] == ["n", "wjk"] + [str(i) for i in range(1, 9)] + ["⋮"]
    assert "samples 9 to 200 are not listed; Σn is over all 200" in text
    assert value(products[-2][3]) == pytest.approx(np.sum(rule.terms), rel=1e-5)
    assert value(products[-1][3]) == pytest.approx(rule.gradient, rel=1e-7)
    assert abs(np.sum(rule.terms[:8]) - np.sum(rule.terms)) > 0.1  # the total is not that of the rows shown


def test_inspector_hidden_neuron_with_many_downstream_neurons(qtbot):
    """More neurons k than columns fit: the table keeps Σₖ wⱼₖ δₖ and says where the terms are."""
    base = batch_rule()
    downstream = base.downstream + (Downstream("y3", 1.0, np.zeros(4)),)
    rule = ChainRule(base.name, base.src, base.dst, False, base.loss, base.out_src, base.dE_dout, base.dout_dnet,
                     base.delta, downstream, base.gradient, base.numeric)
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, None, 4)
    deltas = tables(panel)[2]
    assert deltas[0] == ["n", "Σk wjk δk", "∂outh1/∂neth1", "δh1"]
    assert "3 neurons k: choose a sample to see each one's term" in panel.text()


def test_inspector_fits_the_dock(qtbot):
    panel = ChainRulePanel()
    shown(qtbot, panel, 330, 300)
    for rule, sample, n in ((batch_rule(200), None, 200), (batch_rule(), None, 4), (hidden_rule(), 3, 200)):
        panel.set_rule(rule, sample, n)
        QTest.qWait(30)
        assert panel.browser.horizontalScrollBar().maximum() == 0  # nothing cut off at the dock's width
    shown_colors = colors(panel)
    assert sum(is_dark(c) for c in shown_colors) > 300  # text
    assert sum(c.name() == "#d6604d" for c in shown_colors) > 5  # the negative gradient


def near(c: QColor, hex_color: str, tolerance: int = 60) -> bool:
    want = QColor(hex_color)
    return abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < tolerance


def test_inspector_indices_and_their_neurons_in_their_own_colours(qtbot):
    """i, j and k (and the names of their neurons) are drawn in three colours, so outᵢ and outⱼ, and wⱼₖ, can be
    told apart at the default font; the indices are real subscripts, not the small Unicode letters."""
    panel = ChainRulePanel()
    shown(qtbot, panel, 351, 600)
    panel.set_rule(batch_rule(), None, 4)
    QTest.qWait(30)
    image = panel.grab().toImage()
    pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    for index, color in INDEX_COLORS.items():
        assert sum(near(c, color) for c in pixels) > 30, index
    html = panel.browser.toHtml()
    assert not any(ch in panel.text() for ch in "ᵢⱼₖ⁽⁾")
    assert "vertical-align:sub" in html and "vertical-align:super" in html


def test_inspector_hint_without_a_rule(qtbot):
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    assert panel.text() == HINT and not panel.sample_spin.isEnabled()
    panel.set_rule(hidden_rule(), 0, 5)
    assert panel.sample_spin.isEnabled()
    panel.set_rule(None, None, 5)
    assert panel.text() == HINT and not panel.sample_spin.isEnabled()


def up_arrow(spin):
    option = QStyleOptionSpinBox()
    spin.initStyleOption(option)
    return spin.style().subControlRect(QStyle.CC_SpinBox, option, QStyle.SC_SpinBoxUp, spin).center()


def test_sample_selector_emits_on_user_input(qtbot):
    panel = ChainRulePanel()
    shown(qtbot, panel, 330, 300)
    spin = panel.sample_spin
    with qtbot.assertNotEmitted(panel.sigSampleChanged):
        panel.set_rule(batch_rule(), None, 5)  # setting the rule is no choice of the user's
        panel.set_rule(hidden_rule(), 3, 5)
        panel.set_rule(batch_rule(), None, 5)
    assert spin.text() == "all samples" and (spin.minimum(), spin.maximum()) == (0, 5)
    panel.set_rule(hidden_rule(), 3, 5)
    assert spin.text() == "sample 4" and "sample n = 4 of 5" in panel.text()  # row 3 is sample 4
    panel.set_rule(batch_rule(), None, 5)
    received = []
    panel.sigSampleChanged.connect(received.append)
    spin.setFocus()
    QTest.keyClick(spin, Qt.Key_Up)
    QTest.keyClick(spin, Qt.Key_Up)
    assert received == [0, 1] and spin.text() == "sample 2"  # rows 0 and 1: samples 1 and 2
    QTest.keyClick(spin, Qt.Key_Down)
    QTest.keyClick(spin, Qt.Key_Down)
    assert received == [0, 1, 0, None] and spin.text() == "all samples"
    QTest.keyClick(spin, Qt.Key_Down)  # already at "all samples"
    assert received[-1] is None and len(received) == 4
    QTest.keyClick(spin, Qt.Key_A, Qt.ControlModifier)
    QTest.keyClicks(spin, "4")
    assert len(received) == 4  # no emission while typing...
    QTest.keyClick(spin, Qt.Key_Return)
    assert received[-1] == 3  # ...but on Enter: sample 4 is row 3
    QTest.keyClick(spin, Qt.Key_End)
    QTest.keyClick(spin, Qt.Key_Up)
    assert received[-1] == 4
    QTest.keyClick(spin, Qt.Key_Up)  # the last sample is the maximum
    assert received[-1] == 4 and len(received) == 6

    panel.set_rule(batch_rule(), None, 5)
    QTest.mouseClick(spin, Qt.LeftButton, Qt.NoModifier, up_arrow(spin))
    assert received[-1] == 0 and len(received) == 7


# ---------------------------------------------------------------------------------------------- with the core
def test_inspector_with_real_chain_rules(qtbot, xor):
    """xor, every parameter: all samples show ∂E/∂w and its finite difference, and a table whose rows are the
    single samples' own numbers (each sample's view shows its row's δ) and whose (1/N) Σₙ row is ∂E/∂w. Before,
    the all-samples δ carried the 1/N and were a quarter of the single samples' δ."""
    network, x, t = xor
    n = len(x)
    panel = ChainRulePanel()
    shown(qtbot, panel, 330, 300)
    for name in network.parameter_names():
        rule = chain_rule(network, x, t, name)
        singles = [chain_rule(network, x[r : r + 1], t[r : r + 1], name) for r in range(n)]
        panel.set_rule(rule, None, n)
        text = panel.text()
        assert num(rule.gradient, 8) in text and num(rule.numeric, 8) in text
        assert ("from the loss" in text) == rule.is_output
        assert panel.browser.horizontalScrollBar().maximum() == 0
        _, products, deltas = tables(panel)
        rows = products[1 : n + 1]
        for r, (row, one) in enumerate(zip(rows, singles)):
            assert row[0] == str(r + 1)
            assert value(row[1]) == pytest.approx(one.delta[0], rel=5e-4, abs=1e-12), (name, r)
            assert value(row[-2 if rule.src is None else 3]) == pytest.approx(one.gradient, rel=5e-4, abs=1e-12)
        # the column's mean is ∂E/∂w (and the mean of the single samples' gradients)
        assert products[-1][0] == "(1/N) Σn" and products[-1][-1] in ("= ∂E/∂w", "= ∂E/∂b")
        mean = value(products[-1][-2])
        assert mean == pytest.approx(rule.gradient, rel=1e-7, abs=1e-12)
        assert mean == pytest.approx(np.mean([one.gradient for one in singles]), rel=1e-7, abs=1e-12)
        assert mean == pytest.approx(rule.numeric, rel=1e-6, abs=1e-10)
        for r in range(n):
            one = singles[r]
            panel.set_rule(one, r, n)
            assert f"sample n = {r + 1} of {n}" in panel.text()
            single_tables = tables(panel)
            assert single_tables[1][2][2] == products[1 + r][1] == deltas[-n + r][-1]  # δⱼ, the same text
            assert len(single_tables) == (2 if rule.is_output else 3)
            for term, cells in zip(one.downstream, single_tables[-1][1:]):
                assert value(cells[5]) == pytest.approx(term.weight * term.delta[0], rel=5e-4, abs=1e-12)


def test_inspector_shows_the_backprop_example_worked_by_hand(qtbot):
    """Matt Mazur's example (one sample): E = 0.298371109, ∂E/∂w5 = 0.082167041 = 0.74136507 · 0.186815602 ·
    0.593269992, ∂E/∂w1 = 0.000438568."""
    doc = load_document(example_paths()["backprop_by_hand"])
    data = make_dataset(doc.data, doc.network)
    panel = ChainRulePanel()
    shown(qtbot, panel, 351, 300)
    panel.set_rule(chain_rule(doc.network, data.x_train, data.t_train, "h1->o1"), None, 1)
    text = panel.text()
    assert "E = E1 = 0.298371109" in text
    gradient, local = tables(panel)
    assert gradient[1][2] == "0.1385 · 0.5933" and gradient[2][2] == "0.082167041"
    assert local[1][2] == "0.7414 · 0.1868"
    panel.set_rule(chain_rule(doc.network, data.x_train, data.t_train, "i1->h1"), None, 1)
    assert value(tables(panel)[0][2][2]) == pytest.approx(0.000438568, abs=5e-10)


@pytest.mark.parametrize("example", ["xor", "circles"])
def test_inspector_and_bpgui_inspect_number_the_samples_alike(qtbot, capsys, example):
    """`bpgui inspect` prints δ[n] per sample numbered from 1; the panel's row n (all samples) and its view of
    "sample n" show the same δ, for every neuron's bias (whose δ · 1 is its product)."""
    from bpgui import cli

    path = example_paths()[example]
    assert cli.main(["inspect", str(path)]) == 0
    lines = capsys.readouterr().out.split("\nneurons: ", 1)[1].split("\n\n", 1)[0].splitlines()
    header = lines[1].split()
    columns = {int(h[2:-1]): i for i, h in enumerate(header) if h.startswith("δ[")}
    assert sorted(columns) == list(range(1, len(columns) + 1))
    doc = load_document(path)
    data = make_dataset(doc.data, doc.network)
    x, t = data.x_train, data.t_train
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    for line in lines[3:]:
        cells = line.split()
        rule = chain_rule(doc.network, x, t, f"{cells[0]}.bias")
        panel.set_rule(rule, None, len(x))
        products = tables(panel)[1]
        assert float(cells[-1]) == pytest.approx(value(products[-1][-2]), rel=1e-5, abs=1e-10)  # mean δ
        for sample, column in columns.items():
            printed = float(cells[column])
            assert products[sample][0] == str(sample)
            assert value(products[sample][1]) == pytest.approx(printed, rel=5e-4, abs=1e-12)
            row = sample - 1
            panel.set_rule(chain_rule(doc.network, x[row : row + 1], t[row : row + 1], rule.name), row, len(x))
            assert panel.sample_spin.text() == f"sample {sample}"
            assert value(tables(panel)[1][2][2]) == pytest.approx(printed, rel=5e-4, abs=1e-12)


def test_inspector_with_a_diverged_network(qtbot):
    nan = np.array([np.nan])
    rule = ChainRule("x1->h1", "x1", "h1", False, np.inf, np.array([1.0]), nan, nan, nan,
                     (Downstream("y1", np.inf, nan),), np.nan, np.nan)
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, 0, 3)
    text = panel.text()
    assert "En = inf" in text and "nan" in text and "a step" not in text
