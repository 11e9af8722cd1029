"""The library's own multipledispatch namespace, so other libraries' cases never collide with ours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from multipledispatch import Dispatcher

__all__ = ["NAMESPACE", "case_per_type", "dispatcher", "resolve"]

#: Every dispatcher chainrule defines; pass it as ``namespace=`` to ``multipledispatch.dispatch``.
NAMESPACE: dict[str, Dispatcher] = {}


def dispatcher(name: str, doc: str | None = None) -> Dispatcher:
    """The namespace's dispatcher called ``name``, created on first use."""
    if name not in NAMESPACE:
        NAMESPACE[name] = Dispatcher(name, doc=doc)
    return NAMESPACE[name]


def resolve(cases: Dispatcher, *types: type) -> Callable[..., Any]:
    """The case registered for ``types`` (inheritance respected), or a NotImplementedError naming them."""
    found = cases.dispatch(*types)
    if found is None:
        names = ", ".join(t.__name__ for t in types)
        raise NotImplementedError(
            f"no {cases.name} case is registered for {names}; register one with {cases.name}.register({names})"
        )
    return found  # type: ignore[no-any-return]


def case_per_type(cases: Dispatcher) -> Callable[[type], Callable[..., Any]]:
    """``resolve(cases, kind)``, remembered per type: one walk asks the dispatcher once per type."""
    found: dict[type, Callable[..., Any]] = {}

    def case_for(kind: type) -> Callable[..., Any]:
        case = found.get(kind)
        if case is None:
            case = found[kind] = resolve(cases, kind)
        return case

    return case_for
