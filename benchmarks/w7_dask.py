"""The scale-out recipe: the lab's nine gradients averaged over n points held as Dask arrays.

    python benchmarks/w7_dask.py --points 1e8 --chunk 2.5e6 --workers 2 --memory 2GiB

The points are generated on the workers (``dask.array.random``), block by
block, so no process ever holds all of them.  The gradient function is
chainrule's NumPy backend, applied to the Dask arrays as to NumPy ones: it
returns Dask arrays, and ``dask.compute`` of their means runs it on every
block, in worker processes whose memory ``LocalCluster(memory_limit=...)``
bounds (a worker over 95 % of it is restarted, over 60 % spills).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from w7_arrays import INPUTS, PARAMS, POINT, chainrule_gradients

from chainrule import lambdify


def points(n: int, chunk: int, seed: int = 7) -> tuple[Any, Any, Any]:
    """x1, x2 normal, y = 1 inside the unit circle: lazy Dask arrays of ``chunk`` points a block."""
    import dask.array as da

    rng = da.random.default_rng(seed)
    x1 = rng.normal(size=n, chunks=chunk)
    x2 = rng.normal(size=n, chunks=chunk)
    y = (x1 * x1 + x2 * x2 < 1.0).astype("float64")
    return x1, x2, y


def mean_gradients(n: int, chunk: int) -> tuple[float, ...]:
    """The nine gradients of the loss, averaged over the n points (on the current Dask scheduler)."""
    import dask

    gradients = lambdify(chainrule_gradients(), list(PARAMS + INPUTS), backend="numpy")
    lazy = gradients(*POINT, *points(n, chunk))
    return tuple(float(mean) for mean in dask.compute(*(g.mean() for g in lazy)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=float, default=1e8)
    parser.add_argument("--chunk", type=float, default=2.5e6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="2GiB", help="memory_limit of each worker process")
    args = parser.parse_args(argv)
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=args.workers, processes=True, threads_per_worker=1, memory_limit=args.memory
        ) as cluster,
        Client(cluster) as client,
    ):
        started = time.perf_counter()
        means = mean_gradients(int(args.points), int(args.chunk))
        elapsed = time.perf_counter() - started
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    print(f"{int(args.points):,} points in blocks of {int(args.chunk):,}, {args.workers} worker processes")
    print(f"limited to {args.memory} each: {elapsed:.1f} s")
    print(
        "peak resident memory per worker: " + ", ".join(f"{peak / 2**20:.0f} MB" for peak in peaks.values())
    )
    print(
        "mean gradients: " + ", ".join(f"{name} {mean:.6g}" for name, mean in zip(PARAMS, means, strict=True))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
