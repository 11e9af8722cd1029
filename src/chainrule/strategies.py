"""Rewrite strategies: small functions that combine rules into simplifiers, in the style of toolz.

A *rule* is any function from a value to a value.  One convention says
"nothing to do": a rule returns its argument itself (or a value equal to
it).  Every combinator here takes rules and returns a rule, so they nest:
``simplify`` is ``innermost(switch(type, table))`` with a table of
``do_one(*rules)`` per node type.  The combinators work on plain values
too:

>>> halve = lambda n: n // 2 if n % 2 == 0 else n
>>> fixpoint(halve)(40)
5
>>> do_one(lambda n: n, lambda n: n + 1)(1)
2

The traversals (``bottom_up``, ``top_down``, ``innermost``) walk an
expression with an explicit stack, visit each distinct node once, and treat
anything that is not an ``Expr`` as a leaf.  Bounded loops (``fixpoint``,
``innermost``) raise ``RewriteLimitError`` instead of running forever.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .errors import RewriteLimitError
from .nodes import _NODE_TYPES, Expr
from .traverse import count_nodes, postorder

__all__ = [
    "RewriteStopped",
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
    "top_down",
    "unchanged",
]

T = TypeVar("T")
#: A rule or strategy: value -> value, returning its argument itself when it has nothing to do.
Strategy = Callable[[T], T]

#: How many applications ``fixpoint`` allows by default before it gives up.
DEFAULT_FUEL = 10_000
#: ``innermost`` allows DEFAULT_FUEL plus this many rewrites per distinct node of its input by default.
FUEL_PER_NODE = 10


class RewriteStopped(RewriteLimitError):
    """A bounded rewrite gave up: ``reason`` is "cycle" or "fuel"; ``trail`` holds the (before, after)
    rewrites that cycled, or the most recent ones; ``rules`` names the rules behind them, when known."""

    def __init__(
        self,
        message: str,
        reason: str,
        trail: tuple[tuple[Any, Any], ...] = (),
        rules: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.trail = trail
        self.rules = rules


def unchanged(old: object, new: object) -> bool:
    """The one "no change" test: the rule returned its argument (or an equal value).

    >>> unchanged(3, 3), unchanged(3, 4)
    (True, False)
    """
    return new is old or new == old


def identity(x: T) -> T:
    """The rule that never changes anything.

    >>> identity(7)
    7
    """
    return x


def chain(*rules: Strategy[T]) -> Strategy[T]:
    """Apply every rule in turn, each to the previous one's result.

    >>> chain(lambda n: n + 1, lambda n: n * 10)(4)
    50
    """

    def chained(x: T) -> T:
        for rule in rules:
            x = rule(x)
        return x

    return chained


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
    """Apply the rule ``ruledict[key(x)]``; ``default`` when there is none.

    A dict subclass with ``__missing__`` may build entries on demand.

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
    """``rule``, calling ``callback(before, after)`` whenever it changes something.

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


def fixpoint(rule: Strategy[T], fuel: int = DEFAULT_FUEL) -> Strategy[T]:
    """Apply ``rule`` until nothing changes; RewriteLimitError after ``fuel`` changes.

    >>> fixpoint(lambda n: n - 1 if n > 0 else n)(5)
    0
    >>> fixpoint(lambda n: n + 1, fuel=3)(0)
    Traceback (most recent call last):
    chainrule.strategies.RewriteStopped: no fixed point after 3 rewrites (last: 2 -> 3)
    """

    def repeated(x: T) -> T:
        for _ in range(fuel):
            new = rule(x)
            if new is x or new == x:
                return x
            last, x = (x, new), new
        if unchanged(x, rule(x)):
            return x
        raise RewriteStopped(
            f"no fixed point after {fuel} rewrites (last: {last[0]!r:.80} -> {last[1]!r:.80})",
            "fuel",
            (last,),
        )

    return repeated


#: ``exhaust`` is sympy's name for ``fixpoint``.
exhaust = fixpoint


def rebuild(node: Expr, kids: list[Expr] | tuple[Expr, ...]) -> Expr:
    """``node`` with its child expressions replaced by ``kids`` (the node itself if they are the same)."""
    old = node._kids
    if len(kids) != len(old):
        raise ValueError(f"{type(node).__name__} has {len(old)} children, got {len(kids)}")
    for a, b in zip(old, kids, strict=True):
        if a is not b:
            break
    else:
        return node
    cls = type(node)
    if cls._plain_children:
        for kid in kids:
            if type(kid) not in _NODE_TYPES:  # a user's rule gave a number: cls converts it (or rejects)
                return cls(*kids)
        return cls(*kids)
    given = iter(kids)
    fields = {
        name: next(given) if isinstance(value, Expr) else value
        for name in cls._field_names
        for value in (getattr(node, name),)
    }
    return cls(**fields)


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
        memo: dict[Expr, Expr] = {}
        stack = [root]
        while stack:
            node = stack[-1]
            if node in memo:
                stack.pop()
                continue
            waiting = [kid for kid in reversed(node._kids) if kid not in memo]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            memo[node] = rule(rebuild(node, [memo[kid] for kid in node._kids]))
        return memo[root]

    return walk


def top_down(rule: Strategy[Any]) -> Strategy[Any]:
    """One pass: rewrite a node, then the children of what it became.

    >>> from chainrule import parse, show
    >>> double_neg = lambda e: e.y.y if show(e).startswith("(-1 * (-1 *") else e
    >>> show(top_down(double_neg)(parse("-(-x) + -(-(-(-y)))")))
    '(x + (-1 * (-1 * y)))'
    """

    def walk(root: Any) -> Any:
        if not isinstance(root, Expr):
            return rule(root)
        done: dict[Expr, Expr] = {}
        rewritten: dict[Expr, Expr] = {}
        stack = [root]
        while stack:
            node = stack[-1]
            if node in done:
                stack.pop()
                continue
            if node not in rewritten:
                rewritten[node] = rule(node)
                # A node's result may contain the node itself again: leave those occurrences as they are.
                stack.extend(
                    kid for kid in reversed(rewritten[node]._kids) if kid not in done and kid not in rewritten
                )
                continue
            stack.pop()
            new = rewritten[node]
            done[node] = rebuild(new, [done.get(kid, kid) for kid in new._kids])
        return done[root]

    return walk


def innermost(
    rule: Strategy[Any],
    *,
    fuel: int | None = None,
    on_step: Callable[[Any, Any], object] | None = None,
    on_reuse: Callable[[Any, Any], object] | None = None,
) -> Strategy[Any]:
    """Rewrite to a normal form: every node's children first, then the node until ``rule`` leaves it.

    The result is what ``fixpoint(bottom_up(fixpoint(rule)))`` computes, but
    each distinct node (of the input, and of every rewrite's result) is
    normalised once and remembered, so a shared subexpression costs one
    normalisation and a rewrite's unchanged parts cost nothing.  ``fuel``
    bounds the number of rewrites (default: 10,000 plus 10 per input
    node); a rewrite that leads back to an expression still being
    normalised is a cycle.  Both raise ``RewriteStopped`` (a
    ``RewriteLimitError``) at once.  ``on_step(before, after)`` is called
    for every rewrite ``rule`` makes; ``on_reuse(before, after)`` when a
    node a rewrite created is one normalised before, and is replaced by
    that normal form without asking ``rule`` again (``explain`` shows both).

    >>> from chainrule import parse, show
    >>> x_plus_0 = lambda e: e.x if type(e).__name__ == "Sum" and e.y == parse("0") else e
    >>> show(innermost(x_plus_0)(parse("((x + 0) + 0) * (x + 0)")))
    '(x * x)'
    """

    def normalise(root: Any) -> Any:
        if not isinstance(root, Expr):
            return fixpoint(rule, DEFAULT_FUEL if fuel is None else fuel)(root)
        return _normalise(root, rule, fuel, on_step, on_reuse)

    return normalise


def _normalise(
    root: Expr,
    rule: Strategy[Any],
    fuel: int | None,
    on_step: Callable[[Any, Any], object] | None,
    on_reuse: Callable[[Any, Any], object] | None,
) -> Expr:
    # memo: node -> its normal form; every normal form maps to itself.
    memo: dict[Expr, Expr] = {}
    # Nodes whose normal form is being computed as the normal form of another node (an "alias"),
    # with the number of rewrites made before: the open chain, for cycle detection and reports.
    active: dict[Expr, int] = {}
    # The work stack holds nodes to normalise, and (node, target) pairs: "node's normal form is target's".
    stack: list[Any] = [root]
    push, pop = stack.append, stack.pop
    steps = 0
    # Without a given fuel, the size-dependent part is counted only if the first DEFAULT_FUEL run out.
    budget = DEFAULT_FUEL if fuel is None else fuel
    recent: deque[tuple[int, Expr, Expr]] = deque(maxlen=_REMEMBERED)
    original: set[Expr] = set(postorder(root)) if on_reuse is not None else set()
    while stack:
        item = stack[-1]
        if type(item) is tuple:
            pop()
            node, target = item
            memo[node] = memo[target]
            del active[node]
            continue
        node = item
        if node in memo:
            pop()
            continue
        if node in active:
            raise _cycle(node, active[node], recent)
        kids = node._kids
        # Children not normalised yet go on the stack, the leftmost on top (derivations read left
        # to right); otherwise ``normal`` is their normal forms, or None if they are all normal.
        normal: list[Expr] | None = None
        if len(kids) == 2:  # the common case, without loops
            a, b = kids
            normal_a, normal_b = memo.get(a), memo.get(b)
            # A leaf the rule leaves alone (most are) is normal at once, without a turn on the stack.
            if normal_a is None and not a._kids and rule(a) is a:
                memo[a] = normal_a = a
            if normal_b is None and not b._kids and rule(b) is b:
                memo[b] = normal_b = b
            if normal_a is None or normal_b is None:
                if normal_b is None:
                    push(b)
                if normal_a is None:
                    push(a)
                continue
            if normal_a is not a or normal_b is not b:
                normal = [normal_a, normal_b]
        elif kids:
            waiting = False
            for kid in reversed(kids):
                if kid not in memo:
                    push(kid)
                    waiting = True
            if waiting:
                continue
            if any(memo[kid] is not kid for kid in kids):
                normal = [memo[kid] for kid in kids]
        pop()
        if normal is not None:
            if on_reuse is not None and node not in original:
                for stale in dict.fromkeys(k for k in kids if memo[k] is not k):
                    on_reuse(stale, memo[stale])
            rebuilt = rebuild(node, normal)
            # The same node with normal children: normalise that instead.
            found = memo.get(rebuilt)
            if found is not None:
                if on_reuse is not None and found is not rebuilt:
                    on_reuse(rebuilt, found)
                memo[node] = found
            else:
                active[node] = steps
                push((node, rebuilt))
                push(rebuilt)
        else:
            new = rule(node)
            if new is node or new == node:
                memo[node] = node
                continue
            steps += 1
            recent.append((steps, node, new))
            if on_step is not None:
                on_step(node, new)
            if steps > budget:
                if fuel is None and budget == DEFAULT_FUEL:
                    budget += FUEL_PER_NODE * count_nodes(root)
                if steps > budget:
                    raise _out_of_fuel(budget, recent)
            found = memo.get(new)
            if found is not None:
                if on_reuse is not None and found is not new:
                    on_reuse(new, found)
                memo[node] = found
            else:
                active[node] = steps - 1
                push((node, new))
                push(new)
    return memo[root]


#: How many recent rewrites ``innermost`` keeps for its reports.
_REMEMBERED = 256


def _cycle(node: Expr, since: int, recent: deque[tuple[int, Expr, Expr]]) -> RewriteStopped:
    trail = tuple((before, after) for number, before, after in recent if number > since)
    return RewriteStopped(
        f"the rules cycle: {len(trail)} rewrites lead back to an expression still being rewritten",
        "cycle",
        trail,
    )


def _out_of_fuel(budget: int, recent: deque[tuple[int, Expr, Expr]]) -> RewriteStopped:
    trail = tuple((before, after) for _, before, after in list(recent)[-64:])
    return RewriteStopped(f"no fixed point after {budget} rewrites", "fuel", trail)
