"""Is one rewrite sound at one point?  The check behind ``chainrule.testing.assert_sound``.

Sound: wherever the original evaluates to a finite number, the rewrite
evaluates to the same number up to rounding, made precise by a running
error bound over the operations the rule adds or removes (the matched
subexpressions are the same nodes on both sides).  So cancellation
(``a*x + b*x`` versus ``(a + b)*x``) is allowed as much error as it can cause.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .dispatch import CasesByType
from .errors import EvaluationError
from .evaluate import evaluate, evaluate_node
from .nodes import Const, Expr, Var
from .traverse import fold

__all__ = ["Unsound", "check_rewrite", "rounding_bound"]

#: Relative rounding error of one operation (sys.float_info.epsilon; each operation is allowed two).
UNIT = 2.0**-52
#: Absolute rounding error of a result that is subnormal or underflows to zero (the smallest subnormal).
TINY = 2.0**-1074
#: The agreement required: |original - rewritten| <= SAFETY * (bound of original + bound of rewritten).
SAFETY = 4.0


class Unsound(AssertionError):
    """A rewrite changed the value of an expression that evaluates to a finite number."""


def _perturbed(case: object, node: Expr, values: list[float], i: int, delta: float) -> float:
    result = float(case(node, *values[:i], values[i] + delta, *values[i + 1 :]))  # type: ignore[operator]
    if not math.isfinite(result):
        raise OverflowError
    return result


def rounding_bound(expr: Expr, env: Mapping[str, float], exact: Mapping[Expr, float]) -> tuple[float, float]:
    """``(value, error)``: the value of ``expr`` and a bound on its rounding error, taking the
    subexpressions in ``exact`` as exact (with the given values)."""
    memo: dict[Expr, tuple[float, float]] = {node: (value, 0.0) for node, value in exact.items()}
    cases = CasesByType(evaluate_node)

    def visit(node: Expr, kids: list[tuple[float, float]]) -> tuple[float, float]:
        if isinstance(node, Var):
            return float(env[node.name]), 0.0
        if isinstance(node, Const):
            value = float(node.value)
            return value, UNIT * abs(value)  # a computed constant was rounded once
        case = cases[type(node)]
        values = [v for v, _ in kids]
        result = float(case(node, *values))
        error = 2 * UNIT * abs(result) + TINY
        for i, (_, err) in enumerate(kids):
            if err == 0:
                continue
            try:
                error += max(abs(_perturbed(case, node, values, i, d) - result) for d in (err, -err))
            except (ArithmeticError, ValueError):
                return result, math.inf  # the inputs' uncertainty reaches a singularity
        return result, error

    return fold(expr, visit, memo)


def check_rewrite(
    before: Expr, after: Expr, env: Mapping[str, float], matched: Mapping[str, Expr], rule: str = "rule"
) -> bool:
    """Check one rewrite at one point: False if ``before`` does not evaluate to a finite number
    (nothing to check), True if the rewrite keeps its value, and ``Unsound`` raised otherwise."""
    try:
        original = evaluate(before, env)
    except EvaluationError:
        return False
    where = f"{rule} rewrote {before} to {after}; at {dict(env)}"  # str: bounded, a DAG can be huge
    try:
        rewritten = evaluate(after, env)
    except EvaluationError as exc:
        raise Unsound(f"{where} the original is {original!r} but the rewritten fails: {exc}") from None
    exact = {node: evaluate(node, env) for node in matched.values()}
    _, error_before = rounding_bound(before, env, exact)
    # A folded constant on the right may be the very node a variable matched (nodes are
    # interned: 1 + 1e308 folds to the Const(1e308) that ?b bound), yet it was rounded.
    computed = {node: value for node, value in exact.items() if not isinstance(node, Const)}
    _, error_after = rounding_bound(after, env, computed)
    allowed = SAFETY * (error_before + error_after) + TINY
    if not abs(original - rewritten) <= allowed:
        raise Unsound(
            f"{where} the original is {original!r} but the rewritten is {rewritten!r} "
            f"(differs by {abs(original - rewritten):.3g}; rounding explains at most {allowed:.3g})"
        )
    return True
