"""lambdify: compile expressions into one straight-line function, over floats or NumPy arrays.

The generated function computes every distinct node of the DAG once, in
topological order, and returns the outputs.  A value read once (not an
output, not tested) is written where it is read, a few levels deep at most
(``t1 = v_a * v_b + v_c``): W5's training runs 5 % faster so.  The source
(kept on ``fn.source``) is built only from names we generate (``t3``,
``v_x``, ``_exp``) and ``repr`` of finite floats, each checked against a
strict pattern as it is written; a user's variable name enters it only
behind a ``v_`` prefix, so ``lambda`` or ``__import__`` are ordinary
variables.  A record's own expression template is library or extension
code, and may call only ``math``'s functions.

Errors match ``evaluate``.  The Python fast path runs only on exact floats
(one ``type`` test per argument: a bool, an int or a numpy scalar would
compute quietly, but evaluate rejects the first and converts the others).
It catches the arithmetic exceptions and tests finiteness once, at the end,
over the sum of the values ``finite_checks`` picks.  Any failure re-runs
``evaluate`` on the same inputs, so the error is evaluate's; a false alarm
(a huge but finite sum) just returns the same values the slow way.  The
NumPy backend is in ``arrays.py``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, cast

import attrs

from .dispatch import CasesByType, resolve
from .errors import UnboundVariableError
from .evaluate import _number, evaluate, evaluate_node
from .finite_checks import checked_nodes
from .nodes import Const, Expr, Var, children, operators
from .traverse import postorder

__all__ = ["lambdify", "Lambdified", "Operation", "declare_code", "operation_of"]


class Lambdified(Protocol):
    """A compiled function; ``source`` is its generated Python text."""

    source: str
    args: tuple[str, ...]

    def __call__(self, *values: Any) -> Any: ...


@attrs.frozen
class Operation:
    """How lambdify writes one node type, read off its ``Op`` record.

    ``python`` is a template (``{}`` are the operands) calling ``helpers``
    (``_name`` in it calls the function paired with ``name``), or None: the
    Python backend calls the evaluate case.  ``numpy`` names the NumPy
    backend's helper (``numpy_call``, or NumPy's ufunc of that name), or None.
    """

    python: str | None
    numpy: str | None
    absorbing: tuple[int, ...] = ()
    helpers: tuple[tuple[str, Callable[..., float]], ...] = ()
    numpy_call: Callable[..., Any] | None = None
    numpy_out: bool = True


#: NumPy's ufunc for each infix symbol; a function's symbol is its own name in ``math`` and NumPy.
_INFIX_UFUNCS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}

#: What a helper's name (``_exp``, ``_my_erf``) may be in generated source: no digits, so never
#: a constant's name (``_f0``).
_FUNCTION_NAME = re.compile(r"[a-z]+(?:_[a-z]+)*\Z")

#: Helper names the generated code uses itself: a function symbol must not take one.
RESERVED = frozenset({"isfinite", "type", "float", "fallback", "s", "e", "nodes", "args", "shape"})

#: The helpers an expression template calls (``_exp(...)``).
_CALLED = re.compile(r"\b_([a-z]+(?:_[a-z]+)*)\(")


def operation_of(kind: type) -> Operation | None:
    """The Operation a node type's ``Op`` record gives, or None: no record, or no code in it.

    An infix operator of Python's arithmetic is written as itself; any other
    node type calls a helper named after its function symbol (an infix one:
    after its class, ``Pow`` -> ``_pow``) taken from the record's ``python``
    and ``numpy`` fields, or for a record with neither, from ``math`` and NumPy.
    """
    op = getattr(kind, "op", None)
    if op is None or op.symbol is None:
        return None
    plain = op.python is None and op.numpy is None
    if op.infix and plain:
        ufunc = _INFIX_UFUNCS.get(op.symbol)
        if ufunc is None or op.arity != 2:
            return None
        return Operation(f"{{}} {op.symbol} {{}}", ufunc, op.absorbing)
    name = op.name.lower() if op.infix else op.symbol
    if not _FUNCTION_NAME.match(name) or name in RESERVED:
        return None
    python: str | None
    if isinstance(op.python, str):  # the record's own expression over {0}, calling math's functions
        python, called = op.python, _CALLED.findall(op.python)
        unknown = [f"_{function}" for function in called if not hasattr(math, function)]
        if unknown:
            raise ValueError(
                f"{op.name}'s python template calls {', '.join(unknown)}: math has no such function"
            )
        helpers = tuple((function, getattr(math, function)) for function in called)
    else:
        call = op.python if op.python is not None else (getattr(math, name, None) if plain else None)
        python = None if call is None else f"_{name}({', '.join(['{}'] * op.arity)})"
        helpers = () if call is None else ((name, call),)
    numpy: str | None = name if plain else None
    numpy_call: Callable[..., Any] | None = None
    if isinstance(op.numpy, str):
        numpy = op.numpy
    elif op.numpy is not None:  # a prefix of its own: a user's function may be called "power"
        numpy, numpy_call = f"fn_{name}", op.numpy
    if python is None and numpy is None:
        return None
    return Operation(python, numpy, op.absorbing, helpers, numpy_call, op.numpy_out)


#: The evaluate case registered along with each node type's code: a user who re-registers one
#: gets theirs called.
_CODED_CASES: dict[type, Callable[..., float]] = {}


def declare_code(kind: type) -> None:
    """Record ``kind``'s evaluate case as the one its ``Op`` record's code computes.

    Called once its evaluate case is registered (the lab's below, the others
    by ``install_function`` and ``functions.py``).
    """
    if operation_of(kind) is not None:
        _CODED_CASES[kind] = resolve(evaluate_node, kind)


for _kind in operators():
    declare_code(_kind)

#: How deep a statement's expression may nest values read once (the compiler's stack is finite).
_INLINE_DEPTH = 8

#: How many terms one finiteness-check statement adds (keeps each line's expression shallow).
_CHECK_CHUNK = 32

_counter = itertools.count()


class Kinds:
    """Per node type, asked once: its Operation, or None when its evaluate case is a user's."""

    def __init__(self) -> None:
        self.found: dict[type, Operation | None] = {}
        self.case: Callable[[type], Callable[..., float]] = CasesByType(evaluate_node).__getitem__

    def operation(self, node: Expr) -> Operation | None:
        kind = type(node)
        if kind not in self.found:
            library = _CODED_CASES.get(kind)
            builtin = library is not None and self.case(kind) is library
            self.found[kind] = operation_of(kind) if builtin else None
        return self.found[kind]

    def absorbing(self, node: Expr) -> Iterable[int]:
        """Where an infinity may vanish: a user's case may do anything with any operand."""
        found = self.operation(node)
        return range(len(children(node))) if found is None else found.absorbing


def arg_names(args: str | Var | Iterable[str | Var]) -> tuple[str, ...]:
    """The validated argument names, in order."""
    names: list[str] = []
    for arg in args if isinstance(args, Iterable) and not isinstance(args, str) else [args]:
        name = arg.name if isinstance(arg, Var) else arg
        if not isinstance(name, str):
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


def parameter(name: str, index: int) -> str:
    """The generated parameter for a user's argument name."""
    # ASCII identifiers are safe behind a prefix; others would be NFKC-folded by the compiler.
    text = f"v_{name}" if name.isascii() else f"a{index}"
    if not _PARAMETER_TEXT.match(text):
        raise ValueError(f"lambdify argument {name!r:.80} is not a valid variable name (an identifier)")
    return text


def literal(value: int | float) -> str:
    """A constant's source text (OverflowError for an integer too large for a float)."""
    text = repr(float(value))
    if not _LITERAL_TEXT.match(text):  # a Const is finite, so never 'inf' or 'nan'
        raise ValueError(f"constant {text!r} has no literal form")
    return f"({text})" if text.startswith("-") else text


def shape_of(exprs: object) -> tuple[str, list[Expr], list[object]]:
    """('one' | 'tuple' | 'rows' | 'dict', the expressions, the dict keys or the rows' lengths)."""
    if isinstance(exprs, Expr):
        return "one", [exprs], []
    if isinstance(exprs, Mapping):
        labels = keys = list(exprs)
        items = [exprs[key] for key in keys]
        kind = "dict"
    elif isinstance(exprs, Sequence) and not isinstance(exprs, str):
        keys, items, kind = [], list(exprs), "tuple"
        labels = list(range(len(items)))
        # Rows, as jacobian and hessian give them:
        if items and all(isinstance(row, Sequence) and not isinstance(row, str | Expr) for row in items):
            keys = [len(row) for row in items]
            labels = [(row, column) for row, length in enumerate(keys) for column in range(length)]
            items, kind = [entry for row in items for entry in row], "rows"
    else:
        raise TypeError(
            f"lambdify expects an expression, a sequence (or rows) or a mapping of them, got {type(exprs).__name__}"
        )
    for label, item in zip(labels, items, strict=True):
        if not isinstance(item, Expr):
            raise TypeError(f"lambdify output {label!r} is not an expression: {type(item).__name__}")
    return kind, items, keys


def packed(kind: str, keys: Sequence[object], results: Sequence[Any]) -> Any:
    """Results in the shape the outputs were given in."""
    if kind == "one":
        return results[0]
    if kind == "tuple":
        return tuple(results)
    if kind == "rows":
        items = iter(results)
        return tuple(tuple(itertools.islice(items, length)) for length in keys)  # type: ignore[call-overload]
    return dict(zip(keys, results, strict=True))


@attrs.frozen
class Program:
    """What both backends start from: the outputs, the arguments and every node in order."""

    kind: str
    outputs: list[Expr]
    keys: list[object]
    names: tuple[str, ...]
    parameters: dict[str, str]
    order: list[Expr]

    def leaf(self, node: Expr) -> str | None:
        """The code for a constant (its literal) or a variable (its parameter); None for any other node."""
        kind = type(node)
        if kind is Const:
            return literal(node.value)  # type: ignore[attr-defined]
        if kind is Var:
            return self.parameters[node.name]  # type: ignore[attr-defined]
        return None

    @property
    def signature(self) -> str:
        return ", ".join(self.parameters[name] for name in self.names)

    def result(self, locations: Sequence[str], constant: Callable[[str, object], str]) -> str:
        """The return expression over the outputs' locations: the source of what ``packed`` builds."""

        def source(value: Any) -> str:
            if isinstance(value, tuple):
                return "(" + "".join(f"{source(item)}, " for item in value) + ")"
            if isinstance(value, dict):
                return "{" + ", ".join(f"{constant('k', key)}: {where}" for key, where in value.items()) + "}"
            return cast(str, value)

        return source(packed(self.kind, self.keys, locations))


def program(exprs: object, args: str | Var | Iterable[str | Var]) -> Program:
    """Validate the outputs and arguments; every variable used must be an argument."""
    kind, outputs, keys = shape_of(exprs)
    names = arg_names(args)
    parameters = {name: parameter(name, index) for index, name in enumerate(names)}
    order = list(postorder(*outputs))
    for node in order:
        if type(node) is Var and node.name not in parameters:
            raise UnboundVariableError(
                node.name, f"variable {node.name!r} is not among the lambdify args {list(names)}"
            )
    return Program(kind, outputs, keys, names, parameters, order)


def finish(function: Any, source: str, prog: Program, backend: str) -> Lambdified:
    """Attach the source and names; the parameters answer to the user's names in arity errors."""
    code = function.__code__
    function.__code__ = code.replace(co_varnames=(*prog.names, *code.co_varnames[code.co_argcount :]))
    function.__qualname__ = function.__name__ = "lambdified"
    function.source = source
    function.args = prog.names
    function.__doc__ = (
        f"Compiled by chainrule.lambdify ({backend}) from {len(prog.order)} distinct nodes;"
        f" args {list(prog.names)}."
    )
    return cast(Lambdified, function)


def lambdify(
    exprs: Expr | Sequence[Expr] | Mapping[Any, Expr],
    args: str | Var | Iterable[str | Var],
    *,
    backend: str = "python",
    errors: str = "raise",
) -> Lambdified:
    """One function of the positional ``args`` computing ``exprs``.

    An expression gives one value, a sequence a tuple, a sequence of rows (a
    list of lists, as ``jacobian`` and ``hessian`` give) a tuple of tuples, a
    mapping a dict with the same keys.  Each distinct subexpression is computed once.  With
    ``backend="python"`` it takes numbers and gives floats, with evaluate's
    values and errors; with ``backend="numpy"`` it takes NumPy (or Dask)
    arrays and scalars, broadcast together (see ``chainrule.arrays``); there,
    ``errors="nan"`` turns an element that would fail into NaN in every output
    instead of raising.
    """
    from .serialize import picklable  # pickles as this lambdify call (generated code has no importable name)

    if backend not in ("python", "numpy"):
        raise ValueError(f"lambdify backend must be 'python' or 'numpy', got {backend!r:.80}")
    if backend == "python" and errors != "raise":
        raise ValueError(
            f"lambdify errors={errors!r:.80} needs backend='numpy' (a float has no element to mask)"
        )
    prog = program(exprs, args)
    if backend == "numpy":
        from .arrays import numpy_function

        function = numpy_function(prog, errors)
    else:
        function = _python_function(prog)
    return cast(Lambdified, picklable(function, exprs, prog.names, backend=backend, errors=errors))


def _python_function(prog: Program) -> Lambdified:
    used = {node.name for node in prog.order if type(node) is Var}

    def fallback(*values: object) -> Any:
        """Numbers other than floats run again converted as evaluate does; any failure is evaluate's."""
        if not all(type(value) is float for value in values):
            try:  # like evaluate, judge only the arguments the expressions use; pass the rest as 0.0
                checked = [
                    _number(name, value) if name in used else 0.0
                    for name, value in zip(prog.names, values, strict=True)
                ]
            except (TypeError, ArithmeticError):
                pass  # a bad argument: evaluate's error, in evaluate's order
            else:
                return built(*checked)
        env = dict(zip(prog.names, values, strict=True))
        return packed(prog.kind, prog.keys, [evaluate(output, env) for output in prog.outputs])

    source, constants, functions = _python_source(prog)
    namespace: dict[str, Any] = {}
    filename = f"<chainrule lambdify #{next(_counter)}>"
    exec(compile(source, filename, "exec"), namespace)  # our generated source, never user text
    built = namespace["_build"](
        **{f"_{name}": call for name, call in functions.items()},
        _isfinite=math.isfinite,
        _type=type,
        _float=float,
        _fallback=fallback,
        **constants,
    )
    return finish(built, source, prog, "python")


def _python_source(prog: Program) -> tuple[str, dict[str, object], dict[str, Callable[..., float]]]:
    constants: dict[str, object] = {}

    def constant(prefix: str, value: object) -> str:
        name = f"_{prefix}{len(constants)}"
        constants[name] = value
        return name

    kinds = Kinds()
    signature = prog.signature
    location: dict[Expr, str] = {}
    lines: list[str] = []
    case_names: dict[int, str] = {}  # one helper per user case, however many nodes use it
    user_nodes: list[Expr] = []  # passed in as one tuple, indexed
    tested = checked_nodes(prog.order, prog.outputs, kinds.absorbing)
    kept = tested | set(prog.outputs)  # values that need a name of their own
    uses: dict[Expr, int] = {}  # reads of each value; a template may read an operand more than once
    for node in prog.order:
        template = (found.python or "") if (found := kinds.operation(node)) else ""
        for position, kid in enumerate(children(node)):
            uses[kid] = uses.get(kid, 0) + (template.count(f"{{{position}}}") or 1)
    depth: dict[Expr, int] = {}  # how deep an inlined value's expression nests
    try:
        for node in prog.order:
            if (leaf := prog.leaf(node)) is not None:
                location[node] = leaf
                continue
            kids = children(node)
            operands = [location[kid] for kid in kids]
            found = kinds.operation(node)
            if found is not None and found.python is not None:
                text = found.python.format(*operands)
            else:  # a user's node type, or a function with only a NumPy form: call its evaluate case
                found = None
                case = kinds.case(type(node))
                function = case_names.get(id(case)) or case_names.setdefault(id(case), constant("f", case))
                subject = f"_nodes[{len(user_nodes)}]"
                user_nodes.append(node)
                text = f"_float({function}({', '.join([subject, *operands])}))"
            nested = 1 + max((depth.get(kid, 0) for kid in kids), default=0)
            if found is not None and uses.get(node) == 1 and node not in kept and nested <= _INLINE_DEPTH:
                location[node] = f"({text})"  # read once: written where it is read (W5: 5 % faster)
                depth[node] = nested
                continue
            target = location[node] = f"t{len(lines)}"
            lines.append(f"{target} = {text}")
        if user_nodes:
            constants["_nodes"] = tuple(user_nodes)
    except OverflowError:  # a constant too large for a float: evaluate reports it on every call
        body = [f"return _fallback({signature})"]
    else:
        checked = sorted({location[node] for node in tested})
        body = []
        if prog.names:
            guard = " or ".join(f"_type({prog.parameters[name]}) is not _float" for name in prog.names)
            body += [f"if {guard}:", f"    return _fallback({signature})"]
        if lines:
            body += ["try:", *("    " + line for line in lines)]
            body += ["except (ArithmeticError, ValueError):", f"    return _fallback({signature})"]
        for start in range(0, len(checked), _CHECK_CHUNK):
            terms = " + ".join(checked[start : start + _CHECK_CHUNK])
            body.append(f"_s = _s + {terms}" if start else f"_s = {terms}")
        if checked:
            body += ["if not _isfinite(_s):", f"    return _fallback({signature})"]
        body.append(f"return {prog.result([location[output] for output in prog.outputs], constant)}")
    helpers_used = dict(
        helper for node in prog.order if (found := kinds.operation(node)) for helper in found.helpers
    )
    functions = sorted(helpers_used)
    helpers = [*(f"_{name}" for name in functions), "_isfinite", "_type", "_float", "_fallback", *constants]
    source = "\n".join(
        [
            f"def _build({', '.join(helpers)}):",
            f"    def lambdified({signature}):",
            *("        " + line for line in body),
            "    return lambdified",
            "",
        ]
    )
    return source, constants, helpers_used
