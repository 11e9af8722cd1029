"""``python -m chainrule lab``: the handout's Exercise 1, end to end, as one report.

The plot uses matplotlib's object-oriented API with the Agg canvas, so it
never touches a global backend (safe inside Jupyter too).
"""

from __future__ import annotations

import errno
import importlib.util
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .diff import diff
from .errors import ChainruleError
from .evaluate import evaluate
from .grad import grad
from .network import (
    DEFAULT_ORDER,
    DEFAULT_SCHEDULE,
    DEFAULT_SEED,
    EPOCHS,
    FIVE_POINTS,
    HANDOUT_WEIGHTS,
    HANDOUT_WEIGHTS_TEXT,
    INPUTS,
    PARAMETERS,
    TrainingResult,
    compiled_step,
    network,
    predict,
    train,
)
from .nodes import Exp, Var
from .show import show
from .simplify import explain, simplify
from .traverse import postorder, tree_size

__all__ = [
    "run_lab",
    "loss_figure",
    "save_loss_plot",
    "prediction_table",
    "PLOT_NAME",
    "MissingDependencyError",
]

#: File name of the loss plot inside the output directory.
PLOT_NAME = "five_points_loss.png"


class MissingDependencyError(ChainruleError):
    """An optional dependency (matplotlib, for the plot) is not installed."""


def _require_matplotlib() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise MissingDependencyError(
            "the lab's loss plot needs matplotlib, which is not installed: pip install 'chainrule[plot]'"
        )


def prediction_table(weights: Mapping[str, float]) -> list[str]:
    """The five points as rows of x1, x2, label, output and class (output > 0.5 is class 1)."""
    rows = [f"{INPUTS[0]:>5} {INPUTS[1]:>5}  label  output  class"]
    for point, label in FIVE_POINTS:
        output = predict(weights, *point)
        rows.append(f"{point[0]:>5g} {point[1]:>5g}  {label:>5g}  {output:.4f}  {int(output > 0.5):>5}")
    return rows


def loss_figure(result: TrainingResult) -> Any:
    """Each sample's loss per epoch, one line per sample, as the handout plots ``loss_dict``; no pyplot."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    epochs = range(1, len(result.losses) + 1)
    for index, (point, label) in enumerate(FIVE_POINTS):
        curve = [epoch_losses[index] for epoch_losses in result.losses]
        axes.plot(epochs, curve, label=f"sample {index}: x = ({point[0]:g}, {point[1]:g}), y = {label:g}")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss of the sample (binary cross-entropy)")
    axes.set_title(f"Five points: per-sample loss during SGD (seed {result.seed})")
    axes.grid(True, alpha=0.3)
    axes.legend()
    return figure


def _writable_directory(directory: str | Path) -> Path:
    """Create ``directory`` and prove a file can be written there, before any work is done."""
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a directory for the plot", str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass
    return folder


def save_loss_plot(result: TrainingResult, directory: str | Path) -> Path:
    """Write the loss figure as a PNG into ``directory`` (created if needed) and return its path."""
    _require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = _writable_directory(directory) / PLOT_NAME
    figure = loss_figure(result)
    FigureCanvasAgg(figure)  # attach the Agg canvas: no pyplot, no global backend
    figure.savefig(path)
    return path


def run_lab(
    seed: int = DEFAULT_SEED,
    out: str | Path = "lab-output",
    epochs: int = EPOCHS,
    write: Callable[[str], None] = print,
) -> Path:
    """Run the lab, reporting through ``write`` line by line; returns the loss plot's path."""
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    _require_matplotlib()  # fail before the work, not after it
    _writable_directory(out)
    x, y = Var("x"), Var("y")
    z = 4 * x * y + Exp(-y)
    write("chainrule lab: the handout's Exercise 1, a scalar autodiff engine, end to end")
    write("")
    write("1. The example expression z = 4xy + e^-y")
    write(f"   show(z)         = {show(z)}")
    write(f"   z at (x=2, y=3) = {evaluate(z, {'x': 2, 'y': 3})!r}")
    write("")
    dz_dx = diff(z, "x")
    write("2. Its derivatives")
    write(f"   raw d/dx        = {show(dz_dx)}")
    write("   simplified, step by step (explain):")
    for line in str(explain(dz_dx)).splitlines():
        write(f"     {line}")
    mixed = simplify(diff(dz_dx, "y"))
    write(f"   d2z/dxdy        = {show(mixed)}   ({mixed!r})")
    write("")

    net = network()
    write("3. The handout's network: two tanh hidden units, a sigmoid output, BCE with logits")
    for index, hidden in enumerate(net.hidden, start=1):
        write(f"   h{index}   = {show(hidden)}")
    write(f"   fin  = {show(net.logit)}")
    write(f"   fout = sigmoid(fin) = {show(net.output)}")
    write(f"   loss = {show(net.loss)}")
    write("   the handout's weights: " + ", ".join(f"{k}={v}" for k, v in HANDOUT_WEIGHTS_TEXT.items()))
    write(f"   output at x = (1, -1): {predict(HANDOUT_WEIGHTS, 1.0, -1.0):.4f}")
    write("   their predictions on the five points:")
    for row in prediction_table(HANDOUT_WEIGHTS):
        write(f"     {row}")
    write("")

    raw = [diff(net.loss, name) for name in PARAMETERS]
    partials = grad(net.loss, PARAMETERS)
    started = time.perf_counter()
    step = compiled_step(net)
    compile_ms = (time.perf_counter() - started) * 1000
    write(f"4. The {len(PARAMETERS)} gradient graphs of the loss ({', '.join(PARAMETERS)})")
    write(f"   diff, as trees:           {sum(tree_size(e) for e in raw):>5} nodes")
    write(f"   diff, as DAGs:            {sum(len(postorder(e)) for e in raw):>5} nodes separately")
    write(f"                             {len(postorder(*raw)):>5} nodes together")
    write(f"   grad (reverse mode), DAG: {len(postorder(*partials.values())):>5} nodes together")
    write(f"   grad + lambdify into one function: {compile_ms:.1f} ms")
    write("")

    every = max(1, epochs // 10)
    write(f"5. Training on the five points: seed {seed}, Glorot init (weights U(-b, b), b = sqrt(6/4);")
    write(f"   biases 0), {epochs} epochs of per-sample SGD, sample order: {DEFAULT_ORDER},")
    write(f"   learning rate {DEFAULT_SCHEDULE}")

    def progress(epoch: int, epoch_loss: float) -> None:
        if epoch % every == 0 or epoch == epochs:
            write(f"   EPOCH {epoch:>5}   LOSS {epoch_loss:.5f}")

    started = time.perf_counter()
    result = train(seed=seed, epochs=epochs, step=step, progress=progress)
    seconds = time.perf_counter() - started
    write(f"   trained in {seconds:.3f} s")
    write("")

    write("6. Predictions after training")
    for row in prediction_table(result.weights):
        write(f"   {row}")
    correct = sum((predict(result.weights, *point) > 0.5) == (label == 1.0) for point, label in FIVE_POINTS)
    write(f"   {correct} of {len(FIVE_POINTS)} points classified correctly")
    write("")

    path = save_loss_plot(result, out)
    write(f"7. Per-sample loss curves (one line per sample) saved to {path}")
    return path
