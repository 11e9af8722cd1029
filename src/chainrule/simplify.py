"""``simplify`` and ``explain``: the rule table applied to a fixed point, built from ``strategies``.

``simplify(e)`` is ``innermost(switch(type, table))(e)``: the table holds,
for each node type, ``do_one`` of the rules whose left side has that head,
in table order; ``innermost`` normalises each distinct node of the DAG
once, children first, with a step bound (a cycling table raises
``RewriteLimitError`` naming the rules that cycled).

Simplification never makes an expression larger (in distinct nodes).  A
rule's right side can add at most ``rule.growth`` nodes, and a rule with
growth <= 0 ("node-safe") provably never grows the DAG.  Rules such as
``?x + ?x -> 2 * ?x`` add a node (the constant) and usually pay for it
elsewhere; when the whole rewrite would still grow the expression (their
matched parts were shared with other parents), ``simplify`` normalises
with the node-safe rules first, then with all rules only if that result
is no larger.  Every outcome is a fixed point of the rules it used, so
``simplify`` is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import attrs

from .errors import RewriteLimitError
from .evaluate import describe
from .nodes import Expr
from .rules import DEFAULT_RULES, Rule
from .show import show
from .strategies import DEFAULT_FUEL, FUEL_PER_NODE, RewriteStopped, innermost, rebuild
from .table import RuleIndex
from .traverse import count_nodes, fold

__all__ = ["Explanation", "Step", "explain", "simplify"]


@attrs.frozen
class _Table:
    """A rule table ready to apply: all rules, and the node-safe ones (growth <= 0)."""

    full: RuleIndex
    safe: RuleIndex
    all_safe: bool


@lru_cache(maxsize=32)
def _table(rules: tuple[Rule, ...]) -> _Table:
    safe = tuple(rule for rule in rules if rule.growth <= 0)
    return _Table(RuleIndex(rules), RuleIndex(safe), len(safe) == len(rules))


def _prepare(expr: Expr, rules: Iterable[Rule], who: str) -> _Table:
    if not isinstance(expr, Expr):
        raise TypeError(f"{who} expects an expression, got {type(expr).__name__}")
    if type(rules) is tuple:
        # The same tuple again (DEFAULT_RULES, usually): checked and indexed already.
        seen = _recent.get(id(rules))
        if seen is not None and seen[0] is rules:
            return seen[1]
    if isinstance(rules, Rule | str) or not isinstance(rules, Iterable):
        raise TypeError(f"{who}: rules must be a sequence of Rule (e.g. DEFAULT_RULES + load_rules(path))")
    table = tuple(rules)
    for rule in table:
        if not isinstance(rule, Rule):
            raise TypeError(f"{who}: rules must be Rule objects, got {type(rule).__name__}: {rule!r:.80}")
    prepared = _table(table)
    if type(rules) is tuple:
        if len(_recent) >= 32:
            _recent.clear()
        _recent[id(rules)] = (rules, prepared)  # holds the tuple, so its id is not reused meanwhile
    return prepared


_recent: dict[int, tuple[tuple[Rule, ...], _Table]] = {}


def _run(
    expr: Expr,
    index: RuleIndex,
    max_steps: int | None,
    on_step: Callable[[Any, Any], object] | None = None,
    on_reuse: Callable[[Any, Any], object] | None = None,
) -> Expr:
    normalise = innermost(index.rewrite, fuel=max_steps, on_step=on_step, on_reuse=on_reuse)
    try:
        return normalise(expr)  # type: ignore[no-any-return]
    except RewriteStopped as stop:
        raise _named(stop, index) from None


def _named(stop: RewriteStopped, index: RuleIndex) -> RewriteLimitError:
    """The engine's report, with the rules that did it named."""
    names = [_name_of(index.which(before)) for before, _ in stop.trail]
    if stop.reason == "cycle":
        shown = " -> ".join(names[:12]) + (" -> ..." if len(names) > 12 else "")
        at = f" (from {describe(stop.trail[0][0])})" if stop.trail else ""
        message = f"simplify: the rules cycle: {shown} leads back to an expression still being rewritten{at}"
    else:
        counts: dict[str, int] = {}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        busiest = ", ".join(f"{n} ({c}x)" for n, c in sorted(counts.items(), key=lambda kv: -kv[1]))
        message = f"simplify: {stop}; the last {len(names)} rewrites used {busiest}"
    return RewriteStopped(message, stop.reason, stop.trail, tuple(dict.fromkeys(names)))


def _name_of(rule: Rule | None) -> str:
    return rule.name if rule is not None else "?"


def simplify(expr: Expr, rules: Iterable[Rule] = DEFAULT_RULES, *, max_steps: int | None = None) -> Expr:
    """``expr`` rewritten to a fixed point of ``rules``; never larger than ``expr`` (in distinct nodes).

    ``max_steps`` bounds the number of rewrites (default: 10,000 plus 10 per
    node of ``expr``); RewriteLimitError when the rules cycle or exceed it.
    """
    table = _prepare(expr, rules, "simplify")
    result = _run(expr, table.full, max_steps)
    if result is expr or table.all_safe:
        return result
    size = count_nodes(result)
    if count_nodes(expr, limit=size) >= size:  # the input is counted only up to the result's size
        return result
    fuel = _fuel(count_nodes(expr)) if max_steps is None else max_steps
    safe = _run(expr, table.safe, fuel)
    again = _run(safe, table.full, fuel)
    return again if count_nodes(again) <= count_nodes(safe) else safe


def _fuel(size: int) -> int:
    return DEFAULT_FUEL + FUEL_PER_NODE * size


# ---------------------------------------------------------------------------------------------------
# explain


class _Replay:
    """Whole-expression states of a derivation, computed when asked for.

    Step k replaces one subexpression (everywhere it occurs) in the state
    before it.  A state costs a pass over the expression, so states are
    built on demand from the nearest one known (the first and the last
    are known from the start).
    """

    def __init__(self, start: Expr, events: list[tuple[Expr, Expr, bool]], end: Expr | None) -> None:
        self.start = start
        self.events = events
        self.states: dict[int, Expr] = {0: start}
        if end is not None:
            self.states[len(events)] = end

    def state(self, k: int) -> Expr:
        found = self.states.get(k)
        if found is not None:
            return found
        known = max(i for i in self.states if i < k)
        state = self.states[known]
        for i in range(known, k):
            old, new, _ = self.events[i]
            state = _replace(state, old, new)
        self.states[k] = state
        return state


def _replace(root: Expr, old: Expr, new: Expr) -> Expr:
    """``root`` with every occurrence of ``old`` replaced by ``new``."""
    return fold(root, lambda node, kids: new if node is old else rebuild(node, kids), {})


@attrs.frozen
class Step:
    """One rewrite: ``rule`` (its name) turned ``old`` into ``new`` wherever it occurs in ``before``.

    ``again`` is true when ``old`` is a node a rule rewrote earlier (it
    reappeared), and ``new`` is the normal form found then.
    """

    rule: str
    old: Expr
    new: Expr
    again: bool
    _replay: _Replay = attrs.field(repr=False, eq=False)
    _index: int = attrs.field(repr=False, eq=False)

    @property
    def before(self) -> Expr:
        """The whole expression before this step."""
        return self._replay.state(self._index)

    @property
    def after(self) -> Expr:
        """The whole expression after this step."""
        return self._replay.state(self._index + 1)

    @property
    def where(self) -> tuple[str, ...]:
        """Field names leading from the root of ``before`` to (the first occurrence of) ``old``."""
        return path_to(self.before, self.old) or ()

    def __str__(self) -> str:
        label = f"{self.rule}, as before" if self.again else self.rule
        return f"= {show(self.after)}    [{label}]"


@attrs.frozen
class Explanation:
    """The derivation ``simplify`` takes: ``steps``, the ``result``, and why it stopped.

    ``stopped`` is "fixed point" (no rule applies), "cycle" or "step limit";
    ``note`` says more (which rules cycled; whether the node-safe rules were
    used to keep the expression from growing).
    """

    start: Expr
    steps: tuple[Step, ...]
    result: Expr
    stopped: str
    note: str = ""

    def __str__(self) -> str:
        lines = [f"  {show(self.start)}"]
        lines.extend(str(step) for step in self.steps)
        lines.append(f"({self.stopped}{': ' + self.note if self.note else ''})")
        return "\n".join(lines)


def path_to(root: Expr, target: Expr) -> tuple[str, ...] | None:
    """The field names from ``root`` down to the first occurrence of ``target`` (None if absent)."""
    seen: set[Expr] = set()
    stack: list[tuple[Expr, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if node in seen:
            continue
        seen.add(node)
        fields = [name for name in node._field_names if isinstance(getattr(node, name), Expr)]
        for name in reversed(fields):
            stack.append((getattr(node, name), (*path, name)))
    return None


def _phase(start: Expr, index: RuleIndex, max_steps: int | None) -> tuple[list[Step], Expr, str, str]:
    """One run of the engine, recorded."""
    events: list[tuple[Expr, Expr, bool]] = []
    stopped, note = "fixed point", "no rule applies"
    result: Expr | None
    try:
        result = _run(
            start,
            index,
            max_steps,
            on_step=lambda before, after: events.append((before, after, False)),
            on_reuse=lambda before, after: events.append((before, after, True)),
        )
    except RewriteStopped as stop:
        stopped = "cycle" if stop.reason == "cycle" else "step limit"
        note = str(stop)
        result = None
    states: list[Expr] = []
    if count_nodes(start) * len(events) <= _EAGER_WORK:
        events, states = _effective(start, events)
    replay = _Replay(start, events, result)
    replay.states.update(enumerate(states, start=1))
    steps = [
        Step(_name_of(index.which(before)), before, after, again, replay, k)
        for k, (before, after, again) in enumerate(events)
    ]
    return steps, replay.state(len(steps)), stopped, note


#: Up to this much work (nodes x steps), explain drops the steps that change nothing.
_EAGER_WORK = 5_000_000


def _effective(
    start: Expr, events: list[tuple[Expr, Expr, bool]]
) -> tuple[list[tuple[Expr, Expr, bool]], list[Expr]]:
    """The events that change the expression, and the states after each.

    A node rebuilt in two places is reported twice by the engine, but the
    first replacement already covered both occurrences.
    """
    kept, states = [], []
    state = start
    for event in events:
        changed = _replace(state, event[0], event[1])
        if changed is not state:
            kept.append(event)
            states.append(changed)
            state = changed
    return kept, states


def explain(
    expr: Expr, rules: Iterable[Rule] = DEFAULT_RULES, *, max_steps: int | None = None
) -> Explanation:
    """The steps ``simplify(expr, rules)`` takes; ``str()`` prints them as a chain of ``= ...`` lines.

    Where ``simplify`` raises RewriteLimitError, ``explain`` returns the steps
    up to that point and says so in ``stopped`` and ``note``.
    """
    table = _prepare(expr, rules, "explain")
    steps, result, stopped, note = _phase(expr, table.full, max_steps)
    if stopped != "fixed point" or table.all_safe or count_nodes(result) <= count_nodes(expr):
        return Explanation(expr, tuple(steps), result, stopped, note)
    grown = f"all rules would grow the expression from {count_nodes(expr)} to {count_nodes(result)} nodes"
    steps, safe, stopped, note = _phase(expr, table.safe, max_steps)
    note = f"{grown}; used the node-safe rules"
    more, again, stopped_again, _ = _phase(safe, table.full, max_steps)
    if stopped_again == "fixed point" and count_nodes(again) <= count_nodes(safe):
        return Explanation(expr, tuple(steps + more), again, "fixed point", note + ", then all rules")
    return Explanation(expr, tuple(steps), safe, stopped, note)
