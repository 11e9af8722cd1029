"""The rule table as the engine uses it: rules indexed by the types of a node and of its children.

``RuleIndex`` maps a node's *shape* (its type and its children's types) to
one strategy: ``do_one`` of the rules whose left side can match a node of
that shape, in table order.  The children's types narrow the choice
(``Rule.child_types``, read off the compiled pattern): a ``Mul`` of a
``TanH`` and a ``Sub`` is tried against the two or three rules that could
match it, not the dozen whose root is a ``Mul``.  Entries are built the
first time a shape is seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .nodes import Expr, children
from .rules import Rule
from .strategies import Strategy, do_one, identity

__all__ = ["RuleIndex"]

#: A node's type followed by its children's types.
Shape = tuple[type, ...]


class RuleIndex(dict[Shape, Strategy[Expr]]):
    """Shape -> the strategy trying the rules that can rewrite a node of that shape.

    ``wrap`` turns each rule into the function the strategy calls (``explain``
    passes one that records the rule as it fires).
    """

    def __init__(self, rules: Sequence[Rule], wrap: Callable[[Rule], Strategy[Expr]] | None = None) -> None:
        super().__init__()
        self.rules = tuple(rules)
        self.wrap = wrap

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
        rewrites = [rule.rewrite if self.wrap is None else self.wrap(rule) for rule in self.fitting(shape)]
        entry: Strategy[Expr] = identity
        if rewrites:
            entry = rewrites[0] if len(rewrites) == 1 else do_one(*rewrites)
        self[shape] = entry
        return entry

    def rewrite(self, node: Expr) -> Expr:
        """``switch(shape, self)`` as one call: the strategy for the node's shape, applied to it."""
        return self[(type(node), *map(type, children(node)))](node)
