"""The command line: each command's output, and bad input as exit 2 with one line, no traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule import cli
from chainrule.cli import main

Z = "4*x*y + exp(-y)"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_bad_input(status: int, out: str, err: str, *fragments: str) -> None:
    assert status == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("chainrule")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def python_m(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chainrule", *argv], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_python_m_show_and_eval() -> None:
    shown = python_m("show", Z)
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, "(((4 * x) * y) + exp((-1 * y)))\n", "")
    evaluated = python_m("eval", Z, "x=2", "y=3")
    assert (evaluated.returncode, evaluated.stdout) == (0, "24.049787068367863\n")


def test_python_m_bad_input_is_one_line_exit_2() -> None:
    for argv in (["show", "4 +"], ["eval", "log(x)", "x=0"], ["frobnicate"], []):
        done = python_m(*argv)
        assert done.returncode == 2, argv
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


def test_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "show", Z) == (0, "(((4 * x) * y) + exp((-1 * y)))\n", "")
    assert run(capsys, "show", "--", "-x") == (0, "(-1 * x)\n", "")
    assert run(capsys, "show", "--latex", Z) == (0, "4 \\cdot x \\cdot y + e^{-y}\n", "")
    status, out, _ = run(capsys, "show", "--dot", "x*x")
    assert status == 0 and out.startswith("digraph expression {") and out.count("->") == 2


def test_eval(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "eval", Z, "x=2", "y=3") == (0, "24.049787068367863\n", "")
    assert run(capsys, "eval", "x / y", "x=-1.5", "y=3e-1") == (0, "-5.0\n", "")
    assert run(capsys, "eval", "2 * 3") == (0, "6.0\n", "")


def test_diff(capsys: pytest.CaptureFixture[str]) -> None:
    raw = "(((((0 * x) + (4 * 1)) * y) + ((4 * x) * 0)) + (exp((-1 * y)) * ((0 * y) + (-1 * 0))))\n"
    assert run(capsys, "diff", Z, "x", "--raw") == (0, raw, "")
    assert run(capsys, "diff", Z, "x") == (0, "(4 * y)\n", "")


def test_simplify(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "simplify", "1 * (x + 0)")
    assert (status, out) == (0, "x\n")
    status, out, _ = run(capsys, "simplify", "1 * (x + 0)", "--explain")
    steps = [line for line in out.splitlines() if line.startswith("= ")]
    assert status == 0 and len(steps) >= 2
    assert steps[-1].split()[:2] == ["=", "x"]  # the chain ends at x (a rule name may follow)


def test_simplify_with_a_rules_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "mine.rules"
    rules.write_text("# logs undo exponentials\nlog(exp(?x)) -> ?x\n")
    assert run(capsys, "simplify", "log(exp(x * y))", "--rules", str(rules)) == (0, "(x * y)\n", "")
    again = tmp_path / "more.rules"
    again.write_text("exp(log(?x)) -> ?x\n")
    status, out, _ = run(
        capsys, "simplify", "exp(log(log(exp(z))))", "--rules", str(rules), "--rules", str(again)
    )
    assert (status, out) == (0, "z\n")


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["show", "4 +"], ["position 3"]),
        (["show", "(x"], ["unclosed"]),
        (["show", "x $ y"], ["'$'"]),
        (["eval", "x * y", "x=2"], ["'y'"]),
        (["eval", "log(x)", "x=0"], ["log(x)"]),
        (["eval", "1 / x", "x=0"], ["division by zero"]),
        (["eval", "exp(x)", "x=1000"], ["overflow"]),
        (["eval", "x", "x"], ["NAME=VALUE"]),
        (["eval", "x", "x=abc"], ["'abc'"]),
        (["eval", "x", "x=nan"], ["'nan'"]),
        (["eval", "x", "x=1e999"], ["not a finite number"]),
        (["eval", "x", "1x=2"], ["'1x'"]),
        (["eval", "x", "x=1", "x=2"], ["twice"]),
        (["eval", "x", "x=" + "9" * 5000], ["x"]),
        (["diff", "x", "1x"], ["'1x'"]),
        (["diff", "x +", "x"], ["position"]),
        (["simplify", "x", "--rules", "/nonexistent/mine.rules"], ["/nonexistent/mine.rules"]),
        (["show"], ["EXPR"]),
        (["show", "-x"], ["'--'"]),
        (["frobnicate"], ["invalid choice"]),
        ([], ["COMMAND"]),
        (["eval"], ["EXPR"]),
        (["lab", "--epochs", "0"], ["positive"]),
        (["lab", "--seed", "abc"], ["--seed"]),
        (["show", "x", "--bogus"], ["--bogus"]),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], fragments: list[str]) -> None:
    assert_bad_input(*run(capsys, *argv), *fragments)


def test_bad_rules_file_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "broken.rules"
    rules.write_text("0 + ?x -> ?x\nthis is not a rule\n")
    assert_bad_input(*run(capsys, "simplify", "x", "--rules", str(rules)), "broken.rules", "2")


def test_unreadable_rules_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_bad_input(*run(capsys, "simplify", "x", "--rules", str(tmp_path)), str(tmp_path))


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "simplify" in out and "lab" in out


def test_lab_without_matplotlib_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chainrule.lab

    real = chainrule.lab.importlib.util.find_spec
    monkeypatch.setattr(
        chainrule.lab.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    status, out, err = run(capsys, "lab", "--out", str(tmp_path))
    assert_bad_input(status, out, err, "matplotlib", "pip install")
    assert not list(tmp_path.iterdir())


def test_lab_output_directory_that_cannot_be_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    status, _, err = run(capsys, "lab", "--out", str(blocker / "sub"), "--epochs", "1")
    assert status == 2 and "Traceback" not in err and err.count("\n") == 1
    assert str(blocker) in err


def test_python_m_lab_writes_the_plot(tmp_path: Path) -> None:
    done = python_m("lab", "--out", "plots", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    png = tmp_path / "plots" / "five_points_loss.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert f"saved to {Path('plots') / 'five_points_loss.png'}" in done.stdout
    assert "24.049787068367863" in done.stdout
    assert "5 of 5 points classified correctly" in done.stdout


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--seed", "x"], "--seed"),
        (["--seed", "1.5"], "--seed"),
        (["--epochs", "0"], "positive"),
        (["--epochs", "-3"], "positive"),
        (["--epochs", "x"], "positive"),
    ],
)
def test_lab_bad_arguments_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], fragment: str
) -> None:
    assert_bad_input(*run(capsys, "lab", "--out", str(tmp_path / "out"), *argv), fragment)
    assert not (tmp_path / "out").exists()


def test_lab_out_that_is_a_file_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert_bad_input(*run(capsys, "lab", "--out", str(blocker)), str(blocker), "directory")
    assert blocker.read_text() == "not a directory"


def test_python_m_lab_bad_input_never_shows_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    for argv in (
        ["--seed", "x"],
        ["--epochs", "-1"],
        ["--out", str(blocker / "sub")],
        ["--out", str(blocker)],
    ):
        done = python_m("lab", *argv, cwd=tmp_path)
        assert done.returncode == 2, argv
        assert done.stdout == "", argv
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


def test_python_m_lab_reports_the_handouts_lab(tmp_path: Path) -> None:
    done = python_m("lab", "--out", "plots", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "w12=-2.808800" in done.stdout
    assert "output at x = (1, -1): 0.9534" in done.stdout
    assert "x1    x2  label  output  class" in done.stdout


# ---------------------------------------------------------------------------------------------------
# Bounded work (issue 13.4) and the version, standard input and grad (issue 11)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from chainrule import __version__

    assert run(capsys, "--version") == (0, f"chainrule {__version__}\n", "")


def test_python_m_version_and_stdin() -> None:
    done = python_m("--version")
    assert done.returncode == 0 and done.stdout.startswith("chainrule ") and done.stdout.count(".") == 2
    piped = subprocess.run(
        [sys.executable, "-m", "chainrule", "diff", "-", "x"],
        input=Z + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "(4 * y)\n", "")


def test_dash_reads_the_expression_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("  4*x*y\n"))
    assert run(capsys, "eval", "-", "x=2", "y=3") == (0, "24.0\n", "")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert_bad_input(*run(capsys, "show", "-"), "empty expression")


def test_standard_input_is_read_with_a_bound(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    endless = io.StringIO("x+" * cli.MAX_EXPR_CHARS + "x")
    monkeypatch.setattr(sys, "stdin", endless)
    assert_bad_input(*run(capsys, "show", "-"), "standard input", "longer than")
    assert endless.tell() <= cli.MAX_EXPR_CHARS + 1  # it stopped reading


def test_a_long_expression_argument_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert_bad_input(*run(capsys, "simplify", "x+" * cli.MAX_EXPR_CHARS + "x"), "characters long")


def test_grad_prints_every_partial(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "grad", Z, "x", "y", "q")
    assert (status, err) == (0, "")
    assert out.splitlines() == ["d/dx = (4 * y)", "d/dy = ((4 * x) - exp((-1 * y)))", "d/dq = 0"]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["grad", Z, "x", "x"], "given twice"),
        (["grad", Z, "not a name"], "not a variable name"),
        (["grad", Z], "VAR"),
        (["grad", "x +", "x"], "position"),
    ],
)
def test_grad_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    assert_bad_input(*run(capsys, *argv), fragment)


def test_rules_from_a_device_is_refused_without_reading(capsys: pytest.CaptureFixture[str]) -> None:
    assert_bad_input(*run(capsys, "simplify", "x", "--rules", "/dev/zero"), "/dev/zero", "not a regular file")


def test_rules_from_a_fifo_with_no_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "rules"
    os.mkfifo(fifo)
    done = python_m("simplify", "x", "--rules", str(fifo))  # python_m's timeout fails a hang
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not a regular file" in done.stderr


def test_a_rules_file_too_large_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    big = tmp_path / "big.rules"
    big.write_text("# padding\n" * (cli.MAX_RULES_BYTES // 10 + 1))
    assert_bad_input(*run(capsys, "simplify", "x", "--rules", str(big)), "big.rules", "bytes, more than")


def test_explain_output_is_bounded_with_an_elision_marker(capsys: pytest.CaptureFixture[str]) -> None:
    terms = "+".join(f"x{i}*1" for i in range(3 * cli.MAX_EXPLAIN_STEPS))
    status, out, err = run(capsys, "simplify", terms, "--explain")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == cli.MAX_EXPLAIN_STEPS + 4
    assert "more steps elided" in lines[-3]
    assert all(len(line) <= cli.MAX_LINE_CHARS + 100 for line in lines)
    assert lines[0].endswith("characters]")  # the start is cut too
    assert lines[-1] == "(fixed point: no rule applies)"
    assert run(capsys, "simplify", terms)[1].strip().startswith(lines[-2][2:].split("…")[0])


def test_a_short_explain_is_the_library_s_text(capsys: pytest.CaptureFixture[str]) -> None:
    from chainrule import explain, parse

    status, out, _ = run(capsys, "simplify", "1 * (x + 0)", "--explain")
    assert status == 0 and out == str(explain(parse("1 * (x + 0)"))) + "\n"


def test_an_output_too_long_to_print_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "MAX_OUTPUT_CHARS", 50)
    assert_bad_input(*run(capsys, "diff", "exp(exp(exp(exp(x))))", "x"), "more than 50 characters")


def test_explain_prints_fewer_steps_of_a_large_expression(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "MAX_EXPLAIN_WORK", 1_000)
    terms = "+".join(f"x{i}*1" for i in range(100))  # about 300 distinct nodes: 3 steps shown
    status, out, _ = run(capsys, "simplify", terms, "--explain")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 3 + 4
    assert lines[-3] == "… [97 more steps elided; the result:]"
