"""The peer systems: which are installed, their versions, and the little glue each needs.

Peers are imported once here, in the parent process, so the forked child
that times a peer pays no import cost.  A missing peer is not an error: its
columns are left out with a note.
"""

from __future__ import annotations

import importlib
import math
import platform
from importlib import metadata
from types import ModuleType
from typing import Any

import chainrule

PEERS = ("sympy", "symengine", "micrograd", "torch")


def load() -> tuple[dict[str, ModuleType], list[str]]:
    """The installed peers by name, and a note for each missing one."""
    found: dict[str, ModuleType] = {}
    notes: list[str] = []
    for name in PEERS:
        try:
            found[name] = importlib.import_module(name)
        except ImportError as exc:
            notes.append(f"{name} is not installed ({exc.msg}); its column is skipped")
    if "torch" in found:
        found["torch"].set_num_threads(1)  # scalar work: threads only add overhead and noise
    if "micrograd" in found:
        importlib.import_module("micrograd.engine")
    return found, notes


def versions(found: dict[str, ModuleType]) -> dict[str, str]:
    """Versions of Python, chainrule and each installed peer."""
    result = {"python": platform.python_version(), "chainrule": chainrule.__version__}
    for name in found:
        try:
            result[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            result[name] = getattr(found[name], "__version__", "?")
    return result


def features() -> dict[str, bool]:
    """Which of chainrule's optional parts have landed (simplify, grad, lambdify, horner)."""
    return {name: hasattr(chainrule, name) for name in ("simplify", "grad", "lambdify", "horner")}


def sizes(exprs: Any) -> tuple[int, int]:
    """(tree nodes, distinct nodes) of SymPy/SymEngine expressions, counted through ``.args``.

    Every object in the tree is a node (symbols and numbers included), an
    n-ary Add or Mul counts once; the distinct count is over all the
    expressions together, as chainrule's is over one shared DAG.
    """
    roots = list(exprs) if isinstance(exprs, list | tuple) else [exprs]
    tree: dict[Any, int] = {}
    total = 0
    for root in roots:
        stack = [root]
        while stack:  # children first, without recursion (chains are deep)
            node = stack[-1]
            pending = [arg for arg in node.args if arg not in tree]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if node not in tree:
                tree[node] = 1 + sum(tree[arg] for arg in node.args)
        total += tree[root]
    return total, len(tree)


def binary_sizes(exprs: Any) -> tuple[int, int]:
    """``sizes`` with an n-ary Add or Mul of k operands counted as the k - 1 two-operand nodes
    chainrule needs for it: the two libraries' sizes in one unit."""
    roots = list(exprs) if isinstance(exprs, list | tuple) else [exprs]
    tree: dict[Any, int] = {}
    distinct = 0
    total = 0
    for root in roots:
        stack = [root]
        while stack:
            node = stack[-1]
            pending = [arg for arg in node.args if arg not in tree]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if node not in tree:
                own = max(1, len(node.args) - 1)
                tree[node] = own + sum(tree[arg] for arg in node.args)
                distinct += own
        total += tree[root]
    return total, distinct


def micrograd_functions() -> dict[str, Any]:
    """tanh, exp and log for micrograd's Value, which the lab needs and micrograd lacks.

    Each is written the way micrograd writes its own operations: the forward
    value, and a closure that adds this node's share to its input's gradient.
    """
    from micrograd.engine import Value

    def unary(node: Any, data: float, slope: float, op: str) -> Any:
        out = Value(data, (node,), op)

        def _backward() -> None:
            node.grad += slope * out.grad

        out._backward = _backward
        return out

    def tanh(node: Any) -> Any:
        t = math.tanh(node.data)
        return unary(node, t, 1 - t * t, "tanh")

    def exp(node: Any) -> Any:
        e = math.exp(node.data)
        return unary(node, e, e, "exp")

    def log(node: Any) -> Any:
        return unary(node, math.log(node.data), 1 / node.data, "log")

    return {"tanh": tanh, "exp": exp, "log": log, "Value": Value}
