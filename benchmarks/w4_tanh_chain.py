"""W4: tanh nested to depth 100 .. 100,000: build, diff, simplify, evaluate f and f' at 0.5.

Each system climbs the depths in order and stops climbing at the first depth
where a step fails or runs out of time.  micrograd and PyTorch have no
symbolic derivative; their row is f'(0.5) from nothing (forward and backward
pass), compared with the symbolic systems' build + diff + evaluate f'.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

import adapters
import peers
from adapters import Symbolic
from harness import (
    Cell,
    Context,
    Deadline,
    Row,
    Step,
    Table,
    check_simplified,
    check_values,
    deadline,
    measure,
    na,
    remembered,
    speedup_text,
    total,
    verdict,
)

POINT = {"x": 0.5}
STAGES = ("build", "diff", "simplify", "eval_f", "eval_df")
LABELS = {
    "build": "build",
    "diff": "diff",
    "simplify": "simplify f′",
    "eval_f": "evaluate f",
    "eval_df": "evaluate f′ (raw)",
    "scratch": "f′(0.5) from nothing",
    "values": "f(0.5), f′(0.5)",
}


def rows(depths: Sequence[int]) -> list[Row]:
    out: list[Row] = []
    for depth in depths:
        for stage in (*STAGES, "scratch"):
            out.append(Row(f"{stage}@{depth}", f"depth {depth:,}: {LABELS[stage]}"))
        out.append(Row(f"values@{depth}", f"depth {depth:,}: {LABELS['values']}", "values"))
    out.append(Row("exponent", "chainrule time ∝ depth^k, k per stage"))
    return out


def symbolic_steps(ctx: Context, s: Symbolic, depth: int) -> list[Step]:
    # The deepest chains get a few runs too: one run on a shared machine is too easily unlucky.
    mode = ctx.mode if depth < 100_000 else dataclasses.replace(ctx.mode, budget=max(ctx.mode.budget, 4.0))
    x = s.symbol("x")

    def build(state: dict[str, Any]) -> Cell:
        def run() -> Any:
            f = x
            for _ in range(depth):
                f = s.tanh(f)
            return f

        cell, state["f"] = measure(mode, run, setup=s.fresh)
        return cell

    def diff(state: dict[str, Any]) -> Cell:
        f = state["f"]
        cell, state["df"] = measure(mode, lambda: s.diff(f, x), setup=s.fresh)
        return cell

    def simplify(state: dict[str, Any]) -> Cell:
        if s.simplify is None:
            return na("not available yet" if s.name == "chainrule" else "canonical form")
        if s.name == "sympy":
            return _sympy_simplify(s, state["df"], mode.sympy_simplify_limit)
        df, simplify = state["df"], s.simplify
        cell, state["simple"] = measure(mode, lambda: simplify(df))
        cell.size = s.sizes(state["simple"])
        return cell

    def evaluate_f(state: dict[str, Any]) -> Cell:
        f = state["f"]
        cell, state["value"] = measure(mode, lambda: s.evaluate(f, POINT), setup=s.fresh)
        return cell

    def evaluate_df(state: dict[str, Any]) -> Cell:
        df = state["df"]
        cell, state["slope"] = measure(mode, lambda: s.evaluate(df, POINT), setup=s.fresh)
        if s.name == "chainrule":
            cell.size = s.sizes(df)
        return cell

    def scratch(state: dict[str, Any]) -> Cell:
        return total(state, ("build", "diff", "eval_df"), "build + diff + evaluate f′")

    def values(state: dict[str, Any]) -> Cell:
        numbers = [state["value"], state["slope"]]
        if "simple" in state:
            numbers.append(s.evaluate(state["simple"], POINT))
        return Cell(values=tuple(numbers))

    return remembered(
        [
            Step("build", build),
            Step("diff", diff),
            Step("simplify", simplify),
            Step("eval_f", evaluate_f),
            Step("eval_df", evaluate_df),
            Step("scratch", scratch),
            Step("values", values),
        ],
        f"@{depth}",
    )


def _sympy_simplify(s: Symbolic, df: Any, limit: float) -> Cell:
    """One try with a deadline; running out of time is a result here, not a failure."""
    assert s.simplify is not None and s.fresh is not None
    s.fresh()
    start = time.perf_counter()
    try:
        with deadline(limit):
            s.simplify(df)
    except Deadline:
        return na(f"over {limit:g} s")
    return Cell(seconds=time.perf_counter() - start, runs=1)


def micrograd_steps(ctx: Context, depth: int) -> list[Step]:
    functions = peers.micrograd_functions()
    value_type, tanh = functions["Value"], functions["tanh"]

    def forward() -> tuple[Any, Any]:
        x = value_type(POINT["x"])
        f = x
        for _ in range(depth):
            f = tanh(f)
        return x, f

    def evaluate_f(state: dict[str, Any]) -> Cell:
        cell, (_, f) = measure(ctx.mode, forward)
        state["value"] = f.data
        return cell

    def scratch(state: dict[str, Any]) -> Cell:
        def run() -> float:
            x, f = forward()
            f.backward()
            return float(x.grad)

        cell, state["slope"] = measure(ctx.mode, run)
        cell.note = "forward + backward"
        return cell

    return remembered(
        [
            Step("eval_f", evaluate_f),
            Step("scratch", scratch),
            Step("values", lambda state: Cell(values=(state["value"], state["slope"]))),
        ],
        f"@{depth}",
    )


def torch_steps(ctx: Context, depth: int) -> list[Step]:
    torch = ctx.found["torch"]

    def forward() -> tuple[Any, Any]:
        x = torch.tensor(POINT["x"], dtype=torch.float64, requires_grad=True)
        f = x
        for _ in range(depth):
            f = torch.tanh(f)
        return x, f

    def evaluate_f(state: dict[str, Any]) -> Cell:
        with torch.no_grad():
            cell, (_, f) = measure(ctx.mode, forward)
        state["value"] = f.item()
        return cell

    def scratch(state: dict[str, Any]) -> Cell:
        def run() -> float:
            x, f = forward()
            (slope,) = torch.autograd.grad(f, x)
            return float(slope)

        cell, state["slope"] = measure(ctx.mode, run)
        cell.note = "forward + backward"
        return cell

    return remembered(
        [
            Step("eval_f", evaluate_f),
            Step("scratch", scratch),
            Step("values", lambda state: Cell(values=(state["value"], state["slope"]))),
        ],
        f"@{depth}",
    )


def run(ctx: Context) -> Table:
    depths = sorted(ctx.mode.w4_depths)
    table = Table("W4", f"W4 — tanh nested to depth {', '.join(f'{d:,}' for d in depths)}", rows(depths))
    systems: list[tuple[str, Any]] = [
        (s.name, lambda depth, s=s: symbolic_steps(ctx, s, depth))
        for s in adapters.symbolic_systems(ctx.found, real_sympy=True)
    ]
    if "micrograd" in ctx.found:
        systems.append(("micrograd", lambda depth: micrograd_steps(ctx, depth)))
    if "torch" in ctx.found:
        systems.append(("torch", lambda depth: torch_steps(ctx, depth)))
    for name, steps_at in systems:
        deepest = ctx.mode.w4_peer_depths.get(name, max(depths))
        stopped: str | None = None
        for depth in depths:
            if stopped is None and depth > deepest:
                stopped = f"not run in {ctx.mode.name} mode"
            if stopped is not None:
                table.cells.setdefault(f"scratch@{depth}", {})[name] = na(stopped)
                continue
            cells = ctx.fill(table, name, steps_at(depth))
            if any(cell.failed for cell in cells):
                stopped = f"not run: depth {depth:,} failed"
    for depth in depths:
        check_values(table, f"values@{depth}", rel=1e-8)
        check_simplified(table, f"values@{depth}", "f′", rel=1e-9, abs_tol=1e-300)
    slopes = _exponents(table, depths)
    table.notes.append("SymPy uses real symbols here: with default symbols it cannot build the chain.")
    _targets(ctx, table, depths, slopes)
    return table


def _exponents(table: Table, depths: Sequence[int]) -> dict[str, float]:
    """Least-squares slope of log time against log depth, from depth 1,000 up (100 is all overhead)."""
    fitted = [d for d in depths if d >= 1000] or list(depths)
    slopes: dict[str, float] = {}
    for stage in STAGES:
        points = [
            (math.log(d), math.log(t)) for d in fitted if (t := table.seconds(f"{stage}@{d}", "chainrule"))
        ]
        if len(points) >= 2:
            mean_x = sum(p[0] for p in points) / len(points)
            mean_y = sum(p[1] for p in points) / len(points)
            slopes[stage] = sum((px - mean_x) * (py - mean_y) for px, py in points) / sum(
                (px - mean_x) ** 2 for px, _ in points
            )
    if slopes:
        text = ", ".join(f"{LABELS[stage]} {k:.2f}" for stage, k in slopes.items())
        table.cells.setdefault("exponent", {})["chainrule"] = Cell(
            note=f"{text} ({fitted[0]:,}→{fitted[-1]:,})"
        )
    return slopes


def _targets(ctx: Context, table: Table, depths: Sequence[int], slopes: dict[str, float]) -> None:
    deepest = max(depths)
    finished = all(
        table.seconds(f"{stage}@{d}", "chainrule") is not None
        for d in depths
        for stage in STAGES
        if stage != "simplify" or ctx.features["simplify"]
    )
    table.targets.append(
        verdict(
            "W4: every depth finishes (chainrule)",
            finished,
            f"depths {', '.join(f'{d:,}' for d in depths)}",
        )
    )
    table.targets.append(
        verdict(
            "W4: time grows linearly in depth",
            None if len(slopes) < 2 else max(slopes.values()) < 1.25,
            "exponents: "
            + ", ".join(f"{LABELS[stage]} {k:.2f}" for stage, k in slopes.items())
            + " (linear: 1)",
        )
    )
    if 10_000 in depths:
        ours = _sum(table, "chainrule", ("diff", "eval_df"), 10_000)
        theirs = _sum(table, "symengine", ("diff", "eval_df"), 10_000)
        gain = None if ours is None or theirs is None else theirs / ours
        table.targets.append(
            verdict(
                "W4: depth 10,000 diff+evaluate ≥ 20× faster than SymEngine",
                None if gain is None else gain >= 20,
                speedup_text(gain, "symengine"),
            )
        )
    stages = [s for s in STAGES if s != "simplify" or ctx.features["simplify"]]
    total = _sum(table, "chainrule", tuple(stages), deepest)
    table.targets.append(
        verdict(
            f"W4: depth {deepest:,} under 5 s for all stages",
            None if total is None or deepest < 100_000 or not ctx.features["simplify"] else total < 5.0,
            f"{' + '.join(LABELS[s] for s in stages)} = {total:.2f} s together (read as the sum; "
            f"the slowest stage alone: {_slowest(table, stages, deepest)})"
            if total
            else "not measured",
        )
    )


def _slowest(table: Table, stages: Sequence[str], depth: int) -> str:
    timed = [
        (t, stage) for stage in stages if (t := table.seconds(f"{stage}@{depth}", "chainrule")) is not None
    ]
    if not timed:
        return "?"
    seconds, stage = max(timed)
    return f"{LABELS[stage]}, {seconds:.2f} s"


def _sum(table: Table, system: str, stages: Sequence[str], depth: int) -> float | None:
    times = [table.seconds(f"{stage}@{depth}", system) for stage in stages]
    return None if any(t is None for t in times) else sum(t for t in times if t is not None)
