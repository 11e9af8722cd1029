"""lambdify: compile expressions into one straight-line Python function.

The generated function computes every distinct node of the DAG once, in
topological order, and returns the outputs.  A value read only once is
written inline in its consumer's statement (``t1 = a * b + c``, a few levels
deep at most); the others go into a small pool of reused local variables.
Its source is built only from names we generate (``t3``, ``v_x``, ``_exp``)
and ``repr`` of finite floats, each checked against a strict pattern as it
is written; a user's variable name enters it only after validation, behind
a ``v_`` prefix, so ``lambda`` or ``__import__`` are ordinary variables.
The source is kept on ``fn.source``.

Errors match ``evaluate``.  The fast path runs only on exact floats (one
``type`` test per argument: a bool, an int or a numpy scalar would compute
quietly, but evaluate rejects the first and converts the others).  It
catches the arithmetic exceptions and tests finiteness once, at the end,
over the sum of the few values ``finite_checks`` picks: every infinity or
NaN, from an argument or an overflow, reaches one of them.  Any failure
re-runs ``evaluate`` on the same inputs, so the error names the failing
subexpression; a false alarm (a huge but finite sum) just returns the same
values the slow way.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, cast

from .dispatch import resolve
from .errors import UnboundVariableError
from .evaluate import _number, evaluate, evaluate_node
from .finite_checks import checked_nodes
from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var
from .traverse import postorder

__all__ = ["lambdify", "Lambdified"]


class Lambdified(Protocol):
    """A compiled function; ``source`` is its generated Python text."""

    source: str
    args: tuple[str, ...]

    def __call__(self, *values: float) -> Any: ...


#: Expression templates of the library's own node types; ``{}`` are the children's values.
_TEMPLATES: dict[type, str] = {
    Sum: "{} + {}",
    Sub: "{} - {}",
    Mul: "{} * {}",
    Div: "{} / {}",
    Exp: "_exp({})",
    Log: "_log({})",
    TanH: "_tanh({})",
}

#: The evaluate cases the templates reproduce; a user who re-registers one gets theirs called.
_LIBRARY_CASES = {kind: resolve(evaluate_node, kind) for kind in _TEMPLATES}

#: How many terms one finiteness-check statement adds (keeps each line's expression shallow).
_CHECK_CHUNK = 32

#: How deep a statement's expression may nest inlined operations (the compiler's stack is finite).
_INLINE_DEPTH = 8

_counter = itertools.count()


def _arg_names(args: str | Var | Iterable[str | Var]) -> tuple[str, ...]:
    if isinstance(args, str | Var):
        args = [args]
    elif not isinstance(args, Iterable):
        raise TypeError(f"lambdify args must be variable names, got {type(args).__name__}: {args!r:.80}")
    names: list[str] = []
    for arg in args:
        if isinstance(arg, Var):
            name = arg.name
        elif isinstance(arg, str):
            name = arg
        else:
            raise TypeError(f"lambdify args must be variable names, got {type(arg).__name__}: {arg!r:.80}")
        if not name.isidentifier():
            raise ValueError(f"lambdify argument {name!r:.80} is not a valid variable name (an identifier)")
        if name in names:
            raise ValueError(f"lambdify argument {name!r} is given twice")
        names.append(name)
    return tuple(names)


#: What a parameter's or a literal's text may be: checked again right where the source is written,
#: so no text from outside (a variable name, a number's repr) reaches ``exec`` unvetted.
_PARAMETER_TEXT = re.compile(r"(?:v_[A-Za-z0-9_]+|a[0-9]+)\Z")
_LITERAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:e[+-][0-9]+)?\Z")


def _parameter(name: str, index: int) -> str:
    # ASCII identifiers are safe behind a prefix; others would be NFKC-folded by the compiler.
    text = f"v_{name}" if name.isascii() else f"a{index}"
    if not _PARAMETER_TEXT.match(text):
        raise ValueError(f"lambdify argument {name!r:.80} is not a valid variable name (an identifier)")
    return text


def _literal(value: int | float) -> str:
    text = repr(float(value))
    if not _LITERAL_TEXT.match(text):  # a Const is finite, so never 'inf' or 'nan'
        raise ValueError(f"constant {text!r} has no literal form")
    return f"({text})" if text.startswith("-") else text


class _Codegen:
    """Emits the body of one function: statements into reused registers, plus finiteness checks."""

    def __init__(self, parameters: Mapping[str, str]) -> None:
        self.parameters = parameters
        self.parameter_names = set(parameters.values())
        self.lines: list[str] = []
        self.constants: dict[str, object] = {}
        self.case_names: dict[int, str] = {}  # one helper per user case, however many nodes use it
        self.user_nodes: list[Expr] = []  # passed in as one tuple, indexed
        self.location: dict[Expr, str] = {}
        self.registers: set[str] = set()
        self.free: list[str] = []
        self.register_count = 0
        self.pending: list[str] = []  # registers or parameters not yet added to _s (kept alive until then)
        self.checked: set[Expr] = set()  # by node: registers are reused, names are not identities
        self.dead_pending: set[str] = set()  # registers to free once their check is flushed
        self.check_started = False

    def constant(self, prefix: str, value: object) -> str:
        name = f"_{prefix}{len(self.constants)}"
        self.constants[name] = value
        return name

    def allocate(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"t{self.register_count}"
        self.register_count += 1
        self.registers.add(name)
        return name

    def release(self, where: str) -> None:
        if where not in self.registers:
            return
        if where in self.pending:
            self.dead_pending.add(where)
        else:
            self.free.append(where)

    def check(self, node: Expr) -> None:
        """Make ``node``'s value part of the final finiteness check."""
        where = self.location[node]
        if node in self.checked or not (where in self.registers or where in self.parameter_names):
            return  # literals are finite; each value needs checking once
        self.checked.add(node)
        self.pending.append(where)
        if len(self.pending) >= _CHECK_CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        terms = " + ".join(self.pending)
        self.lines.append(f"_s = _s + {terms}" if self.check_started else f"_s = {terms}")
        self.check_started = True
        for where in self.pending:
            if where in self.dead_pending:
                self.free.append(where)
        self.pending.clear()
        self.dead_pending.clear()

    def compile_nodes(self, order: list[Expr], outputs: Sequence[Expr]) -> None:
        cases: dict[type, Callable[..., float]] = {}

        def case_of(kind: type) -> Callable[..., float]:
            case = cases.get(kind)
            if case is None:
                case = cases[kind] = resolve(evaluate_node, kind)
            return case

        @functools.cache
        def builtin(kind: type) -> bool:
            return kind in _TEMPLATES and case_of(kind) is _LIBRARY_CASES[kind]

        checked = checked_nodes(order, builtin)
        inline, released_at = _plan(order, outputs, checked, builtin)
        for index, node in enumerate(order):
            kind = type(node)
            if kind is Const:
                self.location[node] = _literal(node.value)  # type: ignore[attr-defined]
                continue
            if kind is Var:
                self.location[node] = self.parameters[node.name]  # type: ignore[attr-defined]
                if node in checked:
                    self.check(node)
                continue
            operands = [self.location[kid] for kid in node._kids]
            if builtin(kind):
                text = _TEMPLATES[kind].format(*operands)
            else:  # a user's node type: call its evaluate case, passed in as a constant
                case = case_of(kind)
                function = self.case_names.get(id(case)) or self.case_names.setdefault(
                    id(case), self.constant("f", case)
                )
                subject = f"_nodes[{len(self.user_nodes)}]"
                self.user_nodes.append(node)
                text = f"_float({function}({', '.join([subject, *operands])}))"
            if node in inline:
                self.location[node] = f"({text})"  # computed where its one consumer is
                continue
            for done in released_at.get(index, ()):
                self.release(self.location[done])
            target = self.allocate()
            self.lines.append(f"{target} = {text}")
            self.location[node] = target
            if node in checked:
                self.check(node)


def _plan(
    order: list[Expr], outputs: Sequence[Expr], checked: set[Expr], builtin: Callable[[type], bool]
) -> tuple[set[Expr], dict[int, list[Expr]]]:
    """Which nodes to write inline in their one consumer's statement, and when each value dies.

    A value used once, neither an output nor tested, needs no variable of its
    own: ``t1 = a * b + c`` instead of two statements (nesting at most
    _INLINE_DEPTH deep, so deep chains still compile).  Returns the inlined
    nodes and, per statement index, the named values last read there.
    """
    uses: dict[Expr, int] = {}
    consumer: dict[Expr, Expr] = {}
    for node in order:
        for kid in node._kids:
            uses[kid] = uses.get(kid, 0) + 1
            consumer[kid] = node
    for node in outputs:
        uses[node] = 2  # an output is read by the return statement too
    inline: set[Expr] = set()
    depth: dict[Expr, int] = {}
    for node in order:
        kind = type(node)
        if kind is Const or kind is Var or uses[node] != 1 or node in checked or not builtin(kind):
            continue
        nested = 1 + max((depth[kid] for kid in node._kids if kid in inline), default=0)
        if nested <= _INLINE_DEPTH:
            inline.add(node)
            depth[node] = nested
    statement: dict[Expr, int] = {}  # where each node's value is computed
    for index in range(len(order) - 1, -1, -1):
        node = order[index]
        statement[node] = statement[consumer[node]] if node in inline else index
    last_read: dict[Expr, int] = {}
    for node in order:
        for kid in node._kids:  # an inlined consumer reads at its own consumer's statement, maybe later
            last_read[kid] = max(last_read.get(kid, -1), statement[node])
    for node in outputs:
        last_read[node] = len(order)
    released_at: dict[int, list[Expr]] = {}
    for node in order:
        if node not in inline and type(node) is not Const and last_read[node] < len(order):
            released_at.setdefault(last_read[node], []).append(node)
    return inline, released_at


def _shape(exprs: object) -> tuple[str, list[Expr], list[object]]:
    """('one' | 'tuple' | 'dict', the expressions, the dict keys)."""
    if isinstance(exprs, Expr):
        return "one", [exprs], []
    if isinstance(exprs, Mapping):
        keys = list(exprs)
        items = [exprs[key] for key in keys]
        kind = "dict"
    elif isinstance(exprs, Sequence) and not isinstance(exprs, str):
        keys, items, kind = [], list(exprs), "tuple"
    else:
        raise TypeError(
            f"lambdify expects an expression, a sequence or a mapping of them, got {type(exprs).__name__}"
        )
    for key, item in zip(keys or itertools.count(), items, strict=False):
        if not isinstance(item, Expr):
            raise TypeError(f"lambdify output {key!r} is not an expression: {type(item).__name__}")
    return kind, items, keys


def lambdify(
    exprs: Expr | Sequence[Expr] | Mapping[Any, Expr], args: str | Var | Iterable[str | Var]
) -> Lambdified:
    """One Python function of the positional ``args`` computing ``exprs``.

    An expression gives a float, a sequence a tuple, a mapping a dict with the
    same keys.  Each distinct subexpression is computed once.  Values and
    error classes are those of ``evaluate``; every argument must be a number.
    """
    kind, outputs, keys = _shape(exprs)
    names = _arg_names(args)
    parameters = {name: _parameter(name, index) for index, name in enumerate(names)}
    order = list(postorder(*outputs))
    for node in order:
        if type(node) is Var and node.name not in parameters:
            raise UnboundVariableError(
                node.name, f"variable {node.name!r} is not among the lambdify args {list(names)}"
            )

    def slow(*values: object) -> Any:
        """Evaluate the outputs one by one, raising evaluate's errors."""
        env = dict(zip(names, values, strict=True))
        results = [evaluate(output, env) for output in outputs]
        if kind == "one":
            return results[0]
        if kind == "tuple":
            return tuple(results)
        return dict(zip(keys, results, strict=True))

    fast: Callable[..., Any] = slow

    used = {node.name for node in order if type(node) is Var}

    def fallback(*values: object) -> Any:
        if all(type(value) is float for value in values):
            return slow(*values)  # floats that failed: let evaluate name the failing subexpression
        # Like evaluate, judge only the arguments the expressions use; pass the rest as 0.0.
        checked = [
            _number(name, value) if name in used else 0.0 for name, value in zip(names, values, strict=True)
        ]
        return fast(*checked)

    source, constants = _generate(kind, outputs, keys, names, parameters, order)
    namespace: dict[str, Any] = {}
    filename = f"<chainrule lambdify #{next(_counter)}>"
    exec(compile(source, filename, "exec"), namespace)  # our generated source, never user text
    built = namespace["_build"](
        _exp=math.exp,
        _log=math.log,
        _tanh=math.tanh,
        _isfinite=math.isfinite,
        _type=type,
        _float=float,
        _fallback=fallback,
        **constants,
    )
    fast = built
    built.source = source
    built.args = names
    built.__doc__ = f"Compiled by chainrule.lambdify from {len(order)} distinct nodes; args {list(names)}."
    from .serialize import picklable  # pickles as this lambdify call (generated code has no importable name)

    return cast(Lambdified, picklable(built, exprs, names))


def _generate(
    kind: str,
    outputs: list[Expr],
    keys: list[object],
    names: tuple[str, ...],
    parameters: Mapping[str, str],
    order: list[Expr],
) -> tuple[str, dict[str, object]]:
    code = _Codegen(parameters)
    signature = ", ".join(parameters[name] for name in names)
    try:
        code.compile_nodes(order, outputs)
        if code.user_nodes:
            code.constants["_nodes"] = tuple(code.user_nodes)
    except OverflowError:  # a constant too large for a float: evaluate reports it on every call
        body = [f"return _fallback({signature})"]
    else:
        code.flush()
        locations = [code.location[output] for output in outputs]
        if kind == "one":
            result = locations[0]
        elif kind == "tuple":
            result = "(" + "".join(f"{where}, " for where in locations) + ")"
        else:
            pairs = [
                f"{code.constant('k', key)}: {where}" for key, where in zip(keys, locations, strict=True)
            ]
            result = "{" + ", ".join(pairs) + "}"
        body = []
        if names:
            guard = " or ".join(f"_type({parameters[name]}) is not _float" for name in names)
            body += [f"if {guard}:", f"    return _fallback({signature})"]
        if code.lines:
            body += ["try:", *("    " + line for line in code.lines)]
            body += ["except (ArithmeticError, ValueError):", f"    return _fallback({signature})"]
        if code.check_started:
            body += ["if not _isfinite(_s):", f"    return _fallback({signature})"]
        body.append(f"return {result}")
    helpers = ["_exp", "_log", "_tanh", "_isfinite", "_type", "_float", "_fallback", *code.constants]
    source = "\n".join(
        [
            f"def _build({', '.join(helpers)}):",
            f"    def lambdified({signature}):",
            *("        " + line for line in body),
            "    return lambdified",
            "",
        ]
    )
    return source, code.constants
