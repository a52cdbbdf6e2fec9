"""Lessons (``bpgui.core.lessons``): the bundled ones read, check and give the truths worked by hand; every file of a
malformed-lesson corpus is refused with its place; verdicts; ``bpgui lessons`` and ``bpgui lessons --check``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bpgui import cli
from bpgui.core.document import load_document
from bpgui.core.lessons import (
    LessonError,
    Prediction,
    bundled_lessons,
    check_lesson,
    judge,
    judge_point,
    quantity_value,
    read_lesson,
    surface_pair,
)
from bpgui.core.training_run import TrainingRun

CORPUS = Path(__file__).parent / "malformed_lessons"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def test_seven_bundled_lessons_in_order_each_checked_against_its_document():
    paths = bundled_lessons()
    assert [p.name[:3] for p in paths] == [f"0{i}_" for i in range(1, 8)]
    for p in paths:
        lesson = read_lesson(p)
        check_lesson(lesson)
        assert lesson.title.startswith(p.name[1] + ".")


def lesson(n: int):
    return read_lesson(bundled_lessons()[n - 1])


def walk(les):
    """(step index, step, document as the step opens) through a lesson played headless: setups applied, reveals
    that train done with a TrainingRun, as the window does."""
    doc = les.load_document()
    for i, step in enumerate(les.steps):
        if step.setup.get("reset"):
            doc = les.load_document()
        for key in ("learning_rate", "optimizer", "batch_size"):
            if key in step.setup:
                value = step.setup[key]
                setattr(doc.training, key, (value or None) if key == "batch_size" else value)
        yield i, step, doc
        r = step.reveal
        if r is not None and r.do in ("step", "play"):
            run = TrainingRun(doc.network, doc.data, doc.training)
            run.run(r.count)
            doc.network.set_parameters(run.parameter_values())


def test_every_prediction_of_every_lesson_has_a_truth_of_its_kind():
    for p in bundled_lessons():
        les = read_lesson(p)
        for i, step, doc in walk(les):
            if step.predict is None:
                continue
            truth = quantity_value(doc, step.predict.quantity, surface_pair(les, i))
            if step.predict.kind == "number":
                assert isinstance(truth, float) and np.isfinite(truth), (p.name, i)
            elif step.predict.kind == "choice":
                values = [v for _, v in step.predict.options] or doc.network.parameter_names()
                assert truth in values, (p.name, i, truth)
            else:
                assert len(truth) == 2 and all(np.isfinite(truth))


def truths(n: int) -> list:
    les = lesson(n)
    return [quantity_value(doc, s.predict.quantity, surface_pair(les, i)) for i, s, doc in walk(les) if s.predict]


def test_lesson_one_agrees_with_the_numbers_worked_by_hand():
    # w = 0.5, data (1, 2) and (2, 4): E = ½·mean(1.5², 3²) = 2.8125; ∂E/∂w = mean(−1.5·1, −3·2) = −3.75;
    # Δw = −0.1·(−3.75) = 0.375
    assert truths(1) == pytest.approx([2.8125, -3.75, 0.375], rel=1e-12)


def test_lesson_four_is_the_classic_worked_example():
    e, delta_o1, dw5, step_w5 = truths(4)
    assert e == pytest.approx(0.298371109, abs=1e-9)
    assert dw5 == pytest.approx(0.082167041, abs=1e-9)
    assert delta_o1 == pytest.approx(0.138498562, abs=1e-9)  # −(0.01 − 0.75136507)·0.75136507·(1 − 0.75136507)
    assert step_w5 == pytest.approx(-0.5 * 0.082167041, abs=1e-9)


def test_lesson_five_predicts_divergence_just_above_2_over_lambda_max_and_none_below():
    stable, above, below = truths(5)
    # two_weights: H = mean(x xᵀ) = [[0.625, 0.25], [0.25, 0.625]], λ_max = 0.875
    assert stable == pytest.approx(2 / 0.875, rel=1e-6)
    assert (above, below) == ("yes", "no")


def test_lesson_three_never_goes_uphill_with_sgd():
    share, uphill, after = truths(3)
    assert uphill == "no" and share in load_document(lesson(3).document_path()).network.parameter_names()


def test_number_verdicts_absolute_and_relative():
    absolute = Prediction("number", "q", "loss", tolerance=0.001)
    assert judge(absolute, 0.2985, 0.298371109).right
    v = judge(absolute, 0.31, 0.298371109)
    assert not v.right and "Off by 0.01163" in v.text and "not within ±0.001" in v.text
    relative = Prediction("number", "q", "loss", tolerance=0.05, relative=True)
    assert judge(relative, -3.6, -3.75).right and not judge(relative, 3.75, -3.75).right


def test_choice_and_point_verdicts():
    choice = Prediction("choice", "q", "diverges:40", options=(("It blows up", "yes"), ("It settles", "no")))
    v = judge(choice, "no", "yes")
    assert not v.right and v.text == "You chose It settles; the network says It blows up."
    assert judge(choice, "yes", "yes").right
    point = Prediction("point", "q", "next_point", tolerance=0.5)
    # a step from (0, 0) to (1, 0): within half its length of (1, 0) is right
    assert judge_point(point, (1.3, 0.3), (1.0, 0.0), (0.0, 0.0)).right
    assert not judge_point(point, (0.2, 0.0), (1.0, 0.0), (0.0, 0.0)).right


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_malformed_lesson_is_refused_with_its_place(name, capsys):
    path = CORPUS / name
    with pytest.raises(LessonError) as e:
        check_lesson(read_lesson(path))
    assert EXPECTED[name] in str(e.value)
    assert cli.main(["lessons", "--check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"bpgui: error: {path}: ") and err.count("\n") == 1
    assert EXPECTED[name] in err


def test_the_corpus_covers_every_file():
    assert sorted(EXPECTED) == sorted(p.name for p in CORPUS.glob("*.json") if p.name != "expected.json")


def test_bpgui_lessons_lists_them_and_checks_a_good_one(capsys):
    assert cli.main(["lessons"]) == 0
    out = capsys.readouterr().out
    assert out.count("01_one_weight.json") == 1 and "7. Minibatches" in out
    good = bundled_lessons()[3]
    assert cli.main(["lessons", "--check", str(good)]) == 0
    assert "a good lesson: '4. Where ∂E/∂w comes from', 5 steps, 4 predictions" in capsys.readouterr().out


def test_the_live_runs_optimizer_state_answers_what_the_next_step_does():
    """After momentum's steps the velocity moves the next step: the live snapshot answers, not a fresh run."""
    doc = load_document(lesson(6).document_path())
    doc.training.optimizer = "momentum"
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(60)
    doc.network.set_parameters(run.parameter_values())
    live = run.snapshot(anatomy=True)
    i = live.names.index("h1->y1")
    want = float(live.next_values[i] - live.values[i])
    assert quantity_value(doc, "step:h1->y1", live=live) == pytest.approx(want, rel=1e-12)
    fresh = quantity_value(doc, "step:h1->y1")  # a fresh optimizer: no velocity, the plain gradient step
    g = live.gradient[i]
    assert fresh == pytest.approx(-doc.training.learning_rate * g, rel=1e-9)
    assert abs(fresh - want) > 1e-6
    terms = live.anatomy.contributions
    assert quantity_value(doc, "uphill", live=live) == ("yes" if (terms > 0).any() else "no")
