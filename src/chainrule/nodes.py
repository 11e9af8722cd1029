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
    "rebuild",
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
        key = ref.key
        if table.get(key) is ref:  # a twin built after this node died has taken the key
            del table[key]

    return remove


#: Every Expr subclass.  ``type(v) in _NODE_TYPES`` answers ``isinstance(v, Expr)`` without the
#: metaclass's slow ``__instancecheck__`` lookup; construction asks it for every argument.
_NODE_TYPES: set[type] = set()

_new_object = object.__new__


class _Interning(type):
    """Metaclass that returns the live equal node instead of building a twin.

    A class's intern table maps the key of its field values (the children
    themselves, for library nodes) to a weak reference to the live node.
    Library classes are built *directly* (``_direct``): their converters run,
    the table is consulted, and only a new node is allocated, without attrs'
    ``__init__``; other subclasses go through attrs and are interned after.
    """

    _intern_table: dict[tuple[Any, ...], _Ref]
    _on_death: Callable[[_Ref], None]
    #: ``(setters, converters, children_only, intern table, on_death)`` for classes built directly.
    _direct: (
        tuple[
            tuple[Any, ...], tuple[Callable[[Any], Any], ...], bool, dict[Any, _Ref], Callable[[_Ref], None]
        ]
        | None
    )

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        direct = cls._direct
        if direct is not None:
            setters, converters, children_only, table, on_death = direct
            given = _positional(cls, args, kwargs) if kwargs else args
            if given is not None and len(given) == len(setters):
                values: tuple[Any, ...]
                if children_only:
                    # The hot path: children already nodes are their own key.
                    for arg in given:
                        if type(arg) not in _NODE_TYPES:
                            values = tuple(convert(v) for convert, v in zip(converters, given, strict=True))
                            break
                    else:
                        values = given
                    key = kids = values
                else:
                    if len(given) == 1:
                        values = (converters[0](given[0]),)
                        key = (_key_part(values[0]),)
                    else:
                        values = tuple(convert(v) for convert, v in zip(converters, given, strict=True))
                        key = tuple(_key_part(value) for value in values)
                    kids = ()
                ref = table.get(key)
                if ref is not None:
                    found = ref()
                    if found is not None:
                        return found
                node: Any = _new_object(cls)  # type: ignore[arg-type]
                if len(values) == 2:
                    first, second = setters
                    first(node, values[0])
                    second(node, values[1])
                else:
                    for setter, value in zip(setters, values, strict=True):
                        setter(node, value)
                _set_kids(node, kids)
                ref = _Ref(node, on_death)
                ref.key = key
                table[key] = ref
                return node
        # Any other class: attrs builds (and validates) the node, then it is interned.
        if not cls.__dict__.get("_identity_ensured"):
            _ensure_identity(cls)
        node = super().__call__(*args, **kwargs)
        values = tuple(getattr(node, name) for name in cls._field_names)  # type: ignore[attr-defined]
        key = tuple(_key_part(value) for value in values)
        table = cls._intern_table
        ref = table.get(key)
        if ref is not None:
            found = ref()
            if found is not None:
                return found
        _set_kids(node, tuple(value for value in values if type(value) in _NODE_TYPES))
        ref = _Ref(node, cls._on_death)
        ref.key = key
        table[key] = ref
        return node

    def interned(cls) -> int:
        """How many live nodes of this class the intern table holds."""
        return len(cls._intern_table)


def _ensure_identity(cls: Any) -> None:
    """Give a user's node class identity equality, hashing and our repr in place of attrs' generated ones.

    Interning makes identity the structural comparison; attrs' generated
    ``__eq__``/``__hash__``/``__repr__`` would recurse into the children and
    overflow the stack on a deep chain of the user's nodes.
    """
    for name, replacement in (
        ("__eq__", object.__eq__),
        ("__ne__", object.__ne__),
        ("__hash__", object.__hash__),
        ("__repr__", Expr.__repr__),
    ):
        method = cls.__dict__.get(name)
        code = getattr(method, "__code__", None)
        if code is not None and code.co_filename.startswith("<attrs generated"):
            setattr(cls, name, replacement)
    type.__setattr__(cls, "_identity_ensured", True)


def _positional(cls: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """Keyword arguments in field order, when they name exactly the fields after ``args``.

    None otherwise: attrs' own ``__init__`` then reports the mismatch in its words.
    """
    rest = cls._field_names[len(args) :]
    if len(kwargs) != len(rest) or any(name not in kwargs for name in rest):
        return None
    return (*args, *(kwargs[name] for name in rest))


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
    #: For classes with plain children: build from child nodes without argument checks (see _maker).
    _make: ClassVar[Callable[..., Expr]]
    _kids: tuple[Expr, ...]

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


_set_kids: Callable[[Expr, tuple[Expr, ...]], None] = Expr.__dict__["_kids"].__set__


def _direct(children_only: bool) -> Callable[[type[Expr]], type[Expr]]:
    """Declare a library node buildable without attrs' ``__init__``.

    Its fields take positional or keyword values through their converters
    alone (no validators, defaults or post-init); ``children_only`` says every
    field is a child node and the converters are the identity on nodes.
    """

    def declare(cls: type[Expr]) -> type[Expr]:
        fields = attrs.fields(cls)  # type: ignore[arg-type]
        setters = tuple(getattr(cls, field.name).__set__ for field in fields)
        converters = tuple(field.converter for field in fields)
        cls._direct = (setters, converters, children_only, cls._intern_table, cls._on_death)
        cls._plain_children = children_only
        if children_only:
            cls._make = _maker(cls, setters)
        return cls

    return declare


def _maker(cls: type[Expr], setters: tuple[Any, ...]) -> Callable[..., Any]:
    """``cls(*kids)`` for kids that are already nodes: the intern lookup and nothing else.

    The engine's own hot paths (rewriting, differentiation) build nodes from
    nodes only, so they skip the metaclass's argument handling.
    """
    table, on_death = cls._intern_table, cls._on_death

    def make(*kids: Expr) -> Any:
        ref = table.get(kids)
        if ref is not None:
            found = ref()
            if found is not None:
                return found
        node = _new_object(cls)
        for setter, kid in zip(setters, kids, strict=True):
            setter(node, kid)
        _set_kids(node, kids)
        ref = _Ref(node, on_death)
        ref.key = kids
        table[kids] = ref
        return node

    if len(setters) == 2:
        first, second = setters

        def make2(x: Expr, y: Expr) -> Any:
            key = (x, y)
            ref = table.get(key)
            if ref is not None:
                found = ref()
                if found is not None:
                    return found
            node = _new_object(cls)
            first(node, x)
            second(node, y)
            _set_kids(node, key)
            ref = _Ref(node, on_death)
            ref.key = key
            table[key] = ref
            return node

        return make2
    if len(setters) == 1:
        (only,) = setters

        def make1(x: Expr) -> Any:
            key = (x,)
            ref = table.get(key)
            if ref is not None:
                found = ref()
                if found is not None:
                    return found
            node = _new_object(cls)
            only(node, x)
            _set_kids(node, key)
            ref = _Ref(node, on_death)
            ref.key = key
            table[key] = ref
            return node

        return make1
    return make


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
    if kind is int and value.bit_length() <= MAX_INT_DIGITS * 3.32:  # type: ignore[attr-defined]
        return value  # type: ignore[return-value]
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


@_direct(children_only=False)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Const(Expr):
    """A number: an int or a finite float."""

    value: int | float = attrs.field(converter=_check_value)


@_direct(children_only=False)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Var(Expr):
    """A named variable; the name is a Python identifier."""

    name: str = attrs.field(converter=_check_name)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sum(Expr):
    """x + y"""

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Sub(Expr):
    """x - y"""

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Mul(Expr):
    """x * y"""

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Div(Expr):
    """x / y"""

    x: Expr = attrs.field(converter=_to_x)
    y: Expr = attrs.field(converter=_to_y)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Exp(Expr):
    """e ** x"""

    x: Expr = attrs.field(converter=_to_x)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Log(Expr):
    """The natural logarithm of x."""

    x: Expr = attrs.field(converter=_to_x)


@_direct(children_only=True)
@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class TanH(Expr):
    """The hyperbolic tangent of x."""

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
