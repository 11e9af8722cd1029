"""W1: the lab's z = 4xy + e^-y: d/dx then simplify; evaluate at (2, 3); the mixed d²/dx dy."""

from __future__ import annotations

from typing import Any

import adapters
import peers
from adapters import Symbolic
from harness import (
    Cell,
    Context,
    Row,
    Step,
    Table,
    check_values,
    measure,
    measure_paired,
    na,
    paired_ratio,
    speedup,
    speedup_text,
    verdict,
)

POINT = {"x": 2.0, "y": 3.0}

ROWS = [
    Row("diff_simplify", "d/dx, then simplify"),
    Row("paired", "d/dx, then simplify, timed turn about with SymPy (same load)"),
    Row("evaluate", "evaluate z at (2, 3)"),
    Row("mixed", "d²/dx dy, then simplify"),
    Row("size", "simplified d/dx: tree/distinct nodes (text)", "size"),
    Row("values", "z, ∂z/∂x, ∂²z/∂x∂y at (2, 3)", "values"),
]


def z_of(x: Any, y: Any, exp: Any) -> Any:
    """The lab's example, written once for every system."""
    return 4 * x * y + exp(-y)


def symbolic_steps(ctx: Context, s: Symbolic) -> list[Step]:
    mode = ctx.mode

    def simplified(expr: Any) -> Any:
        return s.simplify(expr) if s.simplify is not None else expr

    def setup(state: dict[str, Any]) -> Cell:
        state["x"], state["y"] = s.symbol("x"), s.symbol("y")
        state["z"] = z_of(state["x"], state["y"], s.exp)
        return _first(ctx, s, state)

    def mixed(state: dict[str, Any]) -> Cell:
        z, x, y = state["z"], state["x"], state["y"]
        cell, state["d2"] = measure(mode, lambda: simplified(s.diff(s.diff(z, x), y)), setup=s.fresh)
        return _note_canonical(cell, s)

    def evaluate(state: dict[str, Any]) -> Cell:
        cell, state["value"] = measure(mode, lambda: s.evaluate(state["z"], POINT), setup=s.fresh)
        return cell

    def size(state: dict[str, Any]) -> Cell:
        derivative = state["dx"]
        text = str(derivative)
        return Cell(size=s.sizes(derivative), note=text if len(text) <= 40 else None)

    def values(state: dict[str, Any]) -> Cell:
        return Cell(
            values=(
                state["value"],
                s.evaluate(state["dx"], POINT),
                s.evaluate(state["d2"], POINT),
            )
        )

    steps = [
        Step("diff_simplify", setup),
        Step("evaluate", evaluate),
        Step("mixed", mixed),
        Step("size", size),
        Step("values", values),
    ]
    if s.name == "chainrule" and s.simplify is not None and "sympy" in ctx.found:
        steps += paired_steps(ctx, s)
    return steps


def paired_steps(ctx: Context, ours: Symbolic) -> list[Step]:
    """chainrule's and SymPy's d/dx then simplify, run turn about in one process (the target's ratio)."""
    theirs = adapters.sympy_adapter(ctx.found["sympy"])

    def job(s: Symbolic) -> Any:
        x, y = s.symbol("x"), s.symbol("y")
        z = z_of(x, y, s.exp)
        simplify = s.simplify
        assert simplify is not None
        return lambda: simplify(s.diff(z, x))

    def paired(state: dict[str, Any]) -> Cell:
        setups = {"sympy": theirs.fresh} if theirs.fresh is not None else {}
        cells = measure_paired(ctx.mode, {"chainrule": job(ours), "sympy": job(theirs)}, setups=setups)
        state["theirs"] = cells["sympy"][0]
        return cells["chainrule"][0]

    return [Step("paired", paired), Step("paired", lambda state: state["theirs"], system="sympy")]


def _first(ctx: Context, s: Symbolic, state: dict[str, Any]) -> Cell:
    if s.name == "chainrule" and s.simplify is None:
        state["dx"] = s.diff(state["z"], state["x"])
        return na("simplify not available yet")
    z, x = state["z"], state["x"]
    simplify = s.simplify if s.simplify is not None else (lambda e: e)
    cell, state["dx"] = measure(ctx.mode, lambda: simplify(s.diff(z, x)), setup=s.fresh)
    return _note_canonical(cell, s)


def _note_canonical(cell: Cell, s: Symbolic) -> Cell:
    if s.simplify is None and s.name != "chainrule":
        cell.note = "diff only: canonical form"
    return cell


def micrograd_steps(ctx: Context) -> list[Step]:
    functions = peers.micrograd_functions()
    value_type = functions["Value"]

    def forward() -> Any:
        x, y = value_type(POINT["x"]), value_type(POINT["y"])
        return x, z_of(x, y, functions["exp"])

    def evaluate(state: dict[str, Any]) -> Cell:
        cell, (_, z) = measure(ctx.mode, forward)
        state["value"] = z.data
        return cell

    def values(state: dict[str, Any]) -> Cell:
        x, z = forward()
        z.backward()
        return Cell(values=(z.data, x.grad), note="no second derivative")

    return [
        Step("diff_simplify", lambda state: na("numeric only")),
        Step("evaluate", evaluate),
        Step("values", values),
    ]


def torch_steps(ctx: Context) -> list[Step]:
    torch = ctx.found["torch"]

    def forward() -> tuple[Any, Any, Any]:
        x = torch.tensor(POINT["x"], dtype=torch.float64, requires_grad=True)
        y = torch.tensor(POINT["y"], dtype=torch.float64, requires_grad=True)
        return x, y, z_of(x, y, torch.exp)

    def evaluate(state: dict[str, Any]) -> Cell:
        with torch.no_grad():
            cell, _ = measure(ctx.mode, forward)
        return cell

    def values(state: dict[str, Any]) -> Cell:
        x, y, z = forward()
        (dx,) = torch.autograd.grad(z, x, create_graph=True)
        (dxy,) = torch.autograd.grad(dx, y)
        return Cell(values=(z.item(), dx.item(), dxy.item()))

    return [
        Step("diff_simplify", lambda state: na("numeric only")),
        Step("evaluate", evaluate),
        Step("values", values),
    ]


def run(ctx: Context) -> Table:
    table = Table("W1", "W1 — the lab's z = 4xy + e^−y", ROWS)
    for system in adapters.symbolic_systems(ctx.found):
        ctx.fill(table, system.name, symbolic_steps(ctx, system))
    if "micrograd" in ctx.found:
        ctx.fill(table, "micrograd", micrograd_steps(ctx))
    if "torch" in ctx.found:
        ctx.fill(table, "torch", torch_steps(ctx))
    check_values(table, "values")
    # The ratio from the turn-about row where there is one: both systems under the same load.
    gain = paired_ratio(table, "paired", "sympy", "chainrule") or speedup(table, "diff_simplify", "sympy")
    table.targets.append(
        verdict(
            "W1: diff+simplify ≥ 50× faster than SymPy diff+simplify",
            None if gain is None else gain >= 50,
            speedup_text(gain, "sympy"),
        )
    )
    return table
