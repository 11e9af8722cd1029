"""lambdify's NumPy backend: evaluate's values elementwise, evaluate's errors with the first index."""

from __future__ import annotations

import math
import sys
import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import (
    Const,
    Div,
    EvaluationError,
    Exp,
    Expr,
    Log,
    TanH,
    UnboundVariableError,
    Var,
    evaluate,
    grad,
    lambdify,
    parse,
    simplify,
)
from chainrule.arrays import require
from chainrule.testing import expressions

from .lab_strategies import VARIABLES, dag_expressions

any_expressions = st.one_of(expressions(VARIABLES), dag_expressions())
x, y = Var("x"), Var("y")


def numpy_lambdify(exprs: Any, args: Any) -> Any:
    return lambdify(exprs, args, backend="numpy")


def elementwise(expr: Expr, columns: dict[str, np.ndarray]) -> tuple[list[float], int | None, str | None]:
    """evaluate at each element: the values, the first failing index and its message."""
    values: list[float] = []
    n = len(next(iter(columns.values())))
    for i in range(n):
        env = {name: float(column[i]) for name, column in columns.items()}
        try:
            values.append(evaluate(expr, env))
        except EvaluationError as error:
            return values, i, error.message
    return values, None, None


element = st.one_of(
    st.integers(-3, 3).map(float),
    st.floats(-5, 5, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1e300, -1e300, 700.0, 1e-310]),
)


@settings(max_examples=200, deadline=None)
@given(any_expressions, st.lists(st.tuples(element, element, element), min_size=1, max_size=8))
def test_values_and_errors_are_evaluates_elementwise(expr: Expr, rows: list[tuple[float, ...]]) -> None:
    columns = {name: np.array([row[k] for row in rows]) for k, name in enumerate(VARIABLES)}
    expected, failing, message = elementwise(expr, columns)
    f = numpy_lambdify(expr, VARIABLES)
    if failing is None:
        result = f(*columns.values())
        assert result.dtype == np.float64 and result.shape == (len(rows),)
        # NumPy's tanh/exp/log may differ from math's by an ulp, which a chain such as log(tanh(5))
        # magnifies about 1e4 times: agreement is to rounding, not to the bit.
        np.testing.assert_allclose(result, expected, rtol=1e-9, atol=0)
        assert np.isfinite(result).all()
    else:
        with pytest.raises(EvaluationError) as caught:
            f(*columns.values())
        assert caught.value.index == (failing,)  # type: ignore[attr-defined]
        assert str(caught.value).startswith(f"{message} at index ({failing},)")


def test_structure_dtype_and_broadcasting() -> None:
    e = parse("y + log(x)")
    f = numpy_lambdify({"sum": e, "twice": e * 2, "two": Const(2), "x": x}, ["x", "y"])
    xs = np.arange(1, 4)  # integers are computed in float64
    result = f(xs, 2.0)
    assert set(result) == {"sum", "twice", "two", "x"}
    np.testing.assert_allclose(result["sum"], 2 + np.log(xs))
    np.testing.assert_array_equal(result["two"], [2.0, 2.0, 2.0])
    for value in result.values():
        assert value.dtype == np.float64 and value.shape == (3,)
    assert result["x"] is not xs
    grid = f(np.ones((2, 1)), np.arange(3.0))  # (2, 1) with (3,) broadcast to (2, 3)
    assert grid["sum"].shape == (2, 3)
    scalar = numpy_lambdify(e, ["x", "y"])(2.0, 3)
    assert type(scalar) is np.float64 and scalar == evaluate(e, {"x": 2.0, "y": 3})
    pair = numpy_lambdify([e, e], ["x", "y"])(xs, 1.0)
    assert isinstance(pair, tuple) and pair[0] is not pair[1]  # one output twice: two arrays


def test_inputs_are_never_written_to() -> None:
    xs, ys = np.linspace(1, 2, 5), np.linspace(3, 4, 5)
    before = xs.copy(), ys.copy()
    f = numpy_lambdify([Exp(TanH(x * y) + x) / y, x * y], ["x", "y"])
    f(xs, ys)
    np.testing.assert_array_equal(xs, before[0])
    np.testing.assert_array_equal(ys, before[1])


def test_the_first_failing_index_in_c_order_for_2d() -> None:
    f = numpy_lambdify(Log(x) * y, ["x", "y"])
    xs = np.array([[1.0, 2.0, 3.0], [4.0, -1.0, 0.0]])
    with pytest.raises(EvaluationError) as caught:
        f(xs, np.array([1.0, 2.0, 3.0]))
    error = caught.value
    assert error.index == (1, 1)  # type: ignore[attr-defined]
    assert error.inputs == {"x": -1.0, "y": 2.0}  # type: ignore[attr-defined]
    assert (
        str(error)
        == "math domain error (log of non-positive -1.0) in log(x) at index (1, 1) (inputs: x=-1.0, y=2.0)"
    )
    assert error.expr == Log(x)


@pytest.mark.parametrize(
    ("expr", "values", "reason"),
    [
        (Div(Const(1), x), [1.0, 0.0], "division by zero"),
        (TanH(Exp(x)), [1.0, 1000.0], "overflow"),  # exp overflows; tanh would hide it as 1.0
        (Div(Const(1), Exp(x)), [1.0, 1000.0], "overflow"),  # 1/inf == 0
        (Exp(Const(0) - x * x), [1.0, 1e200], "not finite"),  # exp(-inf) == 0
        (TanH(x), [1.0, math.inf], "not a finite number"),  # an input itself
        (x * 2, [1.0, math.nan], "not a finite number"),
    ],
)
def test_non_finite_values_never_leak(expr: Expr, values: list[float], reason: str) -> None:
    with pytest.raises(EvaluationError, match=reason) as caught:
        numpy_lambdify(expr, ["x"])(np.array(values))
    assert caught.value.index == (1,)  # type: ignore[attr-defined]


def test_a_false_alarm_returns_the_values() -> None:
    f = numpy_lambdify(x * 1.0, ["x"])  # the sum of the elements overflows, no element does
    big = np.array([1e308, 1e308])
    np.testing.assert_array_equal(f(big), big)


def test_bad_arguments() -> None:
    e = parse("y + log(x)")
    f = numpy_lambdify(e, ["x", "y"])
    with pytest.raises((EvaluationError, TypeError)) as expected:
        evaluate(e, {"x": -1.0, "y": True})
    with pytest.raises((EvaluationError, TypeError)) as caught:
        f(-1.0, True)  # issue 13 item 10: scalars fail as evaluate does, in evaluate's order
    assert (type(caught.value), str(caught.value)) == (type(expected.value), str(expected.value))
    with pytest.raises(TypeError, match="'y' must be a real number"):
        f(np.ones(2), True)
    with pytest.raises(TypeError, match="'x' must be a real number"):
        f(np.array(["a"]), 1.0)
    with pytest.raises(TypeError, match="'x' must be a real number"):
        f(np.array([True]), 1.0)
    with pytest.raises(ValueError, match="do not broadcast"):
        f(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'y'"):
        f(np.ones(2))
    with pytest.raises(UnboundVariableError):
        numpy_lambdify(e, ["x"])
    with pytest.raises(ValueError, match="backend"):
        lambdify(e, ["x", "y"], backend="fortran")


def test_source_is_readable_and_releases_temporaries() -> None:
    f = numpy_lambdify(TanH(x * y + x) * y, ["x", "y"])
    assert "_tanh(" in f.source and "out=_own(" in f.source and "del t" in f.source
    assert f.args == ("x", "y")


def _lab_gradients() -> tuple[list[Expr], list[str]]:
    names = ["b1", "w11", "w12", "b2", "w21", "w22", "c", "u1", "u2"]
    b1, w11, w12, b2, w21, w22, c, u1, u2, x1, x2, t = (Var(n) for n in [*names, "x1", "x2", "y"])
    h1 = TanH(b1 + x1 * w11 + x2 * w21)
    h2 = TanH(b2 + x1 * w12 + x2 * w22)
    fin = u1 * h1 + u2 * h2 + c
    loss = fin - fin * t + Log(1 + Exp(-fin))
    gradients = grad(loss, names)
    return [simplify(gradients[n]) for n in names], [*names, "x1", "x2", "y"]


def test_peak_memory_is_the_outputs_and_a_few_temporaries() -> None:
    exprs, args = _lab_gradients()
    f = numpy_lambdify(exprs, args)
    n = 100_000
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=n), rng.normal(size=n), (rng.random(n) < 0.5).astype(float)
    params = [0.1, 0.8, -0.6, -0.2, 0.5, 0.9, 0.05, 1.2, -0.7]
    f(*params, *inputs)
    tracemalloc.start()
    try:
        result = f(*params, *inputs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    array = n * 8
    assert peak < (len(exprs) + 3) * array  # nine outputs; temporaries are reused in place
    python = lambdify(exprs, args)
    for i in (0, 1234, n - 1):
        expected = python(*params, *(float(v[i]) for v in inputs))
        assert [g[i] for g in result] == pytest.approx(expected, rel=1e-12)


def test_missing_numpy_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[numpy\]'"):
        lambdify(x, ["x"], backend="numpy")
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"needs dask.*pip install 'chainrule\[dask\]'"):
        require("dask.array", "dask")


def test_evaluate_stays_scalar() -> None:
    with pytest.raises(TypeError, match="must be a number"):
        evaluate(x, {"x": np.ones(3)})


@settings(max_examples=150, deadline=None)
@given(any_expressions, st.lists(st.tuples(element, element, element), min_size=1, max_size=8))
def test_errors_nan_gives_nan_exactly_where_evaluate_fails(expr: Expr, rows: list[tuple[float, ...]]) -> None:
    columns = [np.array([row[k] for row in rows]) for k in range(len(VARIABLES))]
    result = lambdify(expr, VARIABLES, backend="numpy", errors="nan")(*columns)
    raising = lambdify(expr, VARIABLES, backend="numpy")
    for i, row in enumerate(rows):
        try:
            evaluate(expr, dict(zip(VARIABLES, row, strict=True)))
        except EvaluationError:
            assert math.isnan(result[i])
        else:
            # The same value the raising mode gives for that row alone (its agreement with evaluate is
            # tested above; an ill-conditioned chain such as log(tanh(5.19)) magnifies an ulp of NumPy's
            # tanh against math's to 1e-12, so the mask is judged against its own backend, exactly).
            assert result[i] == raising(*row)


def test_errors_nan_masks_every_output_of_a_failing_element() -> None:
    f = lambdify({"log": Log(x) * y, "x": x}, ["x", "y"], backend="numpy", errors="nan")
    result = f(np.array([1.0, -1.0, np.e]), 2.0)
    np.testing.assert_array_equal(result["log"], [0.0, np.nan, 2.0])
    np.testing.assert_array_equal(result["x"], [1.0, np.nan, np.e])
    assert math.isnan(f(-1.0, 2.0)["log"])
    with pytest.raises(ValueError, match="errors"):
        lambdify(x, ["x"], backend="numpy", errors="ignore")
    with pytest.raises(ValueError, match="needs backend='numpy'"):
        lambdify(x, ["x"], errors="nan")
