"""Reverse-mode differentiation: every partial derivative of one expression as one shared graph.

The partials share the adjoints of everything above the variables, so the
lab loss's nine partials cost little more than one ``diff``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .diff import as_var
from .dispatch import CasesByType, dispatcher
from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var, children
from .traverse import postorder

__all__ = ["grad", "adjoint_node", "scale", "negate"]

adjoint_node = dispatcher(
    "adjoint_node",
    "adjoint_node(node, adjoint) -> one contribution per child (in children order): "
    "the adjoint times d node / d child; None for a child that gets nothing",
)

ZERO, ONE, MINUS_ONE = Const(0), Const(1), Const(-1)


def scale(adjoint: Expr, local: Expr) -> Expr:
    """``adjoint * local``, without multiplying by a literal one (the root's adjoint is 1)."""
    if adjoint is ONE:
        return local
    if local is ONE:
        return adjoint
    return Mul(adjoint, local)


def negate(expr: Expr) -> Expr:
    """``-1 * expr``, undoing a negation instead of stacking a second one; exact for constants."""
    if type(expr) is Mul and expr.x is MINUS_ONE:
        return expr.y
    if type(expr) is Const:
        return Const(-expr.value)
    return Mul(MINUS_ONE, expr)


def _names(wrt: str | Var | Iterable[str | Var]) -> list[str]:
    if isinstance(wrt, str | Var):
        wrt = [wrt]
    elif not isinstance(wrt, Iterable):
        raise TypeError(f"grad expects variable names, got {type(wrt).__name__}: {wrt!r:.80}")
    return [as_var(item).name for item in wrt]


def grad(expr: Expr, wrt: str | Var | Iterable[str | Var]) -> dict[str, Expr]:
    """The derivative of ``expr`` for every name in ``wrt`` (a name, a Var, or several), sharing one graph.

    Each entry evaluates equal to ``diff(expr, name)``; a variable that does not
    occur in ``expr`` gets ``Const(0)``.
    """
    if not isinstance(expr, Expr):
        raise TypeError(f"grad expects an expression, got {type(expr).__name__}")
    names = _names(wrt)
    targets = {Var(name) for name in names}
    order = list(postorder(expr))

    # Only nodes above some target carry an adjoint worth building.
    active: set[Expr] = set()
    for node in order:
        if node in targets or any(kid in active for kid in children(node)):
            active.add(node)

    adjoints: dict[Expr, Expr] = {expr: ONE} if expr in active else {}
    cases = CasesByType(adjoint_node)
    for node in reversed(order):  # every parent before its children
        kids = children(node)
        adjoint = adjoints.get(node)
        if adjoint is None or not kids:
            continue
        kind = type(node)
        contributions = cases[kind](node, adjoint)
        if len(contributions) != len(kids):
            raise ValueError(
                f"adjoint_node case for {kind.__name__} returned {len(contributions)} "
                f"contributions for {len(kids)} children"
            )
        for kid, contribution in zip(kids, contributions, strict=True):
            if contribution is None or contribution is ZERO or kid not in active:
                continue
            before = adjoints.get(kid)
            adjoints[kid] = contribution if before is None else Sum(before, contribution)
    return {name: adjoints.get(Var(name), ZERO) for name in names}


def _adjoint_div(node: Div, adjoint: Expr) -> Sequence[Expr | None]:
    # d(x/y)/dy = -x/y**2 = -(x/y)/y: reuse the quotient instead of squaring y.
    return (Div(adjoint, node.y), negate(Div(scale(adjoint, node), node.y)))


adjoint_node.add((Sum,), lambda node, adjoint: (adjoint, adjoint))
adjoint_node.add((Sub,), lambda node, adjoint: (adjoint, negate(adjoint)))
adjoint_node.add((Mul,), lambda node, adjoint: (scale(adjoint, node.y), scale(adjoint, node.x)))
adjoint_node.add((Div,), _adjoint_div)
adjoint_node.add((Exp,), lambda node, adjoint: (scale(adjoint, node),))
adjoint_node.add((Log,), lambda node, adjoint: (Div(adjoint, node.x),))
adjoint_node.add((TanH,), lambda node, adjoint: (scale(adjoint, Sub(ONE, Mul(node, node))),))
