"""One-argument functions as node types, added in one call: ``define_function``.

A function node needs the same facts wherever it appears: its name (for
``show`` and ``parse``), its value, its derivative (for ``diff`` and
``grad``), its LaTeX and DOT labels, optionally its interval bounds and a
NumPy version.  ``install_function`` records all of them through the
library's public extension points (the dispatchers of ``chainrule.NAMESPACE``
and the parser's ``FUNCTIONS``); ``define_function`` also builds the node
class.  The library's own ``sqrt``, ``sin``, ``cos``, ``sigmoid`` and
``softplus`` are registered the same way (``chainrule.functions``).
"""

from __future__ import annotations

import keyword
import sys
from collections.abc import Callable
from typing import Any

import attrs

from .bounds import Interval, bounds_node
from .compile import declare_code
from .diff import diff_node
from .evaluate import evaluate_node
from .grad import adjoint_node, scale
from .nodes import ATOM, Expr, Mul, Op, _to_x, as_expr
from .printers import dot_label, latex_node
from .show import show_node

__all__ = ["FUNCTION_NODES", "NUMPY_FUNCTIONS", "define_function", "install_function"]

#: Every one-argument function registered here, by name: the library's and the user's.
#: ``chainrule.testing.expressions(functions=(..., name))`` draws them by this name.
FUNCTION_NODES: dict[str, type[Expr]] = {}

#: The NumPy (ufunc-like) version of each registered function that has one, for array backends.
NUMPY_FUNCTIONS: dict[type[Expr], Callable[..., Any]] = {}


def _checked_name(name: object, cls: type[Expr] | None = None) -> str:
    if not isinstance(name, str):
        raise TypeError(f"function name must be a str, got {type(name).__name__}: {name!r:.80}")
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise ValueError(f"function name must be an ASCII identifier and not a keyword, got {name!r:.80}")
    from .parse import FUNCTIONS

    known = FUNCTIONS.get(name)
    if known is not None and known is not cls and not getattr(known, "_defined", False):
        raise ValueError(f"{name!r} is a function of the library; choose another name")
    return name  # an earlier define_function of the name is replaced (a notebook cell run twice)


def install_function(
    cls: type[Expr],
    name: str,
    *,
    evaluate: Callable[[float], float],
    derivative: Callable[[Expr], Expr | float],
    numpy: Callable[[Any], Any] | None = None,
    latex: str | None = None,
    bounds: Callable[[Interval], Interval] | None = None,
) -> type[Expr]:
    """Register every case of the one-child node class ``cls``, written ``name(a)``.

    ``evaluate`` maps a float to a float (raise ValueError for a domain
    error: ``evaluate`` turns it into an EvaluationError naming the node);
    ``derivative(u)`` is f'(u) as an expression of the argument ``u``;
    ``latex`` is the LaTeX command (default ``\\operatorname{name}``);
    ``bounds`` maps an interval of the argument to one containing every value.
    """
    name = _checked_name(name, cls)
    if not callable(evaluate) or not callable(derivative):
        raise TypeError(f"define {name}: evaluate and derivative must be callables")
    command = latex if latex is not None else "\\operatorname{" + name.replace("_", "\\_") + "}"
    call = name + "("

    def show_case(node: Any) -> tuple[str | Expr, ...]:
        return (call, node.x, ")")

    def evaluate_case(node: Expr, x: float) -> float:
        return evaluate(x)

    def local(node: Any) -> Expr:
        return as_expr(derivative(node.x), "derivative")

    def diff_case(node: Expr, wrt: Expr, dx: Expr) -> Expr:
        return Mul(local(node), dx)

    def adjoint_case(node: Expr, adjoint: Expr) -> tuple[Expr]:
        return (scale(adjoint, local(node)),)

    def latex_case(node: Any, precedence: Callable[[Expr], int]) -> tuple[str | Expr, ...]:
        return (command + "\\left(", node.x, "\\right)")

    show_node.add((cls,), show_case)
    evaluate_node.add((cls,), evaluate_case)
    diff_node.add((cls,), diff_case)
    adjoint_node.add((cls,), adjoint_case)
    latex_node.add((cls,), latex_case)
    dot_label.add((cls,), lambda node: name)
    if bounds is not None:
        bounds_node.add((cls,), lambda node, x: bounds(x))
    if numpy is not None:
        NUMPY_FUNCTIONS[cls] = numpy
    op = getattr(cls, "op", None)
    if op is not None and (op.python is not None or op.numpy is not None):
        # lambdify writes it from its Op record while this evaluate case stands.  A record without
        # code of its own would be read as ``math``'s function of that name (a user's "cosh").
        declare_code(cls)
    from .parse import FUNCTIONS

    FUNCTIONS[name] = cls
    FUNCTION_NODES[name] = cls
    return cls


def define_function(
    name: str,
    *,
    evaluate: Callable[[float], float],
    derivative: Callable[[Expr], Expr | float],
    numpy: Callable[[Any], Any] | None = None,
    latex: str | None = None,
    bounds: Callable[[Interval], Interval] | None = None,
) -> type[Expr]:
    """A new one-argument function: returns its node class, with every case registered.

    The class is named after the function (``erf`` -> ``Erf``), belongs to the
    calling module (so it pickles when kept in a module-level name of that
    name), and its node shows and parses as ``name(a)``.

    Defining a name again replaces the earlier definition; the library's
    names are refused.

    >>> from chainrule import diff, evaluate, parse, show
    >>> Cube = define_function("cube", evaluate=lambda u: u**3, derivative=lambda u: 3 * u * u)
    >>> e = parse("cube(2 * x)")
    >>> type(e) is Cube, evaluate(e, {"x": 1.5}), show(diff(e, "x"))
    (True, 27.0, '(((3 * (2 * x)) * (2 * x)) * ((0 * x) + (2 * 1)))')
    """
    _checked_name(name)
    class_name = "".join(part[:1].upper() + part[1:] for part in name.split("_")) or name
    caller = sys._getframe(1).f_globals.get("__name__", __name__)
    cls: type[Expr] = attrs.make_class(
        class_name,
        {"x": attrs.field(converter=_to_x)},
        bases=(Expr,),
        frozen=True,
        slots=True,
        eq=False,
        repr=False,
        weakref_slot=False,
    )
    cls.__module__ = caller
    cls._defined = True  # type: ignore[attr-defined]  # a later define_function may replace it
    cls.__doc__ = f"{name}(x), defined with chainrule.define_function."
    # lambdify's NumPy backend calls ``numpy`` on whole arrays (without one, the evaluate case runs
    # element by element); the Python backend calls the evaluate case.  Any operand may be absorbed.
    cls.op = Op(class_name, name, ATOM, 1, absorbing=(0,), numpy=numpy, numpy_out=False)
    return install_function(
        cls, name, evaluate=evaluate, derivative=derivative, numpy=numpy, latex=latex, bounds=bounds
    )
