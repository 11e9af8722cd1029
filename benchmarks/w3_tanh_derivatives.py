"""W3: dⁿ/dxⁿ tanh(x) for n = 1..8, each from scratch: time and size of the result.

chainrule differentiates and simplifies n times (simplifying as it goes keeps
each step small); SymPy and SymEngine take their own n-th derivative call.
At the top order two more chainrule pipelines: simplify with
``DEFAULT_RULES + POLYNOMIAL_RULES`` (the opt-in table that expands and
collects polynomial regions by rules alone), and the default table followed by
``horner`` (Horner form of each polynomial region) after each simplify.  The
size verdict judges the rules-alone row, the rule table's fixed point, and
quotes the default-table and horner sizes beside it.  SymPy's simplify of the
n-th derivative gets a row of its own, with a limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import adapters
from adapters import Symbolic
from harness import (
    Cell,
    Check,
    Context,
    Deadline,
    Row,
    Step,
    Table,
    check_values,
    deadline,
    measure,
    size_of,
    size_text,
    speedup,
    speedup_text,
    verdict,
)

POINT = {"x": 0.3}


def rows(orders: tuple[int, ...]) -> list[Row]:
    top = max(orders)
    return [
        *(Row(f"n{n}", f"n = {n}: time, tree/distinct nodes") for n in orders),
        Row("polynomial", f"n = {top}: simplify with DEFAULT_RULES + POLYNOMIAL_RULES each step"),
        Row("horner", f"n = {top}: chainrule diff, simplify, horner each step (tree/distinct)"),
        Row("sympy_simplify", f"n = {top}: SymPy simplify of its derivative (one run)"),
        Row("values", f"dⁿ/dxⁿ tanh at x = 0.3, n = 1..{top}", "values"),
    ]


def symbolic_steps(ctx: Context, s: Symbolic) -> list[Step]:
    orders = ctx.mode.w3_orders
    x = s.symbol("x")
    f = s.tanh(x)
    simplify = s.simplify

    def nth(n: int) -> Any:
        if s.name != "chainrule":
            return s.diff(f, x, n)
        result = f
        for _ in range(n):
            result = s.diff(result, x)
            if simplify is not None:
                result = simplify(result)
        return result

    def step(n: int) -> Step:
        def run(state: dict[str, Any]) -> Cell:
            cell, result = measure(ctx.mode, lambda: nth(n), setup=s.fresh)
            cell.size = s.sizes(result)
            state[n] = result
            if s.name == "chainrule" and simplify is None:
                cell.note = "raw: simplify not available yet"
            elif s.name == "sympy":
                cell.note = "diff only"
            return cell

        return Step(f"n{n}", run)

    def values(state: dict[str, Any]) -> Cell:
        return Cell(values=tuple(s.evaluate(state[n], POINT) for n in orders))

    steps = [step(n) for n in orders]
    polynomial = adapters.chainrule_polynomial_simplify() if s.name == "chainrule" else None
    if polynomial is not None:
        steps.append(Step("polynomial", lambda state: _pipeline(ctx, s, f, x, max(orders), polynomial)))
    if s.name == "chainrule" and ctx.features.get("horner") and simplify is not None:
        simplify_then_horner = _then(simplify, adapters.chainrule_horner())
        steps.append(Step("horner", lambda state: _pipeline(ctx, s, f, x, max(orders), simplify_then_horner)))
    if s.name == "sympy":
        limit = ctx.mode.sympy_simplify_limit
        steps.append(Step("sympy_simplify", lambda state: _sympy_simplified(s, state[max(orders)], limit)))
    steps.append(Step("values", values))
    return steps


def _then(first: Callable[[Any], Any], second: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda expr: second(first(expr))


def _pipeline(ctx: Context, s: Symbolic, f: Any, x: Any, n: int, tidy: Callable[[Any], Any]) -> Cell:
    """chainrule's n-th derivative with diff and ``tidy`` at every step; its value kept to check."""

    def nth() -> Any:
        result = f
        for _ in range(n):
            result = tidy(s.diff(result, x))
        return result

    cell, result = measure(ctx.mode, nth, setup=s.fresh)
    cell.size = s.sizes(result)
    cell.values = (s.evaluate(result, POINT),)
    return cell


def _sympy_simplified(s: Symbolic, derivative: Any, limit: float) -> Cell:
    assert s.simplify is not None and s.fresh is not None
    s.fresh()
    start = time.perf_counter()
    try:
        with deadline(limit):
            result = s.simplify(derivative)
    except Deadline:
        return Cell(note=f"over {limit:g} s", failed=True)
    return Cell(seconds=time.perf_counter() - start, runs=1, size=s.sizes(result))


def run(ctx: Context) -> Table:
    orders = ctx.mode.w3_orders
    top = max(orders)
    table = Table("W3", f"W3 — dⁿ/dxⁿ tanh(x), n = 1..{top}", rows(orders))
    for system in adapters.symbolic_systems(ctx.found):
        ctx.fill(table, system.name, symbolic_steps(ctx, system))
    check_values(table, "values", rel=1e-8)
    for row in ("polynomial", "horner"):
        _check_same_value(table, row, top)
    table.notes.append(
        "chainrule: diff then simplify, n times (rows n = 1..); the polynomial row simplifies with "
        "DEFAULT_RULES + POLYNOMIAL_RULES (rules alone); the horner row applies horner after each "
        "simplify too; SymPy: sympy.diff(f, x, n) (unsimplified); "
        "SymEngine: its n-th derivative, in its canonical form."
    )
    row, pipeline = f"n{top}", "diff, simplify each step"
    gain = speedup(table, row, "sympy", peer_row=f"n{top}")
    table.targets.append(
        verdict(
            f"W3: n = {top} simplified ≥ 10× faster than SymPy diff-only",
            None if gain is None or not ctx.features["simplify"] else gain >= 10,
            f"chainrule {pipeline}: {speedup_text(gain, 'sympy')}",
        )
    )
    # Judged on rules alone (DEFAULT_RULES + POLYNOMIAL_RULES, no horner); the default table's and the
    # horner pipeline's sizes are quoted beside it.
    ours, canonical = size_of(table, "polynomial", "chainrule"), size_of(table, f"n{top}", "symengine")
    table.targets.append(
        verdict(
            f"W3: n = {top} simplified no larger than SymEngine's canonical form",
            None
            if ours is None or canonical is None or not ctx.features["simplify"]
            else ours[0] <= canonical[0] and ours[1] <= canonical[1],
            f"tree/distinct: chainrule (simplify with DEFAULT_RULES + POLYNOMIAL_RULES each step) "
            f"{size_text(ours)}, SymEngine {size_text(canonical)}; "
            f"default table alone {size_text(size_of(table, row, 'chainrule'))}" + _horner_text(table),
        )
    )
    return table


def _horner_text(table: Table) -> str:
    compact = size_of(table, "horner", "chainrule")
    return "" if compact is None else f"; with horner each step {size_text(compact)}"


def _check_same_value(table: Table, row: str, top: int) -> None:
    """Another pipeline's n-th derivative has the default-table pipeline's value."""
    compact, values = table.cell(row, "chainrule"), table.cell("values", "chainrule")
    if compact is None or compact.values is None or values is None or values.values is None:
        return
    a, b = compact.values[0], values.values[-1]
    table.checks.append(
        Check(
            row,
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
            f"chainrule n = {top}, {row} row vs default table: {a!r} vs {b!r}",
        )
    )
