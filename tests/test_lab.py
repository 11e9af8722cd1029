"""The lab's network, its training on the five points, and the lab report."""

from __future__ import annotations

import itertools
import math
import random
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import Const, diff, evaluate, grad, postorder, tree_size
from chainrule.lab import PLOT_NAME, loss_figure, run_lab, save_loss_plot
from chainrule.network import (
    FIVE_POINTS,
    INPUTS,
    LAB_WEIGHTS,
    PARAMETERS,
    TARGET,
    compiled_step,
    glorot_init,
    interpreted_step,
    learning_rate,
    network,
    predict,
    train,
)


def classifies_all(weights: dict[str, float]) -> bool:
    outputs = [predict(weights, *point) for point, _ in FIVE_POINTS]
    return outputs[0] > 0.5 and all(output < 0.5 for output in outputs[1:])


def test_the_network_is_the_labs() -> None:
    net = network()
    env = dict(LAB_WEIGHTS) | {"x1": 1.0, "x2": -1.0}
    h1 = math.tanh(1.0 * 1 + -1.0 * -1 + 0.0)
    h2 = math.tanh(-1.0 * 1 + 1.0 * -1 + 0.0)
    fin = 1.5 * h1 - 1.5 * h2
    assert evaluate(net.hidden[0], env) == pytest.approx(h1)
    assert evaluate(net.hidden[1], env) == pytest.approx(h2)
    assert evaluate(net.logit, env) == pytest.approx(fin)
    assert evaluate(net.output, env) == pytest.approx(1 / (1 + math.exp(-fin)))
    assert network() is net


def test_lab_weights_give_about_0_95_at_one_minus_one() -> None:
    assert round(predict(LAB_WEIGHTS, 1.0, -1.0), 2) == 0.95


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=-30, max_value=30), st.sampled_from([0.0, 1.0]))
def test_loss_with_logits_is_the_cross_entropy(fin: float, label: float) -> None:
    net = network()
    # the logit is pinned to c when both output weights are zero
    env = {name: 0.0 for name in PARAMETERS} | {"c": fin, "x1": 0.3, "x2": -0.7, TARGET: label}
    with localcontext() as context:  # the textbook formula, in 50 digits so it is a fair oracle
        context.prec = 50
        sigmoid = 1 / (1 + (-Decimal(fin)).exp())
        y = Decimal(label)
        cross_entropy = -(y * sigmoid.ln() + (1 - y) * (1 - sigmoid).ln())
    assert evaluate(net.loss, env) == pytest.approx(float(cross_entropy), rel=1e-9, abs=1e-12)


def test_a_two_two_one_tanh_network_can_fit_the_five_points() -> None:
    # a bump along x1: tanh(k x1 + b) - tanh(k x1 - b) peaks at x1 = 0, where only (0, 0) lies
    k, b = 4.0, 2.0
    weights = {
        "w11": k,
        "w12": 0.0,
        "b1": b,
        "w21": k,
        "w22": 0.0,
        "b2": -b,
        "v1": 4.0,
        "v2": -4.0,
        "c": -4.0,
    }
    assert classifies_all(weights)


def test_default_seed_trains_to_the_right_predictions() -> None:
    result = train()
    assert classifies_all(result.weights)
    assert len(result.losses) == 250 and all(len(epoch) == len(FIVE_POINTS) for epoch in result.losses)
    assert sum(result.losses[-1]) < sum(result.losses[0])


def test_training_succeeds_for_most_seeds() -> None:
    step = compiled_step()
    successes = sum(classifies_all(train(seed, step=step).weights) for seed in range(20))
    assert successes >= 15  # a 2-unit net sometimes settles at the constant predictor


def test_training_is_reproducible_per_seed() -> None:
    step = compiled_step()
    assert train(3, epochs=20, step=step) == train(3, epochs=20, step=step)
    assert train(3, epochs=20, step=step).weights != train(4, epochs=20, step=step).weights


def test_progress_reports_every_epoch_with_the_mean_loss() -> None:
    seen: list[tuple[int, float]] = []
    result = train(epochs=7, progress=lambda epoch, loss: seen.append((epoch, loss)))
    assert [epoch for epoch, _ in seen] == list(range(1, 8))
    assert seen[-1][1] == pytest.approx(sum(result.losses[-1]) / 5)
    with pytest.raises(ValueError, match="epochs"):
        train(epochs=0)


def test_compiled_and_interpreted_steps_agree() -> None:
    compiled, interpreted = compiled_step(), interpreted_step()
    rng = random.Random(7)
    for _ in range(20):
        weights = [rng.uniform(-2, 2) for _ in PARAMETERS]
        (x1, x2), label = rng.choice(FIVE_POINTS)
        loss, gradient = compiled(weights, x1, x2, label)
        loss2, gradient2 = interpreted(weights, x1, x2, label)
        assert loss == pytest.approx(loss2, rel=1e-12)
        assert list(gradient) == pytest.approx(list(gradient2), rel=1e-9, abs=1e-12)


def test_gradients_are_smaller_as_one_reverse_mode_graph() -> None:
    loss = network().loss
    raw = [diff(loss, name) for name in PARAMETERS]
    partials = grad(loss, (*PARAMETERS, *INPUTS))
    reverse = sum(1 for _ in postorder(*(partials[name] for name in PARAMETERS)))
    assert reverse < sum(1 for _ in postorder(*raw)) < sum(tree_size(e) for e in raw)
    assert all(partials[name] is not Const(0) for name in PARAMETERS)


def test_glorot_init_ranges_and_seeding() -> None:
    weights = glorot_init(random.Random(0))
    assert set(weights) == set(PARAMETERS)
    assert weights["c"] == 0.0
    for name in ("w11", "w12", "w21", "w22", "b1", "b2"):
        assert abs(weights[name]) <= math.sqrt(6 / 4)
    for name in ("v1", "v2"):
        assert abs(weights[name]) <= math.sqrt(6 / 3)
    assert glorot_init(random.Random(0)) == weights


def test_learning_rate_decays() -> None:
    rates = [learning_rate(epoch, 250) for epoch in range(250)]
    assert rates[0] == pytest.approx(0.3) and rates[-1] == pytest.approx(0.1)
    assert all(a > b for a, b in itertools.pairwise(rates))
    assert learning_rate(0, 1) == 0.3


def test_run_lab_report_and_plot(tmp_path: Path) -> None:
    lines: list[str] = []
    path = run_lab(out=tmp_path / "out", write=lines.append)
    text = "\n".join(lines)
    assert path == tmp_path / "out" / PLOT_NAME
    assert path.read_bytes().startswith(b"\x89PNG")
    for expected in (
        "(((4 * x) * y) + exp((-1 * y)))",
        "24.049787068367863",
        "(((((0 * x) + (4 * 1)) * y) + ((4 * x) * 0)) + (exp((-1 * y)) * ((0 * y) + (-1 * 0))))",
        "= (4 * y)",
        "Const(4)",
        "0.9475",
        "chainrule's choice",
        "epoch  250",
        "5 of 5 points classified correctly",
        str(path),
    ):
        assert expected in text, expected
    assert sum("mean loss" in line for line in lines) == 10


def test_loss_figure_has_a_curve_per_point(tmp_path: Path) -> None:
    result = train(epochs=5)
    figure = loss_figure(result)
    (axes,) = figure.axes
    assert len(axes.get_lines()) == len(FIVE_POINTS)
    assert all(len(line.get_xdata()) == 5 for line in axes.get_lines())
    saved = save_loss_plot(result, tmp_path / "new" / "dir")
    assert saved.exists()
