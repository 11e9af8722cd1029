"""One interface over the symbolic systems (chainrule, SymPy, SymEngine), so a workload is written once.

Each adapter builds symbols and numbers, applies tanh/exp/log, differentiates,
simplifies (where the system has a simplifier: SymEngine keeps expressions in
a canonical form as it builds them, so it has none), evaluates at a point, and
counts nodes as (tree nodes, distinct nodes).  ``fresh`` runs before every
timed run: SymPy caches results, and a cached answer is not a measurement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import peers

import chainrule
from chainrule.traverse import postorder, tree_size


@dataclass(frozen=True)
class Symbolic:
    name: str
    symbol: Callable[[str], Any]
    number: Callable[[int | float], Any]
    tanh: Callable[[Any], Any]
    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    diff: Callable[[Any, Any], Any]
    simplify: Callable[[Any], Any] | None
    evaluate: Callable[[Any, Mapping[str, float]], float]
    sizes: Callable[[Any], tuple[int, int]]
    fresh: Callable[[], None] | None = None

    def functions(self) -> dict[str, Callable[[Any], Any]]:
        return {"tanh": self.tanh, "exp": self.exp, "log": self.log}


def chainrule_sizes(exprs: Any) -> tuple[int, int]:
    """(tree nodes, distinct nodes) of one expression or of several sharing one DAG."""
    roots = list(exprs) if isinstance(exprs, list | tuple) else [exprs]
    return sum(tree_size(root) for root in roots), sum(1 for _ in postorder(*roots))


def chainrule_adapter() -> Symbolic:
    simplify = getattr(chainrule, "simplify", None)
    return Symbolic(
        name="chainrule",
        symbol=chainrule.Var,
        number=chainrule.Const,
        tanh=chainrule.TanH,
        exp=chainrule.Exp,
        log=chainrule.Log,
        diff=chainrule.diff,
        simplify=simplify,
        evaluate=chainrule.evaluate,
        sizes=chainrule_sizes,
    )


def chainrule_horner() -> Callable[[Any], Any]:
    """chainrule's horner (Horner form of polynomial regions), applied after simplify where a workload says so."""
    return chainrule.horner  # type: ignore[no-any-return]


def chainrule_polynomial_simplify() -> Callable[[Any], Any] | None:
    """simplify with DEFAULT_RULES + POLYNOMIAL_RULES (rules alone, no horner); None before that table."""
    table = getattr(chainrule, "POLYNOMIAL_RULES", None)
    if table is None:
        return None
    rules = chainrule.DEFAULT_RULES + table
    return lambda expr: chainrule.simplify(expr, rules)


def sympy_adapter(sympy: ModuleType, *, real: bool = False) -> Symbolic:
    """SymPy; ``real`` symbols let it build deep tanh chains (default symbols stall on assumptions)."""
    symbols: dict[str, Any] = {}

    def symbol(name: str) -> Any:
        if name not in symbols:
            symbols[name] = sympy.Symbol(name, real=True) if real else sympy.Symbol(name)
        return symbols[name]

    def evaluate(expr: Any, env: Mapping[str, float]) -> float:
        return float(expr.subs({symbol(k): sympy.Float(v) for k, v in env.items()}))

    return Symbolic(
        name="sympy",
        symbol=symbol,
        number=lambda value: sympy.Integer(value) if isinstance(value, int) else sympy.Float(value),
        tanh=sympy.tanh,
        exp=sympy.exp,
        log=sympy.log,
        diff=sympy.diff,
        simplify=sympy.simplify,
        evaluate=evaluate,
        sizes=peers.sizes,
        fresh=sympy.core.cache.clear_cache,
    )


def symengine_adapter(symengine: ModuleType) -> Symbolic:
    symbols: dict[str, Any] = {}

    def symbol(name: str) -> Any:
        if name not in symbols:
            symbols[name] = symengine.Symbol(name)
        return symbols[name]

    def evaluate(expr: Any, env: Mapping[str, float]) -> float:
        return float(expr.subs({symbol(k): v for k, v in env.items()}))

    return Symbolic(
        name="symengine",
        symbol=symbol,
        number=lambda value: (
            symengine.Integer(value) if isinstance(value, int) else symengine.RealDouble(value)
        ),
        tanh=symengine.tanh,
        exp=symengine.exp,
        log=symengine.log,
        diff=symengine.diff,
        simplify=None,
        evaluate=evaluate,
        sizes=peers.sizes,
    )


def symbolic_systems(found: Mapping[str, ModuleType], *, real_sympy: bool = False) -> list[Symbolic]:
    """chainrule and the installed symbolic peers, in column order."""
    systems = [chainrule_adapter()]
    if "sympy" in found:
        systems.append(sympy_adapter(found["sympy"], real=real_sympy))
    if "symengine" in found:
        systems.append(symengine_adapter(found["symengine"]))
    return systems


def count(exprs: Sequence[Any], system: Symbolic) -> tuple[int, int]:
    return system.sizes(list(exprs))
