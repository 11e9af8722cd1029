"""The command line: ``chainrule show|eval|diff|simplify|lab`` (also ``python -m chainrule``).

Bad input of any kind ends with exit status 2 and one line on stderr,
``chainrule: error: ...``, never a traceback: argparse's usage errors are
folded into that one line too.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from .diff import as_var, diff
from .errors import ChainruleError
from .evaluate import evaluate
from .nodes import Expr
from .parse import parse
from .printers import to_dot, to_latex
from .rules import DEFAULT_RULES, Rule, load_rules
from .show import show
from .simplify import explain, simplify

__all__ = ["main"]

#: Exit status for bad input (argparse's own convention).
BAD_INPUT = 2

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class _InputError(Exception):
    """Bad command-line input found by this module (not by argparse or the library)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``prog: error: message (see prog --help)``."""

    def error(self, message: str) -> NoReturn:
        hint = ""
        if "EXPR" in message or "unrecognized arguments: -" in message:
            hint = "; an EXPR starting with '-' goes after '--'"
        self.exit(BAD_INPUT, f"{self.prog}: error: {message}{hint} (see {self.prog} --help)\n")


def _assignment(text: str) -> tuple[str, int | float]:
    name, equals, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not equals:
        raise _InputError(f"expected NAME=VALUE, got {text!r}")
    if not name.isidentifier():
        raise _InputError(f"{name!r} in {text!r} is not a variable name")
    if not _NUMBER.fullmatch(value):
        raise _InputError(f"value of {name} must be a number like 2, -1.5 or 3e-2, got {value!r}")
    if re.fullmatch(r"[-+]?\d+", value):
        return name, int(value)
    return name, float(value)


def _environment(assignments: Sequence[str]) -> dict[str, int | float]:
    env: dict[str, int | float] = {}
    for text in assignments:
        name, value = _assignment(text)
        if name in env:
            raise _InputError(f"variable {name} is given twice")
        env[name] = value
    return env


def _show(options: argparse.Namespace, out: TextIO) -> None:
    expr = parse(options.expr)
    if options.latex:
        print(to_latex(expr), file=out)
    elif options.dot:
        out.write(to_dot(expr))
    else:
        print(show(expr), file=out)


def _eval(options: argparse.Namespace, out: TextIO) -> None:
    expr = parse(options.expr)
    print(repr(evaluate(expr, _environment(options.assignments))), file=out)


def _rules(files: Sequence[str] | None) -> tuple[Rule, ...]:
    rules = DEFAULT_RULES
    for path in files or ():
        rules += load_rules(path)
    return rules


def _diff(options: argparse.Namespace, out: TextIO) -> None:
    expr = parse(options.expr)
    derivative = diff(expr, as_var(options.var))
    if not options.raw:
        derivative = simplify(derivative)
    print(show(derivative), file=out)


def _simplify(options: argparse.Namespace, out: TextIO) -> None:
    expr = parse(options.expr)
    rules = _rules(options.rules)
    if options.explain:
        print(str(explain(expr, rules)), file=out)
    else:
        result: Expr = simplify(expr, rules)
        print(show(result), file=out)


def _lab(options: argparse.Namespace, out: TextIO) -> None:
    from .lab import run_lab

    def write(line: str) -> None:
        print(line, file=out, flush=True)

    run_lab(seed=options.seed, out=options.out, epochs=options.epochs, write=write)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chainrule",
        description="Print, evaluate, differentiate and simplify scalar expressions; run the lab.",
        epilog="Expressions use + - * / ( ) exp log tanh, e.g. '4*x*y + exp(-y)'. "
        "Put an expression that starts with '-' after '--'.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show_command = commands.add_parser("show", help="print an expression fully parenthesised")
    show_command.add_argument("expr", metavar="EXPR")
    style = show_command.add_mutually_exclusive_group()
    style.add_argument("--latex", action="store_true", help="print LaTeX instead")
    style.add_argument("--dot", action="store_true", help="print the DAG as Graphviz DOT instead")
    show_command.set_defaults(run=_show)

    eval_command = commands.add_parser("eval", help="evaluate an expression, e.g. eval 'x*y' x=2 y=3")
    eval_command.add_argument("expr", metavar="EXPR")
    eval_command.add_argument("assignments", metavar="NAME=VALUE", nargs="*")
    eval_command.set_defaults(run=_eval)

    diff_command = commands.add_parser("diff", help="differentiate (simplified unless --raw)")
    diff_command.add_argument("expr", metavar="EXPR")
    diff_command.add_argument("var", metavar="VAR")
    diff_command.add_argument("--raw", action="store_true", help="the lab's raw derivative, unsimplified")
    diff_command.set_defaults(run=_diff)

    simplify_command = commands.add_parser("simplify", help="rewrite to a fixed point of the rule table")
    simplify_command.add_argument("expr", metavar="EXPR")
    simplify_command.add_argument(
        "--rules", metavar="FILE", action="append", help="add a .rules file to the default table (repeatable)"
    )
    simplify_command.add_argument("--explain", action="store_true", help="print the derivation step by step")
    simplify_command.set_defaults(run=_simplify)

    lab_command = commands.add_parser("lab", help="run the lab end to end and save the loss plot")
    lab_command.add_argument("--seed", type=int, default=0, help="seed of the Glorot init (default 0)")
    lab_command.add_argument("--out", default="lab-output", help="directory for the PNG (default lab-output)")
    lab_command.add_argument("--epochs", type=_positive, default=250, help="training epochs (default 250)")
    lab_command.set_defaults(run=_lab)
    return parser


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    else:
        text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 500 else text[:499] + "…"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0, or 2 for bad input)."""
    parser = _parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (already printed)
        return exit_.code if isinstance(exit_.code, int) else BAD_INPUT
    try:
        options.run(options, sys.stdout)
    except (_InputError, ChainruleError, ValueError, OSError, NotImplementedError) as error:
        if isinstance(error, BrokenPipeError):
            return _broken_pipe()
        print(f"chainrule: error: {_one_line(error)}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    return 0


def _broken_pipe() -> int:
    # The reader went away (e.g. `| head`): stop quietly, and keep Python from complaining at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0
