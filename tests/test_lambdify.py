"""lambdify: one generated function, same values and same errors as evaluate, safe source."""

from __future__ import annotations

import math
import re

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
    Sigmoid,
    Sub,
    Sum,
    TanH,
    UnboundVariableError,
    Var,
    count_nodes,
    evaluate,
    evaluate_node,
    grad,
    lambdify,
    parse,
    show_node,
)
from chainrule.nodes import as_expr
from chainrule.testing import environments, expressions

from .lab_strategies import VARIABLES, dag_expressions

any_expressions = st.one_of(expressions(VARIABLES), dag_expressions())

x, y = Var("x"), Var("y")
Z = 4 * x * y + Exp(-y)


def outcome(function: object, *args: object) -> tuple[str, object]:
    """('value', v) or ('error', (class, message)) of calling ``function``."""
    try:
        return "value", function(*args)  # type: ignore[operator]
    except (EvaluationError, UnboundVariableError, TypeError) as error:
        return "error", (type(error), str(error))


def test_single_expression_gives_a_float() -> None:
    f = lambdify(Z, ["x", "y"])
    assert f(2.0, 3.0) == 24.049787068367863
    assert f(2, 3) == 24.049787068367863  # ints behave as in evaluate
    assert type(f(2, 3)) is float


def test_sequence_gives_a_tuple_and_mapping_a_dict() -> None:
    partials = grad(Z, ["x", "y"])
    pair = lambdify([partials["x"], partials["y"]], ["x", "y"])
    assert pair(2.0, 3.0) == (12.0, 8 - math.exp(-3))
    named = lambdify(partials, ["x", "y"])
    assert named(2.0, 3.0) == {"x": 12.0, "y": 8 - math.exp(-3)}
    assert lambdify([], [])() == ()
    assert lambdify({}, ["x"])(1.0) == {}


def test_constant_and_variable_outputs() -> None:
    f = lambdify([Const(2), x, Const(-0.5)], ["x"])
    assert f(7.0) == (2.0, 7.0, -0.5)
    assert type(lambdify(Const(3), [])()) is float


def test_each_distinct_node_is_computed_once() -> None:
    shared = Exp(x * y)
    f = lambdify([shared + shared, shared * shared, TanH(shared)], ["x", "y"])
    assert f.source.count("_exp(") == 1
    assert f.source.count("x * v_y") == 1
    # one assignment per distinct non-leaf node
    statements = re.findall(r"^\s+t\d+ = ", f.source, flags=re.MULTILINE)
    leaves = {x, y}
    distinct = count_nodes(Sum(Sum(shared + shared, shared * shared), TanH(shared))) - len(leaves)
    assert len(statements) == distinct - 2  # minus the two Sums that only join the outputs here


def test_values_read_once_are_written_where_they_are_read() -> None:
    shared = x * y
    e = (shared + x) * ((shared - y) * (shared - y))
    f = lambdify(e, ["x", "y"])
    assert f(2.0, 3.0) == evaluate(e, {"x": 2.0, "y": 3.0}) == 72.0
    assert "t0 = v_x * v_y" in f.source  # read three times: a name of its own
    assert "t1 = t0 - v_y" in f.source  # read twice
    assert "t2 = (t0 + v_x) * (t1 * t1)" in f.source


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_bad_argument_raises_what_evaluate_raises(backend: str) -> None:
    # issue 13 item 10: log(-1) and a bool: whichever evaluate reports first, lambdify reports too
    e = parse("y + log(x)")
    f = lambdify(e, ["x", "y"], backend=backend)
    for values in ((-1.0, True), (2.0, True), (-1.0, 2.0), (0.0, None)):
        expected = outcome(evaluate, e, dict(zip(["x", "y"], values, strict=True)))
        assert expected[0] == "error"
        assert outcome(f, *values) == expected


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_argument_names_like_generated_locals_are_just_names(backend: str) -> None:
    e = parse("t0 * _s + log(_shape) + tanh(t1)")
    f = lambdify([e, e * e], ["t0", "_s", "_shape", "t1"], backend=backend)
    value = evaluate(e, {"t0": 1.0, "_s": 2.0, "_shape": 3.0, "t1": 0.5})
    assert f(1.0, 2.0, 3.0, 0.5) == (value, value * value)
    with pytest.raises(TypeError, match="missing 3 required positional arguments: '_s', '_shape', and 't1'"):
        f(1.0)


def test_arity_errors_name_the_users_arguments() -> None:
    f = lambdify(parse("y + log(x)"), ["x", "y"])
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'y'") as caught:
        f(1.0)
    assert "v_y" not in str(caught.value)
    with pytest.raises(TypeError, match="takes 2 positional arguments but 3 were given"):
        f(1.0, 2.0, 3.0)


def test_source_is_kept_and_readable() -> None:
    f = lambdify(Z, ["x", "y"])
    assert "def lambdified(v_x, v_y):" in f.source
    assert f.args == ("x", "y")
    assert f.__doc__ and "args" in f.__doc__


@settings(max_examples=300, deadline=None)
@given(any_expressions, environments(VARIABLES))
def test_same_values_and_errors_as_evaluate(expr: Expr, env: dict[str, float]) -> None:
    f = lambdify(expr, VARIABLES)
    args = [env[name] for name in VARIABLES]
    assert outcome(f, *args) == outcome(evaluate, expr, env)


@settings(max_examples=100, deadline=None)
@given(st.lists(any_expressions, min_size=1, max_size=4), environments(VARIABLES))
def test_many_outputs_share_one_function(exprs: list[Expr], env: dict[str, float]) -> None:
    f = lambdify(exprs, VARIABLES)
    args = [env[name] for name in VARIABLES]
    expected: list[object] = []
    for expr in exprs:
        kind, value = outcome(evaluate, expr, env)
        if kind == "error":
            assert outcome(f, *args) == ("error", value)  # the first failing output is reported
            return
        expected.append(value)
    assert f(*args) == tuple(expected)
    assert lambdify(dict(enumerate(exprs)), VARIABLES)(*args) == dict(enumerate(expected))


@settings(max_examples=100, deadline=None)
@given(any_expressions, environments(VARIABLES, -1e300, 1e300))
def test_huge_values_fail_like_evaluate(expr: Expr, env: dict[str, float]) -> None:
    f = lambdify(expr, VARIABLES)
    assert outcome(f, *(env[name] for name in VARIABLES)) == outcome(evaluate, expr, env)


@pytest.mark.parametrize(
    "expr",
    [
        TanH(x * x),  # x*x overflows to inf silently; tanh(inf) would be a finite 1.0
        Div(Const(1), x * x),  # 1/inf == 0
        Exp(Sub(Const(0), x * x)),  # exp(-inf) == 0
        Sub(x * x, x * x),  # inf - inf == nan
        Mul(Const(0), x * x),  # 0 * inf == nan
        Log(x * x),  # log(inf) == inf
    ],
)
def test_non_finite_intermediates_never_leak(expr: Expr) -> None:
    f = lambdify(expr, ["x"])
    with pytest.raises(EvaluationError) as caught:
        f(1e200)
    with pytest.raises(EvaluationError) as expected:
        evaluate(expr, {"x": 1e200})
    assert str(caught.value) == str(expected.value)
    assert "(x * x)" in str(caught.value)


@settings(max_examples=20, deadline=None)
@given(st.lists(any_expressions, min_size=30, max_size=80), environments(VARIABLES, -1e300, 1e300))
def test_long_functions_with_huge_values_fail_like_evaluate(parts: list[Expr], env: dict[str, float]) -> None:
    # many absorbing operations: more than one check statement
    e: Expr = Const(0)
    for part in parts:
        e = e + TanH(part) * Const(1e-300)
    f = lambdify(e, VARIABLES)
    assert outcome(f, *(env[name] for name in VARIABLES)) == outcome(evaluate, e, env)


@pytest.mark.parametrize("position", [1, 20, 40, 64, 98])
def test_every_absorbed_infinity_is_caught_in_long_functions(position: int) -> None:
    # 99 tanh arguments to check: several check statements;
    # only the argument at `position` overflows (tanh then hides it as 1.0).
    e: Expr = Const(0)
    for i in range(1, 100):
        e = e + TanH(x * Const(1e10 if i == position else 1 + i / 1000))
    f = lambdify(e, ["x"])
    with pytest.raises(EvaluationError, match="not finite"):
        evaluate(e, {"x": 1e300})
    with pytest.raises(EvaluationError, match="not finite"):
        f(1e300)
    assert f(1.0) == evaluate(e, {"x": 1.0})


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (math.inf, EvaluationError),
        (-math.inf, EvaluationError),
        (math.nan, EvaluationError),
        (True, TypeError),
        ("2", TypeError),
        (None, TypeError),
        (10**400, EvaluationError),
    ],
)
def test_bad_argument_values_fail_like_evaluate(value: object, error: type[Exception]) -> None:
    expr = TanH(x)  # tanh(inf) is finite: the input itself must be checked
    f = lambdify(expr, ["x"])
    with pytest.raises(error) as caught:
        f(value)
    with pytest.raises(error) as expected:
        evaluate(expr, {"x": value})
    assert str(caught.value) == str(expected.value)


def test_domain_errors_name_the_failing_subexpression() -> None:
    f = lambdify(Log(x - y) + x / y, ["x", "y"])
    with pytest.raises(EvaluationError, match=r"log\(\(x - y\)\)"):
        f(1.0, 2.0)
    with pytest.raises(EvaluationError, match=r"division by zero in \(x / y\)"):
        f(1.0, 0.0)
    with pytest.raises(EvaluationError, match="overflow"):
        lambdify(Exp(x), ["x"])(1000.0)


def test_big_but_finite_values_are_not_false_alarms() -> None:
    # the finiteness check sums values; an overflowing sum re-checks the slow way and still succeeds
    f = lambdify([x, y, x - y], ["x", "y"])
    assert f(1.5e308, 1.5e308) == (1.5e308, 1.5e308, 0.0)


def test_constant_too_large_for_a_float() -> None:
    f = lambdify(Const(10**400) * x, ["x"])
    with pytest.raises(EvaluationError, match="overflow"):
        f(1.0)


def test_numpy_and_int_arguments() -> None:
    f = lambdify(Z, ["x", "y"])
    assert f(np.float64(2.0), np.int64(3)) == evaluate(Z, {"x": 2, "y": 3})
    assert type(f(np.float64(2.0), 3)) is float


def test_unused_arguments_are_allowed() -> None:
    assert lambdify(x, ["x", "unused"])(1.0, 2.0) == 1.0


def test_missing_variable_is_reported_when_compiling() -> None:
    with pytest.raises(UnboundVariableError, match="'y'"):
        lambdify(Z, ["x"])


@pytest.mark.parametrize("bad", ["x y", "1x", "", "x-1", "os.system", "x)\n    import os\n"])
def test_argument_that_is_not_an_identifier_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid variable name"):
        lambdify(x, ["x", bad])


def test_argument_of_the_wrong_type_is_rejected() -> None:
    with pytest.raises(TypeError, match="variable names"):
        lambdify(x, ["x", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="variable names"):
        lambdify(x, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        lambdify(x, ["x", "x"])
    with pytest.raises(TypeError, match="not an expression"):
        lambdify([x, "y"], ["x"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="lambdify expects"):
        lambdify("x", ["x"])  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_a_row_entry_that_is_no_expression_is_named_by_row_and_column(backend: str) -> None:
    with pytest.raises(TypeError, match=r"lambdify output \(1, 0\) is not an expression: str"):
        lambdify([[x, y], ["y", x]], ["x", "y"], backend=backend)  # type: ignore[list-item]


def test_a_single_name_or_vars_as_args() -> None:
    assert lambdify(x + 1, "x")(1.0) == 2.0
    assert lambdify(x * y, [x, y])(2.0, 3.0) == 6.0


NASTY = ["lambda", "math", "__import__", "_exp", "_fallback", "t0", "v_x", "x", "print", "_s", "α", "ﬁ", "fi"]


def test_names_that_are_keywords_builtins_or_our_own_locals_are_plain_variables() -> None:
    variables = [Var(name) for name in NASTY]
    expr: Expr = Const(0)
    for weight, variable in enumerate(variables, start=1):
        expr = expr + weight * variable
    values = [float(2**index) for index in range(len(NASTY))]
    f = lambdify([expr, TanH(Var("lambda")) * Var("__import__")], NASTY)
    expected = evaluate(expr, dict(zip(NASTY, values, strict=True)))
    assert f(*values)[0] == expected
    assert not re.search(r"\bimport\b|\blambda\b|\bmath\b|\bprint\b", f.source)


def test_mapping_keys_never_enter_the_source() -> None:
    key = "'); import os; os.system('echo hacked'); ('"
    f = lambdify({key: x + 1}, ["x"])
    assert f(1.0) == {key: 2.0}
    assert "os.system" not in f.source


def test_depth_100000_chain_compiles_to_straight_line_code() -> None:
    e: Expr = x
    for i in range(100_000):
        e = TanH(e) if i % 2 else e + x
    f = lambdify(e, ["x"])
    assert f.source.count("_tanh(") == 50_000  # straight-line code, each node once
    assert f.source.count("\n") > 50_000  # values read once nest a few levels deep, never the chain
    assert f(0.25) == evaluate(e, {"x": 0.25})
    with pytest.raises(EvaluationError):
        f(math.inf)


def test_depth_100000_gradient_compiles() -> None:
    e: Expr = x
    for _ in range(100_000):
        e = Sum(e, x)
    f = lambdify(grad(e, ["x"]), ["x"])
    assert f(0.5) == {"x": 100_001.0}


def test_each_library_node_type_is_written_from_its_op_record() -> None:
    from chainrule.compile import operation_of
    from chainrule.nodes import operators

    written = 0
    for kind in operators():
        found = operation_of(kind)
        if found is None:
            continue
        op = kind.op
        assert op is not None and found.absorbing == op.absorbing
        node = kind(x, y) if op.arity == 2 else kind(x)
        python = lambdify(node, ["x", "y"]).source
        arrays = lambdify(node, ["x", "y"], backend="numpy").source
        assert found.python is not None and found.python.format("v_x", "v_y") in python
        if op.infix and op.python is None:
            assert f"v_x {op.symbol} v_y" in python
        elif op.python is None:  # a lab function: math's of its name
            assert f"_{op.symbol}(v_x)" in python
        assert f"_{found.numpy}(v_x" in arrays
        assert "_elementwise(" not in arrays and "_nodes" not in python
        written += 1
    assert written >= 13  # the lab's seven and issue 12's six


# A user's node type: lambdify calls its registered evaluate case.


def _child(value: object) -> Expr:
    return as_expr(value, "x")


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Reciprocal(Expr):
    """1 / x, as a node type of its own."""

    x: Expr = attrs.field(converter=_child)


show_node.add((Reciprocal,), lambda node: ("recip(", node.x, ")"))
evaluate_node.add((Reciprocal,), lambda node, value: 1 / value)


def test_user_node_types_use_their_evaluate_case() -> None:
    e = Reciprocal(x - y) + TanH(Reciprocal(x))
    f = lambdify(e, ["x", "y"])
    assert f(3.0, 1.0) == evaluate(e, {"x": 3.0, "y": 1.0})
    with pytest.raises(EvaluationError, match=r"recip\(\(x - y\)\)"):
        f(1.0, 1.0)
    # an infinite input to a user's case is caught like tanh's
    with pytest.raises(EvaluationError):
        lambdify(Reciprocal(x * x), ["x"])(1e200)


def test_user_node_types_on_arrays_use_their_evaluate_case_elementwise() -> None:
    e = Reciprocal(x - y) + TanH(Reciprocal(x))
    f = lambdify(e, ["x", "y"], backend="numpy")
    xs = np.array([3.0, 4.0, 2.0])
    assert list(f(xs, 1.0)) == [evaluate(e, {"x": v, "y": 1.0}) for v in xs]
    with pytest.raises(EvaluationError, match=r"recip\(\(x - y\)\).* at index \(1,\)"):
        f(np.array([3.0, 1.0, 1.0]), 1.0)  # 1 / 0 raises in the case: the element is the first failure
    with pytest.raises(EvaluationError, match="at index \\(2,\\)"):
        lambdify(Reciprocal(x * x), ["x"], backend="numpy")(np.array([1.0, 2.0, 1e200]))


def test_generated_source_does_not_depend_on_hash_seed() -> None:
    import os
    import subprocess
    import sys

    probe = (
        "from chainrule import grad, lambdify, parse;"
        "e = parse('tanh(x * y) * tanh(x * y) + log(1 + exp(-(x * y)))');"
        "print(lambdify(grad(e, ['x', 'y']), ['x', 'y']).source)"
    )
    sources = {
        subprocess.run(
            [sys.executable, "-c", probe],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(sources) == 1


@pytest.mark.parametrize("unused", [float("inf"), 10**400, "abc"])
def test_unused_arguments_are_ignored_like_evaluate_does(unused: object) -> None:
    y = Var("y")
    f = lambdify(y, ["x", "y"])
    assert f(unused, 1) == evaluate(y, {"x": unused, "y": 1}) == 1.0


# Issue 12's node types: direct code in both backends, evaluate's values and errors.

_FUNCTION_POINTS = [
    -1000.0,
    -40.0,
    -2.0,
    -1.5,
    -0.5,
    -0.0,
    0.0,
    1e-300,
    0.5,
    1.0,
    2.0,
    3.0,
    40.0,
    710.0,
    1000.0,
]
_FUNCTION_TEXTS = ["x ** y", "sqrt(x)", "sin(x)", "cos(x)", "sigmoid(x)", "softplus(x)", "sigmoid(exp(x))"]


def _evaluated(e: Expr, env: dict[str, float]) -> float | str:
    try:
        return evaluate(e, env)
    except EvaluationError as error:
        return f"error: {error}"


def _called(f: object, *values: float) -> float | str:
    try:
        return float(f(*values))  # type: ignore[operator]
    except EvaluationError as error:
        return f"error: {error}"


@pytest.mark.parametrize("text", _FUNCTION_TEXTS)
def test_each_new_function_agrees_with_evaluate_in_both_backends(text: str) -> None:
    e = parse(text)
    python = lambdify(e, ["x", "y"])
    arrays = lambdify(e, ["x", "y"], backend="numpy")
    assert "_nodes" not in python.source and "_elementwise(" not in arrays.source
    exponents = [-1.0, 0.0, 0.5, 2.0, 3.0] if "**" in text else [0.0]
    errors = 0
    for x in _FUNCTION_POINTS:
        for y in exponents:
            expected = _evaluated(e, {"x": x, "y": y})
            assert _called(python, x, y) == expected  # the same float, or the same error
            got = _called(arrays, x, y)
            if isinstance(expected, str):
                errors += 1
                assert got == expected
            else:
                assert got == pytest.approx(expected, rel=1e-14, abs=0.0), (x, y)
            if not isinstance(expected, str):
                column = arrays(np.array([x, 1.0]), np.array([y, 1.0]))
                assert column[0] == pytest.approx(expected, rel=1e-14, abs=0.0), (x, y)
    if text in ("x ** y", "sqrt(x)"):
        assert errors > 0  # domain errors and overflow are among the points


@pytest.mark.parametrize(
    ("text", "env", "reason"),
    [
        ("sqrt(x)", {"x": -1.0, "y": 0.0}, "sqrt"),
        ("x ** y", {"x": 0.0, "y": -1.0}, "0 to the negative power"),
        ("x ** y", {"x": -2.0, "y": 0.5}, "negative base"),
        ("x ** y", {"x": 10.0, "y": 400.0}, ""),
        ("sin(x) + sigmoid(y)", {"x": math.inf, "y": 0.0}, ""),
    ],
)
def test_new_function_errors_are_evaluates(text: str, env: dict[str, float], reason: str) -> None:
    e = parse(text)
    with pytest.raises(EvaluationError) as expected:
        evaluate(e, env)
    assert reason in str(expected.value)
    for backend in ("python", "numpy"):
        f = lambdify(e, ["x", "y"], backend=backend)
        with pytest.raises(EvaluationError) as got:
            f(env["x"], env["y"])
        assert str(got.value) == str(expected.value)
        assert got.value.expr == expected.value.expr
    with pytest.raises(EvaluationError) as located:
        lambdify(e, ["x", "y"], backend="numpy")(np.array([1.0, env["x"]]), np.array([1.0, env["y"]]))
    assert getattr(located.value, "index", None) == (1,)


def test_sigmoid_and_softplus_absorb_infinities_in_both_backends() -> None:
    e = parse("sigmoid(x) + softplus(y)")  # sigmoid(inf) = 1, softplus(-inf) = 0
    for backend in ("python", "numpy"):
        f = lambdify(e, ["x", "y"], backend=backend)
        with pytest.raises(EvaluationError) as got:
            f(math.inf, -math.inf)
        with pytest.raises(EvaluationError) as expected:
            evaluate(e, {"x": math.inf, "y": -math.inf})  # evaluate rejects an infinite argument
        assert str(got.value) == str(expected.value)
    huge = parse("sigmoid(exp(x)) + softplus(-exp(x))")  # exp(800) overflows inside: an error
    for backend in ("python", "numpy"):
        with pytest.raises(EvaluationError):
            lambdify(huge, ["x"], backend=backend)(800.0)


def test_define_function_numpy_feeds_the_array_path() -> None:
    from chainrule import define_function

    calls: list[int] = []

    def cube(a: object) -> object:
        calls.append(1)
        return np.power(a, 3.0)

    define_function("cube_arrays", evaluate=lambda u: u**3, derivative=lambda u: 3 * u * u, numpy=cube)
    e = parse("cube_arrays(x) + 1")
    f = lambdify(e, ["x"], backend="numpy")
    assert "_fn_cube_arrays(v_x)" in f.source and "_elementwise(" not in f.source
    assert list(f(np.array([1.0, 2.0]))) == [2.0, 9.0] and calls
    assert lambdify(e, ["x"])(2.0) == evaluate(e, {"x": 2.0}) == 9.0
    define_function(
        "power", evaluate=lambda u: u, derivative=lambda u: 1, numpy=lambda a: np.multiply(a, 1.0)
    )
    both = lambdify(parse("power(x) + x ** 2"), ["x"], backend="numpy")  # not NumPy's power
    assert "_fn_power(v_x)" in both.source and "_power(v_x, 2.0" in both.source
    assert float(both(3.0)) == 12.0


def test_sigmoid_written_out_gives_evaluates_values_in_both_tails() -> None:
    # Sigmoid's record gives lambdify an expression, not a call; its operand is read three times,
    # so it gets a name of its own, and the values are evaluate's to the last bit.
    x, w = Var("x"), Var("w")
    e = Sigmoid(w * x) - Sigmoid(Sigmoid(x))
    f = lambdify(e, ["w", "x"])
    assert "_sigmoid" not in f.source and "_exp(" in f.source
    for value in (-1000.0, -745.5, -40.0, -1e-300, 0.0, 0.5, 40.0, 709.9, 1000.0):
        env = {"w": 1.0, "x": value}
        assert f(1.0, value) == evaluate(e, env)


def test_a_python_template_calling_a_function_math_lacks_is_refused() -> None:
    from chainrule.compile import operation_of
    from chainrule.nodes import ATOM, Op

    class Odd:  # only the record is read
        op = Op("Odd", "odd", ATOM, 1, python="_nosuch({0}) + _exp({0})")

    with pytest.raises(ValueError, match="Odd's python template calls _nosuch: math has no such function"):
        operation_of(Odd)
