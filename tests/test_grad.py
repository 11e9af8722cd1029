"""grad: reverse mode agrees with diff, shares one graph, and never recurses on depth."""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chainrule import (
    Const,
    EvaluationError,
    Exp,
    Expr,
    Log,
    Mul,
    Sub,
    Sum,
    TanH,
    Var,
    count_nodes,
    diff,
    diff_node,
    evaluate,
    evaluate_node,
    fold,
    grad,
    parse,
    show_node,
    tree_size,
)
from chainrule.grad import adjoint_node, negate, scale
from chainrule.nodes import as_expr
from chainrule.testing import environments, expressions

from .lab_strategies import VARIABLES, dag_expressions

x, y = Var("x"), Var("y")
Z = 4 * x * y + Exp(-y)  # the lab's example


def exact(expr: Expr, env: dict[str, float]) -> Fraction:
    """The exact rational value of an expression without exp/log/tanh (ZeroDivisionError if undefined)."""

    def visit(node: Expr, values: list[Fraction]) -> Fraction:
        kind = type(node)
        if kind is Const:
            return Fraction(node.value)  # type: ignore[attr-defined]
        if kind is Var:
            return Fraction(env[node.name])  # type: ignore[attr-defined]
        a, b = values
        if kind is Sum:
            return a + b
        if kind is Sub:
            return a - b
        if kind is Mul:
            return a * b
        return a / b

    return fold(expr, visit)


def value_or_error(expr: Expr, env: dict[str, float]) -> float | None:
    try:
        return evaluate(expr, env)
    except EvaluationError:
        return None


def test_lab_example_partials() -> None:
    partials = grad(Z, ["x", "y"])
    env = {"x": 2, "y": 3}
    assert evaluate(partials["x"], env) == 12.0  # 4y
    assert evaluate(partials["y"], env) == pytest.approx(8 - math.exp(-3))  # 4x - e^-y
    assert set(partials) == {"x", "y"}


def test_variable_not_in_expression_gets_zero() -> None:
    assert grad(Z, ["x", "q"])["q"] is Const(0)
    assert grad(Const(3), "x") == {"x": Const(0)}


def test_accepts_a_name_a_var_or_several() -> None:
    assert grad(Z, "x") == grad(Z, x) == grad(Z, [x]) == grad(Z, ("x",))
    assert grad(Z, []) == {}
    assert grad(x, "x") == {"x": Const(1)}


def test_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="expression"):
        grad("x + 1", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="identifier"):
        grad(Z, ["not a name"])
    with pytest.raises(TypeError, match="variable"):
        grad(Z, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        grad(Z, [1.5])  # type: ignore[list-item]


def test_root_adjoint_one_is_not_multiplied_in() -> None:
    # d(x*y)/dx is y itself, not 1*y: reverse mode skips the seed's literal one.
    assert grad(x * y, ["x", "y"]) == {"x": y, "y": x}
    assert grad(x - y, "y")["y"] is Const(-1)


def test_scale_and_negate_helpers() -> None:
    assert scale(Const(1), x) is x
    assert scale(x, Const(1)) is x
    assert scale(x, y) == Mul(x, y)
    assert negate(x) == Mul(Const(-1), x)
    assert negate(negate(x)) is x


def test_shared_subexpressions_are_not_expanded() -> None:
    # A DAG whose tree has 2**60 leaves: grad must walk the 61 distinct nodes, not the tree.
    e: Expr = x
    for _ in range(60):
        e = e * e  # x ** (2 ** 60)
    partial = grad(e, "x")["x"]
    assert count_nodes(partial) < 400
    assert evaluate(partial, {"x": 1.0}) == 2.0**60


def test_one_graph_for_all_partials_of_the_network_loss() -> None:
    from chainrule.network import PARAMETERS, network

    loss = network().loss
    partials = grad(loss, PARAMETERS)
    raw = [diff(loss, name) for name in PARAMETERS]
    from chainrule import postorder

    grad_nodes = sum(1 for _ in postorder(*partials.values()))
    diff_nodes = sum(1 for _ in postorder(*raw))
    assert grad_nodes < diff_nodes < sum(tree_size(e) for e in raw)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        expressions(VARIABLES, operators=("+", "-", "*", "/"), functions=()), dag_expressions(unary=())
    ),
    environments(VARIABLES),
)
def test_grad_equals_diff_exactly_on_rational_expressions(expr: Expr, env: dict[str, float]) -> None:
    partials = grad(expr, VARIABLES)
    for name in VARIABLES:
        try:
            expected = exact(diff(expr, name), env)
        except ZeroDivisionError:
            continue
        # reverse mode may divide where diff squares, but where both are defined they agree exactly
        try:
            assert exact(partials[name], env) == expected
        except ZeroDivisionError:
            pytest.fail(f"grad undefined where diff is defined: {expr} wrt {name} at {env}")


@settings(max_examples=200, deadline=None)
@given(st.one_of(expressions(VARIABLES), dag_expressions()), environments(VARIABLES))
def test_grad_equals_diff_in_value(expr: Expr, env: dict[str, float]) -> None:
    partials = grad(expr, VARIABLES)
    checked = 0
    for name in VARIABLES:
        expected = value_or_error(diff(expr, name), env)
        got = value_or_error(partials[name], env)
        if expected is None or got is None:
            continue
        checked += 1
        assert got == pytest.approx(expected, rel=1e-7, abs=1e-9)
    assume(checked)


@settings(max_examples=50, deadline=None)
@given(dag_expressions(), environments(VARIABLES))
def test_grad_does_not_mutate_or_depend_on_call_order(expr: Expr, env: dict[str, float]) -> None:
    first = grad(expr, VARIABLES)
    again = grad(expr, list(reversed(VARIABLES)))
    assert all(first[name] is again[name] for name in VARIABLES)


def test_depth_100000_chain() -> None:
    e: Expr = x
    for i in range(100_000):
        e = TanH(e) if i % 1000 == 0 else e + x  # every step depends on x; depth 100,000
    partial = grad(e, "x")["x"]
    expected = value_or_error(diff(e, "x"), {"x": 1e-6})
    assert evaluate(partial, {"x": 1e-6}) == pytest.approx(expected, rel=1e-9)


# A user's node type, registered without touching the library.


def _square_x(value: object) -> Expr:
    return as_expr(value, "x")


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Square(Expr):
    """x * x, as a node type of its own."""

    x: Expr = attrs.field(converter=_square_x)


show_node.add((Square,), lambda node: ("square(", node.x, ")"))
evaluate_node.add((Square,), lambda node, value: value * value)
diff_node.add((Square,), lambda node, wrt, dx: Mul(Mul(Const(2), node.x), dx))
adjoint_node.add((Square,), lambda node, adjoint: (scale(adjoint, Mul(Const(2), node.x)),))


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Unregistered(Expr):
    x: Expr = attrs.field(converter=_square_x)


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Broken(Expr):
    x: Expr = attrs.field(converter=_square_x)


adjoint_node.add((Broken,), lambda node, adjoint: (adjoint, adjoint))


def test_user_node_type_registers_its_adjoint() -> None:
    e = Square(x * y) + Log(Square(x))
    partials = grad(e, ["x", "y"])
    env = {"x": 1.5, "y": -0.5}
    for name in ("x", "y"):
        assert evaluate(partials[name], env) == pytest.approx(evaluate(diff(e, name), env))


def test_unregistered_node_type_names_the_missing_case() -> None:
    with pytest.raises(NotImplementedError, match="adjoint_node"):
        grad(Unregistered(x), "x")


def test_case_returning_wrong_number_of_contributions() -> None:
    with pytest.raises(ValueError, match="Broken"):
        grad(Broken(x), "x")


def test_parsed_and_built_expressions_agree() -> None:
    text = "tanh(w*x + b) * v - log(1 + exp(-(w*x + b)))"
    e = parse(text)
    partials = grad(e, ["w", "b", "v"])
    env = {"w": 0.3, "x": -1.2, "b": 0.1, "v": 2.0}
    for name, partial in partials.items():
        assert evaluate(partial, env) == pytest.approx(evaluate(diff(e, name), env))
    assert isinstance(partials["w"], Expr)
