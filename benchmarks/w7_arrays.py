"""W7: the nine gradients of the lab loss summed over n points, on arrays.

The handout's network (parameters b1, w11, w12, b2, w21, w22, c, u1, u2;
inputs x1, x2, label y), built from its formulas with each system's own
API.  Each system computes the nine per-point gradients over n points and
sums them:

- chainrule: grad + simplify + ``lambdify(backend="numpy")``, then ``.sum()``;
- hand-written: the same backprop formulas in NumPy, then ``.sum()``;
- jax: ``jit(grad(sum of losses))`` on CPU, float64;
- torch: autograd of the summed loss, float64;
- sympy: diff × 9 + ``lambdify(modules="numpy", cse=True)``;
- symengine: diff × 9 + ``Lambdify(cse=True)`` over the (n, 12) stacked inputs;
- numexpr: chainrule's gradients evaluated by numexpr (an experiment: blocked,
  no NumPy temporaries; shared values are materialised once, the rest inlined).

Time is the median of runs after a warm-up.  Memory is the peak resident
memory above what was resident before the first run at that size (inputs
included in neither), in a fresh child per system and size: Linux's peak
(VmHWM) is reset first through /proc/self/clear_refs, so it is the run's own.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
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
    verdict,
)

from chainrule import (
    Const,
    Cos,
    Exp,
    Expr,
    Log,
    Sigmoid,
    Sin,
    Softplus,
    Sqrt,
    TanH,
    Var,
    grad,
    lambdify,
    simplify,
)
from chainrule.nodes import children
from chainrule.traverse import postorder

PARAMS = ("b1", "w11", "w12", "b2", "w21", "w22", "c", "u1", "u2")
INPUTS = ("x1", "x2", "y")
#: The weights the gradients are taken at.
POINT = (0.1, 0.8, -0.6, -0.2, 0.5, 0.9, 0.05, 1.2, -0.7)


def loss(tanh: Callable[[Any], Any], exp: Callable[[Any], Any], log: Callable[[Any], Any], *a: Any) -> Any:
    """The handout's loss of one point from the nine parameters (PARAMS order), then x1, x2, y."""
    b1, w11, w12, b2, w21, w22, c, u1, u2, x1, x2, y = a
    h1 = tanh(b1 + x1 * w11 + x2 * w21)
    h2 = tanh(b2 + x1 * w12 + x2 * w22)
    fin = u1 * h1 + u2 * h2 + c
    return fin - fin * y + log(1 + exp(-fin))


def data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n points of two classes: y = 1 inside the unit circle."""
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    return x1, x2, (x1 * x1 + x2 * x2 < 1.0).astype(np.float64)


def chainrule_gradients() -> list[Expr]:
    """The nine gradients, simplified, built with chainrule's public API."""
    symbols = [Var(name) for name in PARAMS + INPUTS]
    gradients = grad(loss(TanH, Exp, Log, *symbols), list(PARAMS))
    return [simplify(gradients[name]) for name in PARAMS]


def hand_written(
    b1: float, w11: float, w12: float, b2: float, w21: float, w22: float, c: float, u1: float, u2: float,
    x1: np.ndarray, x2: np.ndarray, y: np.ndarray,
) -> tuple[float, ...]:  # fmt: skip
    """The backprop formulas in plain NumPy, each gradient summed."""
    h1 = np.tanh(b1 + x1 * w11 + x2 * w21)
    h2 = np.tanh(b2 + x1 * w12 + x2 * w22)
    fin = u1 * h1 + u2 * h2 + c
    e = np.exp(-fin)
    dfin = 1.0 - y - e / (1.0 + e)
    d1 = dfin * u1 * (1.0 - h1 * h1)
    d2 = dfin * u2 * (1.0 - h2 * h2)
    return tuple(
        float(g.sum()) for g in (d1, d1 * x1, d2 * x1, d2, d1 * x2, d2 * x2, dfin, dfin * h1, dfin * h2)
    )


# --- each system: a setup (compile once) and the call at one size -------------------------------


def _chainrule() -> Callable[..., tuple[float, ...]]:
    f = lambdify(chainrule_gradients(), list(PARAMS + INPUTS), backend="numpy")
    return lambda *a: tuple(float(g.sum()) for g in f(*a))


def _numexpr() -> Callable[..., tuple[float, ...]]:
    """chainrule's gradients through numexpr: values read twice or more are materialised once."""
    ne = importlib.import_module("numexpr")
    outputs = chainrule_gradients()
    order = list(postorder(*outputs))
    uses: dict[Expr, int] = {}
    for node in order:
        for kid in children(node):
            uses[kid] = uses.get(kid, 0) + 1
    text: dict[Expr, str] = {}
    steps: list[tuple[str, str]] = []  # (name, numexpr text), in order
    # numexpr's own functions; sigmoid and softplus (which simplify writes) spelled out for it.
    functions = {TanH: "tanh({})", Exp: "exp({})", Log: "log({})", Sigmoid: "(1 / (1 + exp(-({}))))"}
    functions |= {Softplus: "log1p(exp({}))", Sqrt: "sqrt({})", Sin: "sin({})", Cos: "cos({})"}
    for node in order:
        kids = [text[kid] for kid in children(node)]
        if type(node) is Const:
            text[node] = repr(float(node.value))  # type: ignore[attr-defined]
            continue
        if type(node) is Var:
            text[node] = node.name  # type: ignore[attr-defined]
            continue
        if type(node) in functions:
            body = functions[type(node)].format(kids[0])
        else:
            body = f"({kids[0]} {_SYMBOL[type(node).__name__]} {kids[1]})"
        if uses.get(node, 0) > 1 or node in outputs:
            name = f"t{len(steps)}"
            steps.append((name, body))
            text[node] = name
        else:
            text[node] = body
    names = PARAMS + INPUTS

    def run(*a: Any) -> tuple[float, ...]:
        env = dict(zip(names, a, strict=True))
        for name, body in steps:
            env[name] = ne.evaluate(body, local_dict=env)
        return tuple(float(np.sum(env[text[output]])) for output in outputs)

    return run


_SYMBOL = {"Sum": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "**"}


def _jax() -> Callable[..., tuple[float, ...]]:
    jax = importlib.import_module("jax")
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    jnp = importlib.import_module("jax.numpy")

    def total(params: tuple[Any, ...], x1: Any, x2: Any, y: Any) -> Any:
        return jnp.sum(loss(jnp.tanh, jnp.exp, jnp.log, *params, x1, x2, y))

    gradient = jax.jit(jax.grad(total))

    def run(*a: Any) -> tuple[float, ...]:
        params, inputs = a[:9], [jnp.asarray(v) for v in a[9:]]
        return tuple(float(g) for g in jax.block_until_ready(gradient(tuple(params), *inputs)))

    return run


def _torch() -> Callable[..., tuple[float, ...]]:
    torch = importlib.import_module("torch")

    def run(*a: Any) -> tuple[float, ...]:
        params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in a[:9]]
        inputs = [torch.from_numpy(v) for v in a[9:]]
        total = loss(torch.tanh, torch.exp, torch.log, *params, *inputs).sum()
        return tuple(float(g) for g in torch.autograd.grad(total, params))

    return run


def _sympy() -> Callable[..., tuple[float, ...]]:
    sympy = importlib.import_module("sympy")
    symbols = sympy.symbols(" ".join(PARAMS + INPUTS), real=True)
    expr = loss(sympy.tanh, sympy.exp, sympy.log, *symbols)
    f = sympy.lambdify(symbols, [sympy.diff(expr, p) for p in symbols[:9]], modules="numpy", cse=True)
    return lambda *a: tuple(float(np.sum(g)) for g in f(*a))


def _symengine() -> Callable[..., tuple[float, ...]]:
    se = importlib.import_module("symengine")
    symbols = se.symbols(" ".join(PARAMS + INPUTS))
    expr = loss(se.tanh, se.exp, se.log, *symbols)
    f = se.Lambdify(list(symbols), [se.diff(expr, p) for p in symbols[:9]], cse=True)

    def run(*a: Any) -> tuple[float, ...]:
        n = len(a[-1])
        stacked = np.empty((n, len(a)))
        for column, value in enumerate(a):
            stacked[:, column] = value
        return tuple(float(s) for s in f(stacked).sum(axis=0))

    return run


#: (column, module it needs or None, setup returning the summed-gradient function)
SYSTEMS: tuple[tuple[str, str | None, Callable[[], Callable[..., tuple[float, ...]]]], ...] = (
    ("chainrule", None, _chainrule),
    ("hand-written", None, lambda: hand_written),
    ("jax", "jax", _jax),
    ("torch", "torch", _torch),
    ("sympy", "sympy", _sympy),
    ("symengine", "symengine", _symengine),
    ("numexpr", "numexpr", _numexpr),
)


# --- memory -------------------------------------------------------------------------------------


def _status(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def peak_memory(run: Callable[[], Any]) -> tuple[int | None, Any]:
    """Bytes of peak resident memory ``run`` adds to what is resident now (None off Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset the peak (VmHWM) to the current resident size
    except OSError:
        return None, run()
    before = _status("VmRSS")
    result = run()
    peak = _status("VmHWM")
    return (None if before is None or peak is None else max(0, peak - before)), result


# --- the table ----------------------------------------------------------------------------------


def _rows(sizes: Sequence[int]) -> list[Row]:
    rows = [Row("setup", "setup: gradients + compile")]
    for n in sizes:
        rows += [
            Row(f"time {n}", f"n = {n:.0e}: time"),
            Row(f"memory {n}", f"n = {n:.0e}: peak memory", "memory"),
            Row(f"values {n}", f"n = {n:.0e}: summed gradients", "values"),
        ]
    rows.append(Row("paired", f"n = {max(sizes):.0e}: time, turn about in one process (same load)"))
    return rows


#: Systems timed turn about at the largest size, and the rounds (the targets are judged there).
PAIRED = ("chainrule", "hand-written", "jax")
PAIRED_ROUNDS = 7


def _paired_steps(ctx: Context, n: int) -> list[Step]:
    """One child times chainrule, hand-written NumPy and JAX in alternation: their ratios see one load."""
    chosen = [(name, setup) for name, module, setup in SYSTEMS if name in PAIRED and _installed(module)]

    def paired(state: dict[str, Any]) -> Cell:
        inputs = data(n)
        functions = {name: setup() for name, setup in chosen}
        runs = {name: (lambda f=f: f(*POINT, *inputs)) for name, f in functions.items()}
        cells = measure_paired(ctx.mode, runs, rounds=max(PAIRED_ROUNDS, ctx.mode.repeats))
        for name, (cell, _) in cells.items():
            state[name] = cell
        return state["chainrule"]

    return [Step("paired", paired)] + [
        Step("paired", lambda state, name=name: state[name], system=name) for name, _ in chosen[1:]
    ]


def _installed(module: str | None) -> bool:
    return module is None or importlib.util.find_spec(module) is not None


def _steps(
    ctx: Context, name: str, setup: Callable[[], Callable[..., tuple[float, ...]]], n: int
) -> list[Step]:
    def compile_(state: dict[str, Any]) -> Cell:
        cell, state["function"] = (
            measure(ctx.mode, setup) if n == min(ctx.mode.w7_sizes) else (Cell(), setup())
        )
        return cell

    def run(state: dict[str, Any]) -> Cell:
        function, inputs = state["function"], data(n)
        memory, values = peak_memory(lambda: function(*POINT, *inputs))
        state["memory"] = memory
        state["values"] = values
        cell, _ = measure(ctx.mode, lambda: function(*POINT, *inputs))
        return cell

    def memory(state: dict[str, Any]) -> Cell:
        found = state["memory"]
        return (
            na("not measured")
            if found is None
            else Cell(values=(found / 2**20,), note=f"{found / 2**20:.1f} MB")
        )

    return [
        Step("setup" if n == min(ctx.mode.w7_sizes) else f"setup {n}", compile_),
        Step(f"time {n}", run),
        Step(f"memory {n}", memory),
        Step(f"values {n}", lambda state: Cell(values=tuple(state["values"]))),
    ]


def run(ctx: Context) -> Table:
    sizes = ctx.mode.w7_sizes
    table = Table("W7", "W7 — the lab's nine gradients summed over n points (arrays)", _rows(sizes))
    for name, module, setup in SYSTEMS:
        if not _installed(module):
            table.notes.append(f"{name} is not installed: its column is skipped")
            continue
        for n in sizes:
            ctx.fill(table, name, _steps(ctx, name, setup, n))
    ctx.fill(table, "chainrule", _paired_steps(ctx, max(sizes)))
    for n in sizes:
        check_values(table, f"values {n}", rel=1e-8, abs_tol=1e-9 * n)
    table.notes.append(
        "Memory: peak resident memory a run adds, in a fresh child per system and size (inputs excluded). "
        "chainrule and sympy return the nine per-point gradient arrays before summing; the hand-written "
        "NumPy sums each as the formulas give it; jax and torch differentiate the summed loss. "
        f"{os.cpu_count()} cores shared; NumPy single-threaded, torch at its benchmark setting."
    )
    _targets(table, max(sizes))
    return table


def _targets(table: Table, n: int) -> None:
    for peer in ("hand-written", "jax"):
        ratio = paired_ratio(table, "paired", "chainrule", peer)
        table.targets.append(
            verdict(
                f"W7: time at n = {n:.0e} ≤ {peer}",
                None if ratio is None else ratio <= 1.0,
                f"chainrule/{peer} = {ratio:.2f} (median of per-round ratios, turn about)"
                if ratio
                else "not measured",
            )
        )
    mine, floor = (table.cell(f"memory {n}", s) for s in ("chainrule", "hand-written"))
    a = mine.values[0] if mine is not None and mine.values else None
    b = floor.values[0] if floor is not None and floor.values else None
    table.targets.append(
        verdict(
            f"W7: peak memory at n = {n:.0e} ≤ hand-written NumPy's",
            None if a is None or b is None else a <= b,
            f"chainrule {a:.0f} MB, hand-written {b:.0f} MB"
            if a is not None and b is not None
            else "not measured",
        )
    )
