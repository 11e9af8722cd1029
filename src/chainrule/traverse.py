"""The one iterative post-order fold every operation is built on.

``fold(root, visit)`` calls ``visit(node, child_results)`` once per distinct
node, children first, with an explicit stack: depth costs memory, never
Python recursion, and a shared subexpression is computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from .nodes import Expr

__all__ = ["count_nodes", "fold", "fold_cases", "postorder", "tree_size", "tree_size_at_most"]

R = TypeVar("R")


def fold(
    root: Expr,
    visit: Callable[[Expr, list[R]], R],
    memo: dict[Expr, R] | None = None,
) -> R:
    """Combine children's results bottom-up; ``memo`` (node -> result) may be shared across calls."""

    def spread(node: Expr, *results: R) -> R:
        return visit(node, list(results))

    return fold_cases(root, lambda kind: spread, memo)


def fold_cases(
    root: Expr,
    case_for: Callable[[type], Callable[..., R]],
    memo: dict[Expr, R] | None = None,
) -> R:
    """The fold with one case per node type: ``case_for(type)`` gives ``case(node, *child_results)``.

    ``case_for`` is asked once per type and call, so a dispatcher is consulted
    once, not once per node; results are passed as arguments, not a list.
    This loop is the only walk: ``fold`` and every operation go through it.
    """
    if memo is None:
        memo = {}
    elif root in memo:
        return memo[root]
    cases: dict[type, Callable[..., R]] = {}
    stack: list[Expr | None] = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is None:  # the marker: the node below it has all its children's results
            node = pop()
            assert node is not None
            if node in memo:  # a shared node finished meanwhile through another parent
                continue
            kids = node._kids
            case = cases.get(type(node))
            if case is None:
                case = cases[type(node)] = case_for(type(node))
            if len(kids) == 2:
                memo[node] = case(node, memo[kids[0]], memo[kids[1]])
            elif len(kids) == 1:
                memo[node] = case(node, memo[kids[0]])
            else:
                memo[node] = case(node, *[memo[kid] for kid in kids])
        elif node not in memo:
            kids = node._kids
            if kids:
                push(node)
                push(None)
                for kid in kids:
                    if kid not in memo:
                        push(kid)
            else:
                case = cases.get(type(node))
                if case is None:
                    case = cases[type(node)] = case_for(type(node))
                memo[node] = case(node)
    return memo[root]


def postorder(*roots: Expr) -> Iterator[Expr]:
    """Each distinct node reachable from ``roots`` once, children before parents."""
    seen: set[Expr] = set()
    for root in roots:
        if root in seen:
            continue
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                yield node
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            for kid in reversed(node._kids):
                if kid not in seen:
                    stack.append((kid, False))


def count_nodes(expr: Expr, limit: int | None = None) -> int:
    """Distinct nodes in the DAG; with ``limit``, counting stops once it reaches ``limit``."""
    seen = {expr}
    stack = [expr]
    if limit is not None:
        while stack and len(seen) < limit:
            for kid in stack.pop()._kids:
                if kid not in seen:
                    seen.add(kid)
                    stack.append(kid)
        return len(seen)
    while stack:
        for kid in stack.pop()._kids:
            if kid not in seen:
                seen.add(kid)
                stack.append(kid)
    return len(seen)


def _size(node: Expr, *sizes: int) -> int:
    return 1 + sum(sizes)


def tree_size(expr: Expr) -> int:
    """Nodes in the tree the DAG stands for (shared parts counted every time they occur)."""
    return fold_cases(expr, lambda kind: _size)


def tree_size_at_most(expr: Expr, limit: int) -> bool:
    """Whether the tree form has at most ``limit`` nodes, found without walking past the limit."""
    budget = limit
    stack = [expr]
    while stack:
        budget -= 1
        if budget < 0:
            return False
        stack.extend(stack.pop()._kids)
    return True
