"""How often the handout's training classifies all five points, per learning-rate schedule.

Usage: python benchmarks/lab_schedules.py [--seeds N] [--epochs N] [--default-only]

The handout's setup throughout: Glorot init (weights U(-b, b), b = sqrt(6/4),
biases 0) from ``random.Random(seed)``, per-sample SGD for 250 epochs; only
the schedule and the sample order change (the handout's fixed order; that
order and the origin-in-the-middle order 1, 2, 0, 3, 4 in turn, ten epochs
each, ``alternating()``; or a fresh shuffle each epoch).  Each step is chainrule's ``lambdify(grad(...))``
(``compiled_step``), which is what makes 100 seeds x ~30 settings a matter of
seconds.  A run that fails ends at the constant predictor (all five outputs
within 0.05 of each other: the "saddle") or somewhere else ("other").
"""

from __future__ import annotations

import argparse
import time

from chainrule.errors import ChainruleError
from chainrule.network import (
    DEFAULT_SCHEDULE,
    EPOCHS,
    FIVE_POINTS,
    Order,
    Schedule,
    Step,
    alternating,
    classifies_all,
    compiled_step,
    constant,
    cosine,
    exponential,
    handout_order,
    linear,
    predict,
    step_down,
    train,
)

#: The schedules tried, all starting from the hint's "large learning rate (e.g. 2.5)" but a few for contrast.
SCHEDULES: tuple[Schedule, ...] = (
    constant(0.1),
    constant(0.3),
    constant(1.0),
    constant(2.2),
    constant(2.4),
    constant(2.5),
    constant(2.6),
    linear(2.5, 0.1),
    linear(2.5, 0.3),
    exponential(2.5, 0.1),
    exponential(2.5, 0.5),
    cosine(2.5, 0.0),
    cosine(2.5, 0.3),
    step_down(2.5, 0.3, 1),
    step_down(2.5, 0.5, 5),
    step_down(2.5, 0.5, 10),
    step_down(2.5, 0.5, 50),
    step_down(2.5, 0.5, 100),
    step_down(2.5, 0.1, 100),
    step_down(2.5, 0.5, 150),
    step_down(2.5, 0.1, 150),
    step_down(2.5, 0.5, 200),
    step_down(2.2, 0.5, 150),
    step_down(2.4, 0.5, 150),
    step_down(2.6, 0.5, 150),
    step_down(2.45, 0.5, 150),
    linear(3.0, 0.5),
    exponential(3.0, 0.5),
)

#: The sample orders compared, by column: the handout's, the alternating one, a shuffle per epoch (None).
ORDERS: tuple[tuple[str, Order | None], ...] = (
    ("handout order", handout_order),
    ("alternating", alternating()),
    ("shuffled each epoch", None),
)


def outcomes(schedule: Schedule, order: Order | None, seeds: int, epochs: int, step: Step) -> dict[str, int]:
    """Count, over seeds 0..seeds-1, runs that classify all five points, stall at the saddle, or neither."""
    counts = {"all five": 0, "saddle": 0, "other": 0}
    for seed in range(seeds):
        try:
            weights = train(
                seed,
                epochs=epochs,
                step=step,
                schedule=schedule,
                shuffle=order is None,
                order=order or handout_order,
            ).weights
        except ChainruleError:  # an overflow in the loss: the run diverged
            counts["other"] += 1
            continue
        outputs = [predict(weights, *point) for point, _ in FIVE_POINTS]
        if classifies_all(weights):
            counts["all five"] += 1
        elif max(outputs) - min(outputs) < 0.05:
            counts["saddle"] += 1
        else:
            counts["other"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument(
        "--default-only", action="store_true", help="only the default schedule (e.g. with --seeds 1000)"
    )
    options = parser.parse_args()
    step = compiled_step()
    started = time.perf_counter()
    print(
        f"{options.seeds} seeds, {options.epochs} epochs; all five correct (saddle / other) per sample order"
    )
    print(f"{'schedule':<36}" + "".join(f" {name:>22}" for name, _ in ORDERS))
    for schedule in (DEFAULT_SCHEDULE,) if options.default_only else SCHEDULES:
        cells = []
        for _, order in ORDERS:
            c = outcomes(schedule, order, options.seeds, options.epochs, step)
            cells.append(f"{c['all five']:>3} ({c['saddle']:>2} / {c['other']:>2})")
        mark = "  <- default (with the alternating order)" if schedule == DEFAULT_SCHEDULE else ""
        print(f"{schedule!s:<36}" + "".join(f" {cell:>22}" for cell in cells) + mark, flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
