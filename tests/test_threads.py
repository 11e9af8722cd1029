"""Interning under threads: equal structure is one object under any interleaving (issue 13, item 2).

The switch interval is made tiny so that threads are preempted inside
construction and inside the weak references' death callbacks, where the
races were.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chainrule import Const, Sum, Var, simplify
from chainrule.nodes import Exp, Mul

THREADS = 8
SIZE = 3000


@contextmanager
def _tiny_switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _in_threads(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in THREADS threads started together; their results in thread order."""
    results: list[Any] = [None] * THREADS
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    with _tiny_switch_interval():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors, errors
    return results


def test_threads_building_equal_structures_get_one_object_each() -> None:
    def build(i: int) -> list[Sum]:
        return [Sum(Var(f"v{k}"), Const(k)) for k in range(SIZE)]

    built = _in_threads(build)
    twins = sum(1 for k in range(SIZE) if any(nodes[k] is not built[0][k] for nodes in built))
    assert twins == 0, f"{twins} of {SIZE} structures exist as distinct twins"
    a, b = built[0][7], built[-1][7]
    assert simplify(a - b) == Const(0)


def test_nodes_dying_while_others_rebuild_them_leave_no_twin_and_no_callback_error() -> None:
    # Threads build and drop the same short-lived nodes, so a node dies (its death callback
    # runs) while another thread enters an equal one: the callback must not drop the live entry.
    unraisable: list[Any] = []
    hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:

        def churn(i: int) -> list[Mul]:
            kept = []
            for k in range(SIZE):
                node = Mul(Exp(Var("x")), Const(k))
                if k % 3 == i % 3:
                    kept.append(node)
                del node
            return kept

        kept = _in_threads(churn)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert not unraisable, [str(u.exc_value) for u in unraisable]
    live = {id(node) for nodes in kept for node in nodes}
    for nodes in kept:
        for node in nodes:
            # The table still leads to the live node: building it again gives it back.
            assert Mul(Exp(Var("x")), node.y) is node
    assert len(live) == len({node.y.value for nodes in kept for node in nodes})


def test_simplify_diff_and_lambdify_from_many_threads_agree_with_one_thread() -> None:
    # Their caches (rule index, bounds, compiled code) are shared: filling them from racing
    # threads must give what one thread computes alone.
    from chainrule import diff, evaluate, lambdify, parse

    point = {"x": 0.5, "y": -0.25, "b": 0.125}
    jobs = [(f"tanh(w{k} * x + b) * exp(-{k} * y) / (1 + x * x)", f"w{k}") for k in range(40)]

    def work(i: int) -> dict[str, tuple[Any, float]]:
        out = {}
        for text, weight in jobs[i % 5 :] + jobs[: i % 5]:  # each thread starts elsewhere
            d = simplify(diff(parse(text), "x"))
            out[text] = (d, lambdify(d, ["x", "y", "b", weight])(*point.values(), 0.75))
        return out

    alone = work(0)
    for result in _in_threads(work):
        for text, (d, value) in alone.items():
            assert result[text][0] is d  # interned: equal means the same object
            assert result[text][1] == value
    for text, weight in jobs:
        d, value = alone[text]
        assert value == evaluate(d, {**point, weight: 0.75})
