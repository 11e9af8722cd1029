"""Printers beyond ``show``: LaTeX for reading (and Jupyter), Graphviz DOT for drawing the DAG.

LaTeX is a tree, so a DAG prints every shared part each time; ``to_dot``
draws one Graphviz node per distinct subexpression instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .dispatch import CasesByType, dispatcher
from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var
from .show import Template, emit, emit_checked
from .traverse import postorder, tree_size_at_most

__all__ = [
    "to_latex",
    "to_dot",
    "latex_for_display",
    "latex_node",
    "latex_precedence",
    "dot_label",
    "latex_name",
]

latex_node = dispatcher("latex_node", "latex_node(node) -> template of LaTeX pieces and child nodes")
latex_precedence = dispatcher(
    "latex_precedence", "latex_precedence(node) -> how tightly its LaTeX binds (see printers.ATOM)"
)
dot_label = dispatcher("dot_label", "dot_label(node) -> the text inside the node's Graphviz box")

#: Precedence levels: a child printed below the level its position needs gets parentheses.
SUM, NEGATION, PRODUCT, ATOM = 1, 2, 3, 4

#: Variable names printed as Greek letters (one string: ruff format puts a list's items one a line).
_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon"  # noqa: SIM905
    " phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)


def latex_name(name: str) -> str:
    """A variable name as LaTeX: ``w11`` -> ``w_{11}``, ``x_max`` -> ``x_{max}``, ``alpha`` -> ``\\alpha``."""
    base, _, subscript = name.partition("_")
    if not base:  # "_", "_x", "__import__": no base letter to hang a subscript on
        return "\\mathrm{" + name.replace("_", "\\_") + "}"
    if not subscript:
        found = re.fullmatch(r"([^\W\d_]+)(\d+)", name)
        if found:
            base, subscript = found.groups()
    if base in _GREEK:
        base = "\\" + base
    elif len(base) > 1:
        base = "\\mathrm{" + base + "}"  # no "_" in it: the name was split at the first
    if subscript:
        return base + "_{" + subscript.replace("_", "\\_") + "}"
    return base


def _number(value: int | float) -> str:
    text = str(value)
    mantissa, e, exponent = text.partition("e")
    if e:
        return f"{mantissa} \\cdot 10^{{{int(exponent)}}}"
    return text


def _is_negation(node: Expr) -> bool:
    # -1 * 2 stays a product: "-2" would read as the constant -2.
    return type(node) is Mul and node.x is _MINUS_ONE and type(node.y) is not Const


_MINUS_ONE = Const(-1)


def _wrap(child: Expr, needed: int, precedence: Callable[[Expr], int]) -> list[str | Expr]:
    if precedence(child) < needed:
        return ["\\left(", child, "\\right)"]
    return [child]


def to_latex(expr: Expr) -> str:
    """LaTeX source for ``expr`` (without ``$`` delimiters), e.g. ``4 \\cdot x \\cdot y + e^{-y}``.

    Text longer than ``chainrule.show.MAX_TEXT`` characters raises ChainruleError before any is built.
    """
    if not isinstance(expr, Expr):
        raise TypeError(f"to_latex expects an expression, got {type(expr).__name__}")
    return emit_checked(expr, _latex_template(), "to_latex's text")


def _latex_template() -> Callable[[Expr], Template]:
    """``to_latex``'s template function, resolving each node type's cases once."""
    templates, precedences = CasesByType(latex_node), CasesByType(latex_precedence)

    def precedence(node: Expr) -> int:
        return precedences[type(node)](node)  # type: ignore[no-any-return]

    return lambda node: templates[type(node)](node, precedence)


def _binary(symbol: str, left: int, right: int) -> Callable[..., Template]:
    def template(node: Expr, precedence: Callable[[Expr], int]) -> Template:
        x, y = node._kids
        return [*_wrap(x, left, precedence), symbol, *_wrap(y, right, precedence)]

    return template


_product = _binary(" \\cdot ", NEGATION, ATOM)


def _starts_with_sign_or_digit(node: Expr) -> bool:
    # Follows the left spine of unparenthesised products to the first printed token.
    while True:
        kind = type(node)
        if kind is Const:
            return True
        if kind is not Mul or _is_negation(node):
            return kind is Mul
        node = node._kids[0]  # a sum there is parenthesised: not a sign or a digit, like any other kind


def _mul_latex(node: Mul, precedence: Callable[[Expr], int]) -> Template:
    if _is_negation(node):
        # "--x" or "-2 \\cdot y" would misread; "-x \\cdot y" for -(x·y) is the usual reading.
        operand = node.y
        if precedence(operand) < PRODUCT or _starts_with_sign_or_digit(operand):
            return ["-\\left(", operand, "\\right)"]
        return ["-", operand]
    return _product(node, precedence)


def _generic_latex(node: Expr, precedence: Callable[[Expr], int]) -> Template:
    # A user's node type without a case of its own prints as a named function of its children.
    parts: list[str | Expr] = ["\\operatorname{" + type(node).__name__ + "}\\left("]
    for index, kid in enumerate(node._kids):
        parts.extend([", ", kid] if index else [kid])
    parts.append("\\right)")
    return parts


def _call(name: str) -> Callable[..., Template]:
    def template(node: Expr, precedence: Callable[[Expr], int]) -> Template:
        return (name + "\\left(", node._kids[0], "\\right)")

    return template


latex_node.add((Expr,), _generic_latex)
latex_node.add((Const,), lambda node, precedence: (_number(node.value),))
latex_node.add((Var,), lambda node, precedence: (latex_name(node.name),))
latex_node.add((Sum,), _binary(" + ", SUM, PRODUCT))
latex_node.add((Sub,), _binary(" - ", SUM, PRODUCT))
latex_node.add((Mul,), _mul_latex)
latex_node.add((Div,), lambda node, precedence: ("\\frac{", node.x, "}{", node.y, "}"))
latex_node.add((Exp,), lambda node, precedence: ("e^{", node.x, "}"))
latex_node.add((Log,), _call("\\log"))
latex_node.add((TanH,), _call("\\tanh"))

latex_precedence.add((Expr,), lambda node: ATOM)
latex_precedence.add((Const,), lambda node: NEGATION if node.value < 0 else ATOM)
latex_precedence.add((Sum,), lambda node: SUM)
latex_precedence.add((Sub,), lambda node: SUM)
latex_precedence.add((Mul,), lambda node: NEGATION if _is_negation(node) else PRODUCT)


#: Largest tree (counting shared parts every time) that ``_repr_latex_`` typesets.
DISPLAY_LIMIT = 2000

#: Longest LaTeX source ``_repr_latex_`` hands to Jupyter (characters).
DISPLAY_CHARS = 20_000


def latex_for_display(expr: Expr, limit: int = DISPLAY_LIMIT) -> str | None:
    """``$\\displaystyle ...$`` for Jupyter, or None (so Jupyter falls back to the bounded repr)
    when the tree has more than ``limit`` nodes or the source more than ``DISPLAY_CHARS`` characters."""
    if not tree_size_at_most(expr, limit):
        return None
    text = emit(expr, _latex_template(), DISPLAY_CHARS)
    if len(text) > DISPLAY_CHARS:
        return None
    return "$\\displaystyle " + text + "$"


def _dot_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(expr: Expr, *, name: str = "expression", rankdir: str = "TB") -> str:
    """Graphviz DOT text of the DAG: each distinct subexpression one box, edges to its children in order."""
    if not isinstance(expr, Expr):
        raise TypeError(f"to_dot expects an expression, got {type(expr).__name__}")
    if not name.isidentifier():
        raise ValueError(f"graph name must be an identifier, got {name!r:.80}")
    if rankdir not in ("TB", "BT", "LR", "RL"):
        raise ValueError(f"rankdir must be TB, BT, LR or RL, got {rankdir!r:.80}")
    labels = CasesByType(dot_label)
    ids: dict[Expr, str] = {}
    lines = [
        f"digraph {name} {{",
        f"  rankdir={rankdir};",
        "  ordering=out;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
    ]
    for node in postorder(expr):
        ident = ids[node] = f"n{len(ids)}"
        shape = ", shape=ellipse" if not node._kids else ""
        lines.append(f"  {ident} [label={_dot_string(labels[type(node)](node))}{shape}];")
        lines.extend(f"  {ident} -> {ids[kid]};" for kid in node._kids)
    lines.append("}")
    return "\n".join(lines) + "\n"


dot_label.add((Expr,), lambda node: node.op.symbol if node.op and node.op.symbol else type(node).__name__)
dot_label.add((Const,), lambda node: str(node.value))
dot_label.add((Var,), lambda node: node.name)
