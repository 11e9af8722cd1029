"""Every notebook under notebooks/ runs top to bottom without error.

The notebooks assert their own numeric claims (gradients, shrink factors, Monte Carlo
agreement, training results), so executing them checks the maths, not just the syntax.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds; a cell that hangs fails the test instead of the run


@pytest.fixture
def this_interpreter_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A 'python3' kernel spec that runs this very interpreter, ahead of any user-installed one."""
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (test)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")  # no display needed; the notebooks switch to inline themselves
    return "python3"


def test_both_exercises_are_notebooks() -> None:
    assert {path.name for path in NOTEBOOKS} >= {"lab5_autodiff.ipynb", "weight_decay.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_executes(path: Path, this_interpreter_kernel: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name=this_interpreter_kernel,
        allow_errors=False,  # a failing cell raises CellExecutionError naming the cell
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells, f"{path.name} has no code"
    assert all(cell.execution_count is not None for cell in code_cells)
    assert not [out for cell in code_cells for out in cell.outputs if out.output_type == "error"]


def test_the_committed_lab_notebook_shows_the_handouts_lab() -> None:
    # the copy on disk is what readers see: it must have been re-executed on the handout's network
    notebook = nbformat.read(NOTEBOOK_DIR / "lab5_autodiff.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    shown = "\n".join(
        out.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "stream"
    )
    assert all(cell.execution_count is not None for cell in notebook.cells if cell.cell_type == "code")
    for expected in (
        "w12=-2.808800",
        "fout at x = (1, -1): 0.9534",
        "    0     0      1  0.9537      1",
        "94 of 100 seeds in the default order, 79 of 100 in the handout's order",
    ):
        assert expected in shown, expected
    assert "LAB_WEIGHTS" not in code and "v1" not in code
