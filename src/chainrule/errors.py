"""The exception hierarchy: one base class so callers can catch everything chainrule raises."""

from __future__ import annotations

__all__ = [
    "ChainruleError",
    "ParseError",
    "UnboundVariableError",
    "EvaluationError",
    "RuleError",
    "RewriteLimitError",
]


class ChainruleError(Exception):
    """Base class of every error chainrule raises on purpose."""


class ParseError(ChainruleError, ValueError):
    """Malformed expression text; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text


class UnboundVariableError(ChainruleError, KeyError):
    """A variable the expression needs is missing from the environment."""

    def __init__(self, name: str, message: str | None = None) -> None:
        self.name = name
        self.message = message or f"variable {name!r} has no value in the environment"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class EvaluationError(ChainruleError, ArithmeticError):
    """A domain or range failure; ``expr`` is the failing subexpression."""

    def __init__(self, message: str, expr: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.expr = expr


class RuleError(ChainruleError, ValueError):
    """A malformed rewrite rule; names the file and line when it came from one."""


class RewriteLimitError(ChainruleError, RuntimeError):
    """A rule set did not reach a fixed point within its step bound."""
