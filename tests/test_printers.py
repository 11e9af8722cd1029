"""LaTeX and Graphviz DOT printers."""

from __future__ import annotations

import re

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import (
    Const,
    Div,
    Exp,
    Expr,
    Log,
    Mul,
    Sub,
    Sum,
    TanH,
    Var,
    count_nodes,
    parse,
    to_dot,
    to_latex,
)
from chainrule.nodes import as_expr
from chainrule.printers import dot_label, latex_for_display, latex_name, latex_node, latex_precedence
from chainrule.testing import expressions
from chainrule.traverse import fold

from .lab_strategies import dag_expressions

x, y = Var("x"), Var("y")
Z = 4 * x * y + Exp(-y)


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("4*x*y + exp(-y)", r"4 \cdot x \cdot y + e^{-y}"),
        ("a - (b - c)", r"a - \left(b - c\right)"),
        ("(a - b) - c", r"a - b - c"),
        ("a + (b + c)", r"a + \left(b + c\right)"),
        ("(a + b) * c", r"\left(a + b\right) \cdot c"),
        ("a * (b * c)", r"a \cdot \left(b \cdot c\right)"),
        ("a + -b", r"a + \left(-b\right)"),
        ("a - -2", r"a - \left(-2\right)"),
        ("-2 * a", r"-2 \cdot a"),
        ("-(a + b)", r"-\left(a + b\right)"),
        ("-(-a)", r"-\left(-a\right)"),
        ("-(a * b)", r"-a \cdot b"),
        ("-(2 * a)", r"-\left(2 \cdot a\right)"),
        ("-(-a * b)", r"-\left(-a \cdot b\right)"),
        ("-((a + b) * c)", r"-\left(a + b\right) \cdot c"),
        ("a * -1", r"a \cdot \left(-1\right)"),
        ("-(2)", r"-1 \cdot 2"),
        ("(a + b) / (c - d)", r"\frac{a + b}{c - d}"),
        ("exp(a + b) * log(c) - tanh(d)", r"e^{a + b} \cdot \log\left(c\right) - \tanh\left(d\right)"),
        ("1.5e-7 * x", r"1.5 \cdot 10^{-7} \cdot x"),
        ("w11 * x_max + alpha", r"w_{11} \cdot x_{max} + \alpha"),
        ("fin", r"\mathrm{fin}"),
    ],
)
def test_latex(text: str, latex: str) -> None:
    assert to_latex(parse(text)) == latex


def test_latex_names() -> None:
    assert latex_name("x") == "x"
    assert latex_name("x1") == "x_{1}"
    assert latex_name("theta_0") == r"\theta_{0}"
    assert latex_name("a_b_c") == r"a_{b\_c}"
    assert latex_name("loss") == r"\mathrm{loss}"


def test_repr_latex_for_jupyter() -> None:
    assert Z._repr_latex_() == r"$\displaystyle 4 \cdot x \cdot y + e^{-y}$"


def test_repr_latex_declines_huge_trees() -> None:
    e: Expr = x
    for _ in range(40):
        e = e * e  # a 2**40-leaf tree in 41 nodes
    assert e._repr_latex_() is None
    assert latex_for_display(x + y, limit=2) is None
    assert latex_for_display(x + y, limit=3) == r"$\displaystyle x + y$"


def test_latex_at_depth_100000() -> None:
    e: Expr = x
    for _ in range(100_000):
        e = TanH(e)
    text = to_latex(e)
    assert text.count(r"\tanh") == 100_000


@settings(max_examples=100, deadline=None)
@given(st.one_of(expressions(), dag_expressions()))
def test_latex_round_trips_through_the_parser_for_fraction_free_expressions(expr: Expr) -> None:
    """Turning the LaTeX back into infix text must give an expression with the same tree shape.

    Only where no \\frac or e^{} occurs (those need a real LaTeX parser); parentheses the
    printer dropped must be exactly the ones precedence makes redundant.
    """
    text = to_latex(expr)
    if "frac" in text or "e^{" in text or r"\cdot 10^" in text:
        return
    infix = (
        text.replace(r"\left(", "(")
        .replace(r"\right)", ")")
        .replace(r"\cdot", "*")
        .replace(r"\log", "log")
        .replace(r"\tanh", "tanh")
        .replace(r"\sin", "sin")
        .replace(r"\cos", "cos")
        .replace(r"\sigma", "sigmoid")
        .replace(r"\operatorname{softplus}", "softplus")
        .replace(r"\sqrt{", "sqrt(")
        .replace("^{", " ** (")
        .replace("{", "(")
        .replace("}", ")")
    )
    assert _sign_outside_products(parse(infix)) == _sign_outside_products(expr)


def _negated(node: Expr) -> Expr | None:
    if type(node) is Mul and node.x == Const(-1) and type(node.y) is not Const:
        return node.y
    return None


def _pull_sign_out(left: Expr, right: Expr) -> Expr:
    # (-a)·b -> -(a·b), repeatedly: "-a \\cdot b" is printed for both and means the same.
    signs = 0
    while (inner := _negated(left)) is not None:
        left, signs = inner, signs + 1
    result: Expr = Mul(left, right)
    for _ in range(signs):
        result = Mul(-1, result)
    return result


def _sign_outside_products(expr: Expr) -> Expr:
    """The one regrouping the LaTeX printer does not show: where a product's sign sits."""

    def visit(node: Expr, kids: list[Expr]) -> Expr:
        if type(node) is Mul and _negated(node) is None:
            return _pull_sign_out(kids[0], kids[1])
        return type(node)(*kids) if kids else node

    return fold(expr, visit)


def test_dot_draws_shared_nodes_once() -> None:
    shared = TanH(Z)
    e = shared * shared + shared
    dot = to_dot(e)
    assert dot.startswith("digraph expression {")
    assert dot.rstrip().endswith("}")
    boxes = re.findall(r"^  (n\d+) \[label=", dot, flags=re.MULTILINE)
    assert len(boxes) == count_nodes(e)
    assert dot.count('[label="tanh"]') == 1
    tanh_id = re.search(r'(n\d+) \[label="tanh"\]', dot)
    assert tanh_id is not None
    edges_into_tanh = re.findall(rf"-> {tanh_id.group(1)};", dot)
    assert len(edges_into_tanh) == 3  # twice from the product, once from the sum


def test_dot_labels_and_leaves() -> None:
    dot = to_dot(Sub(Div(Const(2.5), Log(x)), Var("y")))
    for label in ('"-"', '"/"', '"2.5"', '"log"', '"x"', '"y"'):
        assert f"[label={label}" in dot
    assert '[label="x", shape=ellipse]' in dot


def test_dot_options_are_validated() -> None:
    assert "rankdir=LR;" in to_dot(x, rankdir="LR")
    assert to_dot(x, name="g1").startswith("digraph g1 {")
    with pytest.raises(ValueError, match="identifier"):
        to_dot(x, name="g; evil")
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(x, rankdir="sideways")
    with pytest.raises(TypeError):
        to_dot("x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_latex("x")  # type: ignore[arg-type]


def test_dot_at_depth_100000_and_exponential_trees() -> None:
    e: Expr = x
    for _ in range(100_000):
        e = Exp(e)
    assert to_dot(e).count("->") == 100_000
    d: Expr = x
    for _ in range(60):
        d = Sum(d, d)
    assert to_dot(d).count("->") == 120


def _child(value: object) -> Expr:
    return as_expr(value, "x")


@attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
class Hypot(Expr):
    """sqrt(x*x + y*y), a user's node type."""

    x: Expr = attrs.field(converter=_child)
    y: Expr = attrs.field(converter=_child)


def test_user_node_types_print_generically_and_can_register_cases() -> None:
    assert to_latex(Hypot(x, y + 1)) == r"\operatorname{Hypot}\left(x, y + 1\right)"
    assert '[label="Hypot"]' in to_dot(Hypot(x, y))

    @attrs.frozen(slots=True, eq=False, repr=False, weakref_slot=False)
    class Abs(Expr):
        x: Expr = attrs.field(converter=_child)

    latex_node.add((Abs,), lambda node, precedence: (r"\left|", node.x, r"\right|"))
    latex_precedence.add((Abs,), lambda node: 4)
    dot_label.add((Abs,), lambda node: "|·|")
    assert to_latex(Abs(x - y) * 2) == r"\left|x - y\right| \cdot 2"
    assert '[label="|·|"]' in to_dot(Abs(x))


def test_mul_sum_exp_log_nodes_all_render() -> None:
    e = Mul(Sum(x, Const(1)), Exp(Log(y)))
    assert to_latex(e) == r"\left(x + 1\right) \cdot e^{\log\left(y\right)}"


@pytest.mark.parametrize("name", ["_", "_x", "__import__"])
def test_latex_names_without_a_base_letter_keep_the_whole_name(name: str) -> None:
    from chainrule.printers import to_latex

    text = to_latex(Var(name))
    assert text.startswith("\\mathrm{") and "\\_" in text
