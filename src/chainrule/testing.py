"""Hypothesis strategies for chainrule expressions, and ``assert_sound`` for rewrite rules.

For users' property tests and ours.  Requires the ``hypothesis`` package
(a test dependency, not a runtime one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import functions as _functions  # noqa: F401  (its node types are in operators() below)
from .define import FUNCTION_NODES
from .nodes import Const, Exp, Expr, Mul, Sum, TanH, Var, operators
from .patterns import KINDS, pattern_vars
from .rules import Rule, instantiate
from .soundness import Unsound, check_rewrite

__all__ = ["assert_sound", "constants", "environments", "expressions", "instantiations"]

# Read off the node types' ``op`` records (nodes.py), like the parser's tables.
_BINARY: dict[str, Callable[[Expr, Expr], Expr]] = {
    cls.op.symbol: cls for cls in operators() if cls.op and cls.op.symbol and cls.op.infix
}
_UNARY: dict[str, Callable[[Expr], Expr]] = {
    cls.op.symbol: cls for cls in operators() if cls.op and cls.op.symbol and not cls.op.infix
}
#: What ``expressions`` draws unless told otherwise: every built-in node type.
OPERATORS = tuple(_BINARY)
FUNCTIONS = tuple(_UNARY)


def _unary(name: str) -> Callable[[Expr], Expr] | None:
    """A function node type by name: the library's, or one added with ``define_function``."""
    return _UNARY.get(name) or FUNCTION_NODES.get(name)


def constants(
    min_value: float = -10.0, max_value: float = 10.0, *, floats: bool = True
) -> st.SearchStrategy[Const]:
    """Small integer constants (the common case in rules) and, optionally, finite floats."""
    ints = st.integers(int(min_value), int(max_value)).map(Const)
    if not floats:
        return ints
    reals = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False).map(Const)
    return st.one_of(ints, reals)


def expressions(
    variables: Sequence[str] = ("x", "y"),
    *,
    operators: Sequence[str] = OPERATORS,
    functions: Sequence[str] = FUNCTIONS,
    leaves: st.SearchStrategy[Expr] | None = None,
    max_leaves: int = 12,
) -> st.SearchStrategy[Expr]:
    """Random expressions over ``variables`` built from the given operators and functions.

    By default every built-in node type (``OPERATORS``, ``FUNCTIONS``); a function
    added with ``define_function`` is drawn when named in ``functions``.

    >>> from hypothesis import given
    >>> @given(expressions(("x",)))
    ... def test(e): ...
    """
    unknown = [op for op in operators if op not in _BINARY] + [f for f in functions if _unary(f) is None]
    if unknown:
        raise ValueError(f"unknown operators or functions: {unknown}")
    if leaves is None:
        choices: list[st.SearchStrategy[Expr]] = [constants()]
        if variables:
            choices.insert(0, st.sampled_from([Var(v) for v in variables]))
        leaves = st.one_of(choices)

    def extend(inner: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        options: list[st.SearchStrategy[Expr]] = []
        if operators:
            options.append(
                st.builds(lambda op, a, b: _BINARY[op](a, b), st.sampled_from(operators), inner, inner)
            )
        if functions:
            options.extend(st.builds(build, inner) for f in functions if (build := _unary(f)) is not None)
        return st.one_of(options)

    if not operators and not functions:
        return leaves
    return st.recursive(leaves, extend, max_leaves=max_leaves)


def environments(
    variables: Sequence[str] = ("x", "y"), min_value: float = -5.0, max_value: float = 5.0
) -> st.SearchStrategy[dict[str, float]]:
    """Values for ``variables``: finite floats in [min_value, max_value], small integers favoured."""
    value = st.one_of(
        st.integers(int(min_value), int(max_value)).map(float),
        st.floats(min_value, max_value, allow_nan=False, allow_infinity=False),
    )
    return st.fixed_dictionaries({name: value for name in variables})


# ---------------------------------------------------------------------------------------------------
# Soundness of rewrite rules


def _signed(inner: Expr, negative: bool, shift: int) -> Expr:
    """An expression provably positive (or negative) for every value of its variables."""
    positive: Expr = Sum(Const(shift), Exp(inner)) if shift > 1 else Exp(TanH(inner))
    return Mul(Const(-1), positive) if negative else positive


def _of_kind(kind: str | None, variables: Sequence[str]) -> st.SearchStrategy[Expr]:
    numbers = st.one_of(
        constants(),
        st.sampled_from([Const(0), Const(1), Const(-1), Const(2), Const(0.5), Const(0.0)]),
        # Huge and tiny numbers: where floating point differs from the reals (overflow, underflow).
        st.sampled_from(
            [Const(v) for v in (1e308, -1e308, 1e300, -1e300, 1e-300, 1e200, 1e-200, 1e154, 5e-324)]
        ),
        st.floats(allow_nan=False, allow_infinity=False).map(Const),
    )
    if kind == "const":
        return numbers
    names = st.sampled_from([Var(v) for v in variables]) if variables else st.nothing()
    if kind == "var":
        return names
    general = expressions(variables, max_leaves=6)
    signed = st.builds(_signed, general, st.booleans(), st.integers(1, 3))
    anything = st.one_of(general, signed, numbers, names)
    if kind is None:
        return anything
    accepts = KINDS[kind]
    return anything.filter(accepts)


def instantiations(rule: Rule, variables: Sequence[str] = ("x", "y")) -> st.SearchStrategy[dict[str, Expr]]:
    """Random subexpressions for each pattern variable of ``rule``'s left side, of the variable's kind.

    Besides random expressions, some are provably positive or negative
    (such as ``2 + exp(x)``), so that side conditions hold often enough.
    """
    return st.fixed_dictionaries(
        {name: _of_kind(var.kind, variables) for name, var in pattern_vars(rule.lhs).items()}
    )


def assert_sound(
    rule_or_rules: Rule | Sequence[Rule],
    *,
    variables: Sequence[str] = ("x", "y"),
    max_examples: int = 200,
    seed: int | None = None,
) -> None:
    """Property-test that each rule is sound; fail with a minimal counterexample if one is not.

    For random values of the rule's pattern variables and random
    environments: wherever the left side evaluates to a finite number, the
    right side must evaluate to the same number, up to rounding (see
    ``chainrule.soundness``).  A rule that never applies to a finite
    example fails too, since nothing was shown.  ``seed`` makes the run
    repeatable.

    >>> from chainrule import parse_rule
    >>> assert_sound(parse_rule("?x * 1 -> ?x"), max_examples=20)
    """
    rules = (rule_or_rules,) if isinstance(rule_or_rules, Rule) else tuple(rule_or_rules)
    for rule in rules:
        if not isinstance(rule, Rule):
            raise TypeError(f"assert_sound expects Rule objects, got {type(rule).__name__}")
        _assert_rule_sound(rule, tuple(variables), max_examples, seed)


def _assert_rule_sound(rule: Rule, variables: tuple[str, ...], max_examples: int, seed: int | None) -> None:
    checked = 0
    places = st.one_of(environments(variables), environments(variables, -1e4, 1e4))

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(bindings=instantiations(rule, variables), env=places)
    def rewrite_keeps_value(bindings: dict[str, Expr], env: dict[str, float]) -> None:
        nonlocal checked
        before = instantiate(rule.lhs, bindings)
        after = rule(before)
        if after is before:
            return  # the rule declined (a condition or a fold): nothing to check
        matched = rule.match(before)
        assert matched is not None
        if check_rewrite(before, after, env, matched, rule.name):
            checked += 1

    run = rewrite_keeps_value if seed is None else hypothesis.seed(seed)(rewrite_keeps_value)
    try:
        run()
    except Unsound as found:
        # The message already shows the (shrunk) instance and environment: drop hypothesis's notes.
        raise Unsound(str(found)) from None
    if checked == 0:
        raise AssertionError(
            f"assert_sound: {rule.name} never rewrote an expression that evaluates to a finite number "
            f"in {max_examples} examples, so its soundness was not tested"
        )
