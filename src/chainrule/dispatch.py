"""The library's own multipledispatch namespace, so other libraries' cases never collide with ours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from multipledispatch import Dispatcher

__all__ = ["NAMESPACE", "CasesByType", "dispatcher", "resolve"]

#: Every dispatcher chainrule defines; pass it as ``namespace=`` to ``multipledispatch.dispatch``.
NAMESPACE: dict[str, Dispatcher] = {}


def dispatcher(name: str, doc: str | None = None) -> Dispatcher:
    """The namespace's dispatcher called ``name``, created on first use."""
    return NAMESPACE.setdefault(name, Dispatcher(name, doc=doc))


def resolve(cases: Dispatcher, *types: type) -> Callable[..., Any]:
    """The case registered for ``types`` (inheritance respected), or a NotImplementedError naming them."""
    found = cases.dispatch(*types)
    if found is None:
        names = ", ".join(t.__name__ for t in types)
        raise NotImplementedError(
            f"no {cases.name} case is registered for {names}; register one with {cases.name}.register({names})"
        )
    return found  # type: ignore[no-any-return]


class CasesByType(dict[type, Callable[..., Any]]):
    """``self[kind]`` is ``resolve(cases, kind)``, looked up once: a walk asks the dispatcher once per type."""

    __slots__ = ("cases",)

    def __init__(self, cases: Dispatcher) -> None:  # dict's own __init__ has nothing to do
        self.cases = cases

    def __missing__(self, kind: type) -> Callable[..., Any]:
        self[kind] = case = resolve(self.cases, kind)
        return case
