"""The one iterative post-order fold every operation is built on.

Depth costs memory, never Python recursion, and a shared subexpression is
visited once.  ``prune(node)`` true makes a node a leaf of the walk (a
rule's ``{...}`` block is read, not rebuilt).

>>> from chainrule import parse
>>> e = parse("x * (x + 1)")
>>> fold(e, lambda node, kids: 1 + sum(kids))  # the tree's size: x counts at both places
5
>>> len(postorder(e))  # but the walk met x once
4
>>> [str(node) for node in postorder(parse("exp(x) + x"))]
['x', 'exp(x)', '(exp(x) + x)']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

from .nodes import Expr

__all__ = ["count_nodes", "descend", "fold", "fold_cases", "postorder", "tree_size", "tree_size_at_most"]

R = TypeVar("R")

#: Says whether the walk stops at a node (does not visit its children).
Prune = Callable[[Expr], bool] | None


def fold(
    root: Expr,
    visit: Callable[[Expr, list[R]], R],
    memo: dict[Expr, R] | None = None,
    prune: Prune = None,
) -> R:
    """Combine children's results bottom-up; ``memo`` (node -> result) may be shared across calls.

    A pruned node is visited with an empty list of results.
    """

    def spread(node: Expr, *results: R) -> R:
        return visit(node, list(results))

    return fold_cases(root, lambda kind: spread, memo, prune)


def fold_cases(
    root: Expr,
    case_for: Callable[[type], Callable[..., R]],
    memo: dict[Expr, R] | None = None,
    prune: Prune = None,
) -> R:
    """The fold with one case per node type: ``case_for(type)`` gives ``case(node, *child_results)``.

    ``case_for`` is asked once per type and call, so a dispatcher is consulted once, not per node.
    """
    if memo is None:
        memo = {}
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
            if kids and (prune is None or not prune(node)):
                push(node)
                push(None)
                if len(kids) == 2:  # the first child is finished first
                    if kids[1] not in memo:
                        push(kids[1])
                    if kids[0] not in memo:
                        push(kids[0])
                else:
                    for kid in reversed(kids):
                        if kid not in memo:
                            push(kid)
            else:
                case = cases.get(type(node))
                if case is None:
                    case = cases[type(node)] = case_for(type(node))
                memo[node] = case(node)
    return memo[root]


def postorder(*roots: Expr, prune: Prune = None) -> list[Expr]:
    """Each distinct node reachable from ``roots`` once, children before parents (the fold's order)."""
    order: list[Expr] = []
    memo: dict[Expr, None] = {}

    def visit(node: Expr, *results: None) -> None:
        order.append(node)

    for root in roots:
        fold_cases(root, lambda kind: visit, memo, prune)
    return order


def descend(root: Expr, follow: Callable[[Expr], bool], limit: float = math.inf) -> int:
    """Count the nodes entered walking down from ``root`` along the edges ``follow`` accepts.

    ``follow(kid)`` is asked once per edge, so it decides whether a shared kid
    is entered again; the walk stops at ``limit``.  For questions a fold
    cannot stop early on ("at most n nodes?").
    """
    stack = [root]
    count = 1
    while stack and count < limit:
        for kid in stack.pop()._kids:
            if follow(kid):
                count += 1
                stack.append(kid)
    return count


def count_nodes(expr: Expr, limit: int | None = None) -> int:
    """Distinct nodes in the DAG; with ``limit``, counting stops once it reaches ``limit``."""
    seen = {expr}

    def first_visit(kid: Expr) -> bool:
        new = kid not in seen
        seen.add(kid)
        return new

    return descend(expr, first_visit, math.inf if limit is None else limit)


def _size(node: Expr, *sizes: int) -> int:
    return 1 + sum(sizes)


def tree_size(expr: Expr) -> int:
    """Nodes in the tree the DAG stands for (shared parts counted every time they occur)."""
    return fold_cases(expr, lambda kind: _size)


def tree_size_at_most(expr: Expr, limit: int) -> bool:
    """Whether the tree form has at most ``limit`` nodes, found without walking past the limit."""
    return descend(expr, lambda node: True, limit + 1) <= limit
