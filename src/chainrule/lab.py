"""``python -m chainrule lab``: the lab's first exercise, end to end, as one report.

The example expression, its value, raw and simplified derivatives with the
derivation, the mixed second derivative, the network with the lab's weights,
its gradients, training on the five points with progress, the predictions,
and the per-sample loss curves as a PNG.  The plot uses matplotlib's
object-oriented API with the Agg canvas, so it never touches a global
backend (safe inside Jupyter too); matplotlib is imported only here, lazily.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .diff import diff
from .errors import ChainruleError
from .evaluate import evaluate
from .grad import grad
from .network import (
    FIVE_POINTS,
    INPUTS,
    LAB_WEIGHTS,
    PARAMETERS,
    TrainingResult,
    compiled_step,
    learning_rate,
    network,
    predict,
    train,
)
from .nodes import Exp, Expr, Var
from .show import show
from .simplify import explain, simplify
from .traverse import postorder, tree_size

__all__ = ["run_lab", "loss_figure", "save_loss_plot", "PLOT_NAME", "MissingDependencyError"]

#: File name of the loss plot inside the output directory.
PLOT_NAME = "five_points_loss.png"


class MissingDependencyError(ChainruleError):
    """An optional dependency (matplotlib, for the plot) is not installed."""


def _require_matplotlib() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise MissingDependencyError(
            "the lab's loss plot needs matplotlib, which is not installed: pip install 'chainrule[plot]'"
        )


def _point(point: tuple[float, float]) -> str:
    return f"({point[0]:g}, {point[1]:g})"


def loss_figure(result: TrainingResult) -> Any:
    """A matplotlib Figure of each sample's loss per epoch (log scale); no pyplot, no global state."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    epochs = range(1, len(result.losses) + 1)
    for index, (point, label) in enumerate(FIVE_POINTS):
        curve = [epoch_losses[index] for epoch_losses in result.losses]
        axes.plot(epochs, curve, label=f"x = {_point(point)}, y = {label:g}")
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss (binary cross-entropy)")
    axes.set_title(f"Five points: per-sample loss during SGD (seed {result.seed})")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return figure


def save_loss_plot(result: TrainingResult, directory: str | Path) -> Path:
    """Write the loss figure as a PNG into ``directory`` (created if needed) and return its path."""
    _require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PLOT_NAME
    figure = loss_figure(result)
    FigureCanvasAgg(figure)  # attach the Agg canvas: no pyplot, no global backend
    figure.savefig(path)
    return path


def _distinct(*exprs: Expr) -> int:
    return sum(1 for _ in postorder(*exprs))


def run_lab(
    seed: int = 0,
    out: str | Path = "lab-output",
    epochs: int = 250,
    write: Callable[[str], None] = print,
) -> Path:
    """Run the lab, reporting through ``write`` line by line; returns the loss plot's path."""
    _require_matplotlib()  # fail before the work, not after it
    Path(out).mkdir(parents=True, exist_ok=True)
    x, y = Var("x"), Var("y")
    z = 4 * x * y + Exp(-y)
    write("chainrule lab: a scalar autodiff engine, end to end")
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
    write("3. The 2-2-1 tanh network, as expressions")
    for index, hidden in enumerate(net.hidden, start=1):
        write(f"   h{index}   = {show(hidden)}")
    write(f"   fin  = {show(net.logit)}")
    write(f"   out  = sigmoid(fin) = {show(net.output)}")
    write(f"   loss = BCE with logits = {show(net.loss)}")
    weights = ", ".join(f"{name}={value:g}" for name, value in LAB_WEIGHTS.items())
    write(f"   lab weights: {weights}")
    write(
        "   (chainrule's choice, reproducing the lab's figure; the handout's own numbers are not available)"
    )
    write(f"   output at x = (1, -1): {predict(LAB_WEIGHTS, 1.0, -1.0):.4f}   (the lab: about 0.95)")
    write("")

    raw = [diff(net.loss, name) for name in PARAMETERS]
    partials = grad(net.loss, PARAMETERS)
    started = time.perf_counter()
    step = compiled_step(net)
    compile_ms = (time.perf_counter() - started) * 1000
    write(f"4. The {len(PARAMETERS)} gradients of the loss ({', '.join(PARAMETERS)})")
    write(f"   diff, as trees:           {sum(tree_size(e) for e in raw):>5} nodes")
    write(f"   diff, as DAGs:            {sum(_distinct(e) for e in raw):>5} nodes separately")
    write(f"                             {_distinct(*raw):>5} nodes together")
    write(f"   grad (reverse mode), DAG: {_distinct(*partials.values()):>5} nodes together")
    write(f"   grad + lambdify into one function: {compile_ms:.1f} ms")
    write("")

    every = max(1, epochs // 10)
    first, last = learning_rate(0, epochs), learning_rate(epochs - 1, epochs)
    write(f"5. Training on the five points: seed {seed}, Glorot init, {epochs} epochs of per-sample SGD,")
    write(f"   learning rate decaying {first:g} -> {last:g}")

    def progress(epoch: int, mean_loss: float) -> None:
        if epoch % every == 0 or epoch == epochs:
            write(f"   epoch {epoch:>4}   mean loss {mean_loss:.4f}")

    started = time.perf_counter()
    result = train(seed=seed, epochs=epochs, step=step, progress=progress)
    seconds = time.perf_counter() - started
    write(f"   trained in {seconds:.3f} s")
    write("")

    write("6. Predictions")
    write(f"   {INPUTS[0]:>5} {INPUTS[1]:>5}  label  output  class")
    correct = 0
    for point, label in FIVE_POINTS:
        output = predict(result.weights, *point)
        predicted = 1 if output > 0.5 else 0
        correct += predicted == label
        write(f"   {point[0]:>5g} {point[1]:>5g}  {label:>5g}  {output:.4f}  {predicted}")
    write(f"   {correct} of {len(FIVE_POINTS)} points classified correctly")
    write("")

    path = save_loss_plot(result, out)
    write(f"7. Per-sample loss curves saved to {path}")
    return path
