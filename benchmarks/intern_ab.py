"""Construction and diff costs of one source tree, in CPU time: for A/B runs of engine changes.

    for i in 1 2 3; do for src in /path/to/old/src /path/to/new/src; do
        PYTHONPATH=$src python benchmarks/intern_ab.py; done; done

Each version runs in its own process, alternating, so both see the same load;
CPU time (``time.process_time``) is steadier than wall time on a shared machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import chainrule
from chainrule import Const, Exp, Sum, TanH, Var, diff, parse, simplify


def median_cpu(fn: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of ``fn()`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    x = Var("x")
    chain = x
    for _ in range(10_000):
        chain = TanH(chain)
    lab = parse("tanh(w1 * x1 + w2 * x2 + b)")
    y = Var("y")
    z = 4 * x * y + Exp(-1 * y)  # W1: the lab's z
    constants = [Const(k) for k in range(1000)]
    kept = [Sum(x, c) for c in constants]

    def sums() -> None:
        for c in constants:
            Sum(x, c)

    hit = median_cpu(sums, 21) / 1000 * 1e9
    del kept
    miss = median_cpu(sums, 21) / 1000 * 1e9
    lab_diff = median_cpu(lambda: [diff(lab, "w1") for _ in range(200)], 21) / 200 * 1e6
    w1 = median_cpu(lambda: [simplify(diff(z, "x")) for _ in range(50)], 21) / 50 * 1e6
    w4 = median_cpu(lambda: diff(chain, "x"), 21) * 1e3
    print(
        f"{chainrule.__file__}: W1 diff+simplify {w1:.1f} us, lab diff {lab_diff:.2f} us, W4 diff@1e4 (all new nodes) {w4:.1f} ms, "
        f"new Sum {miss:.0f} ns, existing Sum {hit:.0f} ns"
    )


if __name__ == "__main__":
    main()
