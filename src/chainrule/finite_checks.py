"""Which values a compiled function must test so that no infinity or NaN goes unnoticed.

With finite operands most operations give a finite result or raise: ``exp``
and ``log`` raise, ``tanh`` is bounded, and adding a constant of modest
size, multiplying by a value of size at most 1 (a constant, a ``tanh``, a
product of those) or dividing by a constant of size at least 1 cannot
overflow.  The rest are *sources* of non-finite values: the arguments,
``+ - * /`` between two values, and a user's node types.  A non-finite
value stays non-finite (inf or NaN) in every consumer (or makes it raise),
except through an *absorbing* operand: ``tanh(inf) == 1``,
``exp(-inf) == 0``, ``x / inf == 0``, and whatever a user's case does.

So testing a set of values is enough when every source reaches one of them
along a path free of absorbing operands.  ``checked_nodes`` walks from the
outputs back and tests a source only when it reaches no tested value that
way: the sinks that can overflow and the operands of absorbing operations,
not every output.  The lab network's nine gradients need seven tests, not
thirteen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var

__all__ = ["ABSORBING", "checked_nodes"]

#: Operand positions of library node types whose infinite value can give a finite result.
ABSORBING: dict[type, tuple[int, ...]] = {Div: (1,), Exp: (0,), TanH: (0,)}

#: A constant this small added to a finite float cannot overflow: MAX + c rounds to inf from c = 2**970.
_SMALL_ADDEND = 2.0**960


def _constant(node: Expr) -> float | None:
    """The absolute value of a constant operand, or None for anything else."""
    return abs(node.value) if type(node) is Const else None


def _is_source(node: Expr, builtin: bool, unit: set[Expr]) -> bool:
    """Can ``node`` be non-finite when all its operands are finite (and nothing raised)?

    ``unit`` holds the nodes already known to be at most 1 in size when finite.
    """
    kind = type(node)
    if kind is Const:
        return False
    if kind is Var or not builtin:
        return True
    if kind in (Exp, Log, TanH):
        return False
    x, y = node._kids
    sizes = (_constant(x), _constant(y))
    if kind in (Sum, Sub):
        return not any(size is not None and size <= _SMALL_ADDEND for size in sizes)
    if kind is Mul:
        return x not in unit and y not in unit
    if kind is Div:
        return sizes[1] is None or sizes[1] < 1
    return True  # pragma: no cover - every library kind is listed above


def _unit_nodes(order: Sequence[Expr], is_builtin: Callable[[type], bool]) -> set[Expr]:
    """The nodes whose finite value is at most 1 in size: small constants, tanh, their products."""
    unit: set[Expr] = set()
    for node in order:
        kind = type(node)
        if kind is Const:
            small = abs(node.value) <= 1  # type: ignore[attr-defined]
        elif kind is TanH:
            small = is_builtin(kind)
        elif kind is Mul:
            small = is_builtin(kind) and all(kid in unit for kid in node._kids)
        else:
            small = False
        if small:
            unit.add(node)
    return unit


def checked_nodes(order: Sequence[Expr], is_builtin: Callable[[type], bool]) -> set[Expr]:
    """The nodes whose values to test, given every node in ``order`` (children before parents).

    ``is_builtin(kind)`` says whether the generated code computes that node type
    with the library's own arithmetic; any other type is treated as a user's:
    a source whose operands are all absorbing.  An output is tested only as
    an uncovered source (a sink, say): a non-finite value anywhere started at
    a source, and every source reaches a tested value.
    """
    unit = _unit_nodes(order, is_builtin)
    reached: set[Expr] = set()  # nodes with a non-absorbing path to a tested value
    checked: set[Expr] = set()
    for node in reversed(order):
        builtin = is_builtin(type(node))
        covered = node in reached
        if not covered and _is_source(node, builtin, unit):
            checked.add(node)
            covered = True
        if covered:
            absorbing = ABSORBING.get(type(node), ()) if builtin else range(len(node._kids))
            for position, kid in enumerate(node._kids):
                if position not in absorbing:
                    reached.add(kid)
    return checked
