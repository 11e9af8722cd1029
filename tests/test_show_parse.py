"""show and parse: the lab's exact format, the round trip, and every parse error."""

from __future__ import annotations

import pytest
from hypothesis import given

from chainrule import Const, Div, Exp, Expr, Log, Mul, ParseError, Sub, Sum, TanH, Var, parse, show
from chainrule.testing import expressions


def test_show_lab_example(z: Expr) -> None:
    assert show(z) == "(((4 * x) * y) + exp((-1 * y)))"


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (Sum(Var("a"), Var("b")), "(a + b)"),
        (Sub(Var("a"), Var("b")), "(a - b)"),
        (Mul(Var("a"), Var("b")), "(a * b)"),
        (Div(Var("a"), Var("b")), "(a / b)"),
        (Exp(Var("a")), "exp(a)"),
        (Log(Var("a")), "log(a)"),
        (TanH(Var("a")), "tanh(a)"),
        (Const(-1), "-1"),
        (Const(2.5), "2.5"),
        (Const(1e-05), "1e-05"),
        (Const(1e20), "1e+20"),
    ],
)
def test_show_each_node(expr: Expr, text: str) -> None:
    assert show(expr) == text
    assert parse(text) == expr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", Sum(Const(1), Mul(Const(2), Const(3)))),
        ("1 - 2 - 3", Sub(Sub(Const(1), Const(2)), Const(3))),
        ("8 / 4 / 2", Div(Div(Const(8), Const(4)), Const(2))),
        ("(1 - 2) * 3", Mul(Sub(Const(1), Const(2)), Const(3))),
        ("-1", Const(-1)),
        ("-x", Mul(Const(-1), Var("x"))),
        ("-(1)", Mul(Const(-1), Const(1))),
        ("- 1", Mul(Const(-1), Const(1))),
        ("x - 1", Sub(Var("x"), Const(1))),
        ("x-1", Sub(Var("x"), Const(1))),
        ("x * -1", Mul(Var("x"), Const(-1))),
        ("2 - -1", Sub(Const(2), Const(-1))),
        ("--1", Mul(Const(-1), Const(-1))),
        ("-x * y", Mul(Mul(Const(-1), Var("x")), Var("y"))),
        ("1.5", Const(1.5)),
        ("2e-3", Const(0.002)),
        ("2E3", Const(2000.0)),
        (".5", Const(0.5)),
        ("exp(-y)", Exp(Mul(Const(-1), Var("y")))),
        ("tanh(log(x))", TanH(Log(Var("x")))),
        ("exp", Var("exp")),
        ("exp * 2", Mul(Var("exp"), Const(2))),
        ("  x\t+\ny ", Sum(Var("x"), Var("y"))),
        ("x_1 + é", Sum(Var("x_1"), Var("é"))),
        ("((x))", Var("x")),
    ],
)
def test_parse(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 0, "empty"),
        ("   ", 3, "empty"),
        ("1 +", 3, "end of input"),
        ("1 + )", 4, "')'"),
        (")", 0, "')'"),
        ("1 2", 2, "'2'"),
        ("(1 + 2", 0, "unclosed '('"),
        ("exp(1", 3, "unclosed '('"),
        ("1 + 2)", 5, "unmatched ')'"),
        ("sine(x)", 0, "unknown function 'sine'"),
        ("x $ y", 2, "'$'"),
        ("x *** 2", 4, "'*'"),
        ("1e999", 0, "out of range"),
        ("1" * 5000, 0, "too long"),
        ("?x + 1", 0, "'?x'"),
        ("exp()", 4, "')'"),
        ("x y", 2, "'y'"),
    ],
)
def test_parse_errors(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.position == position
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        parse(42)  # type: ignore[arg-type]


@given(expressions(("x", "y", "exp")))
def test_parse_show_round_trip(e: Expr) -> None:
    assert parse(show(e)) == e


@given(expressions(("x",)))
def test_str_equals_show(e: Expr) -> None:
    assert str(e) == show(e)


@pytest.mark.parametrize("name", ["a·b", "x\u0301", "℘", "℮x", "ᢅ", "x_1", "é"])
def test_every_identifier_round_trips(name: str) -> None:
    assert name.isidentifier()
    assert parse(show(Var(name))) == Var(name)
    assert parse(f"2 * {name}") == Mul(Const(2), Var(name))


@pytest.mark.parametrize(("text", "position"), [("²", 0), ("x²", 1), ("1 + a²b", 5)])
def test_characters_that_are_word_but_not_identifier_characters(text: str, position: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.position == position


# ---------------------------------------------------------------------------------------------------
# Number literals at their limits (issue 13.6 and the minor findings)


def test_the_longest_integer_literal_parses_and_one_more_digit_is_a_parse_error() -> None:
    from chainrule.nodes import MAX_INT_DIGITS

    for digits in (MAX_INT_DIGITS - 2, MAX_INT_DIGITS):
        value = parse("9" * digits)
        assert isinstance(value, Const) and value.value == 10**digits - 1
        assert parse(show(value)) is value
    with pytest.raises(ParseError, match="too long") as caught:
        parse("1 + " + "9" * (MAX_INT_DIGITS + 1))
    assert caught.value.position == 4
    with pytest.raises(ValueError, match="digits"):
        Const(10**MAX_INT_DIGITS)
    assert Const(-(10**MAX_INT_DIGITS) + 1).value < 0


def test_the_issues_4298_digits_are_a_constant_not_a_value_error() -> None:
    assert parse("9" * 4298) == Const(10**4298 - 1)


@pytest.mark.parametrize("text", ["٣ + ٤.٥", "x + ٣", "1٣", "²"])
def test_non_ascii_digits_are_rejected(text: str) -> None:
    with pytest.raises(ParseError, match="unexpected character"):
        parse(text)


@pytest.mark.parametrize(("text", "position"), [("1e-400", 0), ("x * 2e-324", 4), ("-1E-999", 0)])
def test_a_nonzero_literal_that_underflows_to_zero_is_a_parse_error(text: str, position: int) -> None:
    with pytest.raises(ParseError, match=r"underflows to 0\.0") as caught:
        parse(text)
    assert caught.value.position == position


@pytest.mark.parametrize(
    ("text", "value"), [("0e-400", 0.0), ("0.000e5", 0.0), ("5e-324", 5e-324), ("3e-324", 5e-324)]
)
def test_zero_and_subnormal_literals_are_kept(text: str, value: float) -> None:
    assert parse(text) == Const(value)
