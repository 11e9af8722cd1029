"""A rule compiled to one straight-line Python function: the matcher the engine runs per node.

``Rule.rewrite`` drives the general matcher (``match``: a dispatch per
pattern node, a bindings dict, an instantiation walk).  For a rule whose
pattern uses only the library's matching cases, the same decision is a
handful of ``type(n) is T`` and ``n is m`` tests on the node's children;
``compiled`` writes that function once per rule.  The generated source
names only objects it puts in the function's namespace itself (types,
constants, conditions, the rule's right side), never text from the rule,
so nothing a user writes reaches ``exec``.  It is only valid while the
default ``match_node`` cases are the only ones (``match.defaults_only``);
``table.RuleIndex`` falls back to ``Rule.rewrite`` otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .exact import compute
from .nodes import Const, Expr, Mul, Sub, Sum, Var
from .patterns import KINDS, Computed, PatternVar
from .rules import Rule
from .traverse import postorder

__all__ = ["compiled"]

Rewrite = Callable[[Expr], Expr]


class _Unsupported(Exception):
    """The rule has a part only the general matcher handles (a node type with data fields)."""


class _Writer:
    """Source lines plus the namespace of objects they refer to by generated names."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {"Const": Const, "Var": Var}
        self.names: dict[int, str] = {}

    def constant(self, value: object, prefix: str) -> str:
        key = id(value)
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"{prefix}{len(self.names)}"
            self.namespace[name] = value
        return name

    def fail_unless(self, test: str) -> None:
        self.lines.append(f"    if not ({test}): return e")


_INLINE_KINDS = {
    "const": "isinstance({}, Const)",
    "nonconst": "not isinstance({}, Const)",
    "var": "isinstance({}, Var)",
}


def _write_match(w: _Writer, lhs: Expr) -> dict[str, str]:
    """Checks that ``e`` matches ``lhs``; returns the local holding each pattern variable."""
    bound: dict[str, str] = {}
    todo: list[tuple[Expr, str]] = [(lhs, "e")]
    fresh = 0
    while todo:
        pattern, local = todo.pop()
        kind = type(pattern)
        if kind is PatternVar:
            name, restriction = pattern.name, pattern.kind  # type: ignore[attr-defined]
            if name in bound:
                w.fail_unless(f"{local} is {bound[name]}")
            else:
                bound[name] = local
            if restriction is not None:
                template = _INLINE_KINDS.get(restriction)
                if template is not None and KINDS[restriction] is _DEFAULT_KINDS[restriction]:
                    w.fail_unless(template.format(local))
                else:
                    w.fail_unless(f"{w.constant(KINDS[restriction], 'A')}({local})")
        elif kind is Const:
            value = w.constant(pattern.value, "K")  # type: ignore[attr-defined]
            w.fail_unless(f"isinstance({local}, Const) and {local}.value == {value}")
        elif kind is Var:
            # Interned: the variable of that name is this very object.
            w.fail_unless(f"{local} is {w.constant(pattern, 'V')}")
        else:
            if not kind._plain_children or not pattern._kids:
                raise _Unsupported
            w.fail_unless(f"type({local}) is {w.constant(kind, 'T')}")
            kids = []
            for child in pattern._kids:
                kids.append(f"n{fresh}")
                todo.append((child, f"n{fresh}"))
                fresh += 1
            w.lines.append(f"    {', '.join(kids)}, = {local}._kids")
    return bound


def _write_build(w: _Writer, rhs: Expr, bound: dict[str, str]) -> str:
    """Statements building ``rhs`` from the matched locals; returns the expression to return."""
    built: dict[Expr, str] = {}
    inside_blocks = {
        inner for node in postorder(rhs) if type(node) is Computed for inner in postorder(node.x)
    }
    for node in postorder(rhs):
        if node in inside_blocks:
            continue
        kind = type(node)
        if kind is PatternVar:
            built[node] = bound[node.name]  # type: ignore[attr-defined]
        elif kind is Const or kind is Var:
            built[node] = w.constant(node, "V")
        elif kind is Computed:
            built[node] = _write_fold(w, node, bound, f"b{len(built)}")
        elif kind._plain_children and node._kids:
            local = f"b{len(built)}"
            args = ", ".join(built[kid] for kid in node._kids)
            w.lines.append(f"    {local} = {w.constant(kind, 'T')}({args})")
            built[node] = local
        else:
            raise _Unsupported
    return built[rhs]


#: Folds of two ints that Python's int arithmetic computes exactly, as ``exact.compute`` would.
_INT_FOLDS = {Sum: "+", Sub: "-", Mul: "*"}


def _write_fold(w: _Writer, block: Expr, bound: dict[str, str], local: str) -> str:
    """A ``{...}`` block: ``exact.compute``, with the common ``{?a op ?b}`` of two ints inline."""
    inside = block.x  # type: ignore[attr-defined]
    w.namespace["compute"] = compute
    general = [
        f"{local} = compute({w.constant(inside, 'X')}, bindings)",
        f"if {local} is None: return e",
    ]
    operator = _INT_FOLDS.get(type(inside))
    operands = inside._kids
    if operator is None or any(type(kid) is not PatternVar for kid in operands):
        w.lines += ["    " + line for line in general]
        return local
    a, b = (bound[kid.name] + ".value" for kid in operands)
    w.namespace["LARGEST"] = _LARGEST_INT
    w.lines += [
        f"    if type({a}) is int and type({b}) is int:",
        f"        {local} = {a} {operator} {b}",
        f"        if not -LARGEST <= {local} <= LARGEST: return e",
        f"        {local} = Const({local})",
        "    else:",
        *("        " + line for line in general),
    ]
    return local


#: The largest int a constant may fold to (``exact.compute`` refuses what no float can hold).
_LARGEST_INT = int(sys.float_info.max)


def _source(rule: Rule, w: _Writer) -> str:
    bound = _write_match(w, rule.lhs)
    needs_bindings = bool(rule.conditions) or any(type(n) is Computed for n in postorder(rule.rhs))
    if needs_bindings:
        pairs = ", ".join(f"{w.constant(name, 'S')}: {local}" for name, local in bound.items())
        w.lines.append(f"    bindings = {{{pairs}}}")
        for condition in rule.conditions:
            w.fail_unless(f"{w.constant(condition, 'C')}.holds(bindings)")
    w.lines.append(f"    return {_write_build(w, rule.rhs, bound)}")
    return "def rewrite(e):\n" + "\n".join(w.lines) + "\n"


_DEFAULT_KINDS = dict(KINDS)


def compiled(rule: Rule) -> Rewrite | None:
    """``rule.rewrite`` as generated straight-line code, or None where only the general matcher will do."""
    found = _cache.get(rule)
    if found is not None or rule in _cache:
        return found
    writer = _Writer()
    try:
        source = _source(rule, writer)
    except _Unsupported:
        result: Rewrite | None = None
    else:
        code = compile(source, f"<rule {len(_cache)}>", "exec")
        exec(code, writer.namespace)
        result = writer.namespace["rewrite"]
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[rule] = result
    return result


_CACHE_LIMIT = 4096
_cache: dict[Rule, Rewrite | None] = {}
