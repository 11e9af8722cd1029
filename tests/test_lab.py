"""The handout's network, data, weights and training, and the lab report."""

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
from chainrule.lab import PLOT_NAME, loss_figure, prediction_table, run_lab, save_loss_plot
from chainrule.network import (
    BIASES,
    DEFAULT_ORDER,
    DEFAULT_SCHEDULE,
    DEFAULT_SEED,
    FIVE_POINTS,
    GLOROT_LIMIT,
    HANDOUT_ORDER,
    HANDOUT_WEIGHTS,
    HANDOUT_WEIGHTS_TEXT,
    INPUTS,
    PARAMETERS,
    TARGET,
    alternating,
    classifies_all,
    compiled_step,
    constant,
    cosine,
    exponential,
    glorot_init,
    handout_order,
    interpreted_step,
    learning_rate,
    linear,
    network,
    predict,
    step_down,
    train,
)


def test_names_order_and_data_are_the_handouts() -> None:
    assert PARAMETERS == ("b1", "w11", "w12", "b2", "w21", "w22", "c", "u1", "u2")
    assert BIASES == ("b1", "b2", "c") and INPUTS == ("x1", "x2") and TARGET == "y"
    assert [point for point, _ in FIVE_POINTS] == [(0, 0), (1, 0), (0, -1), (-1, 0), (0, 1)]
    assert [label for _, label in FIVE_POINTS] == [1, 0, 0, 0, 0]


def test_the_handouts_weights_as_it_writes_them() -> None:
    assert HANDOUT_WEIGHTS_TEXT == {
        "b1": "1.543385",
        "w11": "3.111573",
        "w12": "-2.808800",
        "b2": "1.373085",
        "w21": "3.130452",
        "w22": "-2.813466",
        "c": "-4.241453",
        "u1": "4.036489",
        "u2": "4.074885",
    }
    assert all(f"{HANDOUT_WEIGHTS[name]:.6f}" == text for name, text in HANDOUT_WEIGHTS_TEXT.items())


def test_the_wiring_is_the_handouts() -> None:
    # w_ij runs from input i to hidden unit j: h1 reads w11 and w21, h2 reads w12 and w22
    net = network()
    rng = random.Random(11)
    for _ in range(10):
        env = {name: rng.uniform(-2, 2) for name in (*PARAMETERS, *INPUTS)}
        b1, w11, w12, b2, w21, w22, c, u1, u2 = (env[name] for name in PARAMETERS)
        x1, x2 = env["x1"], env["x2"]
        h1 = math.tanh(b1 + x1 * w11 + x2 * w21)
        h2 = math.tanh(b2 + x1 * w12 + x2 * w22)
        fin = u1 * h1 + u2 * h2 + c
        assert evaluate(net.hidden[0], env) == pytest.approx(h1, rel=1e-12)
        assert evaluate(net.hidden[1], env) == pytest.approx(h2, rel=1e-12)
        assert evaluate(net.logit, env) == pytest.approx(fin, rel=1e-12, abs=1e-12)
        assert evaluate(net.output, env) == pytest.approx(1 / (1 + math.exp(-fin)), rel=1e-12)
    assert network() is network()


def test_output_at_one_minus_one_is_the_handouts_0_9534() -> None:
    assert f"{predict(HANDOUT_WEIGHTS, 1.0, -1.0):.4f}" == "0.9534"


def test_the_handouts_weights_classify_the_five_points() -> None:
    outputs = [f"{predict(HANDOUT_WEIGHTS, *point):.4f}" for point, _ in FIVE_POINTS]
    assert outputs == ["0.9537", "0.0210", "0.0202", "0.0205", "0.0209"]
    assert classifies_all(HANDOUT_WEIGHTS)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=-30, max_value=30), st.sampled_from([0.0, 1.0]))
def test_loss_with_logits_is_the_cross_entropy(fin: float, label: float) -> None:
    # -y log(fout) - (1 - y) log(1 - fout) = fin - fin*y + log(1 + e^-fin), fout = sigmoid(fin)
    net = network()
    # the logit is pinned to c when both output weights are zero
    env = {name: 0.0 for name in PARAMETERS} | {"c": fin, "x1": 0.3, "x2": -0.7, TARGET: label}
    assert evaluate(net.logit, env) == fin
    with localcontext() as context:  # the textbook formula, in 50 digits so it is a fair oracle
        context.prec = 50
        fout = 1 / (1 + (-Decimal(fin)).exp())
        y = Decimal(label)
        cross_entropy = -(y * fout.ln() + (1 - y) * (1 - fout).ln())
    assert evaluate(net.loss, env) == pytest.approx(float(cross_entropy), rel=1e-9, abs=1e-12)


def test_loss_identity_symbolically() -> None:
    sympy = pytest.importorskip("sympy")  # the bench extra; the identity for every real fin and y
    fin, y = sympy.symbols("fin y", real=True)
    fout = 1 / (1 + sympy.exp(-fin))
    cross_entropy = -y * sympy.log(fout) - (1 - y) * sympy.log(1 - fout)
    with_logits = fin - fin * y + sympy.log(1 + sympy.exp(-fin))
    difference = sympy.expand_log(sympy.simplify(cross_entropy - with_logits), force=True)
    assert sympy.simplify(difference) == 0


def test_default_seed_trains_to_the_right_predictions() -> None:
    result = train()
    assert result.seed == DEFAULT_SEED
    assert classifies_all(result.weights)
    assert len(result.losses) == 250 and all(len(epoch) == len(FIVE_POINTS) for epoch in result.losses)
    assert sum(result.losses[-1]) < 0.1 < sum(result.losses[0])


def test_glorot_init_is_the_handouts() -> None:
    weights = glorot_init(random.Random(0))
    assert list(weights) == list(PARAMETERS)
    assert all(weights[name] == 0.0 for name in BIASES)
    assert math.sqrt(6 / 4) == GLOROT_LIMIT
    rng = random.Random(0)  # drawn in the handout's parameter order, biases skipped
    expected = [rng.uniform(-GLOROT_LIMIT, GLOROT_LIMIT) for name in PARAMETERS if name not in BIASES]
    assert [weights[name] for name in PARAMETERS if name not in BIASES] == expected
    assert all(abs(value) <= GLOROT_LIMIT for value in weights.values())


def test_training_is_reproducible_per_seed() -> None:
    step = compiled_step()
    assert train(3, epochs=20, step=step) == train(3, epochs=20, step=step)
    assert train(3, epochs=20, step=step).weights != train(4, epochs=20, step=step).weights
    assert train(3, epochs=20, step=step, shuffle=True).weights != train(3, epochs=20, step=step).weights


def test_training_reports_where_it_started() -> None:
    """``initial`` is the Glorot draw the run started from; one epoch moves every weight away from it."""
    result = train(5, epochs=1, step=compiled_step())
    assert result.initial == glorot_init(random.Random(5))
    assert list(result.initial) == list(result.weights) == list(PARAMETERS)
    assert all(result.initial[name] != result.weights[name] for name in PARAMETERS)


def test_the_default_order_alternates_the_handouts_with_the_origin_in_the_middle() -> None:
    assert HANDOUT_ORDER == (0, 1, 2, 3, 4) and FIVE_POINTS[0] == ((0.0, 0.0), 1.0)
    assert [handout_order(epoch) for epoch in (0, 249)] == [HANDOUT_ORDER, HANDOUT_ORDER]
    assert DEFAULT_ORDER == alternating() == alternating((1, 2, 0, 3, 4), 10)
    assert [tuple(DEFAULT_ORDER(epoch)) for epoch in (0, 9, 10, 19, 20)] == [
        HANDOUT_ORDER,
        HANDOUT_ORDER,
        (1, 2, 0, 3, 4),
        (1, 2, 0, 3, 4),
        HANDOUT_ORDER,
    ]
    assert [tuple(alternating((4, 3, 2, 1, 0), 1)(epoch)) for epoch in (0, 1, 2)] == [
        HANDOUT_ORDER,
        (4, 3, 2, 1, 0),
        HANDOUT_ORDER,
    ]
    assert str(DEFAULT_ORDER) == "the handout's order and points 1, 2, 0, 3, 4 in turn, 10 epochs each"
    with pytest.raises(ValueError, match="order of the five points"):
        alternating((0, 1, 2, 3, 3))
    with pytest.raises(ValueError, match="every"):
        alternating(every=0)


def test_the_order_is_the_only_difference_between_the_first_ten_epochs_and_the_next() -> None:
    step = compiled_step()
    assert train(3, epochs=10, step=step) == train(3, epochs=10, step=step, order=handout_order)
    assert (
        train(3, epochs=11, step=step).weights != train(3, epochs=11, step=step, order=handout_order).weights
    )
    assert classifies_all(train(step=step, order=handout_order).weights)  # the default seed in either order


def test_progress_reports_every_epoch_with_the_handouts_epoch_loss() -> None:
    seen: list[tuple[int, float]] = []
    result = train(epochs=7, progress=lambda epoch, loss: seen.append((epoch, loss)))
    assert [epoch for epoch, _ in seen] == list(range(1, 8))
    assert seen[-1][1] == pytest.approx(sum(result.losses[-1]))  # ep_loss: the sum over the samples
    with pytest.raises(ValueError, match="epochs"):
        train(epochs=0)


def test_schedules() -> None:
    assert [constant(2.5)(epoch, 250) for epoch in (0, 249)] == [2.5, 2.5]
    assert linear(2.5, 0.1)(0, 250) == 2.5 and linear(2.5, 0.1)(249, 250) == pytest.approx(0.1)
    assert exponential(2.5, 0.1)(249, 250) == pytest.approx(0.1)
    assert cosine(2.5, 0.0)(0, 250) == 2.5 and cosine(2.5, 0.0)(249, 250) == pytest.approx(0.0, abs=1e-12)
    assert step_down(2.5, 0.5, 100)(99, 250) == 2.5 and step_down(2.5, 0.5, 100)(100, 250) == 0.5
    for schedule in (linear(2.5, 0.1), exponential(2.5, 0.1), cosine(2.5, 0.0), step_down(2.5, 0.1, 50)):
        rates = [schedule(epoch, 250) for epoch in range(250)]
        assert all(a >= b for a, b in itertools.pairwise(rates)), schedule
    assert learning_rate(0) == DEFAULT_SCHEDULE(0, 250) == 2.5  # the hint: start large
    assert learning_rate(249) < learning_rate(0)  # ... and reduce it in the higher epochs
    assert learning_rate(0, 1) == 2.5
    assert str(linear(2.5, 0.1)) == "linear 2.5 -> 0.1"


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


def test_prediction_table() -> None:
    rows = prediction_table(HANDOUT_WEIGHTS)
    assert rows[0].split() == ["x1", "x2", "label", "output", "class"]
    assert [row.split() for row in rows[1:]] == [
        ["0", "0", "1", "0.9537", "1"],
        ["1", "0", "0", "0.0210", "0"],
        ["0", "-1", "0", "0.0202", "0"],
        ["-1", "0", "0", "0.0205", "0"],
        ["0", "1", "0", "0.0209", "0"],
    ]


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
        "h1   = tanh((b1 + ((x1 * w11) + (x2 * w21))))",
        "h2   = tanh((b2 + ((x1 * w12) + (x2 * w22))))",
        "b1=1.543385, w11=3.111573, w12=-2.808800, b2=1.373085, w21=3.130452, w22=-2.813466, "
        "c=-4.241453, u1=4.036489, u2=4.074885",
        "output at x = (1, -1): 0.9534",
        f"learning rate {DEFAULT_SCHEDULE}",
        "EPOCH   250",
        "5 of 5 points classified correctly",
        str(path),
    ):
        assert expected in text, expected
    assert sum(line.split()[:1] == ["x1"] for line in lines) == 2  # two tables: handout's weights, trained
    assert sum("EPOCH" in line for line in lines) == 10
    for stale in ("v1", "LAB_WEIGHTS", "(1, 1)", "chainrule's choice", "not available"):
        assert stale not in text, stale


def test_run_lab_refuses_before_the_work(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    lines: list[str] = []
    with pytest.raises(OSError):
        run_lab(out=blocker, write=lines.append)
    with pytest.raises(ValueError, match="epochs"):
        run_lab(out=tmp_path / "out", epochs=0, write=lines.append)
    assert lines == []


def test_loss_figure_has_a_curve_per_sample(tmp_path: Path) -> None:
    result = train(epochs=5)
    figure = loss_figure(result)
    (axes,) = figure.axes
    assert len(axes.get_lines()) == len(FIVE_POINTS)
    assert all(len(line.get_xdata()) == 5 for line in axes.get_lines())
    assert axes.get_yscale() == "linear"  # as the handout plots it
    saved = save_loss_plot(result, tmp_path / "new" / "dir")
    assert saved.exists()
