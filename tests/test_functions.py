"""Pow, Sqrt, Sin, Cos, Sigmoid and Softplus everywhere a lab node works (SPEC "More functions")."""

from __future__ import annotations

import math
import pickle
from decimal import Decimal, localcontext

import pytest
from hypothesis import assume, given, settings

from chainrule import (
    Const,
    EvaluationError,
    Exp,
    Expr,
    Mul,
    ParseError,
    Var,
    diff,
    evaluate,
    grad,
    lambdify,
    parse,
    show,
    simplify,
    to_dot,
    to_latex,
)
from chainrule.bounds import bounds
from chainrule.functions import Cos, Pow, Sigmoid, Sin, Softplus, Sqrt
from chainrule.testing import environments, expressions

x, y = Var("x"), Var("y")
UNARY = (Sqrt, Sin, Cos, Sigmoid, Softplus)


# ---------------------------------------------------------------------------------------------------
# Text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x ** 2", Pow(x, Const(2))),
        ("-x**2", Mul(Const(-1), Pow(x, Const(2)))),
        ("-2**2", Pow(Const(-2), Const(2))),
        ("x**-1", Pow(x, Const(-1))),
        ("x ** - 1", Pow(x, Mul(Const(-1), Const(1)))),
        ("2 ** 3 ** 2", Pow(Const(2), Pow(Const(3), Const(2)))),
        ("(2 ** 3) ** 2", Pow(Pow(Const(2), Const(3)), Const(2))),
        ("2 * x ** 3", Mul(Const(2), Pow(x, Const(3)))),
        ("2 ** -x * 3", Mul(Pow(Const(2), Mul(Const(-1), x)), Const(3))),
        ("x ** y ** -2.5e-3", Pow(x, Pow(y, Const(-2.5e-3)))),
        ("sqrt(x) + sin(x) * cos(y)", Sqrt(x) + Sin(x) * Cos(y)),
        ("sigmoid(x) ** 2 - softplus(-x)", Pow(Sigmoid(x), 2) - Softplus(Mul(Const(-1), x))),
    ],
)
def test_parse(text: str, expected: Expr) -> None:
    assert parse(text) is expected
    assert parse(show(expected)) is expected


def test_show() -> None:
    assert show(Pow(x, 2)) == "(x ** 2)"
    assert show(Pow(Const(-2), 2)) == "(-2 ** 2)"  # the glued minus: it reads back as Pow(-2, 2)
    assert show(Pow(Mul(-1, x), -1)) == "((-1 * x) ** -1)"
    assert [show(f(x)) for f in UNARY] == ["sqrt(x)", "sin(x)", "cos(x)", "sigmoid(x)", "softplus(x)"]
    assert repr(Pow(Sqrt(x), 2)) == "Pow(Sqrt(Var('x')), Const(2))"


def test_operator_sugar() -> None:
    assert x**2 is Pow(x, Const(2))
    assert 2**x is Pow(Const(2), x)
    assert x**y is Pow(x, y)
    assert (x**0.5).y is Const(0.5)
    with pytest.raises(TypeError):
        _ = x ** "2"  # type: ignore[operator]


def test_fields_and_errors_like_the_lab_nodes() -> None:
    assert Pow(x=x, y=3) is Pow(x, Const(3))
    assert Sigmoid(x=2).x is Const(2)
    with pytest.raises(TypeError, match="'y'"):
        Pow(x, "3")
    with pytest.raises(ParseError, match="position 5"):
        parse("x ** ")
    with pytest.raises(AttributeError):
        Pow(x, 2).x = y  # type: ignore[misc]


def test_pickle() -> None:
    e = Softplus(Pow(x, 2)) + Sqrt(Sigmoid(y))
    assert pickle.loads(pickle.dumps(e)) is e


# ---------------------------------------------------------------------------------------------------
# Values


def _exact_sigmoid(u: int) -> float:
    with localcontext() as context:
        context.prec = 60
        return float(1 / (1 + Decimal(-u).exp()))


@pytest.mark.parametrize("u", [-1000, -745, -700, -40, -20, -1, 0, 1, 20, 40, 700, 1000])
def test_sigmoid_is_stable_and_accurate(u: int) -> None:
    value = evaluate(Sigmoid(Const(u)), {})
    assert value == pytest.approx(_exact_sigmoid(u), rel=4e-16, abs=0)
    assert 0 <= value <= 1


def test_sigmoid_tails() -> None:
    assert evaluate(parse("sigmoid(-40)"), {}) == pytest.approx(4.248354255291589e-18, rel=1e-15)
    assert evaluate(parse("sigmoid(-1000)"), {}) == 0.0  # underflow is a value, not an error
    assert evaluate(parse("sigmoid(1000)"), {}) == 1.0


@pytest.mark.parametrize("u", [-1000, -40, -1, 0, 1, 40, 1000])
def test_softplus_is_stable_and_accurate(u: int) -> None:
    with localcontext() as context:
        context.prec = 60
        exact = float((1 + Decimal(u).exp()).ln())
    assert evaluate(Softplus(Const(u)), {}) == pytest.approx(exact, rel=4e-16, abs=0)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("(-2) ** 3", -8.0),
        ("-2 ** 2", 4.0),
        ("-2**2 + 0", 4.0),
        ("2 ** -1", 0.5),
        ("0 ** 0", 1.0),
        ("0 ** 2", 0.0),
        ("4 ** 0.5", 2.0),
        ("10 ** -400", 0.0),  # underflow to 0 is not an error
        ("sqrt(2.25)", 1.5),
        ("sqrt(0)", 0.0),
        ("sin(0) + cos(0)", 1.0),
    ],
)
def test_values(text: str, value: float) -> None:
    assert evaluate(parse(text), {}) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(-2) ** 0.5", r"negative base -2.0 with non-integer exponent 0.5\) in \(-2 \*\* 0.5\)"),
        ("0 ** -1", r"0 to the negative power -1.0\) in \(0 \*\* -1\)"),
        ("x ** -2", r"0 to the negative power"),
        ("10 ** 400", r"overflow in \(10 \*\* 400\)"),
        ("(-10) ** 401", r"overflow"),
        ("sqrt(x - 1)", r"sqrt of negative -1.0\) in sqrt\(\(x - 1\)\)"),
        ("exp(1000) ** 0", r"overflow in exp\(1000\)"),
    ],
)
def test_domain_errors(text: str, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        evaluate(parse(text), {"x": 0.0})


# ---------------------------------------------------------------------------------------------------
# Derivatives


@pytest.mark.parametrize(
    ("text", "derivative"),
    [
        ("x ** 3", "((3 * (x ** 2)) * 1)"),
        ("2 ** x", "(((2 ** x) * log(2)) * 1)"),
        ("x ** y", "((y * (x ** (y - 1))) * 1)"),  # y is another variable: its derivative is literally 0
        ("x ** x", "(((x * (x ** (x - 1))) * 1) + (((x ** x) * log(x)) * 1))"),
        ("y ** 2", "0"),
        ("sqrt(x)", "((1 / (2 * sqrt(x))) * 1)"),
        ("sin(x)", "(cos(x) * 1)"),
        ("cos(x)", "((-1 * sin(x)) * 1)"),
        ("sigmoid(x)", "((sigmoid(x) * (1 - sigmoid(x))) * 1)"),
        ("softplus(x)", "(sigmoid(x) * 1)"),
    ],
)
def test_raw_derivatives(text: str, derivative: str) -> None:
    assert show(diff(parse(text), "x")) == derivative


def test_power_rule_needs_no_log_of_a_negative_base() -> None:
    # x ** 3 at x = -2: the derivative 3 * x ** 2 is defined; a log(x) term would not be.
    assert evaluate(diff(x**3, "x"), {"x": -2.0}) == 12.0
    assert evaluate(grad(x**3, ["x"])["x"], {"x": -2.0}) == 12.0


def test_simplified_derivatives() -> None:
    assert show(simplify(diff(x**3, "x"))) == "(3 * (x ** 2))"
    assert show(simplify(diff(Softplus(x), "x"))) == "sigmoid(x)"
    assert simplify(diff(diff(Sin(x), "x"), "x")) is Mul(Const(-1), Sin(x))


def _central_difference(e: Expr, env: dict[str, float], name: str) -> float:
    h = 1e-6 * max(1.0, abs(env[name]))
    up, down = dict(env), dict(env)
    up[name] += h
    down[name] -= h
    return (evaluate(e, up) - evaluate(e, down)) / (2 * h)


smooth = expressions(
    ("x", "y"), operators=("+", "-", "*", "**"), functions=("sin", "cos", "sigmoid", "softplus")
)


@settings(max_examples=150, deadline=None)
@given(smooth, environments(("x", "y"), -2.0, 2.0))
def test_diff_agrees_with_a_central_difference(e: Expr, env: dict[str, float]) -> None:
    try:
        exact = evaluate(diff(e, "x"), env)
        numeric = _central_difference(e, env, "x")
        second = evaluate(diff(diff(e, "x"), "x"), env)
    except EvaluationError:
        assume(False)
    assume(abs(second) < 1e4 and abs(exact) < 1e6)  # smooth enough near env for the difference
    assert numeric == pytest.approx(exact, rel=1e-4, abs=1e-4)


@settings(max_examples=150, deadline=None)
@given(expressions(("x", "y")), environments(("x", "y")))
def test_grad_agrees_with_diff(e: Expr, env: dict[str, float]) -> None:
    partials = grad(e, ["x", "y"])
    for name in ("x", "y"):
        try:
            expected = evaluate(diff(e, name), env)
        except EvaluationError:
            continue
        try:
            got = evaluate(partials[name], env)
        except EvaluationError:
            continue  # reverse mode may divide where forward mode multiplies (log(x)' is 1/x either way)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------------------------------------
# Bounds, compiling, printers, depth


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("sigmoid(x)", 0.0, 1.0),
        ("softplus(x)", 0.0, math.inf),
        ("sin(x) * cos(y)", -1.0, 1.0),
        ("sqrt(x)", 0.0, math.inf),
        ("x ** 2", 0.0, math.inf),
        ("tanh(x) ** 3", -1.0, 1.0),
        ("exp(x) ** 0.5", 0.0, math.inf),
    ],
)
def test_bounds(text: str, low: float, high: float) -> None:
    lo, hi = bounds(parse(text))
    assert lo == pytest.approx(low, abs=1e-15) and lo <= low
    assert hi == pytest.approx(high) and hi >= high


def test_bounds_of_a_power_with_an_exponent_beyond_float_range_claim_nothing() -> None:
    assert bounds(Pow(Var("x"), Const(10**400))) == (-math.inf, math.inf)


def test_bounds_decide_side_conditions() -> None:
    from chainrule import parse_rule

    rule = parse_rule("log(?x * ?y) -> log(?x) + log(?y) if ?x > 0")
    assert rule(parse("log((1 + softplus(x)) * y)")) == parse("log(1 + softplus(x)) + log(y)")
    assert rule(parse("log(sigmoid(x) * y)")) == parse("log(sigmoid(x) * y)")  # sigmoid can be 0.0


@settings(max_examples=150, deadline=None)
@given(expressions(("x", "y")), environments(("x", "y"), -50.0, 50.0))
def test_bounds_contain_every_value(e: Expr, env: dict[str, float]) -> None:
    try:
        value = evaluate(e, env)
    except EvaluationError:
        assume(False)
    lo, hi = bounds(e)
    assert lo <= value <= hi


@settings(max_examples=100, deadline=None)
@given(expressions(("x", "y")), environments(("x", "y")))
def test_lambdify_agrees_with_evaluate(e: Expr, env: dict[str, float]) -> None:
    f = lambdify(e, ["x", "y"])
    try:
        expected = evaluate(e, env)
    except EvaluationError as error:
        with pytest.raises(EvaluationError) as raised:
            f(env["x"], env["y"])
        assert str(raised.value) == str(error)
        return
    assert f(env["x"], env["y"]) == expected


def test_lambdify_reports_domain_errors_like_evaluate() -> None:
    f = lambdify([Sqrt(x - 1), x ** Const(-1)], ["x"])
    assert f(5.0) == (2.0, 0.2)
    with pytest.raises(EvaluationError, match=r"sqrt of negative"):
        f(0.5)
    with pytest.raises(EvaluationError, match=r"0 to the negative power"):
        lambdify(x ** Const(-1), ["x"])(0.0)
    with pytest.raises(EvaluationError, match="overflow"):
        lambdify(Pow(10, x), ["x"])(400.0)


def test_the_issue_example() -> None:
    """An analysis script writes sigmoid(w*x + b)**2 + sqrt(x), differentiates, simplifies, compiles."""
    e = parse("sigmoid(w*x + b)**2 + sqrt(x)")
    partials = {name: simplify(d) for name, d in grad(e, ["w", "b", "x"]).items()}
    f = lambdify(partials, ["w", "b", "x"])
    env = {"w": 0.5, "b": -1.0, "x": 2.0}
    s = 1 / (1 + math.exp(-(0.5 * 2.0 - 1.0)))
    expected = {
        "w": 2 * s * s * (1 - s) * 2.0,
        "b": 2 * s * s * (1 - s),
        "x": 2 * s * s * (1 - s) * 0.5 + 0.5 / math.sqrt(2),
    }
    got = f(*env.values())
    for name in expected:
        assert got[name] == pytest.approx(expected[name], rel=1e-12)
        assert evaluate(diff(e, name), env) == pytest.approx(expected[name], rel=1e-12)


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("x ** 2", "x^{2}"),
        ("(x + 1) ** 2", r"\left(x + 1\right)^{2}"),
        ("(x ** 2) ** 3", r"\left(x^{2}\right)^{3}"),
        ("-2 ** x", r"\left(-2\right)^{x}"),
        ("-(2 ** x)", "-{2}^{x}"),
        ("exp(x) ** 2", r"\left(e^{x}\right)^{2}"),
        ("sqrt(x + 1)", r"\sqrt{x + 1}"),
        ("sin(x) * cos(x)", r"\sin\left(x\right) \cdot \cos\left(x\right)"),
        ("sigmoid(x) + softplus(x)", r"\sigma\left(x\right) + \operatorname{softplus}\left(x\right)"),
    ],
)
def test_latex(text: str, latex: str) -> None:
    assert to_latex(parse(text)) == latex


def test_dot_labels() -> None:
    text = to_dot(Pow(Sigmoid(x), Sqrt(x)))
    for label in ('"**"', '"sigmoid"', '"sqrt"'):
        assert f"[label={label}]" in text


def test_depth_100000() -> None:
    makers = [*UNARY, lambda e: Pow(e, Const(1))]
    e: Expr = Const(0.5)
    for level in range(100_000):
        e = makers[level % len(makers)](e)
    assert math.isfinite(evaluate(e, {}))
    assert parse(show(e)) is e
    assert math.isfinite(evaluate(diff(e * x, "x"), {"x": 1.0}))
    assert lambdify(e * x, ["x"])(1.0) == evaluate(e, {})


def test_only_exact_values_of_functions_fold() -> None:
    assert simplify(Exp(Sin(Const(0)))) is Const(1)  # sin(0) and exp(0) are exact
    assert simplify(Exp(Sin(Const(1)))) is Exp(Sin(Const(1)))  # sin(1) is not: it stays symbolic
