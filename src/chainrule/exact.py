"""Constant folding's arithmetic: the value of an expression of constants, or None if it must not fold.

Computed exactly (as fractions) and rounded once.  A fold that fails or
loses the value (division by zero, overflow, underflow) is None: the rule
does not apply, and the expression keeps its symbolic form.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from fractions import Fraction

from .dispatch import resolve
from .evaluate import evaluate_node
from .nodes import Const, Div, Exp, Expr, Mul
from .patterns import PatternVar
from .traverse import fold

__all__ = ["NoFold", "compute"]

_SMALLEST_NORMAL = sys.float_info.min
_LARGEST = Fraction(sys.float_info.max)

Number = Fraction | float


class NoFold(Exception):
    """Internal signal: this computation must not become a constant."""


def _to_float(value: Number) -> float:
    try:
        return float(value)
    except OverflowError:
        raise NoFold from None


def _checked(result: float, zero_is_underflow: bool = False) -> float:
    if not math.isfinite(result):
        raise NoFold
    if 0 < abs(result) < _SMALLEST_NORMAL:
        raise NoFold  # subnormal: most of the precision is gone
    if result == 0 and zero_is_underflow:
        raise NoFold  # exp(-1000), 1e-200 * 1e-200: the true value is not zero
    return result


def compute(expr: Expr, bindings: Mapping[str, Expr] | None = None) -> Const | None:
    """The constant ``expr`` (built from constants, and pattern variables bound to constants in
    ``bindings``) folds to, or None if folding would fail or lose it."""
    ints_only = True

    def visit(node: Expr, values: list[Number]) -> Number:
        nonlocal ints_only
        kind = type(node)
        if kind is PatternVar and bindings is not None:
            node = bindings[node.name]  # type: ignore[attr-defined]
            kind = type(node)
            if kind is not Const:
                raise NoFold
        if kind is Const:
            value = node.value  # type: ignore[attr-defined]
            if isinstance(value, float):
                ints_only = False
            return Fraction(_to_float(value))  # evaluate's value: 2**53 + 1 is 2**53 there too
        exact = kind.op.exact if kind.op is not None else None  # the record says if it is exact on Fractions
        if exact is not None and all(isinstance(v, Fraction) for v in values):
            try:
                return Fraction(exact(*values))
            except ZeroDivisionError:
                raise NoFold from None
        # Anything else (exp, log, tanh, a user's node) is computed in floating point.
        floats = [_to_float(v) for v in values]
        try:
            result = float(resolve(evaluate_node, kind)(node, *floats))
        except (ArithmeticError, ValueError):
            raise NoFold from None
        underflow = kind is Exp or (kind in (Mul, Div) and all(floats))
        return _checked(result, underflow)

    try:
        value = fold(expr, visit, {})
    except NoFold:
        return None
    if isinstance(value, float):
        return Const(value)
    if abs(value) > _LARGEST:
        return None
    if ints_only and value.denominator == 1:
        return Const(int(value))
    try:
        return Const(_checked(float(value), value != 0))
    except (NoFold, OverflowError):
        return None
