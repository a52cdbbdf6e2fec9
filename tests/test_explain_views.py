"""The views that answer "why −∂E/∂w?": the 1-D slice with its tangent, the directional derivative against the
direction's angle, and the chain rule with numbers; fed with hand-built inputs and with bpgui.core.explain."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionSpinBox

from bpgui.core import load_document
from bpgui.core.document import make_dataset
from bpgui.core.explain import ChainRule, Downstream, StepPrediction, chain_rule, predict_step, slice_1d
from bpgui.resources import example_paths
from bpgui.ui.surface.chain_rule_panel import HINT, ChainRulePanel
from bpgui.ui.surface.direction_plot import STATIONARY, DirectionPlot
from bpgui.ui.surface.slice_plot import SlicePlot

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
    panel.set_rule(hidden_rule(), 7, 20)
    text = panel.text()
    assert "weight x1 → h1" in text and "i = x1, j = h1" in text
    assert "sample 7 of 20" in text and "E = 0.4321" in text
    lines = text.splitlines()
    # ∂E/∂w = δⱼ · outᵢ = −0.015 · 0.8 = −0.012
    i = lines.index("∂E/∂w")
    assert lines[i:i + 9] == ["∂E/∂w", "=", "δⱼ · outᵢ", "", "=", "−0.015 · 0.8", "", "=", "−0.012"]
    assert "≈\n−0.012 finite difference" in text and "relative difference 1e−8" in text
    # δⱼ = ∂E/∂outⱼ · ∂outⱼ/∂netⱼ = −0.06 · 0.25 = −0.015
    i = lines.index("δⱼ")
    assert lines[i:i + 9] == ["δⱼ", "=", "∂E/∂outⱼ · ∂outⱼ/∂netⱼ", "", "=", "−0.06 · 0.25", "", "=", "−0.015"]
    # ∂E/∂outⱼ = Σₖ wⱼₖ δₖ: one row per downstream neuron, and their sum
    assert "∂E/∂outⱼ = Σₖ wⱼₖ δₖ (j is hidden)" in text
    i = lines.index("y1")
    assert lines[i:i + 12] == ["y1", "0.5", "·", "0.12", "=", "0.06", "y2", "−0.3", "·", "0.4", "=", "−0.12"]
    assert lines[i + 12:i + 17] == ["", "", "", "", "Σₖ ="] and lines[i + 17] == "−0.06"
    assert "from the loss" not in text
    assert "makes w larger" in text  # ∂E/∂w < 0
    html = panel.browser.toHtml()
    assert "#d6604d" in html and "#2166ac" not in html  # the negative gradient in red


def test_inspector_output_bias(qtbot):
    delta = np.array([0.3])
    rule = ChainRule("y1.bias", None, "y1", True, 0.1, np.ones(1), np.array([0.6]), np.array([0.5]), delta, (),
                     0.3, 0.3000002)
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, 0, 4)
    text = panel.text()
    assert "bias of y1" in text and "outᵢ = 1" in text
    assert "∂E/∂b\n=\nδⱼ · 1\n\n=\n0.3 · 1\n\n=\n0.3\n" in text
    assert "∂E/∂outⱼ = 0.6  from the loss (j is an output)" in text.replace("\xa0", " ")
    assert "Σₖ" not in text
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


def batch_rule() -> ChainRule:
    """Weight x1 → h1 over 4 samples, h1 feeding y1 and y2."""
    out = np.array([0.0, 1.0, 0.5, 2.0])
    f1 = np.array([0.25, 0.2, 0.1, 0.5])
    d1, d2 = np.array([0.1, -0.2, 0.3, 0.0]), np.array([0.04, 0.0, -0.08, 0.12])
    dE = 0.5 * d1 - 0.3 * d2
    delta = dE * f1
    g = float(np.sum(delta * out))
    return ChainRule("x1->h1", "x1", "h1", False, 0.25, out, dE, f1, delta,
                     (Downstream("y1", 0.5, d1), Downstream("y2", -0.3, d2)), g, g + 1e-12)


def test_inspector_batch(qtbot):
    rule = batch_rule()
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, None, 4)
    text = panel.text()
    lines = text.splitlines()
    assert "Σₙ over 4 samples: E = 0.25" in text
    assert "Σₙ δⱼ⁽ⁿ⁾ · outᵢ⁽ⁿ⁾" in text
    product = rule.delta * rule.out_src
    assert rule.gradient == pytest.approx(-0.0473) and product.mean() == pytest.approx(-0.011825)
    n_times_mean = f"4 × (−{-product.mean():.4g}) (N × mean)"
    assert n_times_mean in text
    assert lines[lines.index(n_times_mean) + 3] == "−0.0473"  # the exact total
    means = {"∂E/∂outⱼ": rule.dE_dout.mean(), "∂outⱼ/∂netⱼ": rule.dout_dnet.mean(), "δⱼ": rule.delta.mean(),
             "outᵢ": rule.out_src.mean(), "δⱼ · outᵢ": product.mean()}
    for name, value in means.items():
        i = len(lines) - 1 - lines[::-1].index(name)  # the row in the table of means (δⱼ also heads a formula)
        assert lines[i + 1] == f"{value:.4g}".replace("-", "−"), name
    # the mean of ∂E/∂outⱼ is Σₖ wⱼₖ · (mean δₖ), term by term
    assert "mean ∂E/∂outⱼ = Σₖ wⱼₖ mean δₖ (j is hidden)" in text
    i = lines.index("y1")
    assert lines[i:i + 6] == ["y1", "0.5", "·", "0.05", "=", "0.025"]
    assert lines[i + 6:i + 12] == ["y2", "−0.3", "·", "0.02", "=", "−0.006"]
    assert lines[i + 17] == "0.019" and rule.dE_dout.mean() == pytest.approx(0.019)
    assert "a mean of products is not the product of the means" in text


def test_inspector_fits_the_dock(qtbot):
    panel = ChainRulePanel()
    shown(qtbot, panel, 330, 300)
    panel.set_rule(batch_rule(), None, 200)
    QTest.qWait(30)
    assert panel.browser.horizontalScrollBar().maximum() == 0  # nothing cut off at the dock's width
    panel.set_rule(hidden_rule(), 3, 200)
    QTest.qWait(30)
    assert panel.browser.horizontalScrollBar().maximum() == 0
    shown_colors = colors(panel)
    assert sum(is_dark(c) for c in shown_colors) > 400  # text
    assert sum(c.name() == "#d6604d" for c in shown_colors) > 5  # the negative gradient


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
    assert spin.text() == "all samples" and (spin.minimum(), spin.maximum()) == (-1, 4)
    received = []
    panel.sigSampleChanged.connect(received.append)
    spin.setFocus()
    QTest.keyClick(spin, Qt.Key_Up)
    QTest.keyClick(spin, Qt.Key_Up)
    assert received == [0, 1] and spin.text() == "sample 1"
    QTest.keyClick(spin, Qt.Key_Down)
    QTest.keyClick(spin, Qt.Key_Down)
    assert received == [0, 1, 0, None] and spin.text() == "all samples"
    QTest.keyClick(spin, Qt.Key_Down)  # already at "all samples"
    assert received[-1] is None and len(received) == 4
    QTest.keyClick(spin, Qt.Key_A, Qt.ControlModifier)
    QTest.keyClicks(spin, "3")
    assert len(received) == 4  # no emission while typing...
    QTest.keyClick(spin, Qt.Key_Return)
    assert received[-1] == 3  # ...but on Enter
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
    network, x, t = xor
    panel = ChainRulePanel()
    shown(qtbot, panel, 330, 300)
    for name in network.parameter_names():
        rule = chain_rule(network, x, t, name)
        panel.set_rule(rule, None, len(x))
        text = panel.text()
        assert f"{rule.gradient:.6g}".replace("-", "−") in text and f"{rule.numeric:.6g}".replace("-", "−") in text
        assert ("from the loss" in text) == rule.is_output
        assert panel.browser.horizontalScrollBar().maximum() == 0
        one = chain_rule(network, x[2:3], t[2:3], name)
        panel.set_rule(one, 2, len(x))
        text = panel.text()
        assert f"{one.delta[0]:.4g}".replace("-", "−") in text
        for term in one.downstream:
            assert f"{term.weight * term.delta[0]:.4g}".replace("-", "−") in text


def test_inspector_with_a_diverged_network(qtbot):
    nan = np.array([np.nan])
    rule = ChainRule("x1->h1", "x1", "h1", False, np.inf, np.array([1.0]), nan, nan, nan,
                     (Downstream("y1", np.inf, nan),), np.nan, np.nan)
    panel = ChainRulePanel()
    qtbot.addWidget(panel)
    panel.set_rule(rule, 0, 3)
    text = panel.text()
    assert "E = inf" in text and "nan" in text and "a step" not in text
