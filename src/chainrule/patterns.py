"""The two node types that exist only inside rules: pattern variables and computed blocks.

Both are ordinary interned ``Expr`` nodes, so patterns are plain
expressions that ``show`` prints and ``parse`` reads back.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .evaluate import evaluate_node
from .nodes import Const, Expr, Var
from .show import show, show_node
from .traverse import postorder

__all__ = ["KINDS", "Computed", "PatternVar", "pattern_vars"]

#: What each ``?name:kind`` restriction accepts; ``?name`` alone accepts anything.
KINDS: dict[str, Callable[[Expr], bool]] = {
    "const": lambda e: isinstance(e, Const),
    "nonconst": lambda e: not isinstance(e, Const),
    "var": lambda e: isinstance(e, Var),
}


def _check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in KINDS:
        known = ", ".join(sorted(KINDS))
        raise ValueError(f"unknown pattern kind {kind!r} (known: {known})")
    return kind


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class PatternVar(Expr):
    """``?name`` or ``?name:kind``: matches a subexpression and binds it to ``name``."""

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    kind: str | None = attrs.field(default=None, converter=_check_kind)


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Computed(Expr):
    """``{x}`` on a rule's right side: replaced by the number ``x`` evaluates to, exactly when it can."""

    x: Expr


def _no_value(node: Expr, *values: float) -> float:
    raise TypeError(f"{show(node)} is part of a rule pattern and has no value; instantiate the rule first")


show_node.add((PatternVar,), lambda node: ("?" + node.name + (":" + node.kind if node.kind else ""),))
show_node.add((Computed,), lambda node: ("{", node.x, "}"))
evaluate_node.add((PatternVar,), _no_value)
evaluate_node.add((Computed,), _no_value)


def pattern_vars(pattern: Expr) -> dict[str, PatternVar]:
    """The pattern variables of ``pattern`` by name, in the order they first occur (children first)."""
    return {node.name: node for node in postorder(pattern) if isinstance(node, PatternVar)}
