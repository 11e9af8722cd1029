"""jacobian and hessian: lists of rows built on grad, entries equal to repeated diff."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from chainrule import (
    EvaluationError,
    Exp,
    Expr,
    Log,
    TanH,
    Var,
    count_nodes,
    diff,
    evaluate,
    hessian,
    jacobian,
    lambdify,
    postorder,
)
from chainrule.testing import environments, expressions

x, y, z = Var("x"), Var("y"), Var("z")


def _same_value(a: Expr, b: Expr, env: dict[str, float]) -> None:
    try:
        expected = evaluate(b, env)
    except EvaluationError:
        return  # diff's raw quotient rule can overflow where grad's form does not (issue 13.7)
    assert math.isclose(evaluate(a, env), expected, rel_tol=1e-9, abs_tol=1e-9)


@given(expressions(("x", "y"), max_leaves=8), expressions(("x", "y"), max_leaves=8), environments(("x", "y")))
def test_jacobian_entries_equal_diff(f: Expr, g: Expr, env: dict[str, float]) -> None:
    try:
        evaluate(f, env), evaluate(g, env)
    except EvaluationError:
        return
    matrix = jacobian([f, g], ["x", "y", "z"])
    assert len(matrix) == 2 and all(len(row) == 3 for row in matrix)
    for row, expr in zip(matrix, (f, g), strict=True):
        for entry, name in zip(row, ("x", "y", "z"), strict=True):
            _same_value(entry, diff(expr, name), env)


@given(expressions(("x", "y"), max_leaves=8), environments(("x", "y")))
def test_hessian_entries_equal_repeated_diff(f: Expr, env: dict[str, float]) -> None:
    try:
        evaluate(f, env)
    except EvaluationError:
        return
    matrix = hessian(f, ["x", "y"])
    for i, first in enumerate(("x", "y")):
        for j, second in enumerate(("x", "y")):
            _same_value(matrix[i][j], diff(diff(f, first), second), env)


def test_shapes_sharing_and_lambdify() -> None:
    f = Exp(x * y) + Log(y) * TanH(z)
    assert jacobian(f, "x") == [[Exp(x * y) * y]]
    h = hessian(f, [x, y, z])
    assert [len(row) for row in h] == [3, 3, 3]
    env = {"x": 0.5, "y": 2.0, "z": -1.0}
    values = [[evaluate(entry, env) for entry in row] for row in h]
    assert values[0][1] == pytest.approx(values[1][0])  # symmetric
    # Rows share: the distinct nodes of the whole matrix are far fewer than of its entries apart.
    entries = [entry for row in h for entry in row]
    assert len(set(postorder(*entries))) < sum(count_nodes(entry) for entry in entries)
    compiled = lambdify([entry for row in h for entry in row], ["x", "y", "z"])  # flattened rows
    assert list(compiled(0.5, 2.0, -1.0)) == pytest.approx([v for row in values for v in row])


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="item 1 is not an expression"):
        jacobian([x, 2], "x")  # type: ignore[list-item]
    with pytest.raises(TypeError, match="hessian expects an expression"):
        hessian([x], "x")  # type: ignore[arg-type]
    assert jacobian([], "x") == []
    assert hessian(x, []) == []


def test_lambdify_takes_the_rows_as_they_are() -> None:
    # Issue 11: jacobian and hessian are "accepted by lambdify", rows and all (no flattening).
    from chainrule import lambdify

    x, y = Var("x"), Var("y")
    f = x * x * y + Exp(y)
    rows = hessian(f, ["x", "y"])
    env = {"x": 1.5, "y": -0.5}
    expected = tuple(tuple(evaluate(entry, env) for entry in row) for row in rows)
    assert lambdify(rows, ["x", "y"])(1.5, -0.5) == expected
    jac = lambdify(jacobian([f, x * y], ["x", "y"]), ["x", "y"])(1.5, -0.5)
    assert len(jac) == 2 and all(len(row) == 2 for row in jac)
    import numpy as np

    arrays = lambdify(rows, ["x", "y"], backend="numpy")(np.array([1.5, 2.0]), np.array([-0.5, 0.25]))
    assert [[float(cell[0]) for cell in row] for row in arrays] == [list(row) for row in expected]
