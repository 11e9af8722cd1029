"""Hypothesis strategies for chainrule expressions, for users' property tests and ours.

Requires the ``hypothesis`` package (a test dependency, not a runtime one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import strategies as st

from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var

__all__ = ["constants", "environments", "expressions"]

_BINARY: dict[str, Callable[[Expr, Expr], Expr]] = {"+": Sum, "-": Sub, "*": Mul, "/": Div}
_UNARY: dict[str, Callable[[Expr], Expr]] = {"exp": Exp, "log": Log, "tanh": TanH}


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
    operators: Sequence[str] = ("+", "-", "*", "/"),
    functions: Sequence[str] = ("exp", "log", "tanh"),
    leaves: st.SearchStrategy[Expr] | None = None,
    max_leaves: int = 12,
) -> st.SearchStrategy[Expr]:
    """Random expressions over ``variables`` built from the given operators and functions.

    >>> from hypothesis import given
    >>> @given(expressions(("x",)))
    ... def test(e): ...
    """
    unknown = [op for op in operators if op not in _BINARY] + [f for f in functions if f not in _UNARY]
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
            options.append(st.builds(lambda f, a: _UNARY[f](a), st.sampled_from(functions), inner))
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
