"""Rule tables shipped beside the default one: ``POWER_RULES``, ``COEFFICIENT_RULES``, ``POLYNOMIAL_RULES``.

They live in ``rules/optional/`` (``chainrule/rules/optional`` in a wheel),
as data like the default tables; a user adds them explicitly:
``simplify(e, DEFAULT_RULES + POWER_RULES)``.  Each can add a node to a DAG, which no
default rule does; each is sound, and tested like the default rules.
"""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import RuleError
from .rules import Rule, load_rules

__all__ = ["COEFFICIENT_RULES", "POLYNOMIAL_RULES", "POWER_RULES"]


def _optional_file(name: str) -> Traversable:
    """``rules/optional/name``: in the installed wheel, else in the checkout."""
    folders: list[Traversable] = [
        importlib.resources.files("chainrule") / "rules" / "optional",
        Path(__file__).resolve().parents[2] / "rules" / "optional",
    ]
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise RuleError(f"the optional rule table rules/optional/{name} is missing from this installation")


#: Collecting powers (``?x * ?x -> ?x ** 2``, ``x ** a * x ** b -> x ** (a + b)``, ...): each can add
#: a node to a DAG (a new exponent), which the default table never does.
POWER_RULES: tuple[Rule, ...] = load_rules(_optional_file("powers.rules"))

#: Merging constant coefficients and like terms (``a * (b * x)``, ``a * x + b * x``, ``x + x``), each
#: with the condition that keeps it sound at the overflow edge; each can add a node to a DAG.
COEFFICIENT_RULES: tuple[Rule, ...] = load_rules(_optional_file("coefficients.rules"))

#: Polynomial regions to an expanded, collected normal form by ordered rewriting (sums and products
#: sorted by ``?a before ?b``, products of sums multiplied out, like terms and powers merged):
#: ``rules/optional/polynomial.rules``, then POWER_RULES and COEFFICIENT_RULES, whose two-operand laws
#: it builds on (``square`` last: ``x ** 2 * x ** 2`` is ``x ** 4``, not ``(x ** 2) ** 2``).
#: ``simplify(e, DEFAULT_RULES + POLYNOMIAL_RULES)``.
POLYNOMIAL_RULES: tuple[Rule, ...] = (
    *load_rules(_optional_file("polynomial.rules")),
    *sorted(POWER_RULES, key=lambda rule: rule.name == "square"),
    *COEFFICIENT_RULES,
)
