"""Nodes per second of evaluate and diff on a seeded random DAG of about 100,000 distinct nodes.

Run: python benchmarks/dag_throughput.py [--nodes N] [--repeats R]
Every value stays finite: each new node is squashed through tanh or a safe denominator.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from chainrule import Const, Div, Exp, Expr, Log, Mul, Sub, Sum, TanH, Var, count_nodes, diff, evaluate


def random_dag(target: int, seed: int = 0) -> Expr:
    """A DAG whose nodes reuse earlier ones at random; values of pool nodes lie in [-1, 1].

    Each new node takes the previous one as its first operand, so all are reachable from the root.
    """
    rng = random.Random(seed)
    pool: list[Expr] = [Var("x"), Var("y"), TanH(Const(0.5))]
    two = Const(2)
    seen: set[Expr] = set()
    while len(seen) < target:
        a, b = pool[-1], rng.choice(pool)
        kind = rng.randrange(6)
        if kind == 0:
            node: Expr = TanH(Sum(a, b))
        elif kind == 1:
            node = TanH(Sub(a, b))
        elif kind == 2:
            node = Mul(a, b)
        elif kind == 3:
            node = Div(a, Sum(two, b))
        elif kind == 4:
            node = TanH(Exp(a))
        else:
            node = TanH(Log(Sum(two, a)))
        pool.append(node)
        seen.add(node)
        seen.update(node._kids)
    return pool[-1]


def median_time(action: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    expr = random_dag(args.nodes)
    size = count_nodes(expr)
    env = {"x": 0.3, "y": -0.7}
    evaluate(expr, env)
    t_eval = median_time(lambda: evaluate(expr, env), args.repeats)
    derivative = diff(expr, "x")
    t_diff = median_time(lambda: diff(expr, "x"), args.repeats)
    dsize = count_nodes(derivative)
    t_deval = median_time(lambda: evaluate(derivative, env), args.repeats)
    print(f"random DAG: {size:,} distinct nodes; derivative: {dsize:,} distinct nodes")
    print(f"evaluate:            {t_eval * 1e3:8.1f} ms  {size / t_eval:12,.0f} nodes/s")
    print(f"diff:                {t_diff * 1e3:8.1f} ms  {size / t_diff:12,.0f} nodes/s")
    print(f"evaluate derivative: {t_deval * 1e3:8.1f} ms  {dsize / t_deval:12,.0f} nodes/s")


if __name__ == "__main__":
    main()
