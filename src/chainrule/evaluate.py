"""Numeric evaluation, with every domain or range failure reported, never a silent NaN."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Mapping
from math import isfinite
from typing import Any

from .dispatch import dispatcher, resolve
from .errors import EvaluationError, UnboundVariableError
from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var
from .show import show
from .traverse import fold_cases

__all__ = ["evaluate", "evaluate_node", "describe"]

evaluate_node = dispatcher(
    "evaluate_node", "evaluate_node(node, *child_values) -> float; Var is looked up in the environment"
)

#: Longest subexpression text quoted in an error message.
MAX_QUOTE = 200


def describe(expr: Expr) -> str:
    """The expression's text for an error message, shortened when long."""
    text = show(expr, limit=MAX_QUOTE)
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


def _number(name: str, value: object) -> float:
    if type(value) is float and isfinite(value):  # the common case, without the numeric ABCs
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"environment value for {name!r} must be a number, got {type(value).__name__}: {value!r:.80}"
        )
    try:
        number = float(value)
    except OverflowError:
        raise EvaluationError(f"value of {name} is too large for a float", Var(name)) from None
    if not math.isfinite(number):
        raise EvaluationError(f"value of {name} is {number!r}, not a finite number", Var(name))
    return number


def _failure(node: Expr, reason: str) -> EvaluationError:
    return EvaluationError(f"{reason} in {describe(node)}", node)


def evaluate(expr: Expr, env: Mapping[str, Any] | None = None) -> float:
    """The value of ``expr`` with variables taken from ``env`` (name -> number)."""
    if not isinstance(expr, Expr):
        raise TypeError(f"evaluate expects an expression, got {type(expr).__name__}")
    env = {} if env is None else env
    if type(env) is not dict and not isinstance(env, Mapping):
        # A list or a string would otherwise report its first name as unbound, which misleads.
        raise TypeError(f"evaluate expects env to be a mapping of names to numbers, got {type(env).__name__}")

    def variable(node: Var) -> float:
        name = node.name
        if name not in env:
            raise UnboundVariableError(name)
        return _number(name, env[name])

    def case_for(kind: type) -> Callable[..., float]:
        return variable if kind is Var else _checked(resolve(evaluate_node, kind))

    return fold_cases(expr, case_for)


@functools.cache  # one wrapper per registered case (a case re-registered gets a new one)
def _checked(case: Callable[..., float]) -> Callable[..., float]:
    """The case with its failures turned into EvaluationErrors naming the node, never a NaN or inf."""

    def checked(node: Expr, *values: float) -> float:
        try:
            result = case(node, *values)
        except ZeroDivisionError:
            raise _failure(node, "division by zero") from None
        except OverflowError:
            raise _failure(node, "overflow") from None
        except ValueError as exc:
            raise _failure(node, f"math domain error ({exc})") from None
        if not isfinite(result):
            raise _failure(node, f"result {result!r} is not finite")
        return float(result)

    return checked


def _log(node: Expr, x: float) -> float:
    if x <= 0:
        raise ValueError(f"log of non-positive {x!r}")
    return math.log(x)


evaluate_node.add((Const,), lambda node: float(node.value))
evaluate_node.add((Sum,), lambda node, x, y: x + y)
evaluate_node.add((Sub,), lambda node, x, y: x - y)
evaluate_node.add((Mul,), lambda node, x, y: x * y)
evaluate_node.add((Div,), lambda node, x, y: x / y)
evaluate_node.add((Exp,), lambda node, x: math.exp(x))
evaluate_node.add((Log,), _log)
evaluate_node.add((TanH,), lambda node, x: math.tanh(x))
