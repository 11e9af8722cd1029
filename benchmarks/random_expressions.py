"""Seeded random expressions over every node type, defined once and built the same in every system.

An expression is a *program*: a list of instructions, each a leaf
(``("var", "x")``, ``("const", 2)``) or an operation on earlier
instructions (``("div", 3, 7)``).  Every instruction is used once, so the
program is a tree of ``len(program)`` nodes; systems that hash-cons (chainrule,
SymPy, SymEngine) share its equal subtrees.  Values stay finite at POINT by
construction: division is by ``1 + exp(b)``, log is of ``1 + exp(a)``, and an
operand whose value at POINT exceeds BOUND is first squashed by tanh.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Instruction = tuple[Any, ...]

#: Where every system evaluates the expression and its derivative with respect to x.
POINT = {"x": 0.5, "y": -0.3, "z": 0.8}
VARIABLES = tuple(POINT)
CONSTANTS = (1, 2, 3, 0.5, 1.5, 2.5)
#: Operands larger than this (at POINT) are passed through tanh first, so exp never overflows.
BOUND = 20.0

_BINARY = ("sum", "sub", "mul", "div")
_UNARY = ("exp", "log", "tanh")
_WEIGHTS = {"sum": 4, "sub": 3, "mul": 3, "div": 2, "exp": 2, "log": 2, "tanh": 3}

#: The float meaning of each operation, used to track values while generating.
_FLOAT: dict[str, Callable[..., float]] = {
    "sum": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
}


def program(size: int, seed: int) -> list[Instruction]:
    """A random expression of about ``size`` tree nodes (a few more, to join the last operands)."""
    rng = random.Random(seed)
    out: list[Instruction] = []
    values: list[float] = []

    def emit(instruction: Instruction, value: float) -> int:
        out.append(instruction)
        values.append(value)
        return len(out) - 1

    def bounded(index: int) -> int:
        if abs(values[index]) > BOUND:
            return emit(("tanh", index), math.tanh(values[index]))
        return index

    def one_plus_exp(index: int) -> int:  # 1 + exp(a): positive, at least 1
        index = bounded(index)
        one = emit(("const", 1), 1.0)
        power = emit(("exp", index), math.exp(values[index]))
        return emit(("sum", one, power), 1.0 + values[power])

    def take(pool: list[int]) -> int:
        return pool.pop(rng.randrange(len(pool)))

    pool: list[int] = []
    while True:
        growing = len(out) + 2 * len(pool) < size  # joining the pool adds about two nodes an operand
        if not growing and len(pool) <= 1:
            break
        if growing and (len(pool) < 2 or rng.random() < 0.45):
            if rng.random() < 0.5:
                name = rng.choice(VARIABLES)
                pool.append(emit(("var", name), POINT[name]))
            else:
                number = rng.choice(CONSTANTS)
                pool.append(emit(("const", number), float(number)))
            continue
        names = [op for op in _WEIGHTS if growing or op in _BINARY]
        op = rng.choices(names, weights=[_WEIGHTS[n] for n in names])[0]
        if op in _UNARY:
            a = take(pool)
            if op == "log":
                a = one_plus_exp(a)
            elif op == "exp":
                a = bounded(a)
            pool.append(emit((op, a), _FLOAT[op](values[a])))
        else:
            a, b = take(pool), take(pool)
            if op == "div":
                b = one_plus_exp(b)
            pool.append(emit((op, a, b), _FLOAT[op](values[a], values[b])))
    return out


def build(instructions: Sequence[Instruction], ops: Mapping[str, Callable[..., Any]]) -> Any:
    """Run the program with one system's constructors; ``ops`` maps each instruction name to one."""
    built: list[Any] = []
    for op, *args in instructions:
        if op in ("var", "const"):
            built.append(ops[op](args[0]))
        else:
            built.append(ops[op](*(built[i] for i in args)))
    return built[-1]


def arithmetic(
    functions: Mapping[str, Callable[..., Any]], leaf: Callable[[str, Any], Any]
) -> dict[str, Any]:
    """Constructors for a system with Python operators, ``exp``/``log``/``tanh`` functions and ``leaf``."""
    return {
        "var": lambda name: leaf("var", name),
        "const": lambda value: leaf("const", value),
        "sum": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "exp": functions["exp"],
        "log": functions["log"],
        "tanh": functions["tanh"],
    }


def float_value(instructions: Sequence[Instruction]) -> float:
    """The program's value at POINT in plain floats (the generator's own reckoning)."""
    ops = arithmetic(
        {"exp": math.exp, "log": math.log, "tanh": math.tanh},
        lambda kind, payload: POINT[payload] if kind == "var" else float(payload),
    )
    return float(build(instructions, ops))
