"""The command line: ``chainrule show|eval|diff|grad|simplify|lab`` (also ``python -m chainrule``).

Bad input of any kind ends with exit status 2 and one line on stderr,
``chainrule: error: ...``, never a traceback.  Work is bounded by the
``MAX_*`` limits below, so no input (``--rules /dev/zero``, a huge
derivative) can make it hang.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from . import __version__
from .diff import diff
from .errors import ChainruleError
from .evaluate import evaluate
from .grad import grad
from .nodes import Expr
from .parse import parse
from .printers import to_dot, to_latex
from .rules import DEFAULT_RULES, Rule, load_rules
from .show import show
from .simplify import Explanation, explain, simplify
from .traverse import count_nodes

__all__ = ["main"]

#: Exit status for bad input (argparse's own convention).
BAD_INPUT = 2

#: Longest expression accepted, as an argument or on standard input (``-``).
MAX_EXPR_CHARS = 100_000
#: Largest ``--rules`` file read.
MAX_RULES_BYTES = 1_000_000
#: Longest text printed for one result (a derivative's text can be far longer than its DAG).
MAX_OUTPUT_CHARS = 10_000_000
#: ``--explain`` prints this many steps, then an elision marker and the result.
MAX_EXPLAIN_STEPS = 100
#: ``--explain`` cuts each expression's text after this many characters.
MAX_LINE_CHARS = 2_000
#: Each step ``--explain`` prints rebuilds the whole expression (a pass over its distinct nodes), so
#: it prints only as many as keep the passes' total under this many nodes (at least one).
MAX_EXPLAIN_WORK = 300_000

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


def _environment(assignments: Sequence[str]) -> dict[str, int | float]:
    env: dict[str, int | float] = {}
    for text in assignments:
        name, equals, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if not equals:
            raise _InputError(f"expected NAME=VALUE, got {text!r}")
        if not name.isidentifier():
            raise _InputError(f"{name!r} in {text!r} is not a variable name")
        if not _NUMBER.fullmatch(value):
            raise _InputError(f"value of {name} must be a number like 2, -1.5 or 3e-2, got {value!r}")
        if name in env:
            raise _InputError(f"variable {name} is given twice")
        env[name] = int(value) if re.fullmatch(r"[-+]?\d+", value) else float(value)
    return env


def _expression(text: str) -> Expr:
    """The expression an EXPR argument gives: its text, or standard input's for ``-``; bounded."""
    if text == "-":
        text = sys.stdin.read(MAX_EXPR_CHARS + 1)
        if len(text) > MAX_EXPR_CHARS:
            raise _InputError(
                f"the expression on standard input is longer than {MAX_EXPR_CHARS:,} characters"
            )
        text = text.strip()
    elif len(text) > MAX_EXPR_CHARS:
        raise _InputError(f"the expression is {len(text):,} characters long, more than {MAX_EXPR_CHARS:,}")
    return parse(text)


def _text(expr: Expr) -> str:
    """``show(expr)``, or a one-line error when it would be too long to print."""
    text = show(expr, limit=MAX_OUTPUT_CHARS + 1)
    if len(text) > MAX_OUTPUT_CHARS:
        raise _InputError(f"the result is more than {MAX_OUTPUT_CHARS:,} characters long; not printed")
    return text


def _show(options: argparse.Namespace, out: TextIO) -> None:
    expr = _expression(options.expr)
    if options.latex:
        print(to_latex(expr), file=out)
    elif options.dot:
        out.write(to_dot(expr))
    else:
        print(_text(expr), file=out)


def _eval(options: argparse.Namespace, out: TextIO) -> None:
    print(repr(evaluate(_expression(options.expr), _environment(options.assignments))), file=out)


def _check_rules_file(path: str) -> None:
    """Refuse what is not a regular file of bounded size, before opening it (opening a FIFO with no
    writer blocks; /dev/zero never ends)."""
    info = os.stat(path)  # a missing file: main's OSError line names it
    if not stat.S_ISREG(info.st_mode):
        raise _InputError(f"{path}: not a regular file (a rule file must be a file, not a pipe or device)")
    if info.st_size > MAX_RULES_BYTES:
        raise _InputError(f"{path}: the rule file is {info.st_size:,} bytes, more than {MAX_RULES_BYTES:,}")


def _diff(options: argparse.Namespace, out: TextIO) -> None:
    derivative = diff(_expression(options.expr), options.var)
    if not options.raw:
        derivative = simplify(derivative)
    print(_text(derivative), file=out)


def _grad(options: argparse.Namespace, out: TextIO) -> None:
    expr = _expression(options.expr)
    names: list[str] = options.vars
    for name in names:
        if not name.isidentifier():
            raise _InputError(f"{name!r} is not a variable name")
        if names.count(name) > 1:
            raise _InputError(f"variable {name} is given twice")
    partials = grad(expr, names)
    for name in names:
        print(f"d/d{name} = {_text(simplify(partials[name]))}", file=out)


def _simplify(options: argparse.Namespace, out: TextIO) -> None:
    expr = _expression(options.expr)
    rules: tuple[Rule, ...] = DEFAULT_RULES
    for path in options.rules or ():
        _check_rules_file(path)
        rules += load_rules(path)
    if options.explain:
        print("\n".join(_explain_lines(explain(expr, rules))), file=out)
    else:
        print(_text(simplify(expr, rules)), file=out)


def _clipped(expr: Expr) -> str:
    text = show(expr, limit=MAX_LINE_CHARS + 1)
    if len(text) > MAX_LINE_CHARS:
        return text[:MAX_LINE_CHARS] + f"… [cut at {MAX_LINE_CHARS:,} characters]"
    return text


def _explain_lines(explanation: Explanation) -> list[str]:
    """``str(explanation)``'s lines, bounded: the first ``MAX_EXPLAIN_STEPS`` steps (fewer for a large
    expression, see ``MAX_EXPLAIN_WORK``), each expression cut at ``MAX_LINE_CHARS`` characters, then
    a marker saying how many steps were left out and the result."""
    lines = [f"  {_clipped(explanation.start)}"]
    steps = explanation.steps
    size = count_nodes(explanation.start, limit=MAX_EXPLAIN_WORK)
    shown = max(1, min(MAX_EXPLAIN_STEPS, MAX_EXPLAIN_WORK // size))
    for step in steps[:shown]:
        label = f"{step.rule}, as before" if step.again else step.rule
        lines.append(f"= {_clipped(step.after)}    [{label}]")
    if len(steps) > shown:
        lines.append(f"… [{len(steps) - shown:,} more steps elided; the result:]")
        lines.append(f"= {_clipped(explanation.result)}")
    note = f": {explanation.note}" if explanation.note else ""
    lines.append(f"({explanation.stopped}{note})")
    return lines


def _lab(options: argparse.Namespace, out: TextIO) -> None:
    from .lab import run_lab

    def write(line: str) -> None:
        print(line, file=out, flush=True)

    run_lab(seed=options.seed, out=options.out, epochs=options.epochs, write=write)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0  # not a number: refused below, like one below 1
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chainrule",
        description="Print, evaluate, differentiate and simplify scalar expressions; run the lab.",
        epilog="Expressions use + - * / ( ) exp log tanh, e.g. '4*x*y + exp(-y)'. "
        "Put an expression that starts with '-' after '--'; EXPR '-' reads it from standard input.",
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
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

    grad_command = commands.add_parser("grad", help="every partial derivative, simplified: d/dVAR = ...")
    grad_command.add_argument("expr", metavar="EXPR")
    grad_command.add_argument("vars", metavar="VAR", nargs="+")
    grad_command.set_defaults(run=_grad)

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
    try:
        options = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (already printed)
        return exit_.code if isinstance(exit_.code, int) else BAD_INPUT
    try:
        options.run(options, sys.stdout)
    except (_InputError, ChainruleError, ValueError, OSError, NotImplementedError, MemoryError) as error:
        if isinstance(error, BrokenPipeError):
            # The reader went away (e.g. `| head`): stop quietly, and keep Python from complaining at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        message = "out of memory" if isinstance(error, MemoryError) else _one_line(error)
        print(f"chainrule: error: {message}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    return 0
