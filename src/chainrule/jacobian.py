"""Jacobians and Hessians as lists of rows, built on ``grad`` so their entries share one graph.

One reverse pass per row: ``grad`` gives a whole row at once, and nodes are
interned, so a part common to several rows (or to a row and the expression
it came from) is one node.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .grad import _names, grad
from .nodes import Expr, Var

__all__ = ["jacobian", "hessian"]


def jacobian(exprs: Expr | Sequence[Expr], wrt: str | Var | Iterable[str | Var]) -> list[list[Expr]]:
    """``J[i][j] = d exprs[i] / d wrt[j]``: a row per expression, a column per variable.

    Each entry evaluates equal to ``diff(exprs[i], wrt[j])``; an expression alone gives one row.
    """
    rows = [exprs] if isinstance(exprs, Expr) else list(exprs)
    for index, row in enumerate(rows):
        if not isinstance(row, Expr):
            raise TypeError(f"jacobian: item {index} is not an expression: {type(row).__name__}")
    names = _names(wrt)
    result = []
    for row in rows:
        partials = grad(row, names)
        result.append([partials[name] for name in names])
    return result


def hessian(expr: Expr, wrt: str | Var | Iterable[str | Var]) -> list[list[Expr]]:
    """``H[i][j] = d/d wrt[j] (d expr / d wrt[i])``, the Jacobian of the gradient.

    Each entry evaluates equal to ``diff(diff(expr, wrt[i]), wrt[j])``.
    """
    if not isinstance(expr, Expr):
        raise TypeError(f"hessian expects an expression, got {type(expr).__name__}")
    names = _names(wrt)
    gradient = grad(expr, names)
    return jacobian([gradient[name] for name in names], names)
