"""The NumPy backend over Dask arrays: lazy results, the same checks at compute time, and scale-out."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule import EvaluationError, Log, TanH, Var, lambdify

da = pytest.importorskip("dask.array")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
x, y = Var("x"), Var("y")


def test_dask_in_dask_out_lazily() -> None:
    f = lambdify([TanH(x * y) + x, Log(x) * y, x], ["x", "y"], backend="numpy")
    xs = np.linspace(0.5, 3.0, 24).reshape(4, 6)
    lazy = da.from_array(xs, chunks=(2, 4))
    results = f(lazy, np.arange(6.0))  # a Dask array, a NumPy array, broadcast
    assert all(isinstance(r, da.Array) for r in results)
    assert results[0].shape == (4, 6)
    eager = f(xs, np.arange(6.0))
    for computed, expected in zip(da.compute(*results), eager, strict=True):
        np.testing.assert_array_equal(computed, expected)
    one = lambdify(Log(x) + y, ["x", "y"], backend="numpy")(lazy, 2.0)
    assert isinstance(one, da.Array)
    np.testing.assert_array_equal(one.compute(), np.log(xs) + 2.0)


def test_a_failure_raises_from_compute_with_the_global_index() -> None:
    f = lambdify({"g": Log(x) * y}, ["x", "y"], backend="numpy")
    xs = np.linspace(1.0, 2.0, 24).reshape(4, 6)
    xs[2, 5] = -3.0
    result = f(da.from_array(xs, chunks=(2, 4)), 1.5)  # nothing is computed yet
    with pytest.raises(
        EvaluationError, match=r"log of non-positive -3\.0\) in log\(x\) at index \(2, 5\)"
    ) as caught:
        result["g"].compute()
    assert caught.value.index == (2, 5)  # type: ignore[attr-defined]
    assert caught.value.inputs == {"x": -3.0, "y": 1.5}  # type: ignore[attr-defined]
    xs[3, 0] = 0.0  # blocks run in parallel: the first block to fail reports its first index
    with pytest.raises(EvaluationError) as caught:
        f(da.from_array(xs, chunks=(2, 4)), 1.5)["g"].compute()
    assert caught.value.index in {(2, 5), (3, 0)}  # type: ignore[attr-defined]


def test_mean_gradients_on_a_local_cluster_with_bounded_worker_memory() -> None:
    distributed = pytest.importorskip("dask.distributed")
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import w7_dask
        from w7_arrays import INPUTS, PARAMS, POINT, chainrule_gradients
    finally:
        sys.path.remove(str(BENCHMARKS))
    n, chunk = 1_000_000, 250_000
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, memory_limit="1GiB", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        means = w7_dask.mean_gradients(n, chunk)
    x1, x2, labels = (a.compute(scheduler="sync") for a in w7_dask.points(n, chunk))
    eager = lambdify(chainrule_gradients(), list(PARAMS + INPUTS), backend="numpy")(*POINT, x1, x2, labels)
    assert means == pytest.approx([g.mean() for g in eager], rel=1e-9, abs=1e-12)


def test_errors_nan_over_dask_blocks() -> None:
    f = lambdify(Log(x) * y, ["x", "y"], backend="numpy", errors="nan")
    xs = np.array([1.0, -1.0, np.e, 0.0, 2.0])
    computed = f(da.from_array(xs, chunks=2), 2.0).compute()
    np.testing.assert_array_equal(computed, f(xs, 2.0))
    assert np.isnan(computed[[1, 3]]).all() and not np.isnan(computed[[0, 2, 4]]).any()
