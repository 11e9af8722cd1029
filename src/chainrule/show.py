"""Printing: ``show`` (the lab's fully parenthesised text) and ``repr``.

A printer case returns a *template*: a sequence of strings and child
nodes, e.g. ``("(", node.x, " + ", node.y, ")")``.  One iterative emitter
expands templates into a list of pieces, so printing costs time linear in
the output, at any depth (joining strings level by level would be quadratic).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .dispatch import dispatcher, resolve
from .nodes import Const, Expr, Var, operators

__all__ = ["show", "show_node", "show_repr", "emit", "Template"]

Template = Sequence[str | Expr]

show_node = dispatcher("show_node", "show_node(node) -> template of str pieces and child nodes")


def emit(expr: Expr, template_of: Callable[[Expr], Template], limit: int | None = None) -> str:
    """Expand templates depth-first into one string, without recursion.

    With ``limit``, stop once that many characters are written: a DAG's text
    can be exponentially long, and an error message needs only its start.
    """
    out: list[str] = []
    write = out.append
    written = 0
    stack: list[str | Expr] = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            write(item)
            if limit is not None:
                written += len(item)
                if written > limit:
                    break
            continue
        parts = template_of(item)
        stack.extend(reversed(parts))
    return "".join(out)


def show(expr: Expr, limit: int | None = None) -> str:
    """The fully parenthesised text of ``expr``, exactly the lab's format (its first ``limit`` characters)."""
    if not isinstance(expr, Expr):
        raise TypeError(f"show expects an expression, got {type(expr).__name__}")
    cases: dict[type, Callable[[Expr], Template]] = {}

    def template_of(node: Expr) -> Template:
        kind = type(node)
        case = cases.get(kind)
        if case is None:
            case = cases[kind] = resolve(show_node, kind)
        return case(node)

    return emit(expr, template_of, limit)


def _binary(symbol: str) -> Callable[[Expr], Template]:
    def template(node: Expr) -> Template:
        return ("(", node.x, symbol, node.y, ")")  # type: ignore[attr-defined]

    return template


def _call(name: str) -> Callable[[Expr], Template]:
    def template(node: Expr) -> Template:
        return (name + "(", node.x, ")")  # type: ignore[attr-defined]

    return template


show_node.add((Const,), lambda node: (str(node.value),))
show_node.add((Var,), lambda node: (node.name,))
for _cls in operators():  # an operator or a function prints as its node type's op record says
    if _cls.op is not None and _cls.op.symbol is not None:
        show_node.add((_cls,), _binary(f" {_cls.op.symbol} ") if _cls.op.infix else _call(_cls.op.symbol))


def _repr_template(node: Expr) -> Template:
    parts: list[str | Expr] = [type(node).__name__ + "("]
    for i, name in enumerate(node._field_names):
        if i:
            parts.append(", ")
        value = getattr(node, name)
        parts.append(value if isinstance(value, Expr) else repr(value))
    parts.append(")")
    return parts


def show_repr(expr: Expr) -> str:
    """Constructor-call form, e.g. ``Sum(Var('x'), Const(1))``; safe at any depth."""
    return emit(expr, _repr_template)
