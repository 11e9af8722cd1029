"""The examples in the modules' docstrings run, so they cannot go stale.

Run here rather than with pytest's ``--doctest-modules`` over ``src/``: CI
installs the package and imports it from site-packages, and collecting the
same modules again from ``src/`` would make pytest import two copies.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import chainrule

MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(chainrule.__path__, "chainrule.")
    if info.name != "chainrule.__main__"
)


def test_there_are_modules_with_examples() -> None:
    finder = doctest.DocTestFinder()
    assert (
        sum(1 for name in MODULES for test in finder.find(importlib.import_module(name)) if test.examples)
        >= 3
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples in {name} failed"
