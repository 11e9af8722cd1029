"""The expression tree: frozen, slotted, hash-consed attrs nodes.

Every node is interned: building a node equal in structure to a live one
returns that very object.  Equality and hashing are therefore identity
operations, O(1) and free of recursion however deep the tree is, and a DAG's
sharing comes for free.
"""

from __future__ import annotations

import math
import numbers
import operator
import weakref

# The atomic 'delete if still dead' that weakref.WeakValueDictionary uses against the same race.
from _weakref import _remove_dead_weakref  # type: ignore[attr-defined]
from collections.abc import Callable
from typing import Any, ClassVar

import attrs

__all__ = [
    "Expr",
    "Const",
    "Var",
    "Sum",
    "Sub",
    "Mul",
    "Div",
    "Exp",
    "Log",
    "TanH",
    "Op",
    "children",
    "rebuild",
    "as_expr",
    "operators",
]

#: Longest integer accepted as a constant, in decimal digits: beyond this Python cannot print it.
#: The parser's limit on a literal's length is this same number.
MAX_INT_DIGITS = 4300
_INT_LIMIT = 10**MAX_INT_DIGITS  # the smallest integer with more digits
_SAFE_BITS = _INT_LIMIT.bit_length() - 1  # an int this short has at most MAX_INT_DIGITS digits


#: Binding strength of a function call or a leaf in infix text (tighter than any operator).
ATOM = 4


@attrs.frozen
class Op:
    """The facts about one node type that text, code and folding read: ``NodeClass.op``.

    Everything per type that is not a dispatch case (show, evaluate, diff,
    bounds, adjoint, latex) lives here, so a new node type is one class with
    one record plus its cases (ARCHITECTURE.md has the checklist).

    >>> Sum.op.symbol, Sum.op.precedence, Sum.op.infix, Exp.op.infix
    ('+', 1, True, False)
    """

    #: The class's name, for messages.
    name: str
    #: The infix operator (``"+"``) or the function's name in text (``"exp"``); None for a leaf.
    symbol: str | None
    #: Binding strength in infix text, higher binds tighter (``ATOM`` for calls and leaves).
    precedence: int
    #: How many child expressions the node has.
    arity: int
    #: Operand positions through which an infinite operand can give a finite result
    #: (``tanh(inf) == 1``, ``x / inf == 0``): what a compiled function's finiteness checks need.
    absorbing: tuple[int, ...] = ()
    #: The operation on exact numbers (Fractions) when it is exact there, for constant folding.
    exact: Callable[..., Any] | None = None
    #: The float function lambdify's Python backend calls, raising ArithmeticError or ValueError
    #: wherever ``evaluate`` fails (the call then re-runs as evaluate).  None for an operator symbol
    #: or a lab function (``math``'s function of the symbol's name is called).  Or a Python
    #: expression over ``{0}``, ``{1}``... calling ``math``'s functions as ``_exp(...)``.
    python: Callable[..., float] | str | None = None
    #: The NumPy backend's function: a NumPy ufunc's name, or a callable taking the operand arrays
    #: (and ``out=`` when ``numpy_out``) whose failures are non-finite elements.  None: NumPy's
    #: function of the symbol's name (the lab's), or no NumPy form when ``python`` is given.
    numpy: str | Callable[..., Any] | None = None
    #: Whether the ``numpy`` callable takes ``out=`` (a dead temporary's buffer to reuse).
    numpy_out: bool = True

    @property
    def infix(self) -> bool:
        """Written between its operands (``x + y``), not called (``exp(x)``)."""
        return self.symbol is not None and not self.symbol.isidentifier()


#: Node classes that declare an ``op``, by name (attrs rebuilds a slotted class: the last build wins).
_OPERATORS: dict[str, type[Expr]] = {}


def operators() -> tuple[type[Expr], ...]:
    """Every node class with an ``op`` record, in the order they were defined.

    >>> [cls.op.symbol for cls in operators() if cls.op.infix]
    ['+', '-', '*', '/', '**']
    """
    return tuple(_OPERATORS.values())


class _Ref(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that remembers its intern-table key, so its callback can drop the entry."""

    __slots__ = ("key",)
    key: tuple[Any, ...]


def _remover(table: dict[tuple[Any, ...], _Ref]) -> Callable[[_Ref], None]:
    def remove(ref: _Ref, _remove: Callable[..., None] = _remove_dead_weakref) -> None:
        # One atomic step: the entry goes only if it is still a dead reference.  A check-then-
        # delete could drop the live node another thread entered under the key in between.
        # (Bound as a default: at interpreter exit nodes die after this module's globals are gone.)
        _remove(table, ref.key)

    return remove


def _settle(table: dict[tuple[Any, ...], _Ref], key: tuple[Any, ...], ref: _Ref) -> Any:
    """The node entered under ``key`` after ``setdefault`` found an entry other than ``ref``.

    A live entry (another thread's equal node) wins; a dead one is removed atomically and retried.
    """
    while True:
        entered = table.setdefault(key, ref)
        if entered is ref:
            return ref()
        found = entered()
        if found is not None:
            return found
        _remove_dead_weakref(table, key)


#: Every Expr subclass: ``type(v) in _NODE_TYPES`` is ``isinstance(v, Expr)`` without the slow metaclass check.
_NODE_TYPES: set[type] = set()

_new_object = object.__new__


class _Interning(type):
    """Metaclass that returns the live equal node instead of building a twin.

    Library classes are built *directly* (``_direct``), without attrs'
    ``__init__``; other subclasses go through attrs and are interned after.
    """

    _intern_table: dict[tuple[Any, ...], _Ref]
    _on_death: Callable[[_Ref], None]
    #: ``(setters, converters, whether every field is a child node)`` for classes built directly.
    _direct: tuple[tuple[Any, ...], tuple[Callable[[Any], Any], ...], bool] | None

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        direct = cls._direct
        if direct is not None and not kwargs:
            setters, _, children_only = direct
            if children_only and len(args) == len(setters):
                # The hot path: children that are nodes already are their own key.
                if len(args) == 2:  # the common case, without a loop
                    if type(args[0]) in _NODE_TYPES and type(args[1]) in _NODE_TYPES:
                        return _intern(cls, args, args, setters, args)
                else:
                    for arg in args:
                        if type(arg) not in _NODE_TYPES:
                            break
                    else:
                        return _intern(cls, args, args, setters, args)
        return _build(cls, args, kwargs)

    def interned(cls) -> int:
        """How many live nodes of this class the intern table holds."""
        return len(cls._intern_table)


def _build(cls: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Construction off the hot path: values to convert, keyword arguments, or a class attrs builds."""
    direct = cls._direct
    node = None
    if direct is not None and not kwargs and len(args) == len(direct[0]):
        setters, converters, children_only = direct
        if len(args) == 1 and not children_only:  # Const and Var, built often: without the maps (40 % faster)
            value = converters[0](args[0])
            return _intern(cls, (_key_part(value),), (), setters, (value,))
        values = tuple(map(operator.call, converters, args))
        kids = values if children_only else ()
    else:  # keywords, or any other class: attrs builds and validates the node, then it is interned
        if not cls.__dict__.get("_identity_ensured"):
            _ensure_identity(cls)
        node = super(_Interning, cls).__call__(*args, **kwargs)
        setters, values = (), tuple(getattr(node, name) for name in cls._field_names)
        kids = tuple(value for value in values if type(value) in _NODE_TYPES)
    return _intern(cls, tuple(map(_key_part, values)), kids, setters, values, node)


def _intern(
    cls: Any,
    key: tuple[Any, ...],
    kids: tuple[Any, ...],
    setters: tuple[Any, ...],
    values: tuple[Any, ...],
    node: Any = None,
) -> Any:
    """The live node under ``key``, or ``node`` (built from ``values`` if not given) entered there.

    The one lookup and the one entry of every class's intern table.
    """
    table = cls._intern_table
    ref = table.get(key)
    if ref is not None:
        found = ref()
        if found is not None:
            return found
    if node is None:
        node = _new_object(cls)
        if len(values) == 2:
            setters[0](node, values[0])
            setters[1](node, values[1])
        else:
            for setter, value in zip(setters, values, strict=True):
                setter(node, value)
    _set_kids(node, kids)
    ref = _Ref(node, cls._on_death)
    ref.key = key
    entered = table.setdefault(key, ref)  # atomic: of two threads entering equal nodes, one wins
    return node if entered is ref else _settle(table, key, ref)


def _ensure_identity(cls: Any) -> None:
    """Give a user's node class identity equality, hashing and our repr in place of attrs' generated ones.

    attrs' would recurse into the children and overflow the stack on a deep chain.
    """
    for name in ("__eq__", "__ne__", "__hash__", "__repr__"):  # Expr's: object's identity, our repr
        method = cls.__dict__.get(name)
        code = getattr(method, "__code__", None)
        if code is not None and code.co_filename.startswith("<attrs generated"):
            setattr(cls, name, getattr(Expr, name))
    type.__setattr__(cls, "_identity_ensured", True)


def _key_part(value: object) -> object:
    """Make 1, 1.0 and -0.0, 0.0 distinct intern keys although they compare equal."""
    kind = type(value)
    if kind in _NODE_TYPES:
        return value
    if isinstance(value, float) and not (value and value == value):
        return (kind, repr(value))  # zeros keep their sign; every NaN is one key
    return (kind, value)


class Expr(metaclass=_Interning):
    """Base class of every expression node; subclass it as a frozen attrs class."""

    __slots__ = ("_kids", "__weakref__")
    _field_names: ClassVar[tuple[str, ...]] = ()
    #: Every field is a child node, taken as given: ``cls(*kids)`` rebuilds a node from its children.
    _plain_children: ClassVar[bool] = False
    #: ``cls(*kids)`` for kids that are nodes already, straight to ``_intern`` (the engine's hot paths
    #: build from nodes only); the class itself when its fields are not all children.
    _make: ClassVar[Callable[..., Expr]]
    _kids: tuple[Expr, ...]
    #: The node type's record; None for a type without text syntax of its own (a user's, a pattern's).
    op: ClassVar[Op | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _NODE_TYPES.add(cls)
        # attrs rebuilds slotted classes; each build gets its own table.
        table: dict[tuple[Any, ...], _Ref] = {}
        cls._intern_table = table
        cls._on_death = _remover(table)
        cls._field_names = tuple(a.name for a in getattr(cls, "__attrs_attrs__", ()))
        cls._direct = None  # a subclass of a direct class goes through attrs until declared direct
        cls._plain_children = False
        cls._make = cls
        op = cls.__dict__.get("op")
        if op is not None:
            _OPERATORS[op.name] = cls

    # Nodes are immutable and interned, so copying returns the node itself.
    def __copy__(self) -> Expr:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Expr:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as a flat node table (chainrule.serialize): depth costs no recursion."""
        from .serialize import reduce_expr

        return reduce_expr(self)

    # Display is bounded (chainrule.display): a DAG's text can be exponentially long.
    def __str__(self) -> str:
        from .display import bounded_str

        return bounded_str(self)

    def __repr__(self) -> str:
        from .display import bounded_repr

        return bounded_repr(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        from .display import pretty

        pretty(self, printer, cycle)

    def _repr_latex_(self) -> str | None:
        """Jupyter shows an expression as typeset math (None, hence plain text, when it is huge)."""
        from .printers import latex_for_display

        return latex_for_display(self)

    # Operator sugar builds exactly the nodes a user would write by hand.
    def __add__(self, other: object) -> Any:
        return _binary(Sum, self, other)

    def __radd__(self, other: object) -> Any:
        return _binary(Sum, other, self)

    def __sub__(self, other: object) -> Any:
        return _binary(Sub, self, other)

    def __rsub__(self, other: object) -> Any:
        return _binary(Sub, other, self)

    def __mul__(self, other: object) -> Any:
        return _binary(Mul, self, other)

    def __rmul__(self, other: object) -> Any:
        return _binary(Mul, other, self)

    def __truediv__(self, other: object) -> Any:
        return _binary(Div, self, other)

    def __rtruediv__(self, other: object) -> Any:
        return _binary(Div, other, self)

    def __pow__(self, other: object) -> Any:
        from .functions import Pow

        return _binary(Pow, self, other)

    def __rpow__(self, other: object) -> Any:
        from .functions import Pow

        return _binary(Pow, other, self)

    def __neg__(self) -> Expr:
        return Mul(Const(-1), self)

    def __pos__(self) -> Expr:
        return self


_set_kids: Callable[[Expr, tuple[Expr, ...]], None] = Expr.__dict__["_kids"].__set__


def _direct(children_only: bool) -> Callable[[type[Expr]], type[Expr]]:
    """Declare a library node buildable without attrs' ``__init__``: through its converters alone.

    ``children_only``: every field is a child node (the converters are the identity on nodes).
    """

    def declare(cls: type[Expr]) -> type[Expr]:
        fields = attrs.fields(cls)  # type: ignore[arg-type]
        setters = tuple(getattr(cls, field.name).__set__ for field in fields)
        converters = tuple(field.converter for field in fields)
        cls._direct = (setters, converters, children_only)
        cls._plain_children = children_only
        if children_only:

            def make(*kids: Expr) -> Any:
                return _intern(cls, kids, kids, setters, kids)

            cls._make = staticmethod(make)
        return cls

    return declare


def _is_number(value: object) -> bool:
    kind = type(value)
    if kind is int or kind is float:
        return True
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy's too


def _binary(cls: Callable[[Expr, Expr], Expr], left: object, right: object) -> Any:
    if not (type(left) in _NODE_TYPES or _is_number(left)):
        return NotImplemented
    if not (type(right) in _NODE_TYPES or _is_number(right)):
        return NotImplemented
    return cls(as_expr(left), as_expr(right))


def as_expr(value: object, field: str = "value") -> Expr:
    """Wrap a number as a Const; reject anything else that is not a node."""
    if type(value) in _NODE_TYPES:
        return value  # type: ignore[return-value]
    if _is_number(value):
        return Const(value)
    raise TypeError(
        f"field {field!r} must be an expression or a number, got {type(value).__name__}: {value!r:.80}"
    )


def children(node: Expr) -> tuple[Expr, ...]:
    """The node's child expressions, in field order."""
    return node._kids


def _check_value(value: object) -> int | float:
    kind = type(value)
    if kind is float:  # the common cases first, without the numeric ABCs' slow checks
        if math.isfinite(value):  # type: ignore[arg-type]
            return value  # type: ignore[return-value]
        raise ValueError(f"Const value must be finite, got {value!r}")
    if kind is int and value.bit_length() <= _SAFE_BITS:  # type: ignore[attr-defined]
        return value  # type: ignore[return-value]
    if _is_bool(value):
        raise TypeError(f"Const value must be an int or float, not a boolean: {value!r}")
    if isinstance(value, numbers.Integral):  # an int beyond the fast path's length, numpy's integers
        number = int(value)
        if not -_INT_LIMIT < number < _INT_LIMIT:
            raise ValueError(f"Const value is an integer of more than {MAX_INT_DIGITS} digits")
        return number
    if isinstance(value, numbers.Rational):  # a Fraction: rounding it silently would lose exactness
        if value.denominator == 1:
            return _check_value(int(value.numerator))
        numerator, denominator = int(value.numerator), int(value.denominator)
        short = max(numerator.bit_length(), denominator.bit_length()) < 256  # so str() cannot fail
        text = f"{value}" if short else "..."
        raise TypeError(
            f"Const holds an int or a float, and {type(value).__name__} {text:.80} is neither exactly: "
            "use Div(Const(numerator), Const(denominator)) for the exact quotient, or float() to round it"
        )
    if isinstance(value, numbers.Real):
        return _check_value(float(value))
    raise TypeError(f"Const value must be an int or float, got {type(value).__name__}: {value!r:.80}")


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"Var name must be a str, got {type(name).__name__}: {name!r:.80}")
    if not name.isidentifier():
        raise ValueError(f"Var name must be a Python identifier, got {name!r:.80}")
    return name


def _to_x(value: object) -> Expr:
    return as_expr(value, "x")


def _to_y(value: object) -> Expr:
    return as_expr(value, "y")


@_direct(children_only=False)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Const(Expr):
    """A number: an int or a finite float."""

    op = Op("Const", None, ATOM, 0)
    value: int | float = attrs.field(converter=_check_value)


@_direct(children_only=False)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Var(Expr):
    """A named variable; the name is a Python identifier."""

    op = Op("Var", None, ATOM, 0)
    name: str = attrs.field(converter=_check_name)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sum(Expr):
    """x + y"""

    op = Op("Sum", "+", 1, 2, exact=operator.add)
    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sub(Expr):
    """x - y"""

    op = Op("Sub", "-", 1, 2, exact=operator.sub)
    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Mul(Expr):
    """x * y"""

    op = Op("Mul", "*", 2, 2, exact=operator.mul)
    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Div(Expr):
    """x / y"""

    op = Op("Div", "/", 2, 2, absorbing=(1,), exact=operator.truediv)
    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Exp(Expr):
    """e ** x"""

    op = Op("Exp", "exp", ATOM, 1, absorbing=(0,))
    x: Expr = attrs.field(converter=_to_x)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Log(Expr):
    """The natural logarithm of x."""

    op = Op("Log", "log", ATOM, 1)
    x: Expr = attrs.field(converter=_to_x)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class TanH(Expr):
    """The hyperbolic tangent of x."""

    op = Op("TanH", "tanh", ATOM, 1, absorbing=(0,))
    x: Expr = attrs.field(converter=_to_x)


def rebuild(node: Expr, kids: list[Expr] | tuple[Expr, ...]) -> Expr:
    """``node`` with its child expressions replaced by ``kids`` (the node itself if they are the same)."""
    old = node._kids
    if len(kids) != len(old):
        raise ValueError(f"{type(node).__name__} has {len(old)} children, got {len(kids)}")
    if tuple(kids) == old:  # nodes compare by identity: this is "the same children", in C
        return node
    cls: Any = type(node)
    if cls._plain_children:
        return cls(*kids)  # type: ignore[no-any-return]
    given = iter(kids)
    fields = {
        name: next(given) if isinstance(value, Expr) else value
        for name in cls._field_names
        for value in (getattr(node, name),)
    }
    return cls(**fields)  # type: ignore[no-any-return]
