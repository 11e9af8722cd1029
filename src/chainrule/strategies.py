"""Rewrite strategies: small functions that combine rules into simplifiers, in the style of toolz.

A *rule* is any function from a value to a value that returns its argument
itself (or an equal value) when it has nothing to do.  Every combinator
takes rules and returns a rule, so they nest (``simplify`` is
``innermost(switch(type, table))``), and they work on plain values too:

>>> halve = lambda n: n // 2 if n % 2 == 0 else n
>>> fixpoint(halve)(40)
5
>>> do_one(lambda n: n, lambda n: n + 1)(1)
2
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from toolz import compose_left

from .errors import RewriteLimitError
from .nodes import Expr, as_expr, children, rebuild
from .traverse import count_nodes, fold, fold_cases, postorder

__all__ = [
    "RewriteStopped",
    "StopReason",
    "Strategy",
    "bottom_up",
    "chain",
    "condition",
    "do_one",
    "exhaust",
    "fixpoint",
    "identity",
    "innermost",
    "rebuild",
    "switch",
    "tap",
]

T = TypeVar("T")
#: A rule or strategy: value -> value, returning its argument itself when it has nothing to do.
Strategy = Callable[[T], T]

#: How many applications ``fixpoint`` allows by default before it gives up.
DEFAULT_FUEL = 10_000
#: ``innermost`` allows DEFAULT_FUEL plus this many rewrites per distinct node of its input by default.
FUEL_PER_NODE = 10


class StopReason(enum.StrEnum):
    """Why a bounded rewrite stopped (egg's ``StopReason``): the one vocabulary every report uses."""

    FIXED_POINT = "fixed point"
    CYCLE = "cycle"
    STEP_LIMIT = "step limit"


class RewriteStopped(RewriteLimitError):
    """A bounded rewrite gave up: ``reason`` is StopReason.CYCLE or STEP_LIMIT; ``trail`` holds the
    (before, after) rewrites that cycled, or the most recent ones; ``rules`` names the rules behind
    them, when known."""

    def __init__(
        self,
        message: str,
        reason: StopReason,
        trail: tuple[tuple[Any, Any], ...] = (),
        rules: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.trail = trail
        self.rules = rules


def identity(x: T) -> T:
    """The rule that never changes anything.

    >>> identity(7)
    7
    """
    return x


def chain(*rules: Strategy[T]) -> Strategy[T]:
    """Apply every rule in turn, each to the previous one's result (toolz's ``compose_left``).

    >>> chain(lambda n: n + 1, lambda n: n * 10)(4)
    50
    """
    return compose_left(*rules) if rules else identity


def do_one(*rules: Strategy[T]) -> Strategy[T]:
    """Apply the first rule that changes the value, and only that one.

    >>> do_one(lambda n: n, lambda n: -n, lambda n: n * 100)(5)
    -5
    """

    def first(x: T) -> T:
        for rule in rules:
            new = rule(x)
            if new is not x and new != x:
                return new
        return x

    return first


def condition(predicate: Callable[[T], bool], rule: Strategy[T]) -> Strategy[T]:
    """Apply ``rule`` only where ``predicate`` holds.

    >>> condition(lambda n: n > 0, lambda n: n - 1)(0)
    0
    """

    def guarded(x: T) -> T:
        return rule(x) if predicate(x) else x

    return guarded


def switch(
    key: Callable[[T], Any], ruledict: Mapping[Any, Strategy[T]], default: Strategy[T] = identity
) -> Strategy[T]:
    """Apply the rule ``ruledict[key(x)]`` (which may build it with ``__missing__``); else ``default``.

    >>> switch(lambda n: n % 2, {0: lambda n: n // 2, 1: lambda n: 3 * n + 1})(7)
    22
    """

    def switched(x: T) -> T:
        try:
            rule = ruledict[key(x)]
        except KeyError:
            return default(x)
        return rule(x)

    return switched


def tap(rule: Strategy[T], callback: Callable[[T, T], object]) -> Strategy[T]:
    """``rule``, calling ``callback(before, after)`` whenever it changes something (instrumentation).

    >>> seen = []
    >>> tap(lambda n: n + 1, lambda a, b: seen.append((a, b)))(1), seen
    (2, [(1, 2)])
    """

    def tapped(x: T) -> T:
        new = rule(x)
        if new is not x and new != x:
            callback(x, new)
        return new

    return tapped


def check_fuel(fuel: int, name: str = "fuel") -> None:
    """Refuse a negative budget up front: no number of rewrites can honour it."""
    if fuel < 0:
        raise ValueError(f"{name} must be at least 0, got {fuel}")


def fixpoint(rule: Strategy[T], fuel: int = DEFAULT_FUEL) -> Strategy[T]:
    """Apply ``rule`` until nothing changes; RewriteStopped (step limit) after ``fuel`` changes.

    >>> fixpoint(lambda n: n - 1 if n > 0 else n)(5)
    0
    >>> fixpoint(lambda n: n + 1, fuel=3)(0)
    Traceback (most recent call last):
    chainrule.strategies.RewriteStopped: no fixed point after 3 rewrites
    """

    check_fuel(fuel)

    def repeated(x: T) -> T:
        for _ in range(fuel + 1):  # fuel changes, then the test that the last made the fixed point
            new = rule(x)
            if new is x or new == x:
                return x
            last, x = (x, new), new
        # The message names no value: a value's repr may be as large as the rewrites made it.
        raise RewriteStopped(f"no fixed point after {fuel} rewrites", StopReason.STEP_LIMIT, (last,))

    return repeated


#: ``exhaust`` is sympy's name for ``fixpoint``.
exhaust = fixpoint


def bottom_up(rule: Strategy[Any]) -> Strategy[Any]:
    """One pass: rewrite every distinct node once, children before parents.

    >>> from chainrule import parse, show
    >>> zero_plus = lambda e: e.y if type(e).__name__ == "Sum" and e.x == parse("0") else e
    >>> show(bottom_up(zero_plus)(parse("0 + (0 + x)")))
    'x'
    """

    def walk(root: Any) -> Any:
        if not isinstance(root, Expr):
            return rule(root)
        return fold(root, lambda node, kids: rule(rebuild(node, kids)))

    return walk


def innermost(
    rule: Strategy[Any],
    *,
    fuel: int | None = None,
    on_reuse: Callable[[Any, Any], object] | None = None,
) -> Strategy[Any]:
    """Rewrite to a normal form: every node's children first, then the node until ``rule`` leaves it.

    ``fixpoint(bottom_up(fixpoint(rule)))``, but each distinct node is
    normalised once and remembered.  ``fuel`` bounds the rewrites (default:
    10,000 plus 10 per input node); it and a cycle raise ``RewriteStopped``.
    ``on_reuse(before, after)`` hears of a normal form found before and
    reused without asking ``rule`` (``explain`` shows those).

    >>> from chainrule import parse, show
    >>> x_plus_0 = lambda e: e.x if type(e).__name__ == "Sum" and e.y == parse("0") else e
    >>> show(innermost(x_plus_0)(parse("((x + 0) + 0) * (x + 0)")))
    '(x * x)'
    """

    if fuel is not None:
        check_fuel(fuel)

    def normalise(root: Any) -> Any:
        if not isinstance(root, Expr):
            return fixpoint(rule, DEFAULT_FUEL if fuel is None else fuel)(root)
        return _Normaliser(rule, fuel, on_reuse, root).run()

    return normalise


#: How deeply normalising a rewrite's result may nest inside normalising another's; a cascade
#: deeper than this is left for the next pass over the expression (so the walk never recurses far).
_MAX_NESTING = 64
#: How many recent rewrites ``innermost`` keeps for its reports.
_REMEMBERED = 256
#: Stands for the bookkeeping only ``explain`` needs (never written to without ``on_reuse``).
_UNUSED: Any = {}


class _Normaliser:
    """The state of one ``innermost`` run: ``fold`` passes until no pass leaves work behind.

    A rewrite's result not yet normal gets a nested fold sharing the memo;
    past ``_MAX_NESTING`` it is left, ``dirty``, for the next pass.
    """

    __slots__ = (
        "rule", "fuel", "root", "budget", "steps", "normal", "memo", "active", "recent", "nesting", "dirty",
        "on_reuse", "original", "clock", "known_at", "replaced_at", "fold_started",
    )  # fmt: skip

    def __init__(
        self, rule: Strategy[Any], fuel: int | None, on_reuse: Callable[[Any, Any], object] | None, root: Expr
    ) -> None:
        self.rule = rule
        self.fuel = fuel
        self.root = root
        self.budget = DEFAULT_FUEL if fuel is None else fuel
        self.steps = 0
        self.normal: set[Expr] = set()
        self.memo: dict[Expr, Expr] = {}
        # Nodes whose normal form is being computed, with the number of rewrites made before.
        self.active: dict[Expr, int] = {}
        self.recent: deque[tuple[int, Expr, Expr]] = deque(maxlen=_REMEMBERED)
        self.nesting = 0
        self.dirty = False
        self.on_reuse = on_reuse
        # For explain: ``clock`` counts the steps reported; when each normal form became known; when
        # the running nested fold started (a node it visits was created by the rewrite that began it).
        self.clock = self.fold_started = 0
        self.original: set[Expr] = _UNUSED
        self.known_at: dict[Expr, int] = _UNUSED
        self.replaced_at: dict[Expr, int] = _UNUSED
        if on_reuse is not None:
            self.original, self.known_at, self.replaced_at = set(postorder(root)), {}, {}

    def run(self) -> Expr:
        result = self.root
        while True:
            self.dirty = False
            result = fold_cases(result, lambda kind: self.visit, self.memo)
            if not self.dirty:
                return result
            self.memo = {node: node for node in self.normal}

    def visit(self, node: Expr, *kids: Expr) -> Expr:
        if not kids or kids == node._kids:
            current = node
        else:
            kind: Any = type(node)
            current = kind._make(*kids) if kind._plain_children else rebuild(node, kids)
            found = self._known_form(node, kids, current)
            if found is not None:
                return found
        if current in self.active:
            raise self._cycle(current)
        new = self.rule(current)
        if new is not current and new != current:
            result = self._rewritten(current, new)
            if self.on_reuse is not None:
                self.known_at[node] = self.clock
            return result
        # The common case: the node is normal (if its children are).
        normal = self.normal
        if normal.issuperset(kids):
            normal.add(current)
        else:
            self.dirty = True
        if current is not node:
            self.memo[current] = current
        if self.on_reuse is not None:
            self.known_at[current] = self.known_at[node] = self._changed_at(node, kids)
        return current

    def _known_form(self, node: Expr, kids: tuple[Expr, ...], current: Expr) -> Expr | None:
        """The normal form of ``current`` (``node`` rebuilt with normal children), if known already;
        ``explain`` hears of it where it reappeared in the expression."""
        on_reuse = self.on_reuse
        if on_reuse is not None and node not in self.original:
            self._report_stale(node, kids)
        found = current if current in self.normal else self.memo.get(current)
        if found is not None and on_reuse is not None:
            changed = self._changed_at(node, kids)
            last = self.replaced_at.get(current, -1)
            if found is not current and changed >= last:
                self._reuse(current, found)
                last = self.clock
            self.known_at[node] = max(changed, last)
        return found

    def _rewritten(self, current: Expr, new: Any) -> Expr:
        """Normalise ``new``, what the rule made of ``current``: here, or in a nested fold."""
        normal = self.normal
        chain: list[Expr] = []
        try:
            while True:
                if not isinstance(new, Expr):
                    new = as_expr(new)  # a user's rule may return a number
                self._count(current, new)
                self.active[current] = self.steps - 1
                chain.append(current)
                if new in normal:  # the common case: 0 * x became the 0 seen already
                    return self._known(chain, new)
                found = self.memo.get(new)
                if found is not None:
                    self._reuse(new, found)
                    return self._known(chain, found)
                if new in self.active:
                    raise self._cycle(new)
                if not normal.issuperset(new._kids):
                    break
                current = new  # its children are normal: rewrite again right here
                new = self.rule(current)
                if new is current or new == current:
                    normal.add(current)
                    return self._known(chain, current)
            if self.nesting >= _MAX_NESTING:
                self.dirty = True
                return self._known(chain, new)
            self.nesting += 1
            started, self.fold_started = self.fold_started, self.clock
            try:
                result = fold_cases(new, lambda kind: self.visit, self.memo)
            finally:
                self.nesting -= 1
                self.fold_started = started
            return self._known(chain, result)
        finally:
            for done in chain:
                del self.active[done]

    def _known(self, chain: list[Expr], result: Expr) -> Expr:
        memo = self.memo
        for node in chain:
            memo[node] = result
        memo[result] = result
        if self.on_reuse is not None:
            self.known_at[result] = self.clock
            for node in chain:
                self.known_at[node] = self.clock
        return result

    def _count(self, before: Expr, after: Expr) -> None:
        self.steps += 1
        if self.on_reuse is not None:
            self.clock += 1
            self.replaced_at[before] = self.clock
        self.recent.append((self.steps, before, after))
        if self.steps > self.budget:
            if self.fuel is None and self.budget == DEFAULT_FUEL:
                # Without a given fuel, the size-dependent part is counted only once the first runs out.
                self.budget += FUEL_PER_NODE * count_nodes(self.root)
            if self.steps > self.budget:
                trail = tuple((b, a) for _, b, a in list(self.recent)[-64:])
                raise RewriteStopped(
                    f"no fixed point after {self.budget} rewrites", StopReason.STEP_LIMIT, trail
                )

    def _reuse(self, before: Expr, after: Expr) -> None:
        if self.on_reuse is not None and after is not before:
            self.clock += 1
            self.replaced_at[before] = self.clock
            self.on_reuse(before, after)

    def _changed_at(self, node: Expr, kids: tuple[Expr, ...]) -> int:
        """When ``node`` took its current form in the derivation's expression: when the last of its
        children that changed did (``known_at``: when each node last changed there)."""
        known_at = self.known_at
        return max(
            (known_at.get(kid, 0) for kid, new in zip(children(node), kids, strict=True) if kid is not new),
            default=0,
        )

    def _report_stale(self, node: Expr, kids: tuple[Expr, ...]) -> None:
        """A node a rewrite created has children whose normal forms were known before it existed."""
        for kid, result in zip(children(node), kids, strict=True):
            if kid is not result and self.known_at.get(kid, self.fold_started) < self.fold_started:
                self.known_at[kid] = self.fold_started  # reported once for this rewrite
                self._reuse(kid, result)

    def _cycle(self, node: Expr) -> RewriteStopped:
        since = self.active[node]
        trail = tuple((before, after) for number, before, after in self.recent if number > since)
        return RewriteStopped(
            f"the rules cycle: {len(trail)} rewrites lead back to an expression still being rewritten",
            StopReason.CYCLE,
            trail,
        )
