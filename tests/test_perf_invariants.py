"""Behaviour the performance work must not shift: interning, construction errors, the fold's visits."""

from __future__ import annotations

import copy
import gc
import math
import pickle

import attrs
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
    Mul,
    Sub,
    Sum,
    TanH,
    UnboundVariableError,
    Var,
    count_nodes,
    diff,
    evaluate,
    fold,
    postorder,
    show,
    tree_size,
)
from chainrule.traverse import fold_cases

x, y = Var("x"), Var("y")


# --- interning ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Sum, Sub, Mul, Div])
def test_binary_nodes_are_interned_however_built(kind: type[Expr]) -> None:
    node = kind(x, y)
    assert kind(x, y) is node
    assert kind(x=x, y=y) is node
    assert kind(x, y=y) is node
    assert kind(y=y, x=x) is node
    assert kind(x, y) is not kind(y, x)
    assert node._kids == (x, y)


@pytest.mark.parametrize("kind", [Exp, Log, TanH])
def test_unary_nodes_are_interned_however_built(kind: type[Expr]) -> None:
    node = kind(x)
    assert kind(x=x) is node
    assert node._kids == (x,)


def test_numbers_given_as_children_become_the_same_const_nodes() -> None:
    assert Sum(1, x) is Sum(Const(1), x)
    assert Mul(x, 2.5) is Mul(x, Const(2.5))
    assert Sum(x=1, y=x) is Sum(Const(1), x)
    assert 2 * x is Mul(Const(2), x)
    assert x - 1 is Sub(x, Const(1))
    assert -x is Mul(Const(-1), x)


def test_constants_are_told_apart_by_type_and_sign() -> None:
    assert Const(1) is not Const(1.0)
    assert Const(0.0) is not Const(-0.0)
    assert Const(-0.0) is Const(-0.0)
    assert Const(1.5) is Const(1.5)
    assert Const(value=2) is Const(2)
    assert type(Const(3).value) is int
    assert type(Const(3.0).value) is float
    assert show(Const(-0.0)) == "-0.0"


def test_leaves_have_no_children() -> None:
    assert Const(1)._kids == ()
    assert Var("x")._kids == ()


def test_numpy_numbers_are_converted_to_python_numbers() -> None:
    assert Const(np.float64(1.5)) is Const(1.5)
    assert type(Const(np.float64(1.5)).value) is float
    assert Const(np.int64(7)) is Const(7)
    assert type(Const(np.int64(7)).value) is int
    assert Sum(np.float64(0.5), x) is Sum(Const(0.5), x)


def test_large_integers_are_kept_exact_up_to_the_limit() -> None:
    big = 10**1000
    assert Const(big).value == big
    with pytest.raises(ValueError, match="more than 4300 digits"):
        Const(10**4400)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, "not a boolean"),
        (np.bool_(True), TypeError, "bool"),
        (math.nan, ValueError, "must be finite"),
        (math.inf, ValueError, "must be finite"),
        (np.float64("inf"), ValueError, "must be finite"),
        ("1", TypeError, "must be an int or float, got str"),
        (1j, TypeError, "must be an int or float, got complex"),
        (None, TypeError, "must be an int or float, got NoneType"),
    ],
)
def test_bad_constants_are_rejected(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Const(value)


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [(1, TypeError, "must be a str"), ("1x", ValueError, "identifier"), ("a b", ValueError, "identifier")],
)
def test_bad_variable_names_are_rejected(name: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Var(name)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Sum([1], x), "field 'x' must be an expression or a number, got list"),
        (lambda: Sum(x, "y"), "field 'y' must be an expression or a number, got str"),
        (lambda: Sum(x=x, y=None), "field 'y' must be an expression or a number, got NoneType"),
        (lambda: Exp(True), "field 'x' must be an expression or a number, got bool"),
        (lambda: Sum(x, math.nan), "must be finite"),
    ],
)
def test_bad_children_name_the_field(build: object, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Sum(x),
        lambda: Sum(x, y, x),
        lambda: Sum(x, z=y),
        lambda: Sum(x, x=x),
        lambda: Exp(),
        lambda: Const(),
        lambda: Var(name="x", other=1),
    ],
)
def test_wrong_arguments_are_type_errors(build: object) -> None:
    with pytest.raises(TypeError):
        build()  # type: ignore[operator]


def test_nodes_stay_frozen() -> None:
    node = Sum(x, y)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        node.x = y  # type: ignore[misc]
    assert node.x is x and node.y is y


def test_copies_and_pickles_are_the_same_node() -> None:
    node = TanH(Sum(Const(0.5), Mul(x, y)))
    assert copy.copy(node) is node
    assert copy.deepcopy(node) is node
    assert pickle.loads(pickle.dumps(node)) is node


def test_dead_nodes_leave_the_intern_table() -> None:
    gc.collect()
    before = Sum.interned(), Const.interned()
    nodes = [Sum(Const(i + 0.25), x) for i in range(100)]
    assert Sum.interned() == before[0] + 100
    assert Const.interned() == before[1] + 100
    del nodes
    gc.collect()
    assert (Sum.interned(), Const.interned()) == before


def test_a_node_rebuilt_after_its_twin_died_is_interned_again() -> None:
    key = Sum(Const(0.125), y)
    ident = id(key)
    del key
    again = Sum(Const(0.125), y)
    assert Sum(Const(0.125), y) is again
    del again, ident


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Square(Expr):
    """A user-defined node (attrs, not declared direct): built by attrs, then interned."""

    x: Expr = attrs.field(validator=attrs.validators.instance_of(Expr))


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Scaled(Expr):
    """A user-defined node with a plain number field and a child."""

    factor: float
    x: Expr


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class MySum(Sum):
    """A subclass of a library node is its own type with its own table."""


def test_user_defined_nodes_are_interned_too() -> None:
    assert Square(x) is Square(x=x)
    assert Square(x)._kids == (x,)
    with pytest.raises(TypeError):
        Square(1)
    assert Scaled(2.0, x) is Scaled(2.0, x)
    assert Scaled(2.0, x) is not Scaled(2, x)
    assert Scaled(0.0, x) is not Scaled(-0.0, x)
    assert Scaled(2.0, x)._kids == (x,)


def test_subclass_of_a_library_node_is_distinct() -> None:
    mine = MySum(x, y)
    assert mine is MySum(x, y)
    assert mine is not Sum(x, y)
    assert type(mine) is MySum
    assert mine._kids == (x, y)
    assert MySum(1, x).x is Const(1)


# --- the fold -------------------------------------------------------------------------------------


def _shared_dag(levels: int) -> Expr:
    node: Expr = x
    for i in range(levels):
        node = Sum(Mul(node, node), Const(i))
    return node


def test_fold_visits_each_distinct_node_once_children_first() -> None:
    root = _shared_dag(30)
    visited: list[Expr] = []

    def visit(node: Expr, results: list[int]) -> int:
        assert all(kid in done for kid in node._kids)
        visited.append(node)
        done.add(node)
        return 1 + sum(results)

    done: set[Expr] = set()
    fold(root, visit)
    assert len(visited) == len(set(visited)) == count_nodes(root)
    assert visited[-1] is root
    assert list(postorder(root))[-1] is root
    assert set(postorder(root)) == set(visited)


def test_fold_passes_results_in_field_order() -> None:
    node = Sub(Div(x, y), Const(3))
    text = fold(node, lambda n, parts: show(n) if not parts else f"{type(n).__name__}[{','.join(parts)}]")
    assert text == "Sub[Div[x,y],3]"


def test_fold_cases_asks_for_each_type_once() -> None:
    root = _shared_dag(20)
    asked: list[type] = []

    def case_for(kind: type) -> object:
        asked.append(kind)
        return lambda node, *sizes: 1 + sum(sizes)

    assert fold_cases(root, case_for) == tree_size(root)  # type: ignore[arg-type]
    assert sorted(k.__name__ for k in asked) == ["Const", "Mul", "Sum", "Var"]


def test_fold_shares_a_memo_across_calls() -> None:
    memo: dict[Expr, int] = {}
    calls = []

    def visit(node: Expr, results: list[int]) -> int:
        calls.append(node)
        return 1 + sum(results)

    inner = Mul(x, y)
    fold(inner, visit, memo)
    assert len(calls) == 3
    fold(Sum(inner, x), visit, memo)
    assert len(calls) == 4
    assert fold(inner, visit, memo) == 3 and len(calls) == 4


def test_sizes_of_a_shared_dag() -> None:
    expected = 1  # the tree of level i+1 is Sum(Mul(t, t), Const): 2 * size(t) + 3
    for _ in range(40):
        expected = 2 * expected + 3
    distinct, size = count_nodes(_shared_dag(40)), tree_size(_shared_dag(40))  # plain ints in asserts
    assert distinct == 1 + 3 * 40
    assert size == expected
    small = Sum(Mul(x, x), Const(0))
    assert tree_size(small) == 5
    assert count_nodes(small) == 4


def test_deep_expressions_need_no_recursion() -> None:
    depth = 100_000
    node: Expr = x
    for _ in range(depth):
        node = TanH(node)
    # Only plain numbers in the asserts: pytest would print a failing operand, and these DAGs
    # stand for trees far too large to print.
    distinct, size = count_nodes(node), tree_size(node)
    assert distinct == size == depth + 1
    derivative = diff(node, "x")
    # The chain, x, Const(1), and three new nodes per level: (1 - t*t) * dt.
    derivative_nodes = count_nodes(derivative)
    assert derivative_nodes == (depth + 1) + 1 + 3 * depth
    slope = evaluate(derivative, {"x": 0.5})
    assert 0 < slope < 1
    text_length = len(show(node))
    assert text_length == len("tanh()") * depth + 1


# --- evaluate and diff keep their results and messages ------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3))
def test_evaluate_matches_float_arithmetic(a: float, b: float) -> None:
    expr = Sum(Mul(x, TanH(y)), Div(Exp(Sub(x, y)), Sum(Const(2), Exp(y))))
    expected = a * math.tanh(b) + math.exp(a - b) / (2 + math.exp(b))
    assert evaluate(expr, {"x": a, "y": b}) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    ("expr", "env", "message"),
    [
        (Div(x, Sub(y, y)), {"x": 1, "y": 2}, "division by zero in (x / (y - y))"),
        (Exp(x), {"x": 1000}, "overflow in exp(x)"),
        (Log(Sub(x, x)), {"x": 1}, "math domain error (log of non-positive 0.0) in log((x - x))"),
        (Mul(x, x), {"x": 1e200}, "result inf is not finite in (x * x)"),
        (Div(Const(1), Mul(x, x)), {"x": 1e200}, "result inf is not finite in (x * x)"),
    ],
)
def test_evaluation_errors_name_the_failing_subexpression(
    expr: Expr, env: dict[str, float], message: str
) -> None:
    with pytest.raises(EvaluationError) as failure:
        evaluate(expr, env)
    assert str(failure.value) == message


def test_unbound_and_bad_environment_values() -> None:
    with pytest.raises(UnboundVariableError, match="'y'"):
        evaluate(Sum(x, y), {"x": 1})
    with pytest.raises(TypeError, match="must be a number"):
        evaluate(x, {"x": "1"})
    with pytest.raises(EvaluationError, match="not a finite number"):
        evaluate(x, {"x": math.inf})


def test_diff_is_the_labs_raw_derivative() -> None:
    z = 4 * x * y + Exp(-y)
    assert show(diff(z, "x")) == (
        "(((((0 * x) + (4 * 1)) * y) + ((4 * x) * 0)) + (exp((-1 * y)) * ((0 * y) + (-1 * 0))))"
    )
    assert diff(z, x) is diff(z, "x")
    assert show(diff(Div(x, y), "x")) == "(((1 * y) - (0 * x)) / (y * y))"
    assert show(diff(TanH(x), "x")) == "((1 - (tanh(x) * tanh(x))) * 1)"
    assert show(diff(Log(x), "x")) == "(1 / x)"


# ---------------------------------------------------------------------------------------------------
# Rewriting


def test_simplify_and_explain_rewrite_each_distinct_node_once() -> None:
    """A DAG of 2**40 tree nodes and 45 distinct ones: the work follows the distinct nodes."""
    from chainrule import DEFAULT_RULES, count_nodes, explain, simplify

    e: Expr = Sum(Mul(x, Const(1)), Const(0))
    for _ in range(40):
        e = Mul(e, e)
    sizes = count_nodes(e), count_nodes(simplify(e))  # (never let pytest print e)
    assert sizes == (45, 41)  # (x * 1) + 0 is x: the 1, the 0 and two nodes go
    rules = [step.rule for step in explain(e, DEFAULT_RULES).steps]
    assert rules == ["times-one", "plus-zero"]
