"""The rule table as the engine uses it: rules indexed by the node type their left side's root has.

``RuleIndex`` maps a node type to one strategy that tries, in table
order, the rules whose left side can match a node of that type (the
``do_one`` of them).  For the library's node types it narrows the choice
further by the node's children: their types, and whether a child is one
of the constants the patterns name at that place (``0``, ``1``, ...).  A
``Mul`` whose children are a ``TanH`` and a ``Sub`` is then tried against
no rule at all, instead of failing a dozen matches.  Entries are built the
first time a node type (or children's shape) is seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .match import defaults_only, match_node
from .nodes import Const, Expr, Var
from .patterns import PatternVar
from .rulecode import compiled
from .rules import Rule
from .strategies import Strategy, do_one, identity

__all__ = ["RuleIndex"]

# A child's shape: its type, and the pattern constant it equals (None if it equals none).
Shape = tuple[Any, ...]


class RuleIndex(dict[type, Strategy[Expr]]):
    """Node type -> the strategy trying the rules that can rewrite a node of that type."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        super().__init__()
        self.rules = tuple(rules)

    def candidates(self, kind: type) -> list[Rule]:
        """The rules whose left side's root can match a node of type ``kind``, in table order."""
        return [r for r in self.rules if r.head is None or issubclass(kind, r.head)]

    def __missing__(self, kind: type) -> Strategy[Expr]:
        found = self.candidates(kind)
        entry: Strategy[Expr]
        if not found:
            entry = identity
        elif issubclass(kind, Expr) and kind._plain_children and defaults_only():
            entry = _ByChildren(found, len(kind._field_names))
        else:
            entry = do_one(*(rule.rewriter() for rule in found))
        self[kind] = entry
        return entry

    def rewrite(self, node: Expr) -> Expr:
        """``switch(type, self)`` as one call: the strategy for the node's type, applied to it."""
        return self[type(node)](node)

    def which(self, before: Expr) -> Rule | None:
        """The rule that rewrites ``before`` (the first that applies, as the engine chooses)."""
        for rule in self.candidates(type(before)):
            if rule(before) is not before:
                return rule
        return None


class _ByChildren:
    """``do_one`` over the rules that fit the shape of a node's children, chosen per shape and cached."""

    def __init__(self, rules: list[Rule], arity: int) -> None:
        self.rules = rules
        self.arity = arity
        # For each child position, the constants patterns name there (value -> that pattern's value).
        self.constants: list[dict[Any, Any]] = [{} for _ in range(arity)]
        for rule in rules:
            if rule.head is None:
                continue
            for position, kid in enumerate(rule.lhs._kids):
                if type(kid) is Const:
                    self.constants[position].setdefault(kid.value, kid.value)
        self.by_shape: dict[Shape, Strategy[Expr]] = {}
        # The same entries, for children without constants, keyed by the children's types alone.
        self.by_types: dict[Any, Strategy[Expr]] = {}
        self.everything = do_one(*(rule.rewriter() for rule in rules))
        self.generation = match_node.generation

    def shape(self, expr: Expr) -> Shape:
        """Each child's type and the pattern constant it equals (``__call__`` inlines two children)."""
        parts: list[Any] = []
        for kid, named in zip(expr._kids, self.constants, strict=True):
            parts.append(type(kid))
            parts.append(named.get(kid.value) if isinstance(kid, Const) else None)
        return tuple(parts)

    def __call__(self, expr: Expr) -> Expr:
        if match_node.generation != self.generation:  # a matching case was registered: let match judge
            return self.everything(expr)
        kids = expr._kids
        if len(kids) == 2:  # this runs for every node simplify visits: the common arities inline
            a, b = kids
            a_const, b_const = isinstance(a, Const), isinstance(b, Const)
            if not (a_const or b_const):  # no constant among the children: their types are the shape
                entry = self.by_types.get((type(a), type(b)))
                if entry is not None:
                    return entry(expr)
            first, second = self.constants
            key: Shape = (
                type(a),
                first.get(a.value) if a_const else None,  # type: ignore[attr-defined]
                type(b),
                second.get(b.value) if b_const else None,  # type: ignore[attr-defined]
            )
        else:
            if len(kids) == 1:
                entry = self.by_types.get(type(kids[0]))
                if entry is not None:
                    return entry(expr)
            key = self.shape(expr)
        entry = self.by_shape.get(key)
        if entry is None:
            fitting = tuple(rule for rule in self.rules if _fits(rule, key))
            entry = self.by_shape[key] = _first_of(fitting)
            if len(kids) in (1, 2) and not any(issubclass(kind, Const) for kind in key[::2]):
                self.by_types[key[0] if len(kids) == 1 else (key[0], key[2])] = entry
        return entry(expr)


def _first_of(rules: tuple[Rule, ...]) -> Strategy[Expr]:
    """``do_one`` of the rules' rewrites: one compiled function where the rules allow it."""
    if not rules:
        return identity
    fast = compiled(*rules)
    if fast is not None:
        return fast
    return do_one(*(compiled(rule) or rule.rewriter() for rule in rules))


def _fits(rule: Rule, shape: Shape) -> bool:
    """Whether a node whose children have ``shape`` could match ``rule`` (never False if it could)."""
    if rule.head is None:
        return True
    for position, pattern in enumerate(rule.lhs._kids):
        kind, constant = shape[2 * position], shape[2 * position + 1]
        pattern_type = type(pattern)
        if pattern_type is PatternVar:
            restriction = pattern.kind  # type: ignore[attr-defined]
            if restriction == "const" and not issubclass(kind, Const):
                return False
            if restriction == "nonconst" and issubclass(kind, Const):
                return False
            if restriction == "var" and not issubclass(kind, Var):
                return False
        elif pattern_type is Const:
            if not issubclass(kind, Const) or constant is None or constant != pattern.value:  # type: ignore[attr-defined]
                return False
        elif kind is not pattern_type:
            return False
    return True
