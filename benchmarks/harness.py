"""Timing, isolation and tables: the machinery every workload shares.

A workload gives, for each system, a *pipeline*: a list of steps run in
order, sharing a ``state`` dict (the expression built by one step is
differentiated by the next).  Each system's pipeline runs in a forked child
process, so a peer that hangs or eats memory is stopped at its step's time
limit without stopping the run, and every system starts from the same clean
parent.  The child freezes its inherited objects out of the garbage collector
(``gc.freeze``), so each system's collections scan only what it built, as
in a fresh process.  A step returns a cell: a time (median of repeats after a warm-up),
a size, numbers to cross-check, or a note.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import resource
import signal
import statistics
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe
from typing import Any

#: Systems in column order; chainrule first, every ratio is peer / chainrule.
SYSTEMS = ("chainrule", "sympy", "symengine", "micrograd", "torch", "jax", "numexpr", "hand-written")
BASELINE = "chainrule"

#: Memory a pipeline's child may map before it gets MemoryError (the machine is shared).
CHILD_MEMORY_BYTES = 6 * 1024**3


@dataclass(frozen=True)
class Mode:
    """How hard to try: sizes, repeats and limits for one run."""

    name: str
    repeats: int  # timed runs after the warm-up, at most
    budget: float  # seconds of timed runs per measurement, after which no more repeats start
    limit: float  # seconds a step may take (including its repeats) before it is stopped
    w3_orders: tuple[int, ...]
    w4_depths: tuple[int, ...]
    w4_peer_depths: dict[str, int]  # the deepest chain each peer is asked to handle
    w5_epochs: int
    w6_sizes: tuple[int, ...]
    sympy_simplify_limit: float  # seconds for one sympy.simplify call
    slow_peer_limit: float  # seconds for a step of a peer known to stall on large inputs (SymPy)
    w7_sizes: tuple[int, ...] = (10**5, 10**6, 10**7)  # points for W7 (arrays)


# --- cells -----------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One system's result for one row."""

    seconds: float | None = None  # median time
    runs: int = 0  # timed runs behind the median
    size: tuple[int, int] | None = None  # (tree nodes, distinct DAG nodes)
    values: tuple[float, ...] | None = None  # numbers to cross-check between systems
    note: str | None = None  # why there is no time, or a remark
    failed: bool = False  # the system raised or ran out of time here
    samples: tuple[float, ...] = ()  # per-round times of a turn-about measurement, in round order

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.seconds is not None:
            data["seconds"] = self.seconds
            data["runs"] = self.runs
        if self.size is not None:
            data["tree_nodes"], data["distinct_nodes"] = self.size
        if self.values is not None:
            data["values"] = list(self.values)
        if self.note:
            data["note"] = self.note
        if self.failed:
            data["failed"] = True
        return data


def na(reason: str) -> Cell:
    """A cell for a row the system has no counterpart for."""
    return Cell(note=reason)


@dataclass
class Step:
    """One row's work for one system: ``run(state) -> Cell``; later steps see what it stored."""

    row: str
    run: Callable[[dict[str, Any]], Cell]
    limit: float | None = None  # seconds, instead of the mode's limit
    system: str | None = None  # the column, when not the pipeline's own system (a paired measurement)

    @property
    def key(self) -> str:
        """The step's name within its pipeline."""
        return self.row if self.system is None else f"{self.row}#{self.system}"


def remembered(steps: Sequence[Step], suffix: str = "") -> list[Step]:
    """The steps with ``suffix`` on their rows, each keeping its cell in ``state["cells"]`` for sums."""

    def wrap(step: Step) -> Step:
        def run(state: dict[str, Any]) -> Cell:
            cell = step.run(state)
            state.setdefault("cells", {})[step.key] = cell
            return cell

        return Step(step.row + suffix, run, step.limit, step.system)

    return [wrap(step) for step in steps]


def total(state: dict[str, Any], rows: Sequence[str], note: str | None = None) -> Cell:
    """A cell adding up earlier cells' times (kept by ``remembered``); missing ones count zero."""
    times = [state["cells"][row].seconds for row in rows if row in state["cells"]]
    return Cell(seconds=sum(t for t in times if t is not None), runs=1, note=note)


@dataclass
class Row:
    key: str
    label: str
    kind: str = "time"  # "time", "size" or "values"


@dataclass
class Table:
    """One workload's results: rows of cells by system, checks and targets."""

    key: str
    title: str
    rows: list[Row]
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)  # row key -> system -> cell
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def cell(self, row: str, system: str) -> Cell | None:
        return self.cells.get(row, {}).get(system)

    def seconds(self, row: str, system: str) -> float | None:
        found = self.cell(row, system)
        return None if found is None or found.failed else found.seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    "kind": row.kind,
                    "cells": {s: c.to_json() for s, c in self.cells.get(row.key, {}).items()},
                }
                for row in self.rows
            ],
            "notes": self.notes,
            "checks": [vars(check) for check in self.checks],
            "targets": [vars(target) for target in self.targets],
        }


@dataclass
class Check:
    """Did the systems compute the same numbers?"""

    row: str
    passed: bool
    detail: str


@dataclass
class Target:
    """One of issue 5's targets, judged from this run's numbers."""

    name: str
    status: str  # "met", "not met", "not measured"
    detail: str


def verdict(name: str, ok: bool | None, detail: str) -> Target:
    """A target judged met/not met, or not measured when ``ok`` is None (a number is missing)."""
    return Target(name, "not measured" if ok is None else "met" if ok else "not met", detail)


def speedup(table: Table, row: str, peer: str, *, peer_row: str | None = None) -> float | None:
    """Peer time / chainrule time (above 1: chainrule is faster), None if either is missing."""
    a, b = table.seconds(peer_row or row, peer), table.seconds(row, BASELINE)
    return a / b if a and b else None


def paired_ratio(table: Table, row: str, slower: str, faster: str) -> float | None:
    """``slower``'s time / ``faster``'s on a turn-about row: the median of the per-round ratios.

    Each round sees one load, so the ratio within a round is the fair
    comparison; its median moves far less between runs than the ratio of
    the two medians (which is the fallback when there are no rounds).
    """
    a, b = table.cell(row, slower), table.cell(row, faster)
    if a is None or b is None or a.failed or b.failed or not a.seconds or not b.seconds:
        return None
    if a.samples and len(a.samples) == len(b.samples):
        return statistics.median(x / y for x, y in zip(a.samples, b.samples, strict=True))
    return a.seconds / b.seconds


def speedup_text(value: float | None, peer: str) -> str:
    return f"{peer}/chainrule = {value:.3g}" if value is not None else f"{peer} or chainrule not measured"


def size_of(table: Table, row: str, system: str) -> tuple[int, int] | None:
    found = table.cell(row, system)
    return None if found is None else found.size


def size_text(size: tuple[int, int] | None) -> str:
    return "?" if size is None else f"{size[0]:,}/{size[1]:,}"


# --- timing ----------------------------------------------------------------------------------------


#: Warm-up for runs without a setup step: at most this many runs, or this long, after the first.
_WARM_RUNS, _WARM_SECONDS = 200, 0.05


def measure(
    mode: Mode,
    run: Callable[[], Any],
    *,
    setup: Callable[[], None] | None = None,
    size: tuple[int, int] | None = None,
) -> tuple[Cell, Any]:
    """Time ``run``: a warm-up, then up to ``mode.repeats`` timed runs; the median, and run's result.

    ``setup`` runs untimed before every run (e.g. to clear a peer's cache, so
    no run profits from the one before).  A warm-up slower than the budget
    is itself the one measurement: such a step is not worth repeating.  A
    warm-up of over a quarter of the budget counts as a timed run (warming
    up is noise at that length).  Runs much shorter than a millisecond are
    timed in batches (when there is no setup to run between them), and the
    time of one run reported.
    """
    if setup is not None:
        setup()
    gc.collect()
    start = time.perf_counter()
    result = run()
    warm = time.perf_counter() - start
    if warm >= mode.budget or mode.repeats == 0:
        return Cell(seconds=warm, runs=1, size=size), result
    if setup is None:
        # The first run pays one-time costs (caches, compiled rules, the interpreter specialising
        # its bytecode): warm up for a while longer, and size batches by the fastest warm run.
        warming = warm
        for _ in range(_WARM_RUNS):
            if warming >= _WARM_SECONDS:
                break
            start = time.perf_counter()
            result = run()
            elapsed = time.perf_counter() - start
            warm, warming = min(warm, elapsed), warming + elapsed
    batch = 1 if setup is not None or warm >= 1e-3 else min(10_000, int(5e-3 / max(warm, 1e-7)) + 1)
    times: list[float] = [warm] if warm > mode.budget / 4 else []
    spent = sum(times)
    while len(times) < mode.repeats and (spent < mode.budget or len(times) < 3):
        result = None  # no result may stay alive into the next run: chainrule would find its nodes interned
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        if batch == 1:
            result = run()
        else:
            for _ in range(batch):
                run()
        elapsed = time.perf_counter() - start
        times.append(elapsed / batch)
        spent += elapsed
    if batch > 1:
        result = run()
    return Cell(seconds=statistics.median(times), runs=len(times) * batch, size=size), result


def measure_paired(
    mode: Mode,
    runs: dict[str, Callable[[], Any]],
    *,
    rounds: int | None = None,
    setups: dict[str, Callable[[], None]] | None = None,
) -> dict[str, tuple[Cell, Any]]:
    """Time several systems' runs turn about (a warm-up each, then rounds of one turn each).

    On a shared machine the load changes from second to second; systems
    measured in alternation see the same load, so their ratio is fair even
    when the absolute times are not.  Medians as in ``measure``; a system
    with a ``setups`` entry (e.g. clearing SymPy's cache) runs it untimed
    before each run, and a system without one whose runs take well under a
    millisecond is timed in a batch of runs per turn, as ``measure`` does.
    """
    setups = setups or {}
    results: dict[str, Any] = {}
    times: dict[str, list[float]] = {name: [] for name in runs}
    batches: dict[str, int] = {}
    for name, warm_up in runs.items():
        setup = setups.get(name)
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        warm_up()
        warm = warming = time.perf_counter() - start
        for _ in range(_WARM_RUNS if setup is None else 0):
            if warming >= _WARM_SECONDS:
                break
            start = time.perf_counter()
            warm_up()
            elapsed = time.perf_counter() - start
            warm, warming = min(warm, elapsed), warming + elapsed
        batches[name] = (
            1 if setup is not None or warm >= 1e-3 else min(10_000, int(5e-3 / max(warm, 1e-7)) + 1)
        )
    wanted = rounds if rounds is not None else max(mode.repeats, 3)
    spent = 0.0
    while min(len(t) for t in times.values()) < wanted and (
        spent < 2 * mode.budget or min(map(len, times.values())) < 3
    ):
        for name, run in runs.items():
            results[name] = None  # no result may stay alive into the next run (interning)
            setup = setups.get(name)
            if setup is not None:
                setup()
            gc.collect()
            batch = batches[name]
            start = time.perf_counter()
            for _ in range(batch):
                results[name] = run()
            elapsed = time.perf_counter() - start
            times[name].append(elapsed / batch)
            spent += elapsed
    return {
        name: (
            Cell(
                seconds=statistics.median(times[name]),
                runs=len(times[name]) * batches[name],
                note="paired",
                samples=tuple(times[name]),
            ),
            results[name],
        )
        for name in runs
    }


@dataclass
class Context:
    """What a workload needs: the mode, the installed peers, and a way to run a pipeline."""

    mode: Mode
    found: dict[str, Any]
    features: dict[str, bool]
    isolate: bool = True

    def run(self, steps: Sequence[Step]) -> dict[str, Cell]:
        return run_pipeline(steps, self.mode, isolate=self.isolate)

    def fill(self, table: Table, system: str, steps: Sequence[Step]) -> list[Cell]:
        """Run one system's pipeline, put its cells into the table (paired steps in their column)."""
        cells = self.run(steps)
        for step in steps:
            if step.key in cells:
                table.cells.setdefault(step.row, {})[step.system or system] = cells[step.key]
        return list(cells.values())


class Deadline(Exception):
    """A call ran past its time limit (raised inside it by a timer signal)."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise Deadline inside the block after ``seconds`` (main thread, POSIX; Python code only)."""

    def expire(signum: int, frame: Any) -> None:
        raise Deadline(f"over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- isolation -------------------------------------------------------------------------------------


class MissingInput(Exception):
    """A step needs what an earlier step, which failed, would have stored."""


class State(dict[str, Any]):
    """What a pipeline's steps hand on to each other; a missing entry means an earlier step failed."""

    def __missing__(self, key: str) -> Any:
        raise MissingInput(key)


def run_pipeline(steps: Sequence[Step], mode: Mode, *, isolate: bool = True) -> dict[str, Cell]:
    """Run one system's steps in order, in a forked child with a time limit per step."""
    if not isolate or not hasattr(os, "fork"):
        cells: dict[str, Cell] = {}
        _run_steps(steps, lambda row, cell: cells.__setitem__(row, cell), lambda row: None)
        return cells
    receive, send = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: run the steps, report each as it ends, never return
        receive.close()
        _child(steps, send)
    send.close()
    return _collect(steps, mode, receive, pid)


def _run_steps(
    steps: Sequence[Step], done: Callable[[str, Cell], None], started: Callable[[str], None]
) -> None:
    state = State()
    for step in steps:
        started(step.key)
        try:
            cell = step.run(state)
        except MissingInput as missing:
            cell = Cell(note=f"not run: needs {missing.args[0]}", failed=True)
        except (Exception, RecursionError, MemoryError) as exc:
            cell = _failure(exc)
        done(step.key, cell)


def _child(steps: Sequence[Step], send: Connection) -> None:
    status = 0
    try:
        _limit_memory()
        # Like a fresh process: the objects inherited from the parent (every peer's modules) are
        # moved out of the garbage collector's sight, so no system pays to scan the others' heaps.
        gc.collect()
        gc.freeze()
        _run_steps(
            steps,
            lambda row, cell: send.send(("done", row, cell)),
            lambda row: send.send(("start", row)),
        )
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        send.close()
        os._exit(status)


def _limit_memory() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = CHILD_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(CHILD_MEMORY_BYTES, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _failure(exc: BaseException) -> Cell:
    message = str(exc).splitlines()[0] if str(exc) else ""
    text = type(exc).__name__ + (f": {message[:80]}" if message else "")
    return Cell(note=text, failed=True)


def _collect(steps: Sequence[Step], mode: Mode, receive: Connection, pid: int) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    limits = {step.key: step.limit or mode.limit for step in steps}
    current: str | None = None
    deadline = time.monotonic() + 60.0  # for the first "start"
    try:
        while True:
            if not receive.poll(max(0.0, deadline - time.monotonic())):
                if current is not None:
                    cells[current] = Cell(note=f"timeout: over {limits[current]:g} s", failed=True)
                os.kill(pid, signal.SIGKILL)
                break
            try:
                message = receive.recv()
            except EOFError:  # the child ended
                if current is not None:
                    cells[current] = Cell(note="crashed", failed=True)
                break
            if message[0] == "start":
                current = message[1]
                deadline = time.monotonic() + limits[message[1]]
            else:
                cells[message[1]] = message[2]
                current = None
                deadline = time.monotonic() + 60.0
    finally:
        receive.close()
        os.waitpid(pid, 0)
    for step in steps:
        if step.key not in cells:
            cells[step.key] = Cell(note="not run: an earlier step timed out", failed=True)
    return cells


# --- checks ----------------------------------------------------------------------------------------


def check_simplified(table: Table, row: str, what: str, *, rel: float, abs_tol: float) -> None:
    """chainrule's cell in ``row`` holds (f, raw derivative, simplified derivative[, with horner]).

    Each simplified form must agree with the raw derivative.
    """
    cell = table.cell(row, "chainrule")
    if cell is not None and cell.values is not None and len(cell.values) >= 3:
        raw = cell.values[1]
        for simple, how in zip(cell.values[2:], ("simplified", "simplified + horner"), strict=False):
            table.checks.append(
                Check(
                    row,
                    math.isclose(raw, simple, rel_tol=rel, abs_tol=abs_tol),
                    f"chainrule {how} {what} vs raw: {simple!r} vs {raw!r}",
                )
            )


def check_values(table: Table, row: str, *, rel: float = 1e-9, abs_tol: float = 1e-12) -> None:
    """Compare every system's numbers in ``row`` with chainrule's (or the first system's)."""
    found = {s: c.values for s, c in table.cells.get(row, {}).items() if c.values is not None}
    if len(found) < 2:
        if found:
            table.checks.append(Check(row, True, f"only {', '.join(found)} computed these numbers"))
        return
    reference = BASELINE if BASELINE in found else next(iter(found))
    expected = found[reference]
    for system, values in found.items():
        if system == reference:
            continue
        count = min(len(values), len(expected))  # a numeric-only peer may give fewer numbers
        worst = max(
            (
                abs(a - b) / max(abs(b), abs_tol)
                for a, b in zip(values[:count], expected[:count], strict=True)
            ),
            default=0.0,
        )
        ok = count > 0 and all(
            math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)
            for a, b in zip(values[:count], expected[:count], strict=True)
        )
        table.checks.append(
            Check(row, ok, f"{system} vs {reference}: {count} numbers, worst relative difference {worst:.1e}")
        )


# --- formatting ------------------------------------------------------------------------------------


def format_seconds(seconds: float) -> str:
    """Seconds with a unit that keeps three significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def format_ratio(ratio: float) -> str:
    if ratio >= 100:
        return f"×{ratio:.0f}"
    if ratio >= 10:
        return f"×{ratio:.1f}"
    return f"×{ratio:.2f}"


def _format_cell(row: Row, cell: Cell | None, base: Cell | None, system: str) -> str:
    if cell is None:
        return ""
    parts: list[str] = []
    if row.kind == "time" and cell.seconds is not None and not cell.failed:
        text = format_seconds(cell.seconds)
        if cell.runs == 1:
            text += "¹"
        if system != BASELINE and base is not None and base.seconds and not base.failed:
            text += f" ({format_ratio(cell.seconds / base.seconds)})"
        parts.append(text)
    if cell.size is not None:
        parts.append(f"{cell.size[0]:,}/{cell.size[1]:,}")
    if row.kind == "values" and cell.values is not None:
        parts.append(", ".join(f"{v:.6g}" for v in cell.values[:4]) + (" …" if len(cell.values) > 4 else ""))
    if cell.note:
        parts.append(cell.note if not parts else f"({cell.note})")
    return " ".join(parts)


def render(table: Table, systems: Iterable[str]) -> str:
    """The table as Markdown: one row per stage, one column per system, ratios peer/chainrule."""
    columns = [s for s in systems if any(s in table.cells.get(r.key, {}) for r in table.rows)]
    lines = [f"### {table.title}", ""]
    lines.append("| " + " | ".join(["", *columns]) + " |")
    lines.append("|" + "---|" * (len(columns) + 1))
    for row in table.rows:
        by_system = table.cells.get(row.key, {})
        base = by_system.get(BASELINE)
        cells = [_format_cell(row, by_system.get(s), base, s) for s in columns]
        if any(cells):
            lines.append("| " + " | ".join([row.label, *cells]) + " |")
    lines.append("")
    for note in table.notes:
        lines.append(f"- {note}")
    for check in table.checks:
        lines.append(f"- check {'ok' if check.passed else 'FAILED'}: {check.row}: {check.detail}")
    for goal in table.targets:
        lines.append(f"- target {goal.status}: {goal.name} — {goal.detail}")
    return "\n".join(lines) + "\n"
