"""Small API frictions from issue 11, each reproduced: the parser extension line, Const(Fraction),
chainrule.testing without hypothesis, and property tests over a user's node types."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given

import chainrule
from chainrule import Const, Expr, ParseError, Var, parse, postorder, register_function, show
from chainrule.parse import FUNCTIONS
from chainrule.testing import expressions
from tests.test_extension import Cosine, Sine

ROOT = Path(__file__).resolve().parents[1]


def test_register_function_makes_parse_read_a_users_node() -> None:
    # The README's old line, chainrule.parse.FUNCTIONS["sine"] = Sine, fails: chainrule.parse is the function.
    assert not hasattr(chainrule.parse, "FUNCTIONS")
    with pytest.raises(ParseError, match="sine"):
        parse("sine(x)")
    assert register_function("sine", Sine) is Sine
    try:
        assert parse("sine(x) * 2") is Sine(Var("x")) * 2
    finally:
        del FUNCTIONS["sine"]
    with pytest.raises(ValueError, match="identifier"):
        register_function("not a name", Sine)
    with pytest.raises(TypeError, match="node class"):
        register_function("sine", 3)  # type: ignore[arg-type]


def test_const_of_a_fraction_is_exact_or_a_clear_error() -> None:
    assert Const(Fraction(6, 3)) is Const(2)  # a whole Fraction is an exact int
    with pytest.raises(TypeError, match=r"Fraction 1/3 is neither exactly: use Div\(Const\(numerator\)"):
        Const(Fraction(1, 3))
    with pytest.raises(TypeError, match=r"Fraction \.\.\."):
        Const(Fraction(10**5000, 3))  # too long for str(): the message still builds


def test_testing_without_hypothesis_says_which_extra(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import chainrule.testing\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "chainrule.testing needs hypothesis: pip install 'chainrule[testing]'" in result.stdout


@given(expressions(("x", "y"), extra_nodes=[Sine, Cosine]))
def test_expressions_draw_a_users_node_types(e: Expr) -> None:
    # A law about the user's nodes: once parse knows them, show and parse are inverse.
    register_function("sine", Sine)
    register_function("cosine", Cosine)
    try:
        assert parse(show(e)) is e
    finally:
        del FUNCTIONS["sine"], FUNCTIONS["cosine"]


def test_expressions_reach_users_nodes() -> None:
    seen: set[type] = set()

    @given(expressions(("x",), operators=(), functions=(), extra_nodes=[Sine, Cosine]))
    def collect(e: Expr) -> None:
        seen.add(type(e))
        assert {type(node) for node in postorder(e)} <= {Sine, Cosine, Var, Const}

    collect()
    assert {Sine, Cosine} <= seen
    with pytest.raises(TypeError, match="extra_nodes takes node classes"):
        expressions(extra_nodes=[int])  # type: ignore[list-item]
