"""Printing: ``show`` (the lab's fully parenthesised text) and ``repr``.

A printer case returns a *template* of strings and child nodes, e.g.
``("(", node.x, " + ", node.y, ")")``, and one iterative emitter expands
them: linear in the output at any depth.  A DAG's text can be exponentially
long, so full text beyond ``MAX_TEXT`` characters raises before it is built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .dispatch import CasesByType, dispatcher
from .errors import ChainruleError
from .nodes import Const, Expr, Var, operators
from .traverse import fold_cases, tree_size_at_most

__all__ = [
    "show",
    "show_node",
    "show_repr",
    "show_template",
    "repr_template",
    "emit",
    "Template",
    "MAX_TEXT",
    "text_length",
    "emit_checked",
]

#: Longest text ``show``, ``repr``'s full form and ``to_latex`` build (characters); longer raises.
MAX_TEXT = 10**8

#: Trees up to this many nodes (shared parts counted each time) print without the length fold first.
_SMALL_TREE = 1_000_000

Template = Sequence[str | Expr]

show_node = dispatcher("show_node", "show_node(node) -> template of str pieces and child nodes")


def emit(expr: Expr, template_of: Callable[[Expr], Template], limit: int | None = None) -> str:
    """Expand templates depth-first into one string; with ``limit``, stop past that many characters."""
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
        else:
            stack.extend(reversed(template_of(item)))
    return "".join(out)


def text_length(expr: Expr, template_of: Callable[[Expr], Template]) -> int:
    """The length of the text ``emit`` would build, by a fold over the distinct nodes (no text is built)."""
    memo: dict[Expr, int] = {}

    def length(node: Expr, *kids: int) -> int:
        # A node part is a child, whose length (never 0) is known; an unusual template's node is folded now.
        return sum(
            len(part) if isinstance(part, str) else memo.get(part) or fold_cases(part, cases, memo)
            for part in template_of(node)
        )

    def cases(kind: type) -> Callable[..., int]:
        return length

    return fold_cases(expr, cases, memo)


def emit_checked(expr: Expr, template_of: Callable[[Expr], Template], what: str) -> str:
    """``emit``'s full text, or ChainruleError with the size when it would exceed ``MAX_TEXT``.

    The length fold costs as much as printing, so only a big tree pays for it first.
    """
    if tree_size_at_most(expr, _SMALL_TREE):
        text = emit(expr, template_of, MAX_TEXT)
        if len(text) <= MAX_TEXT:
            return text
    size = text_length(expr, template_of)
    if size > MAX_TEXT:
        from .display import node_counts

        raise ChainruleError(
            f"{what} would be {size:,} characters, more than the {MAX_TEXT:,} it builds "
            f"(the expression has {node_counts(expr)}); repr() and str() show the start of it"
        )
    return emit(expr, template_of)


def show_template() -> Callable[[Expr], Template]:
    """``show``'s template function, resolving each node type's case once."""
    cases = CasesByType(show_node)
    return lambda node: cases[type(node)](node)


def show(expr: Expr, limit: int | None = None) -> str:
    """The fully parenthesised text of ``expr``, exactly the lab's format (its first ``limit`` characters).

    Without ``limit``, text longer than ``MAX_TEXT`` characters raises ChainruleError before any is built.
    """
    if not isinstance(expr, Expr):
        raise TypeError(f"show expects an expression, got {type(expr).__name__}")
    if limit is None:
        return emit_checked(expr, show_template(), "show's text")
    return emit(expr, show_template(), limit)


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


def repr_template(node: Expr) -> Template:
    parts: list[str | Expr] = [type(node).__name__ + "("]
    for i, name in enumerate(node._field_names):
        if i:
            parts.append(", ")
        value = getattr(node, name)
        parts.append(value if isinstance(value, Expr) else repr(value))
    parts.append(")")
    return parts


def show_repr(expr: Expr) -> str:
    """The full constructor-call form, e.g. ``Sum(Var('x'), Const(1))``; ``repr`` is its bounded start."""
    return emit_checked(expr, repr_template, "repr's full text")
