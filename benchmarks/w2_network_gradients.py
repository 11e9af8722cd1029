"""W2: the nine parameter gradients of the handout network's loss, raw and simplified, with their sizes."""

from __future__ import annotations

import time
from typing import Any

import adapters
import lab_network as net
import peers
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
    na,
    size_of,
    size_text,
    speedup,
    speedup_text,
    verdict,
)

import chainrule

ROWS = [
    Row("diff9", "diff × 9 (raw)"),
    Row("grad", "grad: all 9 in one reverse pass (raw)"),
    Row("simplified", "all 9 gradients, simplified"),
    Row("raw_size", "raw gradients: tree/distinct nodes", "size"),
    Row("simplified_size", "simplified gradients: tree/distinct nodes", "size"),
    Row("values", "the 9 gradients at the handout's weights, x = (1, −1), y = 0", "values"),
]

CHECK_ENV = dict(zip(net.PARAMS + net.INPUTS, net.CHECK_POINT, strict=True))


def symbolic_loss(s: Symbolic) -> tuple[Any, list[Any]]:
    """The loss over symbols, and the nine parameter symbols."""
    symbols = [s.symbol(name) for name in net.PARAMS + net.INPUTS]
    return net.loss(s.tanh, s.exp, s.log, *symbols), symbols[: len(net.PARAMS)]


def symbolic_steps(ctx: Context, s: Symbolic) -> list[Step]:
    mode = ctx.mode

    def diff9(state: dict[str, Any]) -> Cell:
        loss, params = state["loss"], state["params"] = symbolic_loss(s)
        cell, state["raw"] = measure(mode, lambda: [s.diff(loss, p) for p in params], setup=s.fresh)
        return cell

    def raw_size(state: dict[str, Any]) -> Cell:
        return Cell(size=s.sizes(state["raw"]))

    def values(state: dict[str, Any]) -> Cell:
        gradients = state.get("simplified", state["raw"])
        return Cell(values=tuple(s.evaluate(g, CHECK_ENV) for g in gradients))

    steps = [Step("diff9", diff9), Step("raw_size", raw_size)]
    if s.name == "chainrule":
        steps += chainrule_steps(ctx, s)
    elif s.simplify is not None:
        limit = len(net.PARAMS) * ctx.mode.sympy_simplify_limit + 30.0
        steps.append(Step("simplified", lambda state: _simplify_with_deadlines(ctx, s, state), limit))
        steps.append(Step("simplified_size", lambda state: Cell(size=s.sizes(state["simplified"]))))
    else:
        steps.append(Step("simplified", lambda state: na("canonical form: = raw")))
    steps.append(Step("values", values))
    return steps


def chainrule_steps(ctx: Context, s: Symbolic) -> list[Step]:
    grad = getattr(chainrule, "grad", None)
    simplify = s.simplify
    names = list(net.PARAMS)

    def reverse(state: dict[str, Any]) -> Cell:
        if grad is None:
            return na("grad not available yet")
        loss = state["loss"]
        cell, state["grad"] = measure(ctx.mode, lambda: grad(loss, names))
        return cell

    def simplified(state: dict[str, Any]) -> Cell:
        if simplify is None:
            return na("simplify not available yet")
        loss = state["loss"]
        if grad is not None:

            def run() -> list[Any]:
                gradients = grad(loss, names)
                return [simplify(gradients[name]) for name in names]

            note = "grad, then simplify each"
        else:
            params = state["params"]

            def run() -> list[Any]:
                return [simplify(s.diff(loss, p)) for p in params]

            note = "diff, then simplify each"
        cell, state["simplified"] = measure(ctx.mode, run)
        cell.note = note
        return cell

    def simplified_size(state: dict[str, Any]) -> Cell:
        return Cell(size=s.sizes(state["simplified"])) if "simplified" in state else na("")

    return [
        Step("grad", reverse),
        Step("simplified", simplified),
        Step("simplified_size", simplified_size),
    ]


def _simplify_with_deadlines(ctx: Context, s: Symbolic, state: dict[str, Any]) -> Cell:
    """Simplify each gradient once, giving each call the mode's SymPy limit; report what finished."""
    assert s.simplify is not None
    limit = ctx.mode.sympy_simplify_limit
    done, spent = [], 0.0
    for gradient in state["raw"]:
        if s.fresh is not None:
            s.fresh()
        start = time.perf_counter()
        try:
            with deadline(limit):
                done.append(s.simplify(gradient))
        except Deadline:
            continue
        spent += time.perf_counter() - start
    if len(done) == len(state["raw"]):
        state["simplified"] = done
        return Cell(seconds=spent, runs=1)
    return Cell(
        note=f"{len(done)} of {len(state['raw'])} finished within {limit:g} s each",
        failed=True,
    )


def micrograd_steps(ctx: Context) -> list[Step]:
    functions = peers.micrograd_functions()
    value_type = functions["Value"]

    def values(state: dict[str, Any]) -> Cell:
        leaves = [value_type(v) for v in net.CHECK_POINT]
        out = net.loss(functions["tanh"], functions["exp"], functions["log"], *leaves)
        out.backward()
        return Cell(values=tuple(float(leaf.grad) for leaf in leaves[: len(net.PARAMS)]))

    return [Step("values", values)]


def torch_steps(ctx: Context) -> list[Step]:
    torch = ctx.found["torch"]

    def values(state: dict[str, Any]) -> Cell:
        leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in net.CHECK_POINT]
        out = net.loss(torch.tanh, torch.exp, torch.log, *leaves)
        slopes = torch.autograd.grad(out, leaves[: len(net.PARAMS)])
        return Cell(values=tuple(float(g) for g in slopes))

    return [Step("values", values)]


def run(ctx: Context) -> Table:
    table = Table("W2", "W2 — the lab network's loss: all 9 parameter gradients", ROWS)
    for system in adapters.symbolic_systems(ctx.found):
        ctx.fill(table, system.name, symbolic_steps(ctx, system))
    if "micrograd" in ctx.found:
        ctx.fill(table, "micrograd", micrograd_steps(ctx))
    if "torch" in ctx.found:
        ctx.fill(table, "torch", torch_steps(ctx))
    table.cells.setdefault("values", {})["hand-written"] = Cell(values=net.hand_gradients(*net.CHECK_POINT))
    check_values(table, "values")
    table.notes.append(
        f"SymPy's simplify gets {ctx.mode.sympy_simplify_limit:g} s per gradient in this mode, "
        "one run; SymEngine has no simplify (it keeps a canonical form as it builds)."
    )
    # SymPy's unsimplified diff × 9 against chainrule's simplified gradients.
    gain = speedup(table, "simplified", "sympy", peer_row="diff9")
    table.targets.append(
        verdict(
            "W2: 9 gradients simplified in ≤ 1/10 of sympy.diff's time for the 9",
            None if gain is None else gain >= 10,
            speedup_text(gain, "sympy") + " (SymPy: diff × 9; chainrule: simplified)",
        )
    )
    ours, theirs = size_of(table, "simplified_size", "chainrule"), size_of(table, "raw_size", "sympy")
    table.targets.append(
        verdict(
            "W2: simplified DAG no larger than SymPy's raw diff output (distinct nodes)",
            None if ours is None or theirs is None else ours[1] <= theirs[1],
            f"tree/distinct: chainrule simplified {size_text(ours)}, SymPy raw {size_text(theirs)}",
        )
    )
    return table
