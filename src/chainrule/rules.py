"""Rewrite rules as data: the rule language, ``Rule``, and the default tables in ``rules/*.rules``.

One rule a line::

    name: lhs -> rhs                  # the name is optional; the rule's text is its name otherwise
    zero-times: 0 * ?x -> 0           # ?x matches any subexpression
    self-minus: ?x - ?x -> 0          # a repeated variable matches equal subexpressions
    fold-times: ?a:const * ?b:const -> {?a * ?b}   # {...} is computed from the bound constants
    log-split: log(?x * ?y) -> log(?x) + log(?y) if ?x > 0   # a side condition

Kinds: ``?a:const``, ``nonconst``, ``var``.  A ``{...}`` fold that fails
and an ``if`` condition interval bounds cannot prove both mean the rule
does not apply; ``?b before ?a`` holds when ?b's term sorts strictly before
?a's in ``chainrule.order`` (ordered rewriting: a commutative law applied
only when it sorts).  Errors raise ``RuleError`` naming the file and line.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
from collections.abc import Callable, Iterable
from importlib.resources.abc import Traversable
from itertools import accumulate
from pathlib import Path
from typing import Any, TypeGuard

import attrs

from .bounds import bounds
from .errors import ParseError, RuleError
from .match import Bindings, Matcher, NoRewrite, compile_build, compile_match, type_test
from .nodes import Const, Expr, Var, children
from .order import precedes
from .parse import parse
from .patterns import KINDS, Computed, PatternVar, pattern_vars
from .show import show
from .traverse import fold_cases, postorder

__all__ = [
    "DEFAULT_RULES",
    "Condition",
    "Rule",
    "RuleTable",
    "default_rule_files",
    "instantiate",
    "load_rules",
    "parse_rule",
    "parse_rules",
]

_COMPARE: dict[str, Callable[[float, float, float], bool]] = {
    ">=": lambda lo, hi, v: lo >= v,
    "<=": lambda lo, hi, v: hi <= v,
    "!=": lambda lo, hi, v: lo > v or hi < v,
    ">": lambda lo, hi, v: lo > v,
    "<": lambda lo, hi, v: hi < v,
}

#: The term-order condition ``?a before ?b``.
_BEFORE = "before"
_NAME = re.compile(r"\s*([A-Za-z_][\w.\-]*)\s*:(?!\w)")
_CONDITION = re.compile(r"(.*?)(>=|<=|!=|>|<)(.*)", re.DOTALL)


def instantiate(template: Expr, bindings: Bindings) -> Expr:
    """``template`` with its pattern variables replaced; ``{...}`` blocks computed (NoRewrite if one
    cannot be).  Compiles ``template`` on every call; a ``Rule`` compiles its right side once."""
    return compile_build(template)(bindings)


#: A condition's expression, compiled once (conditions are tried on every node a rule matches).
_compiled = functools.lru_cache(maxsize=1024)(compile_build)


@attrs.frozen
class Condition:
    """A side condition ``expr OP number``, true when it holds for every value ``expr`` can take;
    or ``?a before ?b`` (``value`` a pattern variable), true when ?a's term sorts before ?b's."""

    expr: Expr
    op: str = attrs.field(validator=attrs.validators.in_((*_COMPARE, _BEFORE)))
    value: int | float | Expr

    def holds(self, bindings: Bindings) -> bool:
        """Whether the condition is proven for the matched subexpressions."""
        if self.op == _BEFORE:
            return precedes(bindings[self.expr.name], bindings[self.value.name])  # type: ignore[attr-defined,union-attr]
        lo, hi = bounds(_compiled(self.expr)(bindings))
        return _COMPARE[self.op](lo, hi, self.value)  # type: ignore[arg-type]

    def __str__(self) -> str:
        value = _text(self.value) if isinstance(self.value, Expr) else repr(self.value)
        return f"{_text(self.expr)} {self.op} {value}"


def _text(pattern: Expr) -> str:
    text = show(pattern)
    if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        return text[1:-1]  # drop the outermost parentheses show adds
    return text


def _balanced(text: str) -> bool:
    depths = list(accumulate({"(": 1, ")": -1}.get(char, 0) for char in text))
    return min(depths, default=0) >= 0 and not (depths and depths[-1])


@attrs.frozen(cache_hash=True)
class Rule:
    """A named rewrite ``lhs -> rhs`` (with optional side conditions); calling it rewrites one node.

    ``rule(expr)`` is ``expr`` rewritten at its root, or ``expr`` itself.  Both sides are
    compiled into closures when the rule is made, so a pickle carries the data only.
    """

    name: str
    lhs: Expr
    rhs: Expr
    conditions: tuple[Condition, ...] = ()
    source: str | None = attrs.field(default=None, eq=False)
    line: int | None = attrs.field(default=None, eq=False)
    #: The node type the left side's root must have (None: any).
    head: type | None = attrs.field(init=False, eq=False, repr=False)
    #: Per child of the left side's root: a test passing every type of child the rule can match.
    child_types: tuple[Callable[[type], bool], ...] = attrs.field(init=False, eq=False, repr=False)
    _matcher: Matcher = attrs.field(init=False, eq=False, repr=False)
    #: ``rewrite(expr)``: ``expr`` rewritten at its root, or ``expr`` itself (one closure, no method call).
    rewrite: Callable[[Expr], Expr] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _check_rule(self.lhs, self.rhs, self.conditions)
        object.__setattr__(self, "head", None if type(self.lhs) is PatternVar else type(self.lhs))
        object.__setattr__(self, "child_types", tuple(type_test(kid) for kid in children(self.lhs)))
        matcher = compile_match(self.lhs)
        object.__setattr__(self, "_matcher", matcher)
        object.__setattr__(self, "rewrite", _rewriter(matcher, compile_build(self.rhs), self.conditions))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Rule, (self.name, self.lhs, self.rhs, self.conditions, self.source, self.line))

    def match(self, expr: Expr) -> Bindings | None:
        """The bindings under which this rule rewrites ``expr``, or None if it does not apply."""
        bindings: Bindings = {}
        matched = self._matcher(expr, bindings) and all(c.holds(bindings) for c in self.conditions)
        return bindings if matched else None

    def __call__(self, expr: Expr) -> Expr:
        return self.rewrite(expr)

    @property
    def growth(self) -> int:
        """At most how many nodes one rewrite adds to a DAG: right-side nodes not on the left side (a
        ``{...}`` block counts one), less the node replaced.  Growth <= 0 never makes a DAG larger."""
        return len(fold_cases(self.rhs, _built_nodes).difference(postorder(self.lhs))) - 1

    def __str__(self) -> str:
        text = f"{self.name}: {_text(self.lhs)} -> {_text(self.rhs)}"
        if self.conditions:
            text += " if " + " and ".join(str(c) for c in self.conditions)
        return text


def _built_nodes(kind: type) -> Callable[..., frozenset[Expr]]:
    """Fold case: the nodes a right side builds (its nodes outside ``{...}`` blocks, bar variables)."""
    if kind is PatternVar:
        return lambda node: frozenset()
    if kind is Computed:
        return lambda node, inside: frozenset((node,))
    return lambda node, *kids: frozenset((node,)).union(*kids)


def _rewriter(
    matcher: Matcher, build: Callable[[Bindings], Expr], conditions: tuple[Condition, ...]
) -> Callable[[Expr], Expr]:
    """The rule's rewrite of one node, as one closure."""
    if not conditions:  # most rules: this closure without the conditions' test pays ~3% on W1

        def rewrite(expr: Expr) -> Expr:
            bindings: Bindings = {}
            if not matcher(expr, bindings):
                return expr
            try:
                return build(bindings)
            except NoRewrite:
                return expr

        return rewrite

    def rewrite_if(expr: Expr) -> Expr:
        bindings: Bindings = {}
        if not (matcher(expr, bindings) and all(condition.holds(bindings) for condition in conditions)):
            return expr
        try:
            return build(bindings)
        except NoRewrite:
            return expr

    return rewrite_if


def _check_rule(lhs: Expr, rhs: Expr, conditions: tuple[Condition, ...]) -> None:
    """The checks every rule passes, however it was built (RuleError otherwise)."""
    bound = pattern_vars(lhs)
    for node in postorder(lhs):
        if type(node) is Computed:
            raise RuleError("a computed block {...} may only appear on the right side")
        # One kind per name: otherwise whether ?a matches would depend on which occurrence binds first.
        if type(node) is PatternVar and node is not bound[node.name]:
            first, other = node.kind or "any", bound[node.name].kind or "any"
            raise RuleError(f"?{node.name} is declared as {first} and as {other} on the left side")
    templates = [c.value for c in conditions if isinstance(c.value, Expr)] + [c.expr for c in conditions]
    for where, template in [("right side", rhs)] + [("condition", t) for t in templates]:
        for name in pattern_vars(template):
            if name not in bound:
                raise RuleError(f"?{name} on the {where} is not bound by the left side {_text(lhs)}")
    for block in (node for node in postorder(rhs) if type(node) is Computed):
        for inner in postorder(block.x):
            if isinstance(inner, Var):
                raise RuleError(f"a computed block may only use constants, not the variable {inner.name}")
            if type(inner) is PatternVar and bound[inner.name].kind != "const":
                name = inner.name
                raise RuleError(
                    f"a computed block may only use constants: declare ?{name} as ?{name}:const on the left side"
                )


def _where(source: str | None, line: int | None) -> str:
    if line is not None:
        return f"line {line}: " if source is None else f"{source}:{line}: "
    return "" if source is None else f"{source}: "


def parse_rule(text: str, *, source: str | None = None, line: int | None = None) -> Rule:
    """The rule one line of text states (see the module docstring for the syntax)."""
    if not isinstance(text, str):
        raise TypeError(f"parse_rule expects a str, got {type(text).__name__}")
    try:
        return _parse_rule(text, source, line)
    except RuleError as exc:
        raise RuleError(f"{_where(source, line)}{exc} in rule {text.strip()!r}") from None


def _parse_rule(text: str, source: str | None, line: int | None) -> Rule:
    body = text.partition("#")[0].strip()  # a comment runs to the end of the line
    if not body:
        raise RuleError("empty rule")
    named = _NAME.match(body)
    name = None
    if named:
        name = named.group(1)
        body = body[named.end() :].strip()
        if not body:
            raise RuleError(f"empty rule after the name {name!r}")
    if body.count("->") != 1:
        found = "no '->'" if "->" not in body else "more than one '->'"
        raise RuleError(f"a rule is 'lhs -> rhs', found {found}")
    lhs_text, rest = (part.strip() for part in body.split("->"))
    parts = re.split(r"\s+if\s+", rest, maxsplit=1)
    condition_texts = re.split(r"\s+and\s+", parts[1].strip()) if len(parts) > 1 else []
    kinds: dict[str, str | None] = {}
    if "{" in lhs_text or "}" in lhs_text:
        raise RuleError("a computed block {...} may only appear on the right side")
    lhs = _parse_side(lhs_text, "left side", kinds, declare=True)
    rhs = _parse_rhs(parts[0].strip(), kinds)
    conditions = tuple(_parse_condition(part.strip(), kinds) for part in condition_texts)
    return Rule(name or f"{_text(lhs)} -> {_text(rhs)}", lhs, rhs, conditions, source, line)


def _factory(kinds: dict[str, str | None], declare: bool, placeholders: dict[str, Expr] | None = None) -> Any:
    def make(name: str, kind: str | None, position: int) -> Expr:
        if placeholders is not None and name in placeholders:
            return placeholders[name]
        if name.startswith("_"):
            raise RuleError(f"pattern variable names may not start with '_' (?{name})")
        if kind is not None and kind not in KINDS:
            known = ", ".join(sorted(KINDS))
            raise RuleError(f"unknown kind ?{name}:{kind} (known kinds: {known})")
        if name in kinds:
            if kind is not None and kind != kinds[name]:
                raise RuleError(f"?{name} is declared as {kinds[name] or 'any'} and as {kind}")
            return PatternVar(name, kinds[name])
        if not declare:
            raise RuleError(f"?{name} is not bound by the left side")
        kinds[name] = kind
        return PatternVar(name, kind)

    return make


def _parse_side(
    text: str,
    what: str,
    kinds: dict[str, str | None],
    declare: bool,
    placeholders: dict[str, Expr] | None = None,
) -> Expr:
    if not text:
        raise RuleError(f"the {what} is empty")
    try:
        return parse(text, pattern=_factory(kinds, declare, placeholders))
    except ParseError as exc:
        raise RuleError(f"cannot read the {what}: {exc}") from None


def _parse_rhs(text: str, kinds: dict[str, str | None]) -> Expr:
    """The right side, each ``{...}`` block read as a Computed node."""
    placeholders: dict[str, Expr] = {}
    pieces: list[str] = []
    depth, start = 0, 0
    for position, char in enumerate(text):
        if char == "{":
            if depth:
                raise RuleError("computed blocks {...} do not nest")
            pieces.append(text[start:position])
            depth, start = 1, position + 1
        elif char == "}":
            if not depth:
                raise RuleError("unbalanced '}' on the right side")
            key = f"_{len(placeholders)}"
            inner = text[start:position].strip()
            placeholders[key] = Computed(_parse_side(inner, "computed block", kinds, declare=False))
            pieces.append(f"?{key}")
            depth, start = 0, position + 1
    if depth:
        raise RuleError("unbalanced '{' on the right side")
    pieces.append(text[start:])
    return _parse_side("".join(pieces), "right side", kinds, declare=False, placeholders=placeholders)


def _parse_condition(text: str, kinds: dict[str, str | None]) -> Condition:
    if re.search(r"\sbefore\s", text):
        return _parse_before(text, kinds)
    found = _CONDITION.fullmatch(text)
    if found is None:
        raise RuleError(f"a condition is 'expression OP number' with OP one of > >= < <= !=, got {text!r}")
    expr_text, op, number_text = (part.strip() for part in found.groups())
    expr = _parse_side(expr_text, "condition", kinds, declare=False)
    try:
        number = parse(number_text)
    except ParseError:
        number = None
    if not isinstance(number, Const):
        raise RuleError(f"a condition compares with a number, got {number_text!r}")
    return Condition(expr, op, number.value)


def _parse_before(text: str, kinds: dict[str, str | None]) -> Condition:
    """``?a before ?b``: both sides pattern variables of the left side."""
    sides = [
        _parse_side(part.strip(), "condition", kinds, declare=False)
        for part in re.split(r"\s+before\s+", text)
    ]
    if len(sides) != 2 or not all(type(side) is PatternVar for side in sides):
        raise RuleError(f"a term-order condition is '?a before ?b' (two pattern variables), got {text!r}")
    return Condition(sides[0], _BEFORE, sides[1])


def _lines(text: str) -> list[str]:
    """The lines of a rule file: split at \\n (a \\r before it dropped) and nowhere else, so a form
    feed, \\x85 or \\u2028 in a comment stays in the comment; a UTF-8 byte-order mark is skipped."""
    return [line.removesuffix("\r") for line in text.removeprefix("\ufeff").split("\n")]


def _unique(rules: Iterable[Rule], clash: Callable[[Rule, Rule], str]) -> tuple[Rule, ...]:
    """The rules, in order; RuleError ``clash(rule, first)`` where a name is used a second time."""
    first: dict[str, Rule] = {}
    for rule in rules:
        if rule.name in first:
            raise RuleError(clash(rule, first[rule.name]))
        first[rule.name] = rule
    return tuple(first.values())


def parse_rules(text: str, *, source: str = "<text>") -> tuple[Rule, ...]:
    """The rules of ``text``, read as ``load_rules`` reads a file (``source`` names it in errors)."""
    if not isinstance(text, str):
        raise TypeError(f"parse_rules expects a str, got {type(text).__name__}")
    lines = enumerate(_lines(text), start=1)
    return _unique(
        (parse_rule(raw, source=source, line=n) for n, raw in lines if raw.partition("#")[0].strip()),
        lambda rule, first: (
            f"{source}:{rule.line}: rule name {rule.name!r} is already used on line {first.line}"
        ),
    )


def load_rules(path: str | os.PathLike[str] | Traversable) -> tuple[Rule, ...]:
    """The rules of a ``.rules`` file: one a line, ``#`` comments and blank lines ignored."""
    source = str(path)
    try:
        text = (Path(path) if isinstance(path, str | os.PathLike) else path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RuleError(f"{source}: cannot read the rule file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise RuleError(f"{source}: not UTF-8 text ({exc.reason})") from None
    return parse_rules(text, source=source)


def default_rule_files() -> list[Traversable]:
    """The default tables, in order: ``chainrule/rules`` in an installed wheel, else the checkout's ``rules/``."""
    checkout = Path(__file__).resolve().parents[2] / "rules"
    for folder in (importlib.resources.files("chainrule") / "rules", checkout):
        if folder.is_dir():
            files = [f for f in folder.iterdir() if f.name.endswith(".rules")]
            if files:
                return sorted(files, key=lambda f: f.name)
    raise RuleError("the default rule tables (rules/*.rules) are missing from this installation")


def _load_defaults(files: Iterable[Traversable]) -> tuple[Rule, ...]:
    return _unique(
        (rule for file in files for rule in load_rules(file)),
        lambda rule, first: (
            f"{rule.source}:{rule.line}: rule name {rule.name!r} is also used in {first.source}:{first.line}"
        ),
    )


def is_rules(value: object) -> TypeGuard[Iterable[Rule]]:
    """Whether ``value`` can be a table's rules: an iterable, but not one rule or a string."""
    return isinstance(value, Iterable) and not isinstance(value, Rule | str)


class RuleTable(tuple[Rule, ...]):
    """A tuple of rules that adds any sequence of rules (``DEFAULT_RULES + [rule]``) and prints short."""

    label: str

    def __new__(cls, rules: Iterable[Rule] = (), label: str = "") -> RuleTable:
        table = super().__new__(cls, rules)
        table.label = label
        return table

    def __add__(self, other: object) -> RuleTable:
        return RuleTable((*self, *other)) if is_rules(other) else NotImplemented

    def __radd__(self, other: object) -> RuleTable:
        return RuleTable((*other, *self)) if is_rules(other) else NotImplemented

    def __repr__(self) -> str:
        return f"<{self.label or 'rule table'}: {len(self)} rules>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (RuleTable, (tuple(self), self.label))


#: The default rule table: every rule of ``rules/*.rules``, files in name order, rules in line order.
DEFAULT_RULES: RuleTable = RuleTable(_load_defaults(default_rule_files()), "DEFAULT_RULES")
