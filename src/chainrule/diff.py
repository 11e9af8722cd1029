"""Symbolic differentiation by exactly the lab's chain rules, one fold over the DAG."""

from __future__ import annotations

from collections.abc import Callable

from .dispatch import dispatcher, resolve
from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var, as_expr
from .traverse import fold_cases

__all__ = ["diff", "diff_node", "as_var"]

diff_node = dispatcher(
    "diff_node", "diff_node(node, wrt: Var, *child_derivatives) -> Expr, the derivative of node"
)

ZERO, ONE = Const(0), Const(1)


def as_var(var: str | Var) -> Var:
    """Accept a variable by name or as a Var."""
    if isinstance(var, Var):
        return var
    if isinstance(var, str):
        return Var(var)
    raise TypeError(f"expected a variable name or Var, got {type(var).__name__}: {var!r:.80}")


def diff(expr: Expr, var: str | Var) -> Expr:
    """The raw derivative of ``expr`` with respect to ``var`` (unsimplified, shared like the input)."""
    if not isinstance(expr, Expr):
        raise TypeError(f"diff expects an expression, got {type(expr).__name__}")
    wrt = as_var(var)

    def case_for(kind: type) -> Callable[..., Expr]:
        case = resolve(diff_node, kind)  # a user's case may return a number: as_expr makes it a Const
        return lambda node, *derivatives: as_expr(case(node, wrt, *derivatives), "derivative")

    return fold_cases(expr, case_for)


# The cases build from nodes only (the derivatives are nodes): straight to the intern lookup.
_sum, _sub, _mul, _div = Sum._make, Sub._make, Mul._make, Div._make


def _diff_mul(node: Mul, wrt: Var, dx: Expr, dy: Expr) -> Expr:
    x, y = node.x, node.y
    return _sum(_mul(dx, y), _mul(x, dy))


def _diff_div(node: Div, wrt: Var, dx: Expr, dy: Expr) -> Expr:
    x, y = node.x, node.y
    return _div(_sub(_mul(dx, y), _mul(dy, x)), _mul(y, y))


diff_node.add((Const,), lambda node, wrt: ZERO)
diff_node.add((Var,), lambda node, wrt: ONE if node is wrt else ZERO)
diff_node.add((Sum,), lambda node, wrt, dx, dy: _sum(dx, dy))
diff_node.add((Sub,), lambda node, wrt, dx, dy: _sub(dx, dy))
diff_node.add((Mul,), _diff_mul)
diff_node.add((Div,), _diff_div)
diff_node.add((Exp,), lambda node, wrt, dx: _mul(node, dx))
diff_node.add((Log,), lambda node, wrt, dx: _div(dx, node.x))
diff_node.add((TanH,), lambda node, wrt, dx: _mul(_sub(ONE, _mul(node, node)), dx))
