"""Display always returns: repr, str and Jupyter's views are bounded; show and to_latex refuse huge text."""

from __future__ import annotations

import pytest
from hypothesis import given

from chainrule import ChainruleError, Const, Exp, Expr, RewriteLimitError, Var, fixpoint, show, to_latex
from chainrule.display import DISPLAY_LIMIT, ELLIPSIS, bounded_repr, bounded_str
from chainrule.printers import latex_for_display
from chainrule.show import MAX_TEXT, show_repr, show_template, text_length
from chainrule.testing import expressions

x = Var("x")


def squarings(n: int) -> Expr:
    e: Expr = x
    for _ in range(n):
        e = e * e
    return e


SQUARED_60 = squarings(60)  # the README's DAG: 61 distinct nodes, a tree of 2**61 - 1


def test_repr_and_str_of_the_readme_dag_are_elided_with_the_counts() -> None:
    for text in (repr(SQUARED_60), str(SQUARED_60)):
        assert len(text) < DISPLAY_LIMIT + 200
        assert ELLIPSIS in text
        assert "61 distinct nodes, 2,305,843,009,213,693,951 as a tree" in text
    assert repr(SQUARED_60).startswith("Mul(Mul(Mul(")
    assert str(SQUARED_60).startswith("((((")


class _Printer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, part: str) -> None:
        self.parts.append(part)


def test_jupyter_text_plain_and_latex_are_bounded() -> None:
    printer = _Printer()
    SQUARED_60._repr_pretty_(printer, False)
    assert "".join(printer.parts) == repr(SQUARED_60)
    assert SQUARED_60._repr_latex_() is None  # Jupyter then shows the bounded text/plain
    wide = x
    for index in range(1500):  # a small tree whose LaTeX is long
        wide = wide + Var(f"variable_with_a_long_name_{index}")
    assert latex_for_display(wide, limit=10**6) is None
    assert latex_for_display(x + 1) == "$\\displaystyle x + 1$"


def test_show_and_to_latex_raise_with_the_size_instead_of_hanging() -> None:
    with pytest.raises(ChainruleError, match=r"6,917,529,027,641,081,851 characters.*61 distinct nodes"):
        show(SQUARED_60)
    with pytest.raises(ChainruleError, match="to_latex's text would be"):
        to_latex(SQUARED_60)
    with pytest.raises(ChainruleError, match="repr's full text"):
        show_repr(SQUARED_60)
    # n squarings print as 6 * 2**n - 5 characters: 23 fit in the bound, 24 do not.
    assert text_length(squarings(10), show_template()) == len(show(squarings(10))) == 6 * 2**10 - 5
    assert text_length(squarings(23), show_template()) == 6 * 2**23 - 5 <= MAX_TEXT
    with pytest.raises(ChainruleError, match="100,663,291 characters"):
        show(squarings(24))


def test_display_of_a_deep_chain_returns() -> None:
    e: Expr = x
    for index in range(100_000):
        e = Exp(e) if index % 2 else e + 1
    assert ELLIPSIS in repr(e)
    assert "100,002 distinct nodes, 150,001 as a tree"  # Const(1) is shared in str(e)
    assert len(show(e)) == 550_001


@given(expressions(("x", "y")))
def test_str_is_show_when_it_fits(e: Expr) -> None:
    assert str(e) == show(e)
    assert repr(e) == show_repr(e)


def test_str_is_show_up_to_the_bound_exactly() -> None:
    e = Var("a" * (DISPLAY_LIMIT - 6)) + 1  # "(" + name + " + 1)" is exactly the bound
    assert len(show(e)) == DISPLAY_LIMIT
    assert str(e) == show(e)
    longer = Var("a" * (DISPLAY_LIMIT - 5)) + 1
    assert str(longer).startswith(show(longer)[:DISPLAY_LIMIT] + ELLIPSIS)
    assert (
        bounded_str(longer, limit=5)
        == "(aaaa" + ELLIPSIS + "3 distinct nodes, 3 as a tree; show() gives the full text]"
    )
    assert (
        bounded_repr(Const(1), limit=3)
        == "Con" + ELLIPSIS + "1 distinct nodes, 1 as a tree; show() gives the full text]"
    )


def test_fixpoint_that_squares_gives_up_with_a_rewrite_limit_not_memory_error() -> None:
    # Issue 13.5: the message formats {last!r:.80}, which built the whole repr of a 2**25-node tree.
    with pytest.raises(RewriteLimitError, match="no fixed point after 25 rewrites"):
        fixpoint(lambda e: e * e, fuel=25)(Var("x"))


def test_counting_stops_for_a_huge_dag(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainrule import display

    monkeypatch.setattr(display, "COUNT_LIMIT", 10)
    assert bounded_str(squarings(20), limit=5).endswith(
        "[elided: at least 10 distinct nodes; show() gives the full text]"
    )
    assert display.node_counts(squarings(8)) == "9 distinct nodes, 511 as a tree"
