"""Rules compiled to one straight-line Python function: the matcher the engine runs per node.

``Rule.rewrite`` drives the general matcher (``match``: a dispatch per
pattern node, a bindings dict, an instantiation walk).  For rules whose
patterns use only the library's matching cases, the same decision is a
handful of ``type(n) is T`` and ``n is m`` tests on the node's children;
``compiled(*rules)`` writes one function trying the rules in order (the
``do_one`` of them), once per group: the rule index asks for one per shape
of children it meets.  The generated source
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
from .patterns import KINDS, Computed, PatternVar, outside_blocks
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

    #: What a failed test does: leave the function, or (rules chained in one function) go to the next.
    fail = "return e"
    indent = "    "
    #: Whether the function took the root apart (type checked, children in n0, n1, ...) already.
    root_unpacked = False

    def emit(self, *lines: str) -> None:
        self.lines.extend(self.indent + line for line in lines)

    def fail_unless(self, test: str) -> None:
        self.emit(f"if not ({test}): {self.fail}")


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
            kids = []
            for child in pattern._kids:
                kids.append(f"n{fresh}")
                todo.append((child, f"n{fresh}"))
                fresh += 1
            if local != "e" or not w.root_unpacked:
                w.fail_unless(f"type({local}) is {w.constant(kind, 'T')}")
                w.emit(f"{', '.join(kids)}, = {local}._kids")
    return bound


def _write_build(w: _Writer, rhs: Expr, bound: dict[str, str]) -> str:
    """Statements building ``rhs`` from the matched locals; returns the expression to return."""
    built: dict[Expr, str] = {}
    for node in outside_blocks(rhs):
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
            w.emit(f"{local} = {w.constant(kind, 'M')}({args})")
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
        f"if {local} is None: {w.fail}",
    ]
    operator = _INT_FOLDS.get(type(inside))
    operands = inside._kids
    if operator is None or any(type(kid) is not PatternVar for kid in operands):
        w.emit(*general)
        return local
    x, y = (bound[kid.name] for kid in operands)
    a, b = f"{x}.value", f"{y}.value"
    w.namespace["LARGEST"] = _LARGEST_INT
    # ``compute`` folds only Const itself, not a user's subclass of it.
    w.emit(
        f"if type({a}) is int and type({b}) is int and type({x}) is Const and type({y}) is Const:",
        f"    {local} = {a} {operator} {b}",
        f"    if not -LARGEST <= {local} <= LARGEST: {w.fail}",
        f"    {local} = Const({local})",
        "else:",
        *("    " + line for line in general),
    )
    return local


#: The largest int a constant may fold to (``exact.compute`` refuses what no float can hold).
_LARGEST_INT = int(sys.float_info.max)


def _write_rule(w: _Writer, rule: Rule) -> None:
    bound = _write_match(w, rule.lhs)
    needs_bindings = bool(rule.conditions) or any(type(n) is Computed for n in postorder(rule.rhs))
    if needs_bindings:
        pairs = ", ".join(f"{w.constant(name, 'S')}: {local}" for name, local in bound.items())
        w.emit(f"bindings = {{{pairs}}}")
        for condition in rule.conditions:
            w.fail_unless(f"{w.constant(condition, 'C')}.holds(bindings)")
    result = _write_build(w, rule.rhs, bound)
    if w.fail == "return e":
        w.emit(f"return {result}")
    else:  # as do_one: a rule that gives the node back unchanged lets the next one try
        w.emit(f"if {result} is not e: return {result}", "break")


def _source(rules: tuple[Rule, ...], w: _Writer) -> str:
    """One function trying ``rules`` in order: each rule's tests in a block a failed test leaves."""
    if len(rules) == 1:
        _write_rule(w, rules[0])
        return "def rewrite(e):\n" + "\n".join(w.lines) + "\n"
    w.fail, w.indent = "break", "        "
    heads = {type(rule.lhs) for rule in rules}
    (head,) = heads if len(heads) == 1 else (None,)
    if head is not None and head is not PatternVar and head._plain_children and _same_arity(rules):
        # Every rule starts by taking a node of this type apart: do that once.
        arity = len(rules[0].lhs._kids)
        w.lines += [
            f"    if type(e) is not {w.constant(head, 'T')}: return e",
            f"    {', '.join(f'n{i}' for i in range(arity))}, = e._kids",
        ]
        w.root_unpacked = True
    for rule in rules:
        w.lines.append("    while True:")
        _write_rule(w, rule)
    w.lines.append("    return e")
    return "def rewrite(e):\n" + "\n".join(w.lines) + "\n"


_DEFAULT_KINDS = dict(KINDS)


def _same_arity(rules: tuple[Rule, ...]) -> bool:
    """Whether every rule's left side has children, as many as the first's."""
    arity = len(rules[0].lhs._kids)
    return arity > 0 and all(len(rule.lhs._kids) == arity for rule in rules)


def compiled(*rules: Rule) -> Rewrite | None:
    """``do_one`` of the rules' rewrites as one generated function, or None where only the general
    matcher will do (a rule with a node type that has data fields)."""
    found = _cache.get(rules)
    if found is not None or rules in _cache:
        return found
    writer = _Writer()
    try:
        source = _source(rules, writer)
    except _Unsupported:
        result: Rewrite | None = None
    else:
        code = compile(source, f"<chainrule rules {len(_cache)}>", "exec")
        exec(code, writer.namespace)  # the source names only the objects in writer.namespace
        result = writer.namespace["rewrite"]
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[rules] = result
    return result


_CACHE_LIMIT = 4096
_cache: dict[tuple[Rule, ...], Rewrite | None] = {}
