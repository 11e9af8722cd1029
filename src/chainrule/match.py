"""Pattern matching: does a pattern fit an expression, and what do its variables stand for?

``match_node(pattern, expr, bindings)`` is a multiple-dispatch case on the
pair of types.  It either fails (returns ``None``) or returns the pairs of
(sub-pattern, sub-expression) that must match next; ``match`` drives those
pairs with an explicit stack, so a pattern of any depth matches without
recursion.  Because nodes are interned, a repeated variable's second
occurrence is checked by identity, in O(1).

New node types match structurally (same type, equal fields) with no
registration; register a more specific case to say otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from multipledispatch import Dispatcher

from .dispatch import NAMESPACE, resolve
from .nodes import Const, Expr
from .patterns import KINDS, PatternVar

__all__ = ["Bindings", "defaults_only", "match", "match_node", "quick_check"]

#: Pattern variable name -> the subexpression it matched.
Bindings = dict[str, Expr]

Pairs = Iterable[tuple[Expr, Expr]]
Case = Callable[[Expr, Expr, Bindings], "Pairs | None"]


class _CountingDispatcher(Dispatcher):  # type: ignore[misc]
    """A Dispatcher that counts registrations, so decisions cached from it know when they are stale."""

    generation = 0

    def add(self, signature: Any, func: Any) -> None:
        super().add(signature, func)
        self.generation += 1


match_node = NAMESPACE["match_node"] = _CountingDispatcher(
    "match_node",
    doc="match_node(pattern, expr, bindings) -> None on failure, else the (pattern, expr) pairs still to match",
)

_NOTHING: tuple[tuple[Expr, Expr], ...] = ()

# (pattern type, expr type) -> case, resolved through the dispatcher once per pair of types
# (and again after any registration).
_cases: dict[tuple[type, type], Case] = {}
_cases_generation = [0]


def _case(pattern_type: type, expr_type: type) -> Case:
    if _cases_generation[0] != match_node.generation:
        _cases.clear()
        _cases_generation[0] = match_node.generation
    case = _cases.get((pattern_type, expr_type))
    if case is None:
        case = _cases[(pattern_type, expr_type)] = resolve(match_node, pattern_type, expr_type)
    return case


def match(pattern: Expr, expr: Expr, bindings: Mapping[str, Expr] | None = None) -> Bindings | None:
    """The bindings that make ``pattern`` equal to ``expr`` (extending ``bindings``), or None."""
    found: Bindings = {} if bindings is None else dict(bindings)
    todo = [(pattern, expr)]
    pop, extend = todo.pop, todo.extend
    cases = _cases if _cases_generation[0] == match_node.generation else {}
    while todo:
        p, e = pop()
        case = cases.get((type(p), type(e))) or _case(type(p), type(e))
        more = case(p, e, found)
        if more is None:
            return None
        extend(more)
    return found


def _bind(pattern: PatternVar, expr: Expr, bindings: Bindings) -> Pairs | None:
    bound = bindings.get(pattern.name)
    if bound is not None:
        return _NOTHING if bound is expr else None
    if pattern.kind is not None and not pattern.accepts(expr):
        return None
    bindings[pattern.name] = expr
    return _NOTHING


def _same_number(pattern: Const, expr: Const, bindings: Bindings) -> Pairs | None:
    # By value: the pattern 0 matches 0, 0.0 and -0.0 alike.
    return _NOTHING if pattern.value == expr.value else None


def _structural(pattern: Expr, expr: Expr, bindings: Bindings) -> Pairs | None:
    if type(pattern) is not type(expr):
        return None
    kids = pattern._kids
    if len(kids) != len(pattern._field_names):
        # Some fields are plain data (names, numbers): those must be equal.
        for name in pattern._field_names:
            mine = getattr(pattern, name)
            if not isinstance(mine, Expr) and mine != getattr(expr, name):
                return None
    return zip(kids, expr._kids, strict=True)


match_node.add((PatternVar, Expr), _bind)
match_node.add((Const, Const), _same_number)
match_node.add((Expr, Expr), _structural)

_DEFAULT_GENERATION = match_node.generation


# ---------------------------------------------------------------------------------------------------
# A quick pre-check, so that most failing matches cost one or two comparisons.

Check = Callable[[Expr], bool]


def defaults_only() -> bool:
    """Whether only the default ``match_node`` cases are registered (the quick checks rely on them)."""
    return bool(match_node.generation == _DEFAULT_GENERATION)


def quick_check(pattern: Expr) -> Check | None:
    """A cheap test every expression ``pattern`` matches must pass, or None if there is nothing to test.

    It looks at the pattern's root type and its children and grandchildren
    (constants, node types, kinds, repeated variables), as the default
    ``match_node`` cases judge them.  Once any other case is registered, the
    test steps aside (always passes) and ``match`` alone decides.
    """
    if not defaults_only():
        return None
    head = type(pattern)
    cases = match_node
    if head is PatternVar:
        if pattern.kind is None:  # type: ignore[attr-defined]
            return None
        accepts = KINDS[pattern.kind]  # type: ignore[attr-defined]
        return lambda expr: accepts(expr) or cases.generation != _DEFAULT_GENERATION
    if head is Const:
        value = pattern.value  # type: ignore[attr-defined]
        return lambda expr: (
            (isinstance(expr, Const) and expr.value == value) or cases.generation != _DEFAULT_GENERATION
        )
    tests: list[Test] = []
    first_seen: dict[str, Get] = {}
    for i, kid in enumerate(pattern._kids):
        tests.extend(_kid_tests(_child(i), kid, first_seen))
    if not tests:

        def check_head(expr: Expr) -> bool:
            return type(expr) is head or cases.generation != _DEFAULT_GENERATION

        return check_head
    if len(tests) == 1:
        (only,) = tests

        def check_one(expr: Expr) -> bool:
            if type(expr) is not head:
                return cases.generation != _DEFAULT_GENERATION
            return only(expr._kids) or cases.generation != _DEFAULT_GENERATION

        return check_one

    def check(expr: Expr) -> bool:
        if type(expr) is not head:
            return cases.generation != _DEFAULT_GENERATION
        kids = expr._kids
        for test in tests:
            if not test(kids):
                return cases.generation != _DEFAULT_GENERATION
        return True

    return check


Get = Callable[[tuple[Expr, ...]], Expr]
Test = Callable[[tuple[Expr, ...]], bool]

#: How deep below the root the quick check looks.
QUICK_DEPTH = 2


def _child(i: int) -> Get:
    return lambda kids: kids[i]


def _grandchild(get: Get, j: int) -> Get:
    return lambda kids: get(kids)._kids[j]


def _kid_tests(get: Get, kid: Expr, first_seen: dict[str, Get], depth: int = 1) -> list[Test]:
    """Tests on the subexpression ``get(root's children)`` that the pattern ``kid`` must match."""
    kind = type(kid)
    if kind is PatternVar:
        name = kid.name  # type: ignore[attr-defined]
        if name in first_seen:
            other = first_seen[name]
            return [lambda kids: get(kids) is other(kids)]
        first_seen[name] = get
        if kid.kind is None:  # type: ignore[attr-defined]
            return []
        accepts = KINDS[kid.kind]  # type: ignore[attr-defined]
        return [lambda kids: accepts(get(kids))]
    if kind is Const:
        value = kid.value  # type: ignore[attr-defined]

        def same_number(kids: tuple[Expr, ...]) -> bool:
            found = get(kids)
            return isinstance(found, Const) and found.value == value

        return [same_number]
    if not kid._kids and len(kid._field_names) == 1:
        return [lambda kids: get(kids) is kid]  # a variable: interned, so equal means identical
    tests: list[Test] = [lambda kids: type(get(kids)) is kind]
    if depth < QUICK_DEPTH:
        for j, grandchild in enumerate(kid._kids):
            tests.extend(_kid_tests(_grandchild(get, j), grandchild, first_seen, depth + 1))
    return tests
