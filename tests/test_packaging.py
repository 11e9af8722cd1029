"""The built wheel carries the default rule tables, and the installed package finds them there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Every rule table, the default ones and rules/optional/'s, by path under rules/.
RULE_FILES = sorted(p.relative_to(ROOT / "rules").as_posix() for p in (ROOT / "rules").rglob("*.rules"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("chainrule-*.whl")
    return built


def test_rule_files_exist() -> None:
    assert RULE_FILES, "rules/ holds no .rules files"


def test_wheel_ships_every_rule_file(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    prefix = "chainrule/rules/"
    shipped = sorted(n.removeprefix(prefix) for n in names if n.startswith(prefix) and n.endswith(".rules"))
    assert shipped == RULE_FILES


def test_wheel_ships_py_typed_and_declares_the_extras(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    assert "chainrule/py.typed" in archive.namelist()  # users' mypy reads the package's hints
    (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    text = archive.read(metadata).decode()
    for extra in ("sympy", "testing"):
        assert f"Provides-Extra: {extra}" in text
    assert "Classifier: Typing :: Typed" in text


def test_installed_wheel_loads_its_own_rules(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import chainrule, sys;"
        "assert chainrule.__file__.startswith(sys.argv[1]), chainrule.__file__;"
        "sources = {r.source for r in chainrule.DEFAULT_RULES};"
        "assert sources and all(s.startswith(sys.argv[1]) for s in sources), sources;"
        "assert all(r.source.startswith(sys.argv[1]) for r in chainrule.POWER_RULES);"
        "x = chainrule.Var('x');"
        "assert chainrule.simplify(0 + x * 1) is x;"
        "print(len(chainrule.DEFAULT_RULES))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(target)],
        env={"PYTHONPATH": str(target), "PATH": ""},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 10
