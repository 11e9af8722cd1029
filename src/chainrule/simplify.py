"""``simplify`` and ``explain``: the rule table's fixed point, as a composition of strategies.

``simplify(e, rules) = innermost(switch(type, RuleIndex(rules)), fuel)(e)``;
``explain`` runs the same strategy with each rule wrapped to record its rewrites.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import attrs
from toolz import frequencies, unique

from .evaluate import describe
from .nodes import Expr, children, rebuild
from .rules import DEFAULT_RULES, Rule, RuleTable, is_rules
from .show import show
from .strategies import RewriteStopped, StopReason, Strategy, check_fuel, innermost, tap
from .table import RuleIndex
from .traverse import count_nodes, fold

__all__ = ["Explanation", "Step", "explain", "simplify"]


def _rules(expr: Expr, rules: Iterable[Rule], who: str) -> tuple[Rule, ...]:
    if not isinstance(expr, Expr):
        raise TypeError(f"{who} expects an expression, got {type(expr).__name__}")
    if not is_rules(rules):
        raise TypeError(f"{who}: rules must be a sequence of Rule (e.g. DEFAULT_RULES + load_rules(path))")
    table = tuple(rules)
    for rule in table:
        if not isinstance(rule, Rule):
            raise TypeError(f"{who}: rules must be Rule objects, got {type(rule).__name__}")
    return table


def _index(expr: Expr, rules: Iterable[Rule], who: str) -> RuleIndex:
    """The table indexed by head type: kept on a RuleTable, and cached for the last few other tables."""
    if type(rules) is RuleTable and isinstance(expr, Expr):
        index: RuleIndex | None = rules.__dict__.get("index")
        if index is None:
            index = rules.__dict__["index"] = RuleIndex(_rules(expr, rules, who))  # checked once
        return index
    return _indexed(_rules(expr, rules, who))


_indexed = lru_cache(maxsize=32)(RuleIndex)


def simplify(expr: Expr, rules: Iterable[Rule] = DEFAULT_RULES, *, max_steps: int | None = None) -> Expr:
    """``expr`` rewritten to a fixed point of ``rules``: no rule of the table applies anywhere in it.

    RewriteLimitError, naming the rules, when they cycle or take more than ``max_steps`` rewrites
    (default: 10,000 plus 10 per node of ``expr``).
    """
    if max_steps is not None:
        check_fuel(max_steps, "simplify: max_steps")
    index = _index(expr, rules, "simplify")
    strategy = index.normalise if max_steps is None else innermost(index.rewrite, fuel=max_steps)
    try:
        return strategy(expr)
    except RewriteStopped:  # run again with the rules instrumented, to name the rules in the report
        _explain(expr, rules, max_steps, "simplify")
        raise AssertionError("explain stopped where simplify did not") from None  # pragma: no cover


class _Replay:
    """Whole-expression states of a derivation, each built when asked for from the nearest known one.

    Step k replaces one subexpression (everywhere it occurs) in the state before it.
    """

    def __init__(self, start: Expr, events: list[tuple[str, Expr, Expr, bool]], states: list[Expr]) -> None:
        """``states``: those known already, after each of the first steps."""
        self.events = events
        self.states: dict[int, Expr] = dict(enumerate([start, *states]))

    def steps(self) -> tuple[Step, ...]:
        return tuple(Step(n, old, new, again, self, k) for k, (n, old, new, again) in enumerate(self.events))

    def state(self, k: int) -> Expr:
        if k not in self.states:
            known = max(i for i in self.states if i < k)
            state = self.states[known]
            for _, old, new, _ in self.events[known:k]:
                state = _replace(state, old, new)
            self.states[k] = state
        return self.states[k]


def _replace(root: Expr, old: Expr, new: Expr) -> Expr:
    """``root`` with every occurrence of ``old`` replaced by ``new``."""
    return fold(root, lambda node, kids: new if node is old else rebuild(node, kids), {})


@attrs.frozen
class Step:
    """One rewrite: ``rule`` (its name) turned ``old`` into ``new`` wherever it occurs in ``before``.

    ``again`` is true when ``old`` is a node rewritten earlier (it
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
    """The derivation ``simplify`` takes: ``steps``, the ``result``, and why it ``stopped``.

    A RewriteLimitError's ``.explanation`` is partial: ``stopped`` CYCLE or STEP_LIMIT, ``note`` the message.
    """

    start: Expr
    steps: tuple[Step, ...]
    result: Expr
    stopped: StopReason = StopReason.FIXED_POINT
    note: str = "no rule applies"

    def __str__(self) -> str:
        stopped = f"({self.stopped}{': ' + self.note if self.note else ''})"
        return "\n".join([f"  {show(self.start)}", *map(str, self.steps), stopped])


def path_to(root: Expr, target: Expr) -> tuple[str, ...] | None:
    """The field names from ``root`` down to the first occurrence of ``target`` (None if absent)."""

    def visit(node: Expr, found: list[tuple[str, ...] | None]) -> tuple[str, ...] | None:
        if node is target:
            return ()
        names = [name for name in node._field_names if isinstance(getattr(node, name), Expr)]
        for name, path in zip(names, found, strict=True):
            if path is not None:
                return (name, *path)
        return None

    return fold(root, visit)


class _Recorder:
    """The rewrites of one run, recorded as they fire: (rule name, old, new, again)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Expr, Expr, bool]] = []
        self.fired: dict[Expr, str] = {}

    def wrap(self, rule: Rule) -> Strategy[Expr]:
        def record(old: Expr, new: Expr) -> None:
            self.events.append((rule.name, old, new, False))
            self.fired[old] = rule.name

        return tap(rule.rewrite, record)

    def reuse(self, old: Expr, new: Expr) -> None:
        """A subexpression rewritten before turned up again, and its normal form is used."""
        name = self.fired.get(old)
        if name is None:  # a rebuilt node: name the rule that made one of its children normal
            name = next((self.fired[kid] for kid in children(old) if kid in self.fired), "as before")
        self.events.append((name, old, new, True))


def explain(
    expr: Expr, rules: Iterable[Rule] = DEFAULT_RULES, *, max_steps: int | None = None
) -> Explanation:
    """The steps ``simplify(expr, rules)`` takes; ``str()`` prints them as a chain of ``= ...`` lines.

    Where ``simplify`` raises RewriteLimitError, so does ``explain``; the
    error's ``.explanation`` holds the steps up to that point.
    """
    return _explain(expr, rules, max_steps, "explain")


def _explain(expr: Expr, rules: Iterable[Rule], max_steps: int | None, who: str) -> Explanation:
    if max_steps is not None:
        check_fuel(max_steps, f"{who}: max_steps")
    recorder = _Recorder()
    index = RuleIndex(_rules(expr, rules, who), recorder.wrap)
    try:
        result = innermost(index.rewrite, fuel=max_steps, on_reuse=recorder.reuse)(expr)
    except RewriteStopped as stop:
        raise _named(stop, expr, recorder, who) from None
    events, states = recorder.events, list[Expr]()
    if len(events) * count_nodes(expr) <= _EAGER_WORK:
        events, states = _effective(expr, events)
    replay = _Replay(expr, events, states)
    replay.states.setdefault(len(events), result)
    return Explanation(expr, replay.steps(), result)


#: Up to this much work (steps x nodes), explain checks that every step changes the expression.
_EAGER_WORK = 2_000_000


def _effective(
    start: Expr, events: list[tuple[str, Expr, Expr, bool]]
) -> tuple[list[tuple[str, Expr, Expr, bool]], list[Expr]]:
    """The events that change the expression, and the states after each (the engine's bookkeeping of
    which reused normal forms reappeared is exact in the common cases, and this makes sure)."""
    kept, states = [], []
    state = start
    for event in events:
        changed = _replace(state, event[1], event[2])
        if changed is not state:
            kept.append(event)
            states.append(changed)
            state = changed
    return kept, states


def _named(stop: RewriteStopped, start: Expr, recorder: _Recorder, who: str) -> RewriteStopped:
    """The engine's report, with the rules that did it named, and the steps so far attached."""
    names = [recorder.fired.get(before, "?") for before, _ in stop.trail]
    if stop.reason is StopReason.CYCLE:
        shown = " -> ".join(names[:12]) + (" -> ..." if len(names) > 12 else "")
        at = f" (from {describe(stop.trail[0][0])})" if stop.trail else ""
        message = f"{who}: the rules cycle: {shown} leads back to an expression still being rewritten{at}"
    else:
        counts = sorted(frequencies(names).items(), key=lambda kv: -kv[1])
        busiest = ", ".join(f"{name} ({count}x)" for name, count in counts)
        message = f"{who}: {stop}; the last {len(names)} rewrites used {busiest}"
    error = RewriteStopped(message, stop.reason, stop.trail, tuple(unique(names)))
    steps = _Replay(start, recorder.events, []).steps()
    # ``result`` is the start: the last state costs a pass per step (read steps[-1].after for it).
    error.explanation = Explanation(start, steps, start, stop.reason, message)  # type: ignore[attr-defined]
    return error
