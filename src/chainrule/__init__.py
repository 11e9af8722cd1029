"""chainrule: immutable scalar expressions you can print, evaluate, differentiate and simplify."""

from __future__ import annotations

from .compile import lambdify
from .define import define_function
from .diff import diff, diff_node
from .dispatch import NAMESPACE
from .errors import (
    ChainruleError,
    EvaluationError,
    ParseError,
    RewriteLimitError,
    RuleError,
    UnboundVariableError,
)
from .evaluate import evaluate, evaluate_node
from .functions import Cos, Pow, Sigmoid, Sin, Softplus, Sqrt
from .grad import adjoint_node, grad
from .interop_sympy import from_sympy, to_sympy
from .jacobian import hessian, jacobian
from .nodes import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var
from .optional_rules import COEFFICIENT_RULES, POLYNOMIAL_RULES, POWER_RULES
from .parse import parse, register_function
from .polynomial import horner
from .printers import to_dot, to_latex
from .rules import DEFAULT_RULES, Rule, load_rules, parse_rule, parse_rules
from .serialize import from_json, to_json
from .show import show, show_node
from .simplify import Explanation, Step, explain, simplify
from .strategies import bottom_up, chain, condition, do_one, exhaust, fixpoint, innermost, switch, tap
from .traverse import count_nodes, fold, postorder, tree_size

__all__ = [
    "Expr",
    "Const",
    "Var",
    "Sum",
    "Sub",
    "Mul",
    "Div",
    "Exp",
    "Log",
    "TanH",
    "Pow",
    "Sqrt",
    "Sin",
    "Cos",
    "Sigmoid",
    "Softplus",
    "define_function",
    "show",
    "parse",
    "evaluate",
    "diff",
    "grad",
    "lambdify",
    "to_latex",
    "to_dot",
    "simplify",
    "horner",
    "explain",
    "Explanation",
    "Step",
    "Rule",
    "parse_rule",
    "parse_rules",
    "load_rules",
    "DEFAULT_RULES",
    "POWER_RULES",
    "COEFFICIENT_RULES",
    "POLYNOMIAL_RULES",
    "bottom_up",
    "chain",
    "do_one",
    "condition",
    "switch",
    "tap",
    "fixpoint",
    "exhaust",
    "innermost",
    "fold",
    "postorder",
    "count_nodes",
    "tree_size",
    "NAMESPACE",
    "show_node",
    "evaluate_node",
    "diff_node",
    "adjoint_node",
    "ChainruleError",
    "ParseError",
    "UnboundVariableError",
    "EvaluationError",
    "RuleError",
    "RewriteLimitError",
    "to_json",
    "from_json",
    "to_sympy",
    "from_sympy",
    "jacobian",
    "hessian",
    "register_function",
]

__version__ = "0.1.0"
