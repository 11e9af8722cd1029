"""Display that always returns: ``repr``, ``str`` and Jupyter's views, bounded in time and length.

A notebook cell ending in an expression must not hang the kernel, even for
a DAG whose text is astronomically long (``e = e * e`` sixty times).  So
the display forms emit at most ``DISPLAY_LIMIT`` characters (the emitter
stops there) and, when the text is longer, end it with a marker and the
node counts.  ``show`` and ``to_latex`` stay the full text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .nodes import Expr
from .show import Template, emit, repr_template, show_template
from .traverse import count_nodes, tree_size

__all__ = [
    "DISPLAY_LIMIT",
    "ELLIPSIS",
    "bounded_text",
    "bounded_repr",
    "bounded_str",
    "node_counts",
    "pretty",
]

#: Characters ``repr``, ``str`` and Jupyter show before eliding the rest.
DISPLAY_LIMIT = 10_000

#: How many distinct nodes the elision note counts before it stops (keeps display well under a second).
COUNT_LIMIT = 200_000

#: What marks elided text.
ELLIPSIS = " … [elided: "


def node_counts(expr: Expr) -> str:
    """``"61 distinct nodes, 2,305,843,009,213,693,951 as a tree"``, promptly for any DAG."""
    distinct = count_nodes(expr, COUNT_LIMIT)
    if distinct >= COUNT_LIMIT:
        return f"at least {COUNT_LIMIT:,} distinct nodes"
    return f"{distinct:,} distinct nodes, {tree_size(expr):,} as a tree"


def bounded_text(expr: Expr, template_of: Callable[[Expr], Template], limit: int = DISPLAY_LIMIT) -> str:
    """The text, or its first ``limit`` characters followed by the elision marker and the node counts."""
    text = emit(expr, template_of, limit)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}{ELLIPSIS}{node_counts(expr)}; show() gives the full text]"


def bounded_repr(expr: Expr, limit: int = DISPLAY_LIMIT) -> str:
    """``repr``: the constructor-call form, elided past ``limit`` characters."""
    return bounded_text(expr, repr_template, limit)


def bounded_str(expr: Expr, limit: int = DISPLAY_LIMIT) -> str:
    """``str``: ``show``'s text when it fits in ``limit`` characters, else its start and the marker."""
    return bounded_text(expr, show_template(), limit)


def pretty(expr: Expr, printer: Any, cycle: bool) -> None:
    """IPython's text/plain hook (``_repr_pretty_``): the bounded repr."""
    printer.text(bounded_repr(expr))
