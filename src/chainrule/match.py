"""The one matcher: a pattern compiled once into closures, one per pattern node.

Each pattern node becomes ``m(expr, bindings) -> bool`` (SymbolicUtils'
``matchers.jl``), chosen by the dispatch case ``match_node(pattern,
*child_matchers)``: a repeated variable must meet the very same (interned)
subexpression, constants compare by value, other nodes structurally.
``compile_build`` makes ``b(bindings) -> Expr`` per right-side node.  The
closures nest as deep as the pattern, hence ``MAX_PATTERN_DEPTH``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from multipledispatch import Dispatcher

from .dispatch import NAMESPACE, resolve
from .errors import RuleError
from .exact import compute
from .nodes import Const, Expr, Var, children, rebuild
from .patterns import KINDS, Computed, PatternVar
from .traverse import fold_cases

__all__ = [
    "MAX_PATTERN_DEPTH",
    "Bindings",
    "Builder",
    "Matcher",
    "NoRewrite",
    "compile_build",
    "compile_match",
    "constant_of",
    "match",
    "match_node",
    "type_test",
]

#: Pattern variable name -> the subexpression it matched.
Bindings = dict[str, Expr]
#: ``matcher(expr, bindings)``: whether ``expr`` matches, binding variables into ``bindings`` as it goes.
Matcher = Callable[[Expr, Bindings], bool]
#: ``builder(bindings)``: the right side with the bound subexpressions put in.
Builder = Callable[[Bindings], Expr]

#: How deeply a pattern or right side may nest (its closures call each other that deep).
MAX_PATTERN_DEPTH = 200

match_node = NAMESPACE["match_node"] = Dispatcher(
    "match_node",
    doc="match_node(pattern, *child_matchers) -> the closure m(expr, bindings) -> bool for one pattern node",
)


class NoRewrite(Exception):
    """A right side cannot be built for these bindings (a ``{...}`` block does not fold)."""


def _check_depth(pattern: Expr, what: str) -> None:
    depth = fold_cases(pattern, lambda kind: lambda node, *depths: 1 + max(depths, default=0))
    if depth > MAX_PATTERN_DEPTH:
        raise RuleError(f"the {what} nests {depth} levels deep; rules may nest at most {MAX_PATTERN_DEPTH}")


def compile_match(pattern: Expr) -> Matcher:
    """The closure that decides whether an expression matches ``pattern``."""
    _check_depth(pattern, "pattern")
    return fold_cases(pattern, lambda kind: resolve(match_node, kind))  # type: ignore[no-any-return]


def match(pattern: Expr, expr: Expr, bindings: Mapping[str, Expr] | None = None) -> Bindings | None:
    """The bindings that make ``pattern`` equal to ``expr`` (extending ``bindings``), or None.

    Compiles ``pattern`` on every call; a ``Rule`` compiles its pattern once.
    """
    found: Bindings = {} if bindings is None else dict(bindings)
    return found if compile_match(pattern)(expr, found) else None


def _variable(pattern: PatternVar) -> Matcher:
    name = pattern.name
    accepts = None if pattern.kind is None else KINDS[pattern.kind]

    def bind(expr: Expr, bindings: Bindings) -> bool:
        # Binds a variable of its kind; a bound one must be the same (interned) node.
        return (accepts is None or accepts(expr)) and bindings.setdefault(name, expr) is expr

    return bind


def _number(pattern: Const) -> Matcher:
    value = pattern.value

    def same_number(expr: Expr, bindings: Bindings) -> bool:
        return isinstance(expr, Const) and expr.value == value

    return same_number


def _variable_name(pattern: Var) -> Matcher:
    def same_variable(expr: Expr, bindings: Bindings) -> bool:
        return expr is pattern  # interned: the variable of that name is this very node

    return same_variable


def _structural(pattern: Expr, *kids: Matcher) -> Matcher:
    kind = type(pattern)
    data = [
        (name, getattr(pattern, name))
        for name in pattern._field_names
        if not isinstance(getattr(pattern, name), Expr)
    ]
    # The common case, unrolled: this runs for every node simplify tries (measured: W1 15 %, W4 2x).
    if not data and len(kids) == 2:
        first, second = kids

        def same_binary(expr: Expr, bindings: Bindings) -> bool:
            if type(expr) is not kind:
                return False
            a, b = expr._kids
            return first(a, bindings) and second(b, bindings)

        return same_binary

    def same_node(expr: Expr, bindings: Bindings) -> bool:
        if type(expr) is not kind or any(getattr(expr, name) != value for name, value in data):
            return False
        return all(m(kid, bindings) for m, kid in zip(kids, children(expr), strict=True))

    return same_node


match_node.add((Expr,), _structural)
match_node.add((Var,), _variable_name)
match_node.add((Const,), _number)
match_node.add((PatternVar,), _variable)


def _any_type(kind: type) -> bool:
    return True


#: The built-in kinds' type tests, by the kind's test of an expression (a kind redefined in KINDS has none).
_KIND_TYPES: dict[Callable[[Expr], bool], Callable[[type], bool]] = {
    KINDS["const"]: lambda other: issubclass(other, Const),
    KINDS["nonconst"]: lambda other: not issubclass(other, Const),
    KINDS["var"]: lambda other: issubclass(other, Var),
}


def type_test(pattern: Expr) -> Callable[[type], bool]:
    """What the pattern's compiled closure demands of an expression's type: a test that passes every
    type of expression the closure could match (the rule index files rules by their children's types)."""
    case = resolve(match_node, type(pattern))
    if case is _structural or case is _variable_name:
        kind = type(pattern)
        return lambda other: other is kind
    if case is _number:
        return lambda other: issubclass(other, Const)
    if case is _variable and isinstance(pattern, PatternVar) and pattern.kind is not None:
        return _KIND_TYPES.get(KINDS[pattern.kind], _any_type)
    return _any_type


def constant_of(pattern: Expr) -> object:
    """The number a pattern node's closure requires (by value), or None if it requires none."""
    if resolve(match_node, type(pattern)) is _number:
        return pattern.value  # type: ignore[attr-defined]
    return None


#: A right side's node with no variable in it is its own result; others get a closure.
_Part = Expr | Builder


def _build_case(kind: type) -> Callable[..., _Part]:
    if kind is PatternVar:
        return lambda node: itemgetter(node.name)
    if kind is Computed:
        return _computed
    return _build_node


def _computed(node: Computed, inside: object) -> Builder:
    block = node.x

    def fold(bindings: Bindings) -> Expr:
        value = compute(block, bindings)
        if value is None:
            raise NoRewrite
        return value

    return fold


def _build_node(node: Expr, *kids: _Part) -> _Part:
    if all(isinstance(kid, Expr) for kid in kids):
        return node  # nothing to put in
    parts: list[Builder] = [kid if not isinstance(kid, Expr) else _constant(kid) for kid in kids]
    cls: Any = type(node)
    # The parts build nodes: a node type with plain children goes straight to the intern lookup.
    make = cls._make if cls._plain_children else lambda *new: rebuild(node, new)
    return lambda bindings: make(*[part(bindings) for part in parts])


def _constant(node: Expr) -> Builder:
    return lambda bindings: node


def compile_build(template: Expr) -> Builder:
    """The closure that builds ``template`` from bindings (NoRewrite if a ``{...}`` block does not fold)."""
    _check_depth(template, "right side")
    built: _Part = fold_cases(template, _build_case)
    return _constant(built) if isinstance(built, Expr) else built
