"""A caption of fixed height shrinks its font until its text fits (the surface caption at 1024×640 lost its last
lines before)."""

from __future__ import annotations

from bpgui.ui.style import MIN_CAPTION_POINTS, FittedCaption

LONG = ("E + R = E + (λ/2)·Σw², λ = 0.01, over <b>h1->y1</b> and <b>h2->y1</b>, the other parameters held; here "
        "E + R = 0.4361.<br>∂E/∂x = 0.000178, ∂E/∂y = −0.000719. Arrows p − 39·∂E/∂p (one scale since step 0: "
        "they shrink with ∇E): −∂E/∂x, −∂E/∂y, −∇E; ○ the next step.<br>Other weights moved (most: y1.bias by "
        "4.3): the path's fainter, older part crossed another landscape.")


def test_a_long_caption_shrinks_to_fit_and_grows_back_when_there_is_room(qtbot):
    label = FittedCaption()
    qtbot.addWidget(label)
    base = label.font().pointSizeF()
    lines = label.fontMetrics().lineSpacing()
    label.setFixedHeight(6 * lines + 6)
    label.resize(360, 6 * lines + 6)
    label.show()
    label.setText(LONG)
    assert label.font().pointSizeF() < base
    assert label.heightForWidth(label.width()) <= label.height()
    label.resize(1400, label.height())
    assert label.font().pointSizeF() == base  # room again: the usual size
    label.setText("short")
    label.resize(360, label.height())
    assert label.font().pointSizeF() == base


def test_the_font_never_goes_below_the_floor(qtbot):
    label = FittedCaption()
    qtbot.addWidget(label)
    label.setFixedHeight(20)
    label.resize(80, 20)
    label.show()
    label.setText(LONG)
    assert label.font().pointSizeF() == MIN_CAPTION_POINTS
