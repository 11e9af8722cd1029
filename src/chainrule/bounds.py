"""Interval bounds of an expression over all values of its variables, to decide rule side conditions.

Computed with evaluation's own float operations (rounding is monotone, so
the endpoints bound the rounded results too).  A node type without a
``bounds_node`` case is (-inf, inf): unknown means "do not rewrite".
"""

from __future__ import annotations

import math
import weakref

from .dispatch import CasesByType, dispatcher
from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH
from .traverse import fold

__all__ = ["Interval", "bounds", "bounds_node"]

Interval = tuple[float, float]

INF = math.inf
EVERYTHING: Interval = (-INF, INF)

bounds_node = dispatcher(
    "bounds_node", "bounds_node(node, *child_intervals) -> (lo, hi) containing every value of node"
)

# Intervals are a pure function of the node, so they are remembered as long as the node lives.
_known: weakref.WeakKeyDictionary[Expr, Interval] = weakref.WeakKeyDictionary()


def bounds(expr: Expr) -> Interval:
    """An interval containing every finite value ``expr`` takes."""
    cases = CasesByType(bounds_node)

    def visit(node: Expr, intervals: list[Interval]) -> Interval:
        known = _known.get(node)
        if known is not None:
            return known
        result: Interval = cases[type(node)](node, *intervals)
        if not result[0] <= result[1]:  # a NaN end, or no value at all: claim nothing
            result = EVERYTHING
        _known[node] = result
        return result

    return fold(expr, visit, {}, prune=_known.__contains__)  # a known node's children are not walked


def _product(a: float, b: float) -> float:
    product = a * b
    # 0 * inf: a zero endpoint times an unbounded one; every actual value is finite, so 0.
    return 0.0 if math.isnan(product) else product


def _hull(values: list[float]) -> Interval:
    return (min(values), max(values))


def _mul(node: Mul, x: Interval, y: Interval) -> Interval:
    if node.x is node.y:  # a square is never negative
        squares = [_product(end, end) for end in x]
        return (0.0 if x[0] <= 0 <= x[1] else min(squares), max(squares))
    return _hull([_product(a, b) for a in x for b in y])


def _div(node: Expr, x: Interval, y: Interval) -> Interval:
    if y[0] <= 0 <= y[1]:
        return EVERYTHING
    return _hull(
        [a / b if not (math.isinf(a) and math.isinf(b)) else math.copysign(INF, a * b) for a in x for b in y]
    )


def _safe_exp(value: float) -> float:
    try:
        return math.exp(value)
    except OverflowError:
        return INF


def _log(node: Expr, x: Interval) -> Interval:
    lo, hi = x
    if hi <= 0:
        return EVERYTHING  # never defined: any claim is vacuous, claim nothing
    return (math.log(lo) if 0 < lo < INF else -INF, math.log(hi))  # log(inf) is inf


def _const(node: Const) -> Interval:
    try:
        value = float(node.value)
    except OverflowError:  # an int beyond float range: prove nothing about it
        return (-INF, INF)
    return (value, value)


bounds_node.add((Expr,), lambda node, *intervals: EVERYTHING)  # unknown: claim nothing
bounds_node.add((Const,), _const)
bounds_node.add((Sum,), lambda node, x, y: (x[0] + y[0], x[1] + y[1]))
bounds_node.add((Sub,), lambda node, x, y: (x[0] - y[1], x[1] - y[0]))
bounds_node.add((Mul,), _mul)
bounds_node.add((Div,), _div)
bounds_node.add((Exp,), lambda node, x: (_safe_exp(x[0]), _safe_exp(x[1])))
bounds_node.add((Log,), _log)
bounds_node.add((TanH,), lambda node, x: (math.tanh(x[0]), math.tanh(x[1])))
