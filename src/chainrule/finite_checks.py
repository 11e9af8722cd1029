"""Which values a compiled function tests so that no infinity or NaN goes unnoticed.

A NaN stays NaN, and an infinity stays non-finite except through an
*absorbing* operand (``tanh(inf) == 1``, ``x / inf == 0``), so testing the
outputs and every absorbing operand catches every non-finite value.  Both
lambdify backends use this one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .nodes import Const, Expr, children

__all__ = ["checked_nodes"]


def checked_nodes(
    order: Sequence[Expr],
    outputs: Iterable[Expr],
    absorbing: Callable[[Expr], Iterable[int]],
) -> set[Expr]:
    """The values to test, given every node in ``order`` (children before parents).

    ``absorbing(node)`` gives the operand positions where an infinity may vanish.
    """
    wanted = set(outputs)
    for node in order:
        wanted.update(children(node)[position] for position in absorbing(node))
    reached: set[Expr] = set()  # flows into a tested value through non-absorbing operands
    checked: set[Expr] = set()
    for node in reversed(order):
        if node in wanted and node not in reached and type(node) is not Const:
            checked.add(node)
        if node in checked or node in reached:
            vanish = set(absorbing(node))
            reached.update(kid for position, kid in enumerate(children(node)) if position not in vanish)
    return checked
