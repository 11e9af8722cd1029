"""Training the lab's network: lambdify(grad(...)) against evaluate(diff(...)), and gradient sizes.

Usage: python benchmarks/lab_training.py [--seed N] [--repeat N]

Both runs train the same network from the same seed for 250 epochs (1,250
per-sample SGD steps); only the step function differs.  Sizes count the
nine partial derivatives of the loss as trees (tree_size), as DAGs from
diff (each alone, and all nine together), and as the one DAG grad builds.
"""

from __future__ import annotations

import argparse
import time

from chainrule import count_nodes, diff, grad, postorder, tree_size
from chainrule.network import PARAMETERS, compiled_step, interpreted_step, network, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5, help="compiled runs; the fastest is reported")
    options = parser.parse_args()

    loss = network().loss
    raw = [diff(loss, name) for name in PARAMETERS]
    partials = grad(loss, PARAMETERS)
    print("sizes of the 9 gradients of the loss")
    print(f"  as trees (tree_size, summed):        {sum(tree_size(e) for e in raw)}")
    print(f"  diff DAGs, each alone (count_nodes): {sum(count_nodes(e) for e in raw)}")
    print(f"  diff DAGs, all nine together:        {sum(1 for _ in postorder(*raw))}")
    print(f"  grad, one DAG:                       {sum(1 for _ in postorder(*partials.values()))}")

    started = time.perf_counter()
    fast = compiled_step()
    build = time.perf_counter() - started
    timings = []
    for _ in range(max(1, options.repeat)):
        started = time.perf_counter()
        compiled = train(options.seed, step=fast)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    started = time.perf_counter()
    interpreted = train(options.seed, step=interpreted_step())
    slow = time.perf_counter() - started
    steps = 250 * 5
    drift = max(abs(compiled.weights[name] - interpreted.weights[name]) for name in PARAMETERS)
    print(f"training 250 epochs ({steps} steps), seed {options.seed}")
    print(
        f"  lambdify(grad): {best * 1e3:8.2f} ms  {best / steps * 1e6:7.2f} us/step  (+{build * 1e3:.2f} ms to build)"
    )
    print(f"  evaluate(diff): {slow * 1e3:8.2f} ms  {slow / steps * 1e6:7.2f} us/step")
    print(f"  ratio {slow / best:.0f}x; largest difference in the trained weights {drift:.1e}")


if __name__ == "__main__":
    main()
