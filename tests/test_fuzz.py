"""Fuzzing the edges users reach (issue 13, deliverable 5): parse, evaluate and lambdify, simplify at the
float boundaries, rule files with odd bytes, and the command line's one-line errors.

Derandomised with the rest of the suite in CI (tests/conftest.py), with budgets that keep the whole
file well under a minute.
"""

from __future__ import annotations

import contextlib
import io
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from chainrule import (
    DEFAULT_RULES,
    EvaluationError,
    Expr,
    ParseError,
    RuleError,
    Var,
    evaluate,
    explain,
    lambdify,
    load_rules,
    parse,
    show,
    simplify,
)
from chainrule.cli import main
from chainrule.soundness import check_rewrite
from chainrule.testing import EDGES, environments, expressions

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
VARIABLES = ("x", "y")
RULES_BY_NAME = {rule.name: rule for rule in DEFAULT_RULES}

#: Text close to expressions: their characters, odd Unicode (digits of other scripts, separators,
#: a BOM, combining marks) and the odd ASCII control character.
EXPRESSION_TEXT = st.lists(
    st.one_of(
        st.sampled_from(list("0123456789.eE+-*/() xyz_?:#{}")),
        st.sampled_from(["exp", "log", "tanh", "1e308", "1e-400", "٣", "²", "\u2028", "\ufeff", "\u0301"]),
        st.characters(),
    ),
    max_size=30,
).map("".join)


# ---------------------------------------------------------------------------------------------------
# parse: only ParseError, ever, and what parses prints back to itself


@FAST
@given(EXPRESSION_TEXT)
@example("9" * 4298)
@example("٣ + ٤.٥")
@example("1e-400")
@example("((((" * 50)
def test_parse_raises_only_parse_error(text: str) -> None:
    try:
        parsed = parse(text)
    except ParseError as error:
        assert 0 <= error.position <= len(text)
        assert "\n" not in str(error)
        return
    assert parse(show(parsed)) is parsed


@FAST
@given(
    st.lists(
        st.sampled_from(["x", "y", "2", "0.5", "1e308", "5e-324", "+", "-", "*", "/", "(", ")", "exp("]),
        max_size=25,
    )
)
def test_parse_of_token_soup_raises_only_parse_error(tokens: list[str]) -> None:
    with contextlib.suppress(ParseError):
        parse(" ".join(tokens))


# ---------------------------------------------------------------------------------------------------
# evaluate and lambdify agree, bit for bit or on the error class, at the float boundaries


def _outcome(run: object) -> float | type:
    try:
        return float(run())  # type: ignore[operator]
    except EvaluationError:
        return EvaluationError


@FAST
@given(expressions(VARIABLES, max_leaves=10), environments(VARIABLES, edges=True, targets=[1.0, 1e154]))
def test_lambdify_agrees_with_evaluate_at_the_boundaries(e: Expr, env: dict[str, float]) -> None:
    compiled = lambdify(e, list(VARIABLES))
    expected = _outcome(lambda: evaluate(e, env))
    got = _outcome(lambda: compiled(*(env[name] for name in VARIABLES)))
    if isinstance(expected, float) and isinstance(got, float):
        assert math.copysign(1, expected) == math.copysign(1, got) and expected == got, show(e)
    else:
        assert expected == got, show(e)


# ---------------------------------------------------------------------------------------------------
# simplify: every rewrite it takes is sound at points on the float boundaries


@FAST
@given(
    expressions(VARIABLES, max_leaves=10),
    environments(VARIABLES, edges=True, targets=[1.0, 2.0, 1e154, 1e308]),
)
def test_every_rewrite_simplify_takes_is_sound_at_the_boundaries(e: Expr, env: dict[str, float]) -> None:
    for step in explain(e).steps:
        if step.again:
            continue  # a normal form found earlier, checked when it was found
        rule = RULES_BY_NAME[step.rule]
        matched = rule.match(step.old)
        assert matched is not None, step.rule
        check_rewrite(step.old, step.new, env, matched, step.rule)  # raises Unsound


@FAST
@given(st.sampled_from(EDGES), st.sampled_from(EDGES))
def test_simplified_derivatives_keep_finite_values_at_the_boundaries(x: float, y: float) -> None:
    # The shapes of the issue: merged coefficients and quotients, at every pair of boundary values.
    for text in ("0.6861593835694694 * x + x", "2.0**971 + (-2.0**970 + x)", "x / y", "3 * (5 * x) - x * y"):
        e = parse(text.replace("2.0**971", repr(2.0**971)).replace("2.0**970", repr(2.0**970)))
        try:
            original = evaluate(e, {"x": x, "y": y})
        except EvaluationError:
            continue
        assert math.isfinite(evaluate(simplify(e), {"x": x, "y": y})), (text, x, y, original)


def test_the_quotient_derivative_is_finite_where_grad_is() -> None:
    from chainrule import diff, grad

    quotient = parse("x / y")
    at = {"x": 1.0, "y": 1e200}
    assert evaluate(simplify(diff(quotient, "x")), at) == 1e-200 == evaluate(grad(quotient, ["x"])["x"], at)


def test_an_env_that_is_not_a_mapping_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="mapping"):
        evaluate(parse("x + 1"), [("x", 1.0)])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# Rule files with odd bytes: a RuleError naming the file and line, or rules


ODD_BYTES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                b"r: 0 + ?x -> ?x",
                b"# note",
                b"\n",
                b"\r\n",
                b"\r",
                b"\x0c",
                b"\x0b",
                b"\xc2\x85",
                b"\xe2\x80\xa8",
            ]
        ),
        st.sampled_from([b"\xef\xbb\xbf", b"\xff", b"\x00", b"->", b"?x", b"{", b"}", b" if ", b"9" * 50]),
        st.binary(max_size=8),
    ),
    max_size=12,
).map(b"".join)


@FAST
@given(ODD_BYTES)
def test_rule_files_with_odd_bytes_raise_only_rule_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("odd") / "odd.rules"
    path.write_bytes(data)
    try:
        rules = load_rules(path)
    except RuleError as error:
        assert str(error).startswith(str(path))
        return
    lines = data.decode("utf-8-sig").split("\n")
    for rule in rules:
        assert rule.line is not None and rule.name in lines[rule.line - 1]


# ---------------------------------------------------------------------------------------------------
# The command line: exit 0, or exit 2 with one line on stderr; never a traceback


ARGUMENTS = st.one_of(
    st.sampled_from(["show", "eval", "diff", "grad", "simplify", "--raw", "--explain", "--latex", "--dot"]),
    st.sampled_from(
        ["x", "y", "x=1", "y=1e308", "x=", "=2", "x=nan", "log(x)", "1/0", "x*y", "-", "--", "q"]
    ),
    st.sampled_from(["--rules", "/dev/zero", "/nonexistent.rules", "--version", "9" * 5000]),
    EXPRESSION_TEXT,
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(ARGUMENTS, min_size=1, max_size=5))
def test_the_cli_answers_or_fails_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    assume(argv[0] != "lab")
    monkeypatch.setattr(sys, "stdin", io.StringIO("x * y"))
    try:
        status = main(argv)
    except SystemExit as exit_:  # --version and --help exit through argparse
        status = exit_.code if isinstance(exit_.code, int) else 2
    captured = capsys.readouterr()
    assert status in (0, 2), (argv, captured.err)
    if status == 2:
        assert captured.err.count("\n") == 1 and captured.err.startswith("chainrule"), (argv, captured.err)
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["simplify", "x", "--rules", "/dev/zero"],
        ["show", "9" * 4301],
        ["eval", "x", "x=1e999"],
        ["diff", "x", "not a name"],
        ["grad", "x / ", "x"],
    ],
)
def test_the_cli_in_a_process_fails_in_one_line(argv: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", *argv], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


def test_boundary_values_are_variables_values_not_expression_text() -> None:
    # A boundary value printed by repr parses back to the same constant (the environments' values
    # are reachable from text too, e.g. through the CLI's eval).
    for value in EDGES:
        assert evaluate(parse(repr(value)) * Var("x"), {"x": 1.0}) == value
