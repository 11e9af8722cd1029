"""chainrule side by side with SymPy, SymEngine, micrograd and PyTorch, on the lab's workloads.

    python benchmarks/run.py            # full: every size, long limits (many minutes)
    python benchmarks/run.py --quick    # every table, in under 3 minutes
    python benchmarks/run.py --smoke    # tiny sizes, seconds: CI's check that it all still runs
    python benchmarks/run.py --json results.json --only W4,W6

Every system runs in this one run, each pipeline in a forked child with a
time limit; times are medians over repeats after a warm-up; each table has
the ratio peer/chainrule (above 1: chainrule is faster) and checks that the
systems computed the same numbers.  Peers come from the ``bench`` extra
(``pip install -e ".[bench]"``); a missing one is skipped with a note.
Exit status 1 if any check failed (systems disagreeing is a bug somewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers
import w1_lab_z
import w2_network_gradients
import w3_tanh_derivatives
import w4_tanh_chain
import w5_training
import w6_random
import w7_arrays
from harness import SYSTEMS, Context, Mode, Table, render

MODES = {
    "smoke": Mode(
        name="smoke",
        repeats=1,
        budget=0.1,
        limit=30.0,
        w3_orders=(1, 2, 3),
        w4_depths=(10, 100),
        w4_peer_depths={"sympy": 10, "symengine": 100, "micrograd": 100, "torch": 100},
        w5_epochs=5,
        w6_sizes=(100,),
        sympy_simplify_limit=0.3,
        slow_peer_limit=5.0,
        w7_sizes=(1000,),
    ),
    "quick": Mode(
        name="quick",
        repeats=5,
        budget=0.5,
        limit=30.0,
        w3_orders=(1, 2, 3, 4, 5, 6, 7, 8),
        w4_depths=(100, 1000, 10_000, 100_000),
        w4_peer_depths={"sympy": 100, "symengine": 10_000, "micrograd": 1000, "torch": 10_000},
        w5_epochs=250,
        w6_sizes=(1000, 10_000),
        sympy_simplify_limit=2.0,
        slow_peer_limit=10.0,
        w7_sizes=(10**5, 10**6),
    ),
    "full": Mode(
        name="full",
        repeats=9,
        budget=3.0,
        limit=300.0,
        w3_orders=(1, 2, 3, 4, 5, 6, 7, 8),
        w4_depths=(100, 1000, 10_000, 100_000),
        w4_peer_depths={"sympy": 100_000, "symengine": 10_000, "micrograd": 100_000, "torch": 100_000},
        w5_epochs=250,
        w6_sizes=(1000, 10_000),
        sympy_simplify_limit=60.0,
        slow_peer_limit=300.0,
    ),
}

WORKLOADS: dict[str, Callable[[Context], Table]] = {
    "W1": w1_lab_z.run,
    "W2": w2_network_gradients.run,
    "W3": w3_tanh_derivatives.run,
    "W4": w4_tanh_chain.run,
    "W5": w5_training.run,
    "W6": w6_random.run,
    "W7": w7_arrays.run,
}


def machine() -> str:
    """A one-line description of the machine the numbers come from."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="every table, in under 3 minutes")
    size.add_argument("--smoke", action="store_true", help="tiny sizes, seconds (CI)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--only", help="comma-separated workloads, e.g. W1,W4 (default: all)")
    parser.add_argument("--no-isolate", action="store_true", help="run pipelines in this process (no limits)")
    args = parser.parse_args(argv)

    mode = MODES["smoke" if args.smoke else "quick" if args.quick else "full"]
    chosen = list(WORKLOADS) if not args.only else [key.strip().upper() for key in args.only.split(",")]
    unknown = [key for key in chosen if key not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")

    found, notes = peers.load()
    features = peers.features()
    notes += [
        f"chainrule.{name} is not available yet: its stages say so" for name, ok in features.items() if not ok
    ]
    ctx = Context(mode, found, features, isolate=not args.no_isolate)
    versions = peers.versions(found)
    print(f"# chainrule benchmarks ({mode.name} mode)\n")
    print(f"Machine: {machine()} (shared, noisy: ratios are more telling than absolute times).")
    print("Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()))
    print("Times: median of the runs after a warm-up; ¹ marks a single run (too slow to repeat).")
    print("(×r) after a peer's time: peer time / chainrule time; above 1, chainrule is faster.")
    for note in notes:
        print(f"Note: {note}")
    print()

    started = time.perf_counter()
    tables: list[Table] = []
    for key in chosen:
        began = time.perf_counter()
        table = WORKLOADS[key](ctx)
        if mode.name == "smoke":  # the targets are about the sizes, not these tiny ones
            for goal in table.targets:
                goal.status = "not judged (smoke sizes)"
        tables.append(table)
        print(render(table, SYSTEMS))
        print(f"({key}: {time.perf_counter() - began:.0f} s)\n", flush=True)
    elapsed = time.perf_counter() - started

    print("## Targets\n")
    for table in tables:
        for goal in table.targets:
            print(f"- {goal.status}: {goal.name} — {goal.detail}")
    failed = [check for table in tables for check in table.checks if not check.passed]
    print(f"\n{len(failed)} check(s) failed; {elapsed:.0f} s in all.")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "mode": mode.name,
                    "machine": machine(),
                    "versions": versions,
                    "features": features,
                    "notes": notes,
                    "seconds": elapsed,
                    "workloads": [table.to_json() for table in tables],
                },
                indent=1,
                ensure_ascii=False,
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
