"""A/B for issue 9's deletions in lambdify: W5's training loop with the old compile.py vs this one.

    python benchmarks/w5_lambdify_ab.py --before 6a0c7fb --rounds 400

The old ``compile.py`` and ``finite_checks.py`` (register pool, inlining plan,
the 105-line check analysis) are read from git at ``--before`` and loaded
beside the current ones; both compile the same simplified gradients, and
``lab_network.train`` (40 epochs on the five points, W5's loop) is timed turn
about with the hand-written backprop as the floor.  On a shared machine a run
is either undisturbed or preempted for whole milliseconds (the times cluster
at 2.3, 6.4, 10.5 ms for 250 epochs), so short runs and their 10th
percentile measure the code, where a median measures the neighbours.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lab_network as net  # noqa: E402

from chainrule import Exp, Log, TanH, Var, grad, lambdify, simplify  # noqa: E402


def _load(name: str, commit: str, path: str, replace: tuple[tuple[str, str], ...] = ()) -> Any:
    text = subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=HERE, check=True, capture_output=True, text=True
    ).stdout
    for old, new in replace:
        text = text.replace(old, new)
    module = types.ModuleType(name)
    module.__package__ = "chainrule"
    sys.modules[name] = module
    exec(compile(text, f"{commit}:{path}", "exec"), module.__dict__)  # the project's own source at a commit
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", default="6a0c7fb")
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args(argv)
    _load("chainrule._old_finite_checks", args.before, "src/chainrule/finite_checks.py")
    old = _load(
        "chainrule._old_compile",
        args.before,
        "src/chainrule/compile.py",
        (("from .finite_checks import", "from ._old_finite_checks import"),),
    )
    names = list(net.PARAMS + net.INPUTS)
    loss = net.loss(TanH, Exp, Log, *(Var(name) for name in names))
    gradients = grad(loss, list(net.PARAMS))
    exprs = [simplify(gradients[name]) for name in net.PARAMS]
    functions = {
        "before": old.lambdify(exprs, names),
        "after": lambdify(exprs, names),
        "hand": net.hand_gradients,
    }
    assert net.train(functions["before"]) == net.train(functions["after"])
    times: dict[str, list[float]] = {key: [] for key in functions}
    for _ in range(args.rounds):
        for key, function in functions.items():
            started = time.perf_counter()
            net.train(function, 40)
            times[key].append(time.perf_counter() - started)
    low = {key: statistics.quantiles(values, n=10)[0] for key, values in times.items()}
    print(
        f"W5 loop, 40 epochs, 10th percentile of {args.rounds} turn-about runs: before ({args.before}) "
        f"{low['before'] * 1e6:.0f} µs, after {low['after'] * 1e6:.0f} µs, hand-written {low['hand'] * 1e6:.0f} µs; "
        f"after/before {low['after'] / low['before']:.3f}, after/hand {low['after'] / low['hand']:.3f}, "
        f"before/hand {low['before'] / low['hand']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
