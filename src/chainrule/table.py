"""The rule table as the engine uses it: rules indexed by the shape of the node they can rewrite.

A ``Mul`` of a ``TanH`` and a ``Sub`` is tried against the two or three
rules that could match it, not the dozen whose root is a ``Mul``; where
rules name a constant child (``0 * ?x``), the entry narrows by its value,
so many one-shot rules cost a dictionary lookup per node, not a scan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from toolz import groupby

from .match import constant_of
from .nodes import Const, Expr, children
from .rules import Rule
from .strategies import Strategy, do_one, innermost

__all__ = ["RuleIndex"]

#: A node's type followed by its children's types.
Shape = tuple[type, ...]
Wrap = Callable[[Rule], Strategy[Expr]]


def _first_of(rules: Sequence[Rule], wrap: Wrap | None) -> Strategy[Expr]:
    rewrites = [rule.rewrite if wrap is None else wrap(rule) for rule in rules]
    return rewrites[0] if len(rewrites) == 1 else do_one(*rewrites)


class RuleIndex(dict[Shape, Strategy[Expr]]):
    """Shape -> the strategy trying the rules that can rewrite a node of that shape.

    ``wrap`` turns each rule into the function the strategy calls (``explain``
    passes one that records the rule as it fires).
    """

    def __init__(self, rules: Sequence[Rule], wrap: Wrap | None = None) -> None:
        super().__init__()
        self.rules = tuple(rules)
        self.wrap = wrap
        #: ``simplify``'s strategy for this table (with the default fuel), made once.
        self.normalise: Strategy[Expr] = innermost(self.rewrite)

    def fitting(self, shape: Shape) -> list[Rule]:
        """The rules that can match a node of this shape, in table order."""
        kind, kids = shape[0], shape[1:]
        return [
            rule
            for rule in self.rules
            if rule.head is None
            or (
                issubclass(kind, rule.head)
                and len(rule.child_types) == len(kids)
                and all(test(kid) for test, kid in zip(rule.child_types, kids, strict=True))
            )
        ]

    def __missing__(self, shape: Shape) -> Strategy[Expr]:
        fitting = self.fitting(shape)
        places = [
            i
            for i, kind in enumerate(shape[1:])
            if issubclass(kind, Const) and any(_named(rule, i) is not None for rule in fitting)
        ]
        self[shape] = _ByValue(fitting, places, self.wrap) if places else _first_of(fitting, self.wrap)
        return self[shape]

    def rewrite(self, node: Expr) -> Expr:
        """``switch(shape, self)`` as one call: the strategy for the node's shape, applied to it."""
        kids = node._kids
        if len(kids) == 2:  # the common shapes without map's iterator: every node comes here (W4 10 %)
            return self[(type(node), type(kids[0]), type(kids[1]))](node)
        if len(kids) == 1:
            return self[(type(node), type(kids[0]))](node)
        return self[(type(node), *map(type, kids))](node)


def _named(rule: Rule, place: int) -> object:
    """The constant the rule's left side requires at child ``place`` (None if none)."""
    return constant_of(children(rule.lhs)[place]) if rule.head is not None else None


class _ByValue(dict[tuple[object, ...], Strategy[Expr]]):
    """For one shape: the values of the constant children at ``places`` -> ``do_one`` of the rules
    whose left side accepts them (a rule naming a constant there needs that very value)."""

    def __init__(self, rules: list[Rule], places: list[int], wrap: Wrap | None) -> None:
        super().__init__()
        self.rules, self.places, self.wrap = rules, places, wrap
        # Per place: value -> positions (in ``rules``) of the rules naming it; and those naming none.
        self.naming: list[dict[object, set[int]]] = []
        self.free: list[set[int]] = []
        for place in places:
            named = [_named(rule, place) for rule in rules]
            groups = groupby(named.__getitem__, range(len(rules)))
            self.free.append(set(groups.pop(None, ())))
            self.naming.append({value: set(positions) for value, positions in groups.items()})

    def __missing__(self, values: tuple[object, ...]) -> Strategy[Expr]:
        chosen = set.intersection(
            *(
                free if value is None else free | naming[value]
                for value, naming, free in zip(values, self.naming, self.free, strict=True)
            )
        )
        self[values] = _first_of([self.rules[i] for i in sorted(chosen)], self.wrap)
        return self[values]

    def __call__(self, node: Expr) -> Expr:
        kids = node._kids
        # A value no rule names is None: entries stay as few as the named values, whatever the input.
        if len(self.places) == 1:  # the common case, without a loop (pays 10 % W1)
            value = kids[self.places[0]].value  # type: ignore[attr-defined]
            return self[(value if value in self.naming[0] else None,)](node)
        if len(self.places) == 2:  # Mul(Const, Const) and the like: this unrolling pays 6-8% on W1
            first, second = self.naming
            a, b = kids[self.places[0]].value, kids[self.places[1]].value  # type: ignore[attr-defined]
            return self[(a if a in first else None, b if b in second else None)](node)
        key = tuple(
            value if value in naming else None
            for place, naming in zip(self.places, self.naming, strict=True)
            for value in (kids[place].value,)  # type: ignore[attr-defined]
        )
        return self[key](node)
