"""An independent oracle: evaluate an expression as a tree, by plain recursion (small inputs only)."""

from __future__ import annotations

import math

from chainrule import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var


def evaluate_tree(e: Expr, env: dict[str, float]) -> float:
    """Straightforward recursive evaluation, written without the library's fold or dispatch."""
    if isinstance(e, Const):
        return float(e.value)
    if isinstance(e, Var):
        return float(env[e.name])
    if isinstance(e, Sum):
        return evaluate_tree(e.x, env) + evaluate_tree(e.y, env)
    if isinstance(e, Sub):
        return evaluate_tree(e.x, env) - evaluate_tree(e.y, env)
    if isinstance(e, Mul):
        return evaluate_tree(e.x, env) * evaluate_tree(e.y, env)
    if isinstance(e, Div):
        return evaluate_tree(e.x, env) / evaluate_tree(e.y, env)
    if isinstance(e, Exp):
        return math.exp(evaluate_tree(e.x, env))
    if isinstance(e, Log):
        return math.log(evaluate_tree(e.x, env))
    if isinstance(e, TanH):
        return math.tanh(evaluate_tree(e.x, env))
    raise TypeError(type(e))
