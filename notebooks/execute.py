"""Execute the notebooks in place and save them with their outputs.

Usage: ``python notebooks/execute.py [NOTEBOOK ...]`` (default: every ``*.ipynb`` here).
Run it after editing a notebook so the committed copy shows its plots. The test
suite (tests/test_notebooks.py) executes the same notebooks without saving.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
CELL_TIMEOUT = 120  # seconds per cell


def execute(path: Path) -> float:
    """Run every cell of ``path`` top to bottom, write the outputs back, return the wall time."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # no timestamps in the saved file: re-running gives a clean diff
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nbformat.write(notebook, path)
    return elapsed


def coalesce_streams(outputs: list) -> list:
    """Join consecutive prints to the same stream: how output was chunked in time must not change the file."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: executed in {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
