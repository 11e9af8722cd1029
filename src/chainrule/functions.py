"""Functions beyond the lab's: ``Pow`` (``x ** y``), ``Sqrt``, ``Sin``, ``Cos``, ``Sigmoid``, ``Softplus``.

Every case of these node types lives here, registered through the same
public extension points a user's node type uses (the dispatchers of
``chainrule.NAMESPACE``); the one-argument functions go through
``install_function``, the machinery behind ``define_function``.  The classes
are declared like the lab's (``_direct``: built from their children without
attrs' ``__init__``), so the rewriting engine treats them alike.

Values follow ``evaluate``'s contract: a domain error (the square root of a
negative number, ``0 ** -1``, a negative base with a non-integer exponent)
or an overflow raises, never a NaN; underflow to zero is a value.  The
sigmoid and softplus are computed in the forms that cannot overflow and keep
full relative accuracy in the tails: ``sigmoid(-40)`` is 4.25e-18, not 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from .bounds import EVERYTHING, INF, Interval, bounds_node
from .compile import declare_code
from .define import NUMPY_FUNCTIONS, install_function
from .diff import diff_node
from .evaluate import evaluate_node
from .grad import adjoint_node, scale
from .nodes import ATOM, Const, Div, Exp, Expr, Log, Mul, Op, Sub, Sum, _direct, _to_x, _to_y
from .printers import ATOM as LATEX_ATOM
from .printers import dot_label, latex_node, latex_precedence
from .show import Template, show_node

__all__ = ["Cos", "Pow", "Sigmoid", "Sin", "Softplus", "Sqrt", "sigmoid", "softplus"]

ZERO, ONE, TWO, MINUS_ONE = Const(0), Const(1), Const(2), Const(-1)


# ---------------------------------------------------------------------------------------------------
# Values


def sigmoid(u: float) -> float:
    """1 / (1 + e^-u) without overflow: e^-|u| is at most 1, and e/(1+e) keeps the left tail exact."""
    if u >= 0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


#: ``sigmoid`` written out for lambdify: a call of the function would cost W5's loop 3 %.
_INLINE_SIGMOID = "(1.0 / (1.0 + _exp(-{0})) if {0} >= 0.0 else (_e := _exp({0})) / (1.0 + _e))"


def softplus(u: float) -> float:
    """log(1 + e^u) = max(u, 0) + log1p(e^-|u|): no overflow, and log1p keeps the left tail exact."""
    if u > 0:
        return u + math.log1p(math.exp(-u))
    return math.log1p(math.exp(u))


def _numpy_sigmoid(a: Any, out: Any = None) -> Any:
    """sigmoid over an array as evaluate computes it: 1/(1+e) where a >= 0, e/(1+e) below, e = e^-|a|.

    One temporary (e) and the sign mask; ``out`` may be ``a`` itself.
    """
    import numpy as np

    if np.ndim(a) == 0 and out is None:
        return np.float64(sigmoid(float(a)))
    below = np.less(a, 0.0)
    e = np.abs(a)
    np.negative(e, out=e)
    np.exp(e, out=e)
    result = np.add(e, 1.0, out=out)
    np.divide(e, result, out=result, where=below)
    np.logical_not(below, out=below)
    np.divide(1.0, result, out=result, where=below)
    return result


def _numpy_softplus(a: Any, out: Any = None) -> Any:
    """log(1 + e^a) = logaddexp(0, a): NumPy computes max + log1p(e^-|a|), evaluate's form."""
    import numpy as np

    return np.logaddexp(0.0, a, out=out)


# ---------------------------------------------------------------------------------------------------
# The node types


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Pow(Expr):
    """x ** y: a negative x needs an integer y."""

    # 2 ** -inf is 0, inf ** 0 is 1.  math.pow raises ValueError exactly where evaluate's case
    # does for finite operands (0 ** -1, (-2) ** 0.5) and OverflowError on overflow; NumPy's power
    # gives a NaN or an infinity there, which the finiteness checks catch.
    op = Op("Pow", "**", ATOM, 2, absorbing=(0, 1), python=math.pow, numpy="power")

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sqrt(Expr):
    """The square root of x (x >= 0)."""

    op = Op("Sqrt", "sqrt", ATOM, 1, python=math.sqrt, numpy="sqrt")  # ValueError / NaN below 0

    x: Expr = attrs.field(converter=_to_x)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sin(Expr):
    """The sine of x (radians)."""

    op = Op("Sin", "sin", ATOM, 1, python=math.sin, numpy="sin")

    x: Expr = attrs.field(converter=_to_x)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Cos(Expr):
    """The cosine of x (radians)."""

    op = Op("Cos", "cos", ATOM, 1, python=math.cos, numpy="cos")

    x: Expr = attrs.field(converter=_to_x)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sigmoid(Expr):
    """The logistic function 1 / (1 + e^-x)."""

    # sigmoid(inf) is 1, sigmoid(-inf) is 0: an infinite operand is absorbed
    op = Op("Sigmoid", "sigmoid", ATOM, 1, absorbing=(0,), python=_INLINE_SIGMOID, numpy=_numpy_sigmoid)

    x: Expr = attrs.field(converter=_to_x)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Softplus(Expr):
    """log(1 + e^x), the smooth ReLU (its derivative is the sigmoid)."""

    # softplus(-inf) is 0: an infinite operand is absorbed
    op = Op("Softplus", "softplus", ATOM, 1, absorbing=(0,), python=softplus, numpy=_numpy_softplus)

    x: Expr = attrs.field(converter=_to_x)


def _sqrt(u: float) -> float:
    if u < 0:
        raise ValueError(f"sqrt of negative {u!r}")
    return math.sqrt(u)


def _pow(node: Expr, x: float, y: float) -> float:
    if x < 0 and not y.is_integer():
        raise ValueError(f"negative base {x!r} with non-integer exponent {y!r}")
    if x == 0 and y < 0:
        raise ValueError(f"0 to the negative power {y!r}")
    return math.pow(x, y)  # OverflowError on overflow; underflow gives 0.0


# ---------------------------------------------------------------------------------------------------
# Pow: a two-child node, so its cases are written out rather than registered by install_function


def _exponent_less_one(y: Expr) -> Expr:
    """``y - 1``, folded when y is a constant (one correctly rounded subtraction, as folding does)."""
    if type(y) is Const:
        return Const(y.value - 1)
    return Sub(y, ONE)


def _pow_local_x(node: Pow) -> Expr:
    """d(x ** y)/dx = y * x ** (y - 1)."""
    return Mul(node.y, Pow(node.x, _exponent_less_one(node.y)))


def _pow_local_y(node: Pow) -> Expr:
    """d(x ** y)/dy = x ** y * log(x)."""
    return Mul(node, Log(node.x))


def _diff_pow(node: Pow, wrt: Expr, dx: Expr, dy: Expr) -> Expr:
    # The term of a child whose derivative is literally 0 is left out: x ** 2 has no log(x)
    # term, which would fail at x <= 0 where x ** 2 and its derivative are defined.
    terms = []
    if dx is not ZERO:
        terms.append(Mul(_pow_local_x(node), dx))
    if dy is not ZERO:
        terms.append(Mul(_pow_local_y(node), dy))
    if not terms:
        return ZERO
    return terms[0] if len(terms) == 1 else Sum(terms[0], terms[1])


def _adjoint_pow(node: Pow, adjoint: Expr) -> tuple[Expr | None, Expr | None]:
    # grad asks for the exponent's part only when the exponent depends on a variable of wrt.
    exponent = None if type(node.y) is Const else scale(adjoint, _pow_local_y(node))
    return (scale(adjoint, _pow_local_x(node)), exponent)


def _widen(interval: Interval, steps: int = 4) -> Interval:
    """The interval grown by a few units in the last place at each nonzero finite end: for functions
    (math.pow, exp inside sigmoid) whose rounding is not guaranteed monotone."""
    lo, hi = interval
    for _ in range(steps):
        if lo and math.isfinite(lo):
            lo = math.nextafter(lo, -INF)
        if hi and math.isfinite(hi):
            hi = math.nextafter(hi, INF)
    return (lo, hi)


def _power(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.copysign(INF, base) if exponent % 2 == 1 else INF


def _bounds_pow(node: Pow, x: Interval, y: Interval) -> Interval:
    lo, hi = x
    if type(node.y) is not Const:
        return (0.0, INF) if lo >= 0 else EVERYTHING  # a nonnegative base stays nonnegative
    try:
        n = float(node.y.value)
    except OverflowError:  # an int exponent beyond float range: claim nothing
        return EVERYTHING
    if n == 0:
        return (1.0, 1.0)
    if n.is_integer() and n > 0:
        if n % 2 == 1:  # odd: increasing over the reals
            return _widen((_power(lo, n), _power(hi, n)))
        if lo >= 0:
            return _widen((_power(lo, n), _power(hi, n)))
        if hi <= 0:
            return _widen((_power(hi, n), _power(lo, n)))
        return _widen((0.0, max(_power(lo, n), _power(hi, n))))
    if n > 0:  # defined for a nonnegative base only, increasing there
        if hi < 0:
            return EVERYTHING
        return _widen((_power(max(lo, 0.0), n), _power(hi, n)))
    if lo > 0:  # a negative exponent over a positive base: decreasing
        return _widen((_power(hi, n), _power(lo, n)))
    return EVERYTHING


def _latex_pow(node: Pow, precedence: Callable[[Expr], int]) -> Template:
    base = node.x
    # A power, e^{...} or a number in scientific notation as a base would stack superscripts.
    stacked = type(base) in (Pow, Exp) or (type(base) is Const and "e" in str(base.value))
    if stacked or precedence(base) < LATEX_ATOM:
        return ("\\left(", base, "\\right)^{", node.y, "}")
    if type(base) is Const:  # braced, so that a sign in front reads as -(2^x), not (-2)^x
        return ("{", base, "}^{", node.y, "}")
    return (base, "^{", node.y, "}")


show_node.add((Pow,), lambda node: ("(", node.x, " ** ", node.y, ")"))
evaluate_node.add((Pow,), _pow)
diff_node.add((Pow,), _diff_pow)
adjoint_node.add((Pow,), _adjoint_pow)
bounds_node.add((Pow,), _bounds_pow)
latex_node.add((Pow,), _latex_pow)
latex_precedence.add((Pow,), lambda node: LATEX_ATOM)
dot_label.add((Pow,), lambda node: "**")


# ---------------------------------------------------------------------------------------------------
# The one-argument functions, through install_function


def _numpy_ufunc(name: str) -> Callable[[Any], Any]:
    """NumPy's ufunc ``name``, importing NumPy only when called (it is an optional dependency)."""

    def apply(a: Any) -> Any:
        import numpy as np

        return getattr(np, name)(a)

    apply.__name__ = f"numpy_{name}"
    return apply


def _bounds_sqrt(x: Interval) -> Interval:
    lo, hi = x
    if hi < 0:
        return EVERYTHING  # never defined: claim nothing
    return (math.sqrt(max(lo, 0.0)), math.sqrt(hi))


def _bounds_monotone(
    f: Callable[[float], float], floor: float, ceiling: float
) -> Callable[[Interval], Interval]:
    def bound(x: Interval) -> Interval:
        lo, hi = _widen((f(x[0]), f(x[1])))
        return (max(lo, floor), min(hi, ceiling))

    return bound


install_function(
    Sqrt,
    "sqrt",
    evaluate=_sqrt,
    derivative=lambda u: Div(ONE, Mul(TWO, Sqrt(u))),
    numpy=_numpy_ufunc("sqrt"),
    bounds=_bounds_sqrt,
)
install_function(
    Sin,
    "sin",
    evaluate=math.sin,
    derivative=lambda u: Cos(u),
    numpy=_numpy_ufunc("sin"),
    latex="\\sin",
    bounds=lambda x: (-1.0, 1.0),
)
install_function(
    Cos,
    "cos",
    evaluate=math.cos,
    derivative=lambda u: Mul(MINUS_ONE, Sin(u)),
    numpy=_numpy_ufunc("cos"),
    latex="\\cos",
    bounds=lambda x: (-1.0, 1.0),
)
install_function(
    Sigmoid,
    "sigmoid",
    evaluate=sigmoid,
    derivative=lambda u: Mul(Sigmoid(u), Sub(ONE, Sigmoid(u))),
    numpy=_numpy_sigmoid,
    latex="\\sigma",
    bounds=_bounds_monotone(sigmoid, 0.0, 1.0),
)
install_function(
    Softplus,
    "softplus",
    evaluate=softplus,
    derivative=lambda u: Sigmoid(u),
    numpy=_numpy_softplus,
    bounds=_bounds_monotone(softplus, 0.0, INF),
)
latex_node.add((Sqrt,), lambda node, precedence: ("\\sqrt{", node.x, "}"))


def _numpy_power(a: Any, b: Any) -> Any:
    import numpy as np

    return np.power(np.asarray(a, dtype=np.float64), b)


NUMPY_FUNCTIONS[Pow] = _numpy_power
for _kind in (Pow, Sqrt, Sin, Cos, Sigmoid, Softplus):
    declare_code(_kind)
