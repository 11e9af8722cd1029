"""Pickle and JSON: an expression as a flat node table, written and rebuilt without recursion.

Both forms list the distinct nodes children first, each naming its children
by their index in the table, so a 100,000-deep chain is a flat list (pickle
and ``json`` recurse on nesting, never on length) and a shared part is
written once.  Rebuilding goes through the constructors, so every node read
back *is* the interned node (``is``, not just ``==``).

JSON format, version 1::

    {"format": "chainrule", "version": 1,
     "nodes": [["Var", ["x"]], ["Const", [2]], ["Mul", 1, 0]],
     "root": 2}

A node entry is its type's name and one item per field, in field order: an
integer is the index of a child node (always an earlier entry), and a
one-element array holds a plain value (a number, a string, true/false or
null).  The library's node types are named by their class name; a user's
node type by ``module.qualname``, and ``from_json`` finds it only among the
classes already defined (it never imports a module named in the text).
``root`` is one index, a list of them or an object of them, for an
expression, a sequence or a mapping with string keys.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import ChainruleError
from .nodes import Expr
from .traverse import postorder

__all__ = ["FORMAT", "VERSION", "to_json", "from_json", "reduce_expr", "picklable", "PicklableFunction"]

FORMAT = "chainrule"
VERSION = 1

# ---------------------------------------------------------------------------------------------------
# pickle


def reduce_expr(expr: Expr) -> tuple[Any, ...]:
    """``Expr.__reduce__``: a leaf as its constructor call, anything else as its node table."""
    if not expr._kids:
        return (type(expr), tuple(getattr(expr, name) for name in expr._field_names))
    index: dict[Expr, int] = {}
    entries: list[tuple[Any, ...]] = []
    for node in postorder(expr):
        kind = type(node)
        if kind._plain_children:
            entries.append((kind, tuple(index[kid] for kid in node._kids), None))
        else:
            values = [getattr(node, name) for name in kind._field_names]
            refs = tuple(i for i, value in enumerate(values) if isinstance(value, Expr))
            for i in refs:
                values[i] = index[values[i]]
            entries.append((kind, tuple(values), refs))
        index[node] = len(index)
    return (_rebuild, (tuple(entries),))


def _rebuild(entries: Sequence[tuple[Any, ...]]) -> Expr:
    """Unpickle a node table, children first; the constructors return the interned nodes."""
    built: list[Expr] = []
    for kind, values, refs in entries:
        if refs is None:
            built.append(kind(*[built[i] for i in values]))
        else:
            args = list(values)
            for i in refs:
                args[i] = built[args[i]]
            built.append(kind(**dict(zip(kind._field_names, args, strict=True))))
    return built[-1]


class PicklableFunction(functools.partial):  # type: ignore[type-arg]
    """A compiled function that pickles as the recipe that compiles it again.

    Generated code has no importable name, so pickle cannot send the function
    itself; a worker process rebuilds it from the expressions instead.  (A
    ``functools.partial`` subclass: calling it costs one C-level hop.)
    """

    @property
    def args(self) -> tuple[str, ...]:
        """The argument names, in order."""
        return self.__dict__["args"]  # type: ignore[no-any-return]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_recompile, self.__dict__["_recipe"])


def picklable(function: Callable[..., Any], exprs: Any, args: Any, **options: Any) -> PicklableFunction:
    """Wrap ``lambdify``'s generated function so that it pickles as ``lambdify(exprs, args, **options)``."""
    wrapped = PicklableFunction(function)
    wrapped.__dict__.update(
        source=getattr(function, "source", None),
        args=getattr(function, "args", ()),
        __doc__=function.__doc__,
        _recipe=(exprs, args, options),
    )
    return wrapped


def _recompile(exprs: Any, args: Any, options: dict[str, Any]) -> Any:
    from .compile import lambdify

    return lambdify(exprs, args, **options)


# ---------------------------------------------------------------------------------------------------
# JSON


def _library_module(kind: type) -> bool:
    return kind.__module__ == "chainrule" or kind.__module__.startswith("chainrule.")


def _type_name(kind: type) -> str:
    return kind.__name__ if _library_module(kind) else f"{kind.__module__}.{kind.__qualname__}"


def _node_types() -> dict[str, type[Expr]]:
    """Every node class defined so far, by its JSON name (attrs' slotted rebuild, not the original)."""
    found: dict[str, type[Expr]] = {}
    stack: list[type[Expr]] = [Expr]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if "__attrs_attrs__" in sub.__dict__:
                found[_type_name(sub)] = sub
    return found


def _plain_value(value: object) -> bool:
    kind = type(value)
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    return kind in (int, str, bool) or value is None


def to_json(exprs: Expr | Sequence[Expr] | Mapping[str, Expr], *, indent: int | None = None) -> str:
    """JSON text of an expression, a sequence or a mapping (string keys) of them; sharing is kept.

    Linear in the distinct nodes; ``from_json`` reads it back to the same nodes.
    """
    root: Any
    if isinstance(exprs, Expr):
        outputs: list[Expr] = [exprs]
    elif isinstance(exprs, Mapping):
        for key, value in exprs.items():
            if not isinstance(key, str):
                raise TypeError(f"to_json: mapping keys must be strings (JSON's), got {type(key).__name__}")
            if not isinstance(value, Expr):
                raise TypeError(
                    f"to_json: value for {key!r:.80} is not an expression: {type(value).__name__}"
                )
        outputs = list(exprs.values())
    elif isinstance(exprs, Sequence) and not isinstance(exprs, str):
        outputs = list(exprs)
        for position, value in enumerate(outputs):
            if not isinstance(value, Expr):
                raise TypeError(f"to_json: item {position} is not an expression: {type(value).__name__}")
    else:
        raise TypeError(
            f"to_json expects an expression, a sequence or a mapping of them, got {type(exprs).__name__}"
        )
    index: dict[Expr, int] = {}
    nodes: list[list[Any]] = []
    names: dict[type, str] = {}
    for node in postorder(*outputs):
        kind = type(node)
        name = names.get(kind)
        if name is None:
            name = names[kind] = _type_name(kind)
        entry: list[Any] = [name]
        for field in kind._field_names:
            value = getattr(node, field)
            if isinstance(value, Expr):
                entry.append(index[value])
            elif _plain_value(value):
                entry.append([value])
            else:
                raise TypeError(
                    f"to_json: field {field!r} of a {name} node holds a {type(value).__name__}, "
                    "which JSON cannot hold (numbers, strings, booleans and null can be)"
                )
        index[node] = len(nodes)
        nodes.append(entry)
    if isinstance(exprs, Expr):
        root = index[exprs]
    elif isinstance(exprs, Mapping):
        root = {key: index[value] for key, value in exprs.items()}
    else:
        root = [index[value] for value in outputs]
    document = {"format": FORMAT, "version": VERSION, "nodes": nodes, "root": root}
    return json.dumps(document, allow_nan=False, indent=indent, separators=None if indent else (",", ":"))


def _bad(message: str) -> ChainruleError:
    return ChainruleError(f"from_json: {message}")


def from_json(text: str | bytes) -> Expr | list[Expr] | dict[str, Expr]:
    """Read ``to_json``'s text back: an expression, a list or a dict of them, as the interned nodes.

    Malformed text raises ChainruleError saying where (which node entry and field).
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"not JSON: {exc}") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise _bad(f"unreadable JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _bad(f'not a chainrule document (an object with "format": "{FORMAT}")')
    version = document.get("version")
    if version != VERSION:
        raise _bad(
            f"format version {version!r:.40} is not supported (this chainrule reads version {VERSION})"
        )
    entries = document.get("nodes")
    if not isinstance(entries, list):
        raise _bad('"nodes" must be a list of node entries')
    if "root" not in document:
        raise _bad('"root" is missing')
    types = _node_types()
    built: list[Expr] = []
    for position, entry in enumerate(entries):
        built.append(_node(position, entry, types, built))
    return _roots(document["root"], built)


def _node(position: int, entry: object, types: Mapping[str, type[Expr]], built: list[Expr]) -> Expr:
    where = f"node {position}"
    if not isinstance(entry, list) or not entry or not isinstance(entry[0], str):
        raise _bad(f"{where} must be a list: a type name, then one item per field")
    name = entry[0]
    kind = types.get(name)
    if kind is None:
        raise _bad(f"{where}: unknown node type {name!r:.80} (a user's type must be defined before reading)")
    where = f"{where} ({name})"
    fields = kind._field_names
    if kind._plain_children and len(entry) - 1 == len(fields):
        kids = entry[1:]
        if all(type(item) is int and 0 <= item < position for item in kids):
            return kind(*[built[item] for item in kids])  # the common case: children are nodes
    if len(entry) - 1 != len(fields):
        raise _bad(f"{where} has {len(entry) - 1} fields, the type has {len(fields)} ({', '.join(fields)})")
    args: list[Any] = []
    for field, item in zip(fields, entry[1:], strict=True):
        if type(item) is int:
            if not 0 <= item < position:
                raise _bad(f"{where}, field {field!r}: child index {item} is not an earlier node")
            args.append(built[item])
        elif isinstance(item, list) and len(item) == 1 and _plain_value(item[0]):
            args.append(item[0])
        else:
            raise _bad(
                f"{where}, field {field!r}: expected a child index or a one-element list holding a value, "
                f"got {json.dumps(item)[:80]}"
            )
    try:
        return kind(**dict(zip(fields, args, strict=True)))
    except (TypeError, ValueError) as exc:
        raise _bad(f"{where}: {exc}") from None


def _roots(root: object, built: list[Expr]) -> Expr | list[Expr] | dict[str, Expr]:
    def node(item: object, where: str) -> Expr:
        if type(item) is not int or not 0 <= item < len(built):
            raise _bad(f"{where} must be the index of a node (0 to {len(built) - 1}), got {item!r:.80}")
        return built[item]

    if isinstance(root, list):
        return [node(item, f"root item {i}") for i, item in enumerate(root)]
    if isinstance(root, dict):
        return {key: node(item, f"root {key!r:.80}") for key, item in root.items()}
    return node(root, "root")
