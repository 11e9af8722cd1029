"""lambdify's NumPy backend: the same straight-line code over arrays, with evaluate's errors.

The generated function converts its arguments to float64 (arrays, or
floats for scalars), broadcasts them together, and computes every distinct
node once with NumPy's ufuncs under ``errstate(all="ignore")``.  Memory: a
temporary is deleted right after its last reader, and an operation whose
operand is a dead temporary of the full shape writes into it (``out=``), so
a chain of elementwise steps reuses one buffer as hand-written in-place
NumPy would.  Checks: the values ``finite_checks`` picks (the outputs and
every operand an infinity could vanish through) are tested with one sum
each, ``isfinite(sum(t))``: any NaN or inf in ``t`` makes the sum
non-finite.  A failed test (or a false alarm: a huge but finite sum) re-runs
the graph keeping every value, finds the lowest failing index in C order
and the first subexpression failing there, and raises evaluate's error for
those input values, with the index and the inputs.

With ``errors="nan"`` the same tested values become masks instead: an
element where any of them is non-finite is NaN in every output.

Given a Dask array, the function returns Dask arrays: the compiled function
runs on each block (``map_blocks``), so the checks run at compute time and
a failure raises ``EvaluationError`` from ``compute()``, with the global index.
NumPy and Dask are imported only when this backend is used.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import numbers
import sys
from collections.abc import Sequence
from typing import Any

from .compile import Kinds, Lambdified, Program, finish, packed, program
from .errors import EvaluationError
from .evaluate import _checked, describe, evaluate
from .finite_checks import checked_nodes
from .nodes import Const, Expr, Var, children

__all__ = ["numpy_function", "require"]

_counter = itertools.count()


def require(module: str, extra: str) -> Any:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"lambdify(..., backend='numpy') needs {module.split('.')[0]}, which is not installed;"
            f" install it with: pip install 'chainrule[{extra}]'"
        ) from exc


#: What a failing element does: raise EvaluationError, or become NaN in every output.
ERRORS = ("raise", "nan")


def numpy_function(prog: Program, errors: str = "raise") -> Lambdified:
    """The compiled array function of ``prog`` (see the module docstring)."""
    if errors not in ERRORS:
        raise ValueError(f"lambdify errors must be 'raise' or 'nan', got {errors!r:.80}")
    np = require("numpy", "numpy")
    kinds = Kinds()
    source, constants = _numpy_source(np, prog, kinds, errors)
    runtime = _Runtime(np, prog, kinds, errors)
    namespace: dict[str, Any] = {}
    filename = f"<chainrule lambdify numpy #{next(_counter)}>"
    exec(compile(source, filename, "exec"), namespace)  # our generated source, never user text
    built = namespace["_build"](
        _errstate=np.errstate,
        _prepare=runtime.prepare,
        _own=runtime.own,
        _finite=runtime.finite,
        _result=runtime.result,
        _diagnose=runtime.diagnose,
        _lazy=runtime.lazy,
        _dask=runtime.dask,
        _elementwise=runtime.elementwise,
        _mark=runtime.mark,
        _masked=runtime.masked,
        **_helpers(np, prog, kinds),
        **constants,
    )
    runtime.function = built
    return finish(built, source, prog, "numpy")


def ufunc_of(np: Any, kinds: Kinds, node: Expr) -> str | None:
    """The name of the NumPy helper computing ``node``, or None: its evaluate case runs element by element.

    The helper is the node type's ``numpy_call`` or, without one, NumPy's ufunc of that name.
    """
    found = kinds.operation(node)
    if found is None or found.numpy is None or found.numpy in _HELPERS:
        return None
    if found.numpy_call is None and not isinstance(getattr(np, found.numpy, None), np.ufunc):
        return None
    return found.numpy


def _helper(np: Any, kinds: Kinds, node: Expr) -> Any:
    found = kinds.operation(node)
    assert found is not None and found.numpy is not None
    return found.numpy_call if found.numpy_call is not None else getattr(np, found.numpy)


def _takes_out(kinds: Kinds, node: Expr) -> bool:
    found = kinds.operation(node)
    return found is not None and found.numpy_out


#: The helpers a generated array function calls (a ufunc must not take one's name).
_HELPERS = frozenset(
    {
        "errstate",
        "prepare",
        "own",
        "finite",
        "result",
        "diagnose",
        "lazy",
        "dask",
        "elementwise",
        "mark",
        "masked",
        "bad",
    }
)


def _helpers(np: Any, prog: Program, kinds: Kinds) -> dict[str, Any]:
    """The NumPy helpers ``prog`` calls, by their name in the generated source (``_exp``)."""
    return {
        f"_{name}": _helper(np, kinds, node)
        for node in prog.order
        if (name := ufunc_of(np, kinds, node)) is not None
    }


def _numpy_source(np: Any, prog: Program, kinds: Kinds, errors: str) -> tuple[str, dict[str, object]]:
    constants: dict[str, object] = {}
    location: dict[Expr, str] = {}
    owned: set[str] = set()  # temporaries this function created (safe to overwrite once dead)
    signature = prog.signature
    checked = checked_nodes(prog.order, prog.outputs, kinds.absorbing)
    outputs = set(prog.outputs)
    last_read: dict[Expr, int] = {}
    for index, node in enumerate(prog.order):
        for kid in children(node):
            last_read[kid] = index
    lines: list[str] = ["_bad = None"] if errors == "nan" else []

    def check(where: str) -> str:
        if errors == "nan":  # remember the failing elements; they become NaN at the end
            return f"_bad = _mark(_bad, {where})"
        return f"if not _finite({where}): return _diagnose(*_args)"

    for name in prog.names:
        if Var(name) in checked:
            lines.append(check(prog.parameters[name]))
    user_nodes: list[Expr] = []
    for index, node in enumerate(prog.order):
        if (leaf := prog.leaf(node)) is not None:
            location[node] = leaf
            continue
        kids = children(node)
        operands = [location[kid] for kid in kids]
        dying = sorted(
            {
                where
                for kid in kids
                if last_read[kid] == index and kid not in outputs and (where := location[kid]) in owned
            }
        )
        target = location[node] = f"t{index}"
        ufunc = ufunc_of(np, kinds, node)
        if ufunc is not None:
            out = f", out=_own({dying[0]}, _shape)" if dying and _takes_out(kinds, node) else ""
            lines.append(f"{target} = _{ufunc}({', '.join(operands)}{out})")
        else:  # a user's node type: its evaluate case, element by element
            lines.append(f"{target} = _elementwise({len(user_nodes)}, {', '.join(operands)})")
            user_nodes.append(node)
        owned.add(target)
        if dying:
            lines.append(f"del {', '.join(dying)}")
        if node in checked:
            lines.append(check(target))
    if user_nodes:
        constants["_nodes"] = tuple(user_nodes)
    results: list[str] = []
    given: set[str] = set()
    for output in prog.outputs:
        where = location[output]
        fresh = where in owned and where not in given  # an output listed twice gets a copy
        given.add(where)
        results.append(f"_result({where}, _shape, {fresh})")

    def constant(prefix: str, value: object) -> str:
        name = f"_{prefix}{len(constants)}"
        constants[name] = value
        return name

    body = [f"if _lazy({signature}):", f"    return _dask({signature})"]
    body.append(f"*_args, _shape = _prepare({signature})")
    if signature:
        body.append(f"{signature}, = _args")
    if lines:
        body += ['with _errstate(all="ignore"):', *("    " + line for line in lines)]
    returned = prog.result(results, constant)
    body.append(f"return _masked(_bad, _shape, {returned})" if errors == "nan" else f"return {returned}")
    helpers = ["_errstate", "_prepare", "_own", "_finite", "_result", "_diagnose", "_lazy", "_dask"]
    helpers += [
        "_elementwise",
        "_mark",
        "_masked",
        *sorted(_helpers(np, prog, kinds)),
        *constants,
    ]
    source = "\n".join(
        [
            f"def _build({', '.join(helpers)}):",
            f"    def lambdified({signature}):",
            *("        " + line for line in body),
            "    return lambdified",
            "",
        ]
    )
    return source, constants


class _Runtime:
    """The helpers a generated array function calls: conversion, checks, diagnosis, Dask."""

    def __init__(self, np: Any, prog: Program, kinds: Kinds, errors: str) -> None:
        self.np = np
        self.prog = prog
        self.kinds = kinds
        self.errors = errors
        self.function: Any = None
        #: A user's node types, by the index the generated code passes to ``elementwise``.
        self.nodes = [
            node
            for node in prog.order
            if type(node) not in (Const, Var) and ufunc_of(np, kinds, node) is None
        ]

    # --- arguments and results ---------------------------------------------------------------

    def convert(self, name: str, value: object) -> Any:
        np = self.np
        if type(value) is float:
            return value
        if isinstance(value, np.ndarray):
            if value.dtype == np.float64:
                return value
            if value.dtype.kind in "iuf":
                return value.astype(np.float64)
        elif isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
            try:
                return float(value)
            except OverflowError:
                raise EvaluationError(f"value of {name} is too large for a float", Var(name)) from None
        elif isinstance(value, list | tuple):
            array = np.asarray(value)
            if array.dtype.kind in "iuf":
                return array.astype(np.float64)
        kind = getattr(value, "dtype", type(value).__name__)
        raise TypeError(
            f"argument {name!r} must be a real number or an array of them, got {kind}: {value!r:.80}"
        )

    def prepare(self, *values: object) -> Any:
        """The arguments as float64 arrays or floats, and the shape they broadcast to."""
        np = self.np
        try:
            converted = [
                self.convert(name, value) for name, value in zip(self.prog.names, values, strict=True)
            ]
        except TypeError:
            if not any(isinstance(value, np.ndarray | list | tuple) for value in values):
                self.evaluate(values)  # scalars: evaluate's error, in evaluate's order
            raise
        try:
            shape = np.broadcast_shapes(*(np.shape(value) for value in converted))
        except ValueError:
            shapes = ", ".join(
                f"{name}: {np.shape(v)}" for name, v in zip(self.prog.names, converted, strict=True)
            )
            raise ValueError(f"lambdify arguments do not broadcast together ({shapes})") from None
        return (*converted, shape)

    def evaluate(self, values: Sequence[object]) -> Any:
        env = dict(zip(self.prog.names, values, strict=True))
        return packed(self.prog.kind, self.prog.keys, [evaluate(output, env) for output in self.prog.outputs])

    def own(self, value: Any, shape: tuple[int, ...]) -> Any:
        """``value`` as an ``out=`` buffer if it is a full-shape array (a dead temporary), else None."""
        return value if type(value) is self.np.ndarray and value.shape == shape else None

    def finite(self, value: Any) -> bool:
        return bool(self.np.isfinite(self.np.sum(value)))

    def mark(self, bad: Any, value: Any) -> Any:
        """``errors="nan"``: the elements found failing so far, with ``value``'s non-finite ones."""
        found = ~self.np.isfinite(value)
        return found if bad is None else bad | found

    def masked(self, bad: Any, shape: tuple[int, ...], results: Any) -> Any:
        """``errors="nan"``: the results with NaN wherever any tested value failed."""
        np = self.np
        if bad is None or not np.any(bad):
            return results
        where = np.broadcast_to(bad, shape)

        def mask(value: Any) -> Any:
            if shape == ():
                return np.float64(np.nan)
            value[where] = np.nan
            return value

        if isinstance(results, tuple):
            return tuple(mask(value) for value in results)
        if isinstance(results, dict):
            return {key: mask(value) for key, value in results.items()}
        return mask(results)

    def result(self, value: Any, shape: tuple[int, ...], fresh: bool) -> Any:
        """An output as a float64 array of the broadcast shape (a NumPy float for scalar inputs)."""
        np = self.np
        if shape == ():
            return np.float64(value)
        if fresh and type(value) is np.ndarray and value.shape == shape:
            return value
        out = np.empty(shape)
        out[...] = value
        return out

    def elementwise(self, index: int, *operands: Any) -> Any:
        """A user's node type: its evaluate case on each element (a failure makes the element NaN)."""
        np = self.np
        node = self.nodes[index]
        case = self.kinds.case(type(node))

        def one(*xs: float) -> float:
            try:
                return float(case(node, *xs))
            except (ArithmeticError, ValueError):
                return float("nan")

        return np.vectorize(one, otypes=[np.float64])(*operands)

    # --- the slow path: where and why ----------------------------------------------------------

    def diagnose(self, *values: Any) -> Any:
        """Recompute, testing every value; raise evaluate's error at the first failing element.

        Values are released after their last reader, as on the fast path; what
        is kept of the first failing node is its operands at the failing element.
        """
        np = self.np
        prog = self.prog
        shape = np.broadcast_shapes(*(np.shape(value) for value in values))
        env = dict(zip(prog.names, values, strict=True))
        last_read = {kid: index for index, node in enumerate(prog.order) for kid in children(node)}
        outputs = set(prog.outputs)
        computed: dict[Expr, Any] = {}
        first: tuple[int, Expr, list[float], float] | None = None  # flat index, node, operands, value
        users = {node: index for index, node in enumerate(self.nodes)}

        def at(value: Any, flat: int) -> float:
            return float(np.broadcast_to(value, shape).flat[flat])

        with np.errstate(all="ignore"):
            for position, node in enumerate(prog.order):
                kind = type(node)
                kids = children(node)
                operands = [computed[kid] for kid in kids]
                if kind is Const:
                    value = float(node.value)  # type: ignore[attr-defined]
                elif kind is Var:
                    value = env[node.name]  # type: ignore[attr-defined]
                elif ufunc_of(np, self.kinds, node) is not None:
                    value = _helper(np, self.kinds, node)(*operands)
                else:
                    value = self.elementwise(users[node], *operands)
                bad = ~np.isfinite(value)
                if bad.any():
                    flat = int(np.argmax(np.broadcast_to(bad, shape)))
                    if first is None or flat < first[0]:
                        first = (flat, node, [at(operand, flat) for operand in operands], at(value, flat))
                computed[node] = value
                for kid in kids:
                    if last_read[kid] == position and kid not in outputs:
                        computed.pop(kid, None)
        if first is None:  # a false alarm: a huge but finite sum
            return packed(
                prog.kind, prog.keys, [self.result(computed[output], shape, False) for output in prog.outputs]
            )
        flat, node, operands, result = first
        index = tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
        inputs = {name: at(value, flat) for name, value in env.items()}
        try:  # evaluate's own error at that element, in evaluate's order
            self.evaluate(list(inputs.values()))
        except EvaluationError as error:
            raise located(error.message, error.expr, index, inputs) from None
        # NumPy and math disagree at the edge of the float range: name the first failing node
        try:
            if type(node) is not Var:
                _checked(self.kinds.case(type(node)))(node, *operands)
        except EvaluationError as error:
            raise located(error.message, node, index, inputs) from None
        raise located(f"result {result!r} is not finite in {describe(node)}", node, index, inputs)

    # --- Dask ----------------------------------------------------------------------------------

    def lazy(self, *values: object) -> bool:
        dask_array = sys.modules.get("dask.array")
        return dask_array is not None and any(isinstance(value, dask_array.Array) for value in values)

    def dask(self, *values: object) -> Any:
        """The outputs as Dask arrays: this function mapped over the blocks."""
        np = self.np
        da = require("dask.array", "dask")
        prog = self.prog
        arrays = [da.asarray(v) if isinstance(v, da.Array) or np.ndim(v) > 0 else v for v in values]
        shape = np.broadcast_shapes(*(np.shape(v) for v in arrays))
        lazy = [v for v in arrays if isinstance(v, da.Array)]
        reference = da.broadcast_to(lazy[0], shape)
        arguments = [
            da.broadcast_to(v, shape).rechunk(reference.chunks) if isinstance(v, da.Array) else v
            for v in arrays
        ]
        count = len(prog.outputs)
        block = Block(tuple(prog.outputs), prog.names, stacked=count != 1, errors=self.errors)
        meta = np.empty((0,) * (len(shape) + (count != 1)))
        if count == 1:
            results = [da.map_blocks(block, *arguments, dtype=np.float64, chunks=reference.chunks, meta=meta)]
        elif count == 0:
            results = []
        else:
            stack = da.map_blocks(
                block,
                *arguments,
                dtype=np.float64,
                new_axis=0,
                chunks=((count,), *reference.chunks),
                meta=meta,
            )
            results = [stack[k] for k in range(count)]
        return packed(prog.kind, prog.keys, results)


def located(reason: str, node: object, index: tuple[int, ...], inputs: dict[str, float]) -> EvaluationError:
    """evaluate's error, with where it happened: ``error.index`` and ``error.inputs`` too."""
    where = ", ".join(f"{name}={value!r}" for name, value in inputs.items())
    message = f"{reason} at index {index} (inputs: {where})" if index else reason  # scalars: evaluate's
    error = EvaluationError(message, node)
    error.reason, error.index, error.inputs = reason, index, inputs  # type: ignore[attr-defined]
    return error


@functools.lru_cache(maxsize=16)
def _block_function(outputs: tuple[Expr, ...], names: tuple[str, ...], errors: str) -> Lambdified:
    """A block's compiled function, made once per worker process (a few kept)."""
    return numpy_function(program(list(outputs), names), errors)


class Block:
    """The function a Dask block runs: picklable (outputs and names), compiled once per process."""

    def __init__(
        self, outputs: tuple[Expr, ...], names: tuple[str, ...], *, stacked: bool, errors: str = "raise"
    ) -> None:
        self.outputs, self.names, self.stacked, self.errors = outputs, names, stacked, errors

    def __reduce__(self) -> tuple[Any, ...]:
        return (_block, (self.outputs, self.names, self.stacked, self.errors))

    def __call__(self, *blocks: Any, block_info: Any = None) -> Any:
        try:
            results = _block_function(self.outputs, self.names, self.errors)(*blocks)
        except EvaluationError as error:
            index = getattr(error, "index", None)
            if index is None or not block_info or None not in block_info:
                raise
            starts = [start for start, _ in block_info[None]["array-location"]]
            offset = starts[1:] if self.stacked else starts
            where = tuple(int(i + o) for i, o in zip(index, offset[-len(index) :], strict=True))
            raise located(error.reason, error.expr, where, error.inputs) from None  # type: ignore[attr-defined]
        return require("numpy", "numpy").stack(results) if self.stacked else results[0]


def _block(outputs: tuple[Expr, ...], names: tuple[str, ...], stacked: bool, errors: str) -> Block:
    return Block(outputs, names, stacked=stacked, errors=errors)
