"""lambdify: compile expressions into one straight-line Python function.

The generated function computes every distinct node of the DAG once, in
topological order, into a small pool of reused local variables, and returns
the outputs.  Its source is built only from names we generate (``t3``,
``v_x``, ``_exp``) and ``repr`` of floats; a user's variable name enters it
only after validation, behind a ``v_`` prefix, so ``lambda`` or
``__import__`` are ordinary variables.  The source is kept on ``fn.source``.

Errors match ``evaluate``: the fast path catches the arithmetic exceptions
and checks finiteness once, at the end, over a sum of the outputs and of the
values a non-finite number could otherwise vanish through (the arguments of
``tanh``, ``exp``, divisors, and a user's node types): an infinity or NaN,
in an argument or an intermediate, reaches one of them.  Any failure re-runs
``evaluate`` on the same inputs, so the error names the failing
subexpression; a false alarm (a huge but finite sum) just returns the same
values the slow way.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, cast

from .dispatch import resolve
from .errors import UnboundVariableError
from .evaluate import _number, evaluate, evaluate_node
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

#: Child positions whose infinite value can turn into a finite result (tanh(inf) == 1, 1/inf == 0).
_ABSORBING: dict[type, tuple[int, ...]] = {Div: (1,), Exp: (0,), TanH: (0,)}

#: The evaluate cases the templates reproduce; a user who re-registers one gets theirs called.
_LIBRARY_CASES = {kind: resolve(evaluate_node, kind) for kind in _TEMPLATES}

#: How many terms one finiteness-check statement adds (keeps each line's expression shallow).
_CHECK_CHUNK = 32

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


def _parameter(name: str, index: int) -> str:
    # ASCII identifiers are safe behind a prefix; others would be NFKC-folded by the compiler.
    return f"v_{name}" if name.isascii() else f"a{index}"


def _literal(value: int | float) -> str:
    text = repr(float(value))
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
        last_use: dict[Expr, int] = {}
        for index, node in enumerate(order):
            for kid in node._kids:
                last_use[kid] = index
        for node in outputs:
            last_use[node] = len(order)
        cases: dict[type, Callable[..., float]] = {}
        for index, node in enumerate(order):
            kind = type(node)
            if kind is Const:
                self.location[node] = _literal(node.value)  # type: ignore[attr-defined]
                continue
            if kind is Var:
                self.location[node] = self.parameters[node.name]  # type: ignore[attr-defined]
                continue
            kids = node._kids
            operands = [self.location[kid] for kid in kids]
            case = cases.get(kind)
            if case is None:
                case = cases[kind] = resolve(evaluate_node, kind)
            template = _TEMPLATES.get(kind)
            builtin = template is not None and case is _LIBRARY_CASES[kind]
            if builtin:
                assert template is not None
                text = template.format(*operands)
                for position in _ABSORBING.get(kind, ()):
                    self.check(kids[position])
            else:  # a user's node type: call its evaluate case, passed in as a constant
                function = self.case_names.get(id(case)) or self.case_names.setdefault(
                    id(case), self.constant("f", case)
                )
                subject = f"_nodes[{len(self.user_nodes)}]"
                self.user_nodes.append(node)
                text = f"_float({function}({', '.join([subject, *operands])}))"
                for kid in kids:
                    self.check(kid)
            for kid in dict.fromkeys(kids):  # distinct, in field order: the source is deterministic
                if last_use[kid] == index:
                    self.release(self.location[kid])
            target = self.allocate()
            self.lines.append(f"{target} = {text}")
            self.location[node] = target
            if not builtin:
                self.check(node)


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
    return cast(Lambdified, built)


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
        # A non-finite value, an infinite argument included, reaches an output unless an
        # absorbing operation swallowed it, and those operands are already checked.
        for output in outputs:
            code.check(output)
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
