"""W3: dⁿ/dxⁿ tanh(x) for n = 1..8, each from scratch: time and size of the result.

chainrule differentiates and simplifies n times (simplifying as it goes keeps
each step small); SymPy and SymEngine take their own n-th derivative call.
SymPy's simplify of the n-th derivative gets a row of its own, with a limit.
"""

from __future__ import annotations

import time
from typing import Any

import adapters
from adapters import Symbolic
from harness import (
    Cell,
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
    if s.name == "sympy":
        limit = ctx.mode.sympy_simplify_limit
        steps.append(Step("sympy_simplify", lambda state: _sympy_simplified(s, state[max(orders)], limit)))
    steps.append(Step("values", values))
    return steps


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
    table.notes.append(
        "chainrule: diff then simplify, n times; SymPy: sympy.diff(f, x, n) (unsimplified); "
        "SymEngine: its n-th derivative, in its canonical form."
    )
    gain = speedup(table, f"n{top}", "sympy")
    table.targets.append(
        verdict(
            f"W3: n = {top} simplified ≥ 10× faster than SymPy diff-only",
            None if gain is None or not ctx.features["simplify"] else gain >= 10,
            speedup_text(gain, "sympy"),
        )
    )
    ours, canonical = size_of(table, f"n{top}", "chainrule"), size_of(table, f"n{top}", "symengine")
    table.targets.append(
        verdict(
            f"W3: n = {top} simplified no larger than SymEngine's canonical form",
            None
            if ours is None or canonical is None or not ctx.features["simplify"]
            else ours[0] <= canonical[0] and ours[1] <= canonical[1],
            f"tree/distinct: chainrule {size_text(ours)}, SymEngine {size_text(canonical)}",
        )
    )
    return table
