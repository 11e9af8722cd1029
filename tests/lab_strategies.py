"""A hypothesis strategy for expression DAGs with heavy sharing, for the grad/lambdify tests.

``chainrule.testing.expressions`` draws trees; these are built as a
straight-line program (each step combines any earlier nodes), so they share
subexpressions the way real gradients do.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from chainrule import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var

VARIABLES = ("x", "y", "z")
BINARY = (Sum, Sub, Mul, Div)
UNARY = (Exp, Log, TanH)

constants = st.one_of(
    st.integers(min_value=-3, max_value=3),
    st.floats(min_value=-3, max_value=3, allow_nan=False, allow_infinity=False, width=32),
).map(Const)


@st.composite
def dag_expressions(
    draw: st.DrawFn,
    variables: Sequence[str] = VARIABLES,
    max_steps: int = 12,
    unary: Sequence[type[Expr]] = UNARY,
) -> Expr:
    """A random expression DAG over ``variables`` built in up to ``max_steps`` operations."""
    pool: list[Expr] = [Var(name) for name in variables]
    pool += draw(st.lists(constants, min_size=1, max_size=3))
    steps = draw(st.integers(min_value=0, max_value=max_steps))
    operators = list(BINARY) + list(unary)
    for _ in range(steps):
        operator = draw(st.sampled_from(operators))
        pick = st.integers(min_value=0, max_value=len(pool) - 1)
        if operator in BINARY:
            pool.append(operator(pool[draw(pick)], pool[draw(pick)]))
        else:
            pool.append(operator(pool[draw(pick)]))
    return pool[-1] if steps else pool[draw(st.integers(min_value=0, max_value=len(pool) - 1))]
