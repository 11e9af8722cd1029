"""define_function: a user's one-argument function in one call, working everywhere a built-in one does."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, settings

from chainrule import (
    Const,
    EvaluationError,
    Exp,
    Expr,
    Mul,
    Var,
    define_function,
    diff,
    evaluate,
    grad,
    lambdify,
    parse,
    parse_rule,
    show,
    simplify,
    to_dot,
    to_latex,
)
from chainrule.bounds import bounds
from chainrule.define import FUNCTION_NODES, NUMPY_FUNCTIONS
from chainrule.testing import assert_sound, environments, expressions

x = Var("x")

# Module level and named after the function, so that its nodes pickle.
Erf = define_function(
    "erf",
    evaluate=math.erf,
    derivative=lambda u: 2 / math.sqrt(math.pi) * Exp(-(u * u)),
    numpy=None,
    latex=r"\operatorname{erf}",
    bounds=lambda interval: (-1.0, 1.0),
)


def _log1(u: float) -> float:
    if u <= -1:
        raise ValueError(f"log1 of {u!r} <= -1")
    return math.log1p(u)


Log1 = define_function("log1", evaluate=_log1, derivative=lambda u: 1 / (1 + u))


def test_the_class() -> None:
    assert Erf.__name__ == "Erf" and Erf.__module__ == __name__
    e = Erf(x)
    assert e is Erf(x) and e.x is x
    assert Erf(0.5).x is Const(0.5)
    assert repr(e) == "Erf(Var('x'))"
    assert pickle.loads(pickle.dumps(Erf(x * 2))) is Erf(x * 2)
    assert FUNCTION_NODES["erf"] is Erf


def test_show_parse_evaluate() -> None:
    e = parse("erf(x / 2) + 1")
    assert e is Erf(x / 2) + 1
    assert show(e) == "(erf((x / 2)) + 1)"
    assert parse(show(e)) is e
    assert evaluate(e, {"x": 1.0}) == math.erf(0.5) + 1


def test_domain_errors_name_the_node() -> None:
    with pytest.raises(EvaluationError, match=r"log1 of -2.0 <= -1\) in log1\(\(x - 3\)\)"):
        evaluate(parse("log1(x - 3)"), {"x": 1.0})


def test_diff_grad_simplify() -> None:
    e = Erf(x * x)
    d = diff(e, "x")
    assert show(d) == "((1.1283791670955126 * exp((-1 * ((x * x) * (x * x))))) * ((1 * x) + (x * 1)))"
    expected = 2 / math.sqrt(math.pi) * math.exp(-(1.5**4)) * 3.0
    assert evaluate(d, {"x": 1.5}) == pytest.approx(expected)
    assert evaluate(grad(e, ["x"])["x"], {"x": 1.5}) == pytest.approx(expected)
    assert evaluate(simplify(d), {"x": 1.5}) == pytest.approx(expected)
    assert show(simplify(diff(Log1(x), "x"))) == "(1 / (1 + x))"


def test_lambdify_latex_dot_bounds() -> None:
    f = lambdify([Erf(x), Log1(x)], ["x"])
    assert f(0.25) == (math.erf(0.25), math.log1p(0.25))
    with pytest.raises(EvaluationError, match="log1"):
        f(-1.0)
    assert to_latex(Erf(x) * 2) == r"\operatorname{erf}\left(x\right) \cdot 2"
    assert to_latex(Log1(x)) == r"\operatorname{log1}\left(x\right)"
    assert '[label="erf"]' in to_dot(Erf(x))
    assert bounds(Erf(x)) == (-1.0, 1.0)
    assert bounds(Log1(x)) == (-math.inf, math.inf)  # no bounds given: nothing is claimed


def test_a_rule_about_the_new_function_is_checked_like_any() -> None:
    odd = parse_rule("erf-odd: erf(-1 * ?x) -> -1 * erf(?x)")
    assert_sound(odd, max_examples=50, seed=0)
    assert simplify(parse("erf(-x)"), [odd]) is Mul(Const(-1), Erf(x))


@settings(max_examples=50, deadline=None)
@given(expressions(("x",), functions=("exp", "erf", "log1")), environments(("x",)))
def test_the_testing_strategy_draws_it_by_name(e: Expr, env: dict[str, float]) -> None:
    try:
        value = evaluate(e, env)
    except EvaluationError:
        return
    assert lambdify(e, ["x"])(env["x"]) == value


def test_redefining_replaces_and_library_names_are_refused() -> None:
    first = define_function("twice_demo", evaluate=lambda u: 2 * u, derivative=lambda u: 2)
    second = define_function("twice_demo", evaluate=lambda u: 2.0 * u, derivative=lambda u: 2)
    assert parse("twice_demo(x)") is second(x) and first is not second
    assert show(diff(second(x), "x")) == "(2 * 1)"  # a number returned by derivative becomes a Const
    for name in ("sin", "exp", "sigmoid"):
        with pytest.raises(ValueError, match="library"):
            define_function(name, evaluate=math.sin, derivative=lambda u: u)
    for bad in ("2x", "lambda", "x-y", ""):
        with pytest.raises(ValueError, match="identifier"):
            define_function(bad, evaluate=math.sin, derivative=lambda u: u)


def test_numpy_version_is_recorded_for_array_backends() -> None:
    pytest.importorskip("numpy")
    import numpy as np

    Cube = define_function(
        "cube_demo", evaluate=lambda u: u**3, derivative=lambda u: 3 * u * u, numpy=np.cbrt
    )
    assert NUMPY_FUNCTIONS[Cube] is np.cbrt
    assert Erf not in NUMPY_FUNCTIONS


def test_a_name_math_also_has_compiles_the_users_function() -> None:
    # A record without code of its own used to be read as math's function of that name.
    import numpy as np

    define_function("cosh", evaluate=lambda u: 2.0 * u, derivative=lambda u: 2.0)
    try:
        e = parse("cosh(x)")
        assert evaluate(e, {"x": 0.5}) == lambdify(e, ["x"])(0.5) == 1.0
        assert list(lambdify(e, ["x"], backend="numpy")(np.array([0.5, 1.0]))) == [1.0, 2.0]
    finally:
        FUNCTION_NODES.pop("cosh", None)
        from chainrule.parse import FUNCTIONS

        FUNCTIONS.pop("cosh", None)
