"""An independent oracle: evaluate an expression as a tree, by plain recursion (small inputs only)."""

from __future__ import annotations

import math

from chainrule import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var
from chainrule.functions import Cos, Pow, Sigmoid, Sin, Softplus, Sqrt


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
    if isinstance(e, Pow):
        return math.pow(evaluate_tree(e.x, env), evaluate_tree(e.y, env))
    if isinstance(e, Sqrt):
        return math.sqrt(evaluate_tree(e.x, env))
    if isinstance(e, Sin):
        return math.sin(evaluate_tree(e.x, env))
    if isinstance(e, Cos):
        return math.cos(evaluate_tree(e.x, env))
    if isinstance(e, Sigmoid):  # the stable forms: e^-|u| never overflows
        u = evaluate_tree(e.x, env)
        return 1 / (1 + math.exp(-u)) if u >= 0 else math.exp(u) / (1 + math.exp(u))
    if isinstance(e, Softplus):
        u = evaluate_tree(e.x, env)
        return max(u, 0.0) + math.log1p(math.exp(-abs(u)))
    raise TypeError(type(e))
