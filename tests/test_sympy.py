"""SymPy both ways: values survive the round trip, SymPy's derivative agrees with diff, errors name what."""

from __future__ import annotations

import math
import sys

import pytest
import sympy
from hypothesis import assume, given

from chainrule import (
    ChainruleError,
    Const,
    Div,
    EvaluationError,
    Exp,
    Expr,
    Log,
    Mul,
    Pow,
    Sigmoid,
    Softplus,
    Sqrt,
    Sub,
    TanH,
    Var,
    diff,
    evaluate,
    from_sympy,
    postorder,
    show,
    simplify,
    to_sympy,
)
from chainrule.testing import environments, expressions
from tests.test_extension import Sine

x, y = Var("x"), Var("y")
X, Y = sympy.symbols("x y")


def _values(e: Expr, env: dict[str, float]) -> tuple[float, float] | None:
    """The value of ``e`` and the largest magnitude of any of its parts (the scale rounding is relative to)."""
    try:
        return evaluate(e, env), max(abs(evaluate(part, env)) for part in postorder(e))
    except EvaluationError:
        return None


def _agree(expected: float, scale: float, got: Expr, env: dict[str, float]) -> None:
    """``got`` evaluates to ``expected`` up to rounding of the parts (SymPy reorders and folds)."""
    try:
        value = evaluate(got, env)
    except EvaluationError:
        # SymPy may fold differently into an overflow; only a value of moderate scale must survive.
        assert scale > 1e100
        return
    assert math.isclose(value, expected, rel_tol=1e-7, abs_tol=1e-9 * max(1.0, scale))


@given(expressions(("x", "y"), max_leaves=8), environments(("x", "y")))
def test_round_trip_keeps_values(e: Expr, env: dict[str, float]) -> None:
    found = _values(e, env)
    assume(found is not None and found[1] < 1e12)
    assert found is not None
    for evaluate_sympy in (True, False):
        _agree(found[0], found[1], from_sympy(to_sympy(e, evaluate=evaluate_sympy)), env)


@given(expressions(("x", "y"), max_leaves=8), environments(("x", "y")))
def test_sympy_derivative_agrees_with_diff(e: Expr, env: dict[str, float]) -> None:
    ours = diff(e, "x")
    found = _values(ours, env)
    assume(found is not None and found[1] < 1e12)
    assert found is not None
    _agree(found[0], found[1], from_sympy(sympy.diff(to_sympy(e), X)), env)


def test_unevaluated_round_trip_is_structural_for_the_lab_nodes() -> None:
    e = (4 * x * y + Exp(-y)) / (x - Log(TanH(y)))
    assert from_sympy(to_sympy(e, evaluate=False)) is e
    assert str(to_sympy(e)) == "(4*x*y + exp(-y))/(x - log(tanh(y)))"


@pytest.mark.parametrize(
    ("sympy_expr", "text"),
    [
        (X**2, "(x ** 2)"),  # an integer power is the power node
        (X**5, "(x ** 5)"),
        (X**-2, "(1 / (x ** 2))"),  # a negative one a division
        (X**3 / Y**2, "((x ** 3) / (y ** 2))"),
        (X / 3, "(x / 3)"),
        (sympy.Rational(2, 3) * X, "((2 / 3) * x)"),
        (sympy.Float(0.1) * X, "(0.1 * x)"),
        (X - Y, "(x - y)"),
        (-X - 1, "(-1 - x)"),  # a negative term is subtracted, after a positive one if there is one
        (3 - 2 * X, "(3 - (2 * x))"),
        (-X / 2 + Y, "(y - (x / 2))"),
        (sympy.sympify("x**3 / 3 - 1/y"), "(((x ** 3) / 3) - (1 / y))"),
        (sympy.sqrt(X) + X**0.5 + X ** sympy.Rational(1, 3), "((sqrt(x) + (x ** (1 / 3))) + (x ** 0.5))"),
        (X / Y**2 + sympy.sin(X) * sympy.cos(Y), "((x / (y ** 2)) + (cos(y) * sin(x)))"),
        (2 / (1 + sympy.exp(-X)) + sympy.log(1 + sympy.exp(Y)), "((2 * sigmoid(x)) + softplus(y))"),
        (sympy.E, "exp(1)"),
        (sympy.pi, "3.141592653589793"),
        (sympy.Integer(10) ** 30, "1" + "0" * 30),
        (1 / (1 + sympy.exp(-X)), "sigmoid(x)"),  # to_sympy's form of the sigmoid
        (1 / (2 + sympy.exp(-X)), "(1 / (2 + exp((-1 * x))))"),
    ],
)
def test_from_sympy_forms(sympy_expr: sympy.Expr, text: str) -> None:
    assert show(from_sympy(sympy_expr)) == text


def test_rational_is_an_exact_quotient_of_integers() -> None:
    third = from_sympy(sympy.Rational(1, 3))
    assert third is Div(Const(1), Const(3))
    assert evaluate(third, {}) == 1 / 3
    big = sympy.Rational(10**40 + 1, 3 * 10**40)
    assert evaluate(from_sympy(big), {}) == (10**40 + 1) / (3 * 10**40)  # correctly rounded


@pytest.mark.parametrize(
    ("sympy_expr", "message"),
    [
        (sympy.tan(X), "SymPy function tan"),
        (sympy.Abs(X), "SymPy function Abs"),
        (sympy.Function("f")(X), "SymPy function f"),
        (sympy.oo, "Infinity"),
        (sympy.nan, "NaN"),
        (sympy.I * X, "ImaginaryUnit"),
        (sympy.Symbol("not an identifier"), "not a Python identifier"),
        (sympy.Integer(10) ** 5000, "has no chainrule constant"),
    ],
)
def test_what_chainrule_lacks_is_named(sympy_expr: sympy.Basic, message: str) -> None:
    with pytest.raises(ChainruleError, match=message):
        from_sympy(sympy_expr)


def test_users_node_without_a_sympy_form_is_named() -> None:
    with pytest.raises(ChainruleError, match="no SymPy form for the node type Sine"):
        to_sympy(Sine(x) + 1)


def test_depth_100000_both_ways_and_sharing_converted_once() -> None:
    e: Expr = x
    for index in range(100_000):
        e = Exp(e) if index % 2 else e + 1
    assert from_sympy(to_sympy(e, evaluate=False)) is e
    squared: Expr = x
    for _ in range(60):
        squared = Mul(squared, squared)
    assert str(to_sympy(squared)) == "x**1152921504606846976"
    assert from_sympy(to_sympy(squared)) is Pow(x, 2**60)  # SymPy's power is the power node
    assert from_sympy(to_sympy(squared, evaluate=False)) is squared


def test_sympys_own_recursion_is_a_clear_error() -> None:
    e: Expr = x
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # SymPy fails at some depth whatever the limit; a low one finds it sooner
    for index in range(1000):
        e = Exp(e) if index % 2 else e + 1
    try:
        with pytest.raises(ChainruleError, match=r"evaluate=False\) converts it at any depth"):
            to_sympy(e)
    finally:
        sys.setrecursionlimit(limit)
    assert from_sympy(to_sympy(e, evaluate=False)) is e


def test_a_missing_sympy_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sympy", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[sympy\]'"):
        to_sympy(x)
    with pytest.raises(ImportError, match="needs SymPy"):
        from_sympy("x")


def test_sub_comes_back_as_sub() -> None:
    assert from_sympy(to_sympy(Sub(x, y), evaluate=False)) is Sub(x, y)


def test_issue_12_nodes_round_trip_structurally() -> None:
    for e in (
        Pow(x, y),
        Pow(x, Const(0.5)),
        Sqrt(x) + Sigmoid(y) * Softplus(x),
        Sigmoid(-x) / Softplus(Pow(y, Const(3))),
    ):
        assert from_sympy(to_sympy(e, evaluate=False)) is e
    assert str(to_sympy(Sigmoid(x) + Softplus(y))) == "log(exp(y) + 1) + 1/(1 + exp(-x))"


def test_sigmoid_and_softplus_come_back_stable_from_sympy() -> None:
    far = {"x": -1000.0, "y": 1000.0}  # 1/(1 + exp(1000)) would overflow; the nodes do not
    back = from_sympy(to_sympy(Sigmoid(x) + Softplus(y)))
    assert evaluate(back, far) == 1000.0


def test_sympys_softplus_derivative_simplifies_to_the_stable_sigmoid() -> None:
    # SymPy writes d/dx log(1 + e^x) as e^x/(e^x + 1): it comes back as sigmoid(-x) * exp(x),
    # which overflows past x = 709; the rule sigmoid-neg-times-exp makes it sigmoid(x).
    back = from_sympy(sympy.diff(to_sympy(Softplus(x)), sympy.Symbol("x")))
    with pytest.raises(EvaluationError):
        evaluate(back, {"x": 1000.0})
    simplified = simplify(back)
    assert show(simplified) == "sigmoid(x)"
    assert evaluate(simplified, {"x": 1000.0}) == 1.0
