"""The one iterative post-order fold every operation is built on.

``fold(root, visit)`` calls ``visit(node, child_results)`` once per distinct
node, children first, with an explicit stack: depth costs memory, never
Python recursion, and a shared subexpression is computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from .nodes import Expr

__all__ = ["fold", "postorder", "count_nodes", "tree_size"]

R = TypeVar("R")


def fold(
    root: Expr,
    visit: Callable[[Expr, list[R]], R],
    memo: dict[Expr, R] | None = None,
) -> R:
    """Combine children's results bottom-up; ``memo`` (node -> result) may be shared across calls."""
    if memo is None:
        memo = {}
    if root in memo:
        return memo[root]
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = stack[-1]
        kids = node._kids
        ready = True
        for kid in kids:
            if kid not in memo:
                ready = False
                push(kid)
        if ready:
            pop()
            if node not in memo:
                memo[node] = visit(node, [memo[kid] for kid in kids])
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


def count_nodes(expr: Expr) -> int:
    """Distinct nodes in the DAG."""
    return sum(1 for _ in postorder(expr))


def tree_size(expr: Expr) -> int:
    """Nodes in the tree the DAG stands for (shared parts counted every time they occur)."""
    return fold(expr, lambda node, sizes: 1 + sum(sizes))
