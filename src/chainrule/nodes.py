"""The expression tree: frozen, slotted, hash-consed attrs nodes.

Every node is interned: building a node equal in structure to a live one
returns that very object.  Equality and hashing are therefore identity
operations, O(1) and free of recursion however deep the tree is, and a DAG's
sharing comes for free.
"""

from __future__ import annotations

import math
import numbers
import weakref
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
    "children",
    "as_expr",
]

#: Longest integer accepted as a constant: beyond this Python cannot print it.
MAX_INT_DIGITS = 4300


class _Ref(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that remembers its intern-table key, so its callback can drop the entry."""

    __slots__ = ("key",)
    key: tuple[Any, ...]


def _remover(table: dict[tuple[Any, ...], _Ref]) -> Callable[[_Ref], None]:
    def remove(ref: _Ref) -> None:
        if table.get(ref.key) is ref:
            del table[ref.key]

    return remove


class _Interning(type):
    """Metaclass that returns the live equal node instead of building a twin."""

    _intern_table: dict[tuple[Any, ...], _Ref]
    _on_death: Callable[[_Ref], None]

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        table = cls._intern_table
        names: tuple[str, ...] = cls._field_names  # type: ignore[attr-defined]
        # Fast path: every child already a node, given positionally; most builds are this.
        if not kwargs and len(args) == len(names) and args:
            for arg in args:
                if not isinstance(arg, Expr):
                    break
            else:
                key = (cls, *args)
                ref = table.get(key)
                if ref is not None:
                    found = ref()
                    if found is not None:
                        return found
                if cls._plain_children:  # type: ignore[attr-defined]
                    # The converters are the identity on nodes, so skip attrs' __init__.
                    node: Any = object.__new__(cls)  # type: ignore[arg-type]
                    for setter, value in zip(cls._slot_setters, args, strict=True):  # type: ignore[attr-defined]
                        setter(node, value)
                    object.__setattr__(node, "_kids", args)
                    return cls._remember(key, node)
        node = super().__call__(*args, **kwargs)
        values = tuple(getattr(node, n) for n in names)
        key = (cls, *(_key_part(v) for v in values))
        ref = table.get(key)
        if ref is not None:
            found = ref()
            if found is not None:
                return found
        object.__setattr__(node, "_kids", tuple(v for v in values if isinstance(v, Expr)))
        return cls._remember(key, node)

    def _remember(cls, key: tuple[Any, ...], node: Any) -> Any:
        ref = _Ref(node, cls._on_death)
        ref.key = key
        cls._intern_table[key] = ref
        return node

    def interned(cls) -> int:
        """How many live nodes of this class the intern table holds."""
        return len(cls._intern_table)


def _key_part(value: object) -> object:
    """Make 1, 1.0 and -0.0, 0.0 distinct intern keys although they compare equal."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, float):
        return (float, repr(value))
    return (type(value), value)


class Expr(metaclass=_Interning):
    """Base class of every expression node; subclass it as a frozen attrs class."""

    __slots__ = ("_kids", "__weakref__")
    _field_names: ClassVar[tuple[str, ...]] = ()
    _plain_children: ClassVar[bool] = False
    _slot_setters: ClassVar[tuple[Any, ...]] = ()
    _kids: tuple[Expr, ...]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # attrs rebuilds slotted classes; each build gets its own table.
        table: dict[tuple[Any, ...], _Ref] = {}
        cls._intern_table = table
        cls._on_death = _remover(table)
        cls._field_names = tuple(a.name for a in getattr(cls, "__attrs_attrs__", ()))
        cls._plain_children = False

    # Nodes are immutable and interned, so copying returns the node itself.
    def __copy__(self) -> Expr:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Expr:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), tuple(getattr(self, n) for n in self._field_names))

    def __str__(self) -> str:
        from .show import show

        return show(self)

    def __repr__(self) -> str:
        from .show import show_repr

        return show_repr(self)

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

    def __neg__(self) -> Expr:
        return Mul(Const(-1), self)

    def __pos__(self) -> Expr:
        return self


def _trusted(cls: type[Expr]) -> type[Expr]:
    """Mark a library node whose fields are all child expressions with pure converters."""
    cls._plain_children = True
    cls._slot_setters = tuple(getattr(cls, name).__set__ for name in cls._field_names)
    return cls


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy's too


def _binary(cls: Callable[[Expr, Expr], Expr], left: object, right: object) -> Any:
    if not (isinstance(left, Expr) or _is_number(left)):
        return NotImplemented
    if not (isinstance(right, Expr) or _is_number(right)):
        return NotImplemented
    return cls(as_expr(left), as_expr(right))


def as_expr(value: object, field: str = "value") -> Expr:
    """Wrap a number as a Const; reject anything else that is not a node."""
    if isinstance(value, Expr):
        return value
    if _is_number(value):
        return Const(value)
    raise TypeError(
        f"field {field!r} must be an expression or a number, got {type(value).__name__}: {value!r:.80}"
    )


def children(node: Expr) -> tuple[Expr, ...]:
    """The node's child expressions, in field order."""
    return node._kids


def _check_value(value: object) -> int | float:
    if _is_bool(value):
        raise TypeError(f"Const value must be an int or float, not a boolean: {value!r}")
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_DIGITS * 3.32:
            raise ValueError(f"Const value is an integer of more than {MAX_INT_DIGITS} digits")
        return int(value)
    if isinstance(value, numbers.Integral):
        return _check_value(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"Const value must be finite, got {number!r}")
        return number
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


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Const(Expr):
    """A number: an int or a finite float."""

    value: int | float = attrs.field(converter=_check_value)


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Var(Expr):
    """A named variable; the name is a Python identifier."""

    name: str = attrs.field(converter=_check_name)


@_trusted
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sum(Expr):
    """x + y"""

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_trusted
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sub(Expr):
    """x - y"""

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_trusted
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Mul(Expr):
    """x * y"""

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_trusted
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Div(Expr):
    """x / y"""

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_trusted
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Exp(Expr):
    """e ** x"""

    x: Expr = attrs.field(converter=_to_x)


@_trusted
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Log(Expr):
    """The natural logarithm of x."""

    x: Expr = attrs.field(converter=_to_x)


@_trusted
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class TanH(Expr):
    """The hyperbolic tangent of x."""

    x: Expr = attrs.field(converter=_to_x)
