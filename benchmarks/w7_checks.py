"""What the NumPy backend's finiteness checks cost: the lab's nine gradients with the checks on and off.

    python benchmarks/w7_checks.py --points 1e6 --rounds 21

Both functions are compiled from the same gradients; for the second the
runtime's test is replaced by one that always passes.  They are timed turn
about in this process, and the median of the per-round ratios is reported.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from w7_arrays import INPUTS, PARAMS, POINT, chainrule_gradients, data

from chainrule import arrays, lambdify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=float, default=1e6)
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args(argv)
    exprs, names = chainrule_gradients(), list(PARAMS + INPUTS)
    checked = lambdify(exprs, names, backend="numpy")
    original = arrays._Runtime.finite
    arrays._Runtime.finite = lambda self, value: True  # type: ignore[method-assign]
    try:
        unchecked = lambdify(exprs, names, backend="numpy")
    finally:
        arrays._Runtime.finite = original  # type: ignore[method-assign]
    inputs = data(int(args.points))
    times: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(args.rounds):
        for key, function in (("on", checked), ("off", unchecked)):
            started = time.perf_counter()
            function(*POINT, *inputs)
            times[key].append(time.perf_counter() - started)
    ratio = statistics.median(a / b for a, b in zip(times["on"], times["off"], strict=True))
    print(
        f"{int(args.points):,} points, {checked.source.count('_finite(')} tests: "
        f"checks on {statistics.median(times['on']) * 1e3:.1f} ms, off {statistics.median(times['off']) * 1e3:.1f} ms, "
        f"on/off {ratio:.3f} (median of {args.rounds} per-round ratios)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
