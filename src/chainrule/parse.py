"""Infix text to an expression: a hand-written tokenizer and an iterative precedence parser.

The parser keeps explicit operand and operator stacks (shunting-yard), so
text nested 100,000 parentheses deep parses without recursion.  User text is
never handed to ``eval``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

import attrs

from .errors import ParseError
from .nodes import MAX_INT_DIGITS, Const, Expr, Mul, Var, operators

__all__ = ["parse", "FUNCTIONS", "PatternFactory", "register_function"]

# Both tables are read off the node types' ``op`` records (nodes.py): one place per node type.
#: Function names the parser knows, each building a one-child node.
FUNCTIONS: dict[str, Callable[[Expr], Expr]] = {
    cls.op.symbol: cls for cls in operators() if cls.op and cls.op.symbol and not cls.op.infix
}


def register_function(name: str, node_class: Callable[[Expr], Expr]) -> Callable[[Expr], Expr]:
    """Make ``parse`` read ``name(...)`` as ``node_class(...)`` (a one-child node type); returns the class."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"function name must be an identifier, got {name!r:.80}")
    if not callable(node_class):
        raise TypeError(f"register_function needs a node class for {name!r}, got {type(node_class).__name__}")
    FUNCTIONS[name] = node_class
    return node_class


@functools.cache  # read when first used: ``**``'s Pow (chainrule.functions) may load after this module
def _binary() -> dict[str, tuple[int, Callable[[Expr, Expr], Expr]]]:
    """The infix operators: symbol -> (binding strength, node type)."""
    return {
        cls.op.symbol: (cls.op.precedence, cls)
        for cls in operators()
        if cls.op and cls.op.symbol and cls.op.infix
    }


_UNARY_PRECEDENCE = 3
#: Operators that group to the right: ``2 ** 3 ** 2`` is ``2 ** (3 ** 2)``.
_RIGHT_ASSOCIATIVE = frozenset({"**"})

#: Builds the node for a pattern variable ``?name`` or ``?name:kind`` (rules only).
PatternFactory = Callable[[str, "str | None", int], Expr]

# Leading whitespace is skipped by the same match that finds the token (half the matches on spaced text).
_TOKEN = re.compile(
    r"""
    \s*(?:
    (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<pattern>\?[^\W\d]\w*(?::[^\W\d]\w*)?)
  | (?P<op>\*\*|[-+*/])
  | (?P<lparen>\()
  | (?P<rparen>\))
    )""",
    re.VERBOSE,
)
_SPACE = re.compile(r"\s*")


class Token(NamedTuple):
    kind: str  # number, name, pattern, op, lparen, rparen, end
    text: str
    position: int


def _quote(text: str, position: int) -> str:
    """A short excerpt of the input around ``position`` for an error message."""
    start = max(0, position - 30)
    prefix = "…" if start else ""
    suffix = "…" if position + 30 < len(text) else ""
    return f"{prefix}{text[start : position + 30]}{suffix}"


def _error(message: str, position: int, text: str) -> ParseError:
    return ParseError(f"{message} at position {position} in {_quote(text, position)!r}", position, text)


def tokenize(text: str) -> Iterator[Token]:
    """The tokens of ``text``, ending with an ``end`` token; stray characters raise ParseError."""
    position = 0
    length = len(text)
    while position < length:
        found = _TOKEN.match(text, position)
        if found is None:
            position = _SPACE.match(text, position).end()  # type: ignore[union-attr]
            if position == length:
                break
            if not text[position].isidentifier():
                raise _error(f"unexpected character {text[position]!r}", position, text)
            kind, start, end = "name", position, position + 1  # a start character \w does not know
        else:
            kind = found.lastgroup or ""
            start, end = found.start(kind), found.end()
        if kind == "name":
            end = _name_end(text, start, end)
        yield Token(kind, text[start:end], start)
        position = end
    yield Token("end", "", length)


def _name_end(text: str, start: int, end: int) -> int:
    r"""Where the identifier starting at ``start`` ends, by ``str.isidentifier`` (``\w`` is not quite it)."""
    while end < len(text) and ("a" + text[end]).isidentifier():
        end += 1
    name = text[start:end]
    if not name.isidentifier():
        bad = next(i for i in range(start, end) if not text[start : i + 1].isidentifier())
        raise _error(f"unexpected character {text[bad]!r}", bad, text)
    return end


def _number(token: Token, text: str, negative: bool, start: int) -> Const:
    """The literal's constant; ParseError for one ``Const`` would refuse or that silently underflows to 0.0."""
    literal = token.text
    if len(literal) > MAX_INT_DIGITS:
        raise _error(
            f"number literal of {len(literal)} characters is too long (at most {MAX_INT_DIGITS})", start, text
        )
    if literal.isdigit():
        value: int | float = int(literal)
    else:
        value = float(literal)
        if not math.isfinite(value):
            raise _error(f"number {literal!r} is out of range", start, text)
        if value == 0 and any(digit in "123456789" for digit in literal.lower().partition("e")[0]):
            raise _error(f"number {literal!r} is too small: it underflows to 0.0", start, text)
    return Const(-value if negative else value)


@attrs.define
class _Frame:
    """An entry of the operator stack."""

    kind: str  # "binary", "negate", "paren" (a call is a paren whose ``build`` applies the function)
    position: int
    precedence: int = 0  # 0 for a paren: no operator reduces it
    build: Callable[..., Expr] | None = None


def parse(text: str, *, pattern: PatternFactory | None = None) -> Expr:
    """The expression ``text`` denotes; ``pattern`` enables ``?name`` variables (rule syntax)."""
    if not isinstance(text, str):
        raise TypeError(f"parse expects a str, got {type(text).__name__}")
    operands: list[Expr] = []
    operators: list[_Frame] = []

    def reduce_top() -> None:
        frame = operators.pop()
        if frame.kind == "negate":
            operands.append(Mul(Const(-1), operands.pop()))
        else:
            assert frame.build is not None
            right = operands.pop()
            operands.append(frame.build(operands.pop(), right))

    tokens = list(tokenize(text))
    expect_operand = True
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        kind = token.kind
        if expect_operand:
            if kind == "number":
                operands.append(_number(token, text, False, token.position))
                expect_operand = False
            elif kind == "op" and token.text == "-":
                following = tokens[index]
                if following.kind == "number" and following.position == token.position + 1:
                    operands.append(_number(following, text, True, token.position))
                    expect_operand = False
                    index += 1
                else:
                    operators.append(_Frame("negate", token.position, _UNARY_PRECEDENCE))
            elif kind == "name":
                if tokens[index].kind == "lparen":
                    index += 1
                    build = FUNCTIONS.get(token.text)
                    if build is None:
                        known = ", ".join(sorted(FUNCTIONS))
                        raise _error(
                            f"unknown function {token.text!r} (known: {known})", token.position, text
                        )
                    operators.append(_Frame("paren", tokens[index - 1].position, build=build))
                else:
                    operands.append(Var(token.text))
                    expect_operand = False
            elif kind == "pattern" and pattern is not None:
                name, _, restriction = token.text[1:].partition(":")
                operands.append(pattern(name, restriction or None, token.position))
                expect_operand = False
            elif kind == "lparen":
                operators.append(_Frame("paren", token.position))
            elif kind == "end":
                what = (
                    "empty expression" if not text.strip() else "unexpected end of input, expected an operand"
                )
                raise _error(what, token.position, text)
            else:
                raise _error(f"unexpected {token.text!r}, expected an operand", token.position, text)
        elif kind == "op":
            precedence, combine = _binary()[token.text]
            # ``**`` binds tighter than unary minus and groups to the right, so ``-x ** 2`` is
            # ``-1 * (x ** 2)``; the others pop operators of equal precedence (left to right).
            tighter = precedence + (token.text in _RIGHT_ASSOCIATIVE)
            while operators and operators[-1].precedence >= tighter:
                reduce_top()
            operators.append(_Frame("binary", token.position, precedence, combine))
            expect_operand = True
        elif kind == "rparen":
            while operators and operators[-1].kind in ("binary", "negate"):
                reduce_top()
            if not operators:
                raise _error("unmatched ')'", token.position, text)
            build = operators.pop().build
            if build is not None:
                operands.append(build(operands.pop()))
        elif kind == "end":
            while operators:
                if operators[-1].kind == "paren":
                    raise _error("unclosed '('", operators[-1].position, text)
                reduce_top()
        else:
            raise _error(f"unexpected {token.text!r}, expected an operator or ')'", token.position, text)
    assert len(operands) == 1
    return operands[0]


# The library's functions beyond the lab's (sqrt, sin, ...) register their names in FUNCTIONS.
from . import functions as _functions  # noqa: E402, F401
