"""The lab's 2-2-1 tanh network as one expression, and per-sample SGD on the five points.

Everything the lab computes by hand is an expression here: the hidden units
``h_j = tanh(w_j1*x1 + w_j2*x2 + b_j)``, the logit ``fin = v1*h1 + v2*h2 + c``,
the output ``sigmoid(fin) = 1 / (1 + exp(-fin))`` and the binary
cross-entropy written with logits, ``fin - fin*y + log(1 + exp(-fin))``.
Training asks ``grad`` for the nine partial derivatives of the loss at once
and ``lambdify`` compiles them, with the loss, into one function per step.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence

import attrs

from .compile import lambdify
from .diff import diff
from .evaluate import evaluate
from .grad import grad
from .nodes import Const, Div, Exp, Expr, Log, Sum, TanH, Var

__all__ = [
    "PARAMETERS",
    "INPUTS",
    "TARGET",
    "LAB_WEIGHTS",
    "FIVE_POINTS",
    "Network",
    "network",
    "glorot_init",
    "learning_rate",
    "Step",
    "compiled_step",
    "interpreted_step",
    "TrainingResult",
    "train",
    "predict",
]

#: The nine weights, in the order gradients and steps use: hidden unit 1, hidden unit 2, output.
PARAMETERS: tuple[str, ...] = ("w11", "w12", "b1", "w21", "w22", "b2", "v1", "v2", "c")
INPUTS: tuple[str, ...] = ("x1", "x2")
TARGET = "y"

#: Weights for the lab's "output at x = (1, -1) is about 0.95" check.  The lab handout's own
#: numbers are not available to us: these are chainrule's choice, picked to reproduce that figure
#: (hidden units read x1 - x2 with opposite signs; the output subtracts them): sigmoid(3 tanh 2) ≈ 0.95.
LAB_WEIGHTS: Mapping[str, float] = {
    "w11": 1.0,
    "w12": -1.0,
    "b1": 0.0,
    "w21": -1.0,
    "w22": 1.0,
    "b2": 0.0,
    "v1": 1.5,
    "v2": -1.5,
    "c": 0.0,
}

#: The five points: the origin is class 1, the four corners of the square are class 0.
FIVE_POINTS: tuple[tuple[tuple[float, float], float], ...] = (
    ((0.0, 0.0), 1.0),
    ((1.0, 1.0), 0.0),
    ((1.0, -1.0), 0.0),
    ((-1.0, 1.0), 0.0),
    ((-1.0, -1.0), 0.0),
)


@attrs.frozen
class Network:
    """The network's expressions, all over the variables PARAMETERS + INPUTS (+ TARGET for the loss)."""

    hidden: tuple[Expr, Expr]
    logit: Expr
    output: Expr
    loss: Expr


@functools.cache
def network() -> Network:
    """The 2-2-1 tanh network with a sigmoid output and the BCE-with-logits loss, as expressions."""
    w11, w12, b1, w21, w22, b2, v1, v2, c = (Var(name) for name in PARAMETERS)
    x1, x2 = (Var(name) for name in INPUTS)
    y = Var(TARGET)
    h1 = TanH(w11 * x1 + w12 * x2 + b1)
    h2 = TanH(w21 * x1 + w22 * x2 + b2)
    fin = v1 * h1 + v2 * h2 + c
    output = Div(Const(1), Sum(Const(1), Exp(-fin)))
    loss = fin - fin * y + Log(1 + Exp(-fin))
    return Network(hidden=(h1, h2), logit=fin, output=output, loss=loss)


def glorot_init(rng: random.Random) -> dict[str, float]:
    """Glorot (Xavier) uniform: each layer's parameters from U(-a, a), a = sqrt(6 / (fan_in + fan_out)).

    The hidden biases are drawn too, not zeroed: with zero biases every hidden
    unit starts as an odd function of x while the five points' labels are even
    in x, and noticeably more starts then slide into the constant predictor
    (output 0.2 everywhere).  The output bias ``c`` starts at zero.
    """
    hidden_limit = math.sqrt(6 / (2 + 2))
    output_limit = math.sqrt(6 / (2 + 1))
    weights: dict[str, float] = {}
    for name in PARAMETERS:
        if name == "c":
            weights[name] = 0.0
        elif name.startswith("v"):
            weights[name] = rng.uniform(-output_limit, output_limit)
        else:
            weights[name] = rng.uniform(-hidden_limit, hidden_limit)
    return weights


def learning_rate(epoch: int, epochs: int, start: float = 0.3, end: float = 0.1) -> float:
    """Geometric decay from ``start`` at the first epoch to ``end`` at the last: big steps, then settle."""
    if epochs <= 1:
        return start
    return start * math.pow(end / start, epoch / (epochs - 1))


#: One SGD step's maths: (weights in PARAMETERS order, x1, x2, y) -> (loss, gradient in PARAMETERS order).
Step = Callable[[Sequence[float], float, float, float], tuple[float, Sequence[float]]]


def compiled_step(net: Network | None = None) -> Step:
    """The loss and its nine partials from one function: ``lambdify`` over ``grad`` (reverse mode, CSE)."""
    loss = (net or network()).loss
    partials = grad(loss, PARAMETERS)
    function = lambdify([loss, *(partials[name] for name in PARAMETERS)], (*PARAMETERS, *INPUTS, TARGET))

    def step(weights: Sequence[float], x1: float, x2: float, y: float) -> tuple[float, Sequence[float]]:
        loss_value, *gradient = function(*weights, x1, x2, y)
        return float(loss_value), gradient

    return step


def interpreted_step(net: Network | None = None) -> Step:
    """The lab's way, for comparison: ``evaluate`` each of the nine ``diff`` trees on every step."""
    loss = (net or network()).loss
    partials = [diff(loss, name) for name in PARAMETERS]
    names = (*PARAMETERS, *INPUTS, TARGET)

    def step(weights: Sequence[float], x1: float, x2: float, y: float) -> tuple[float, Sequence[float]]:
        env = dict(zip(names, (*weights, x1, x2, y), strict=True))
        return evaluate(loss, env), [evaluate(partial, env) for partial in partials]

    return step


@attrs.frozen
class TrainingResult:
    """The trained weights and, per epoch, each sample's loss at its SGD step (FIVE_POINTS order)."""

    initial: dict[str, float]
    weights: dict[str, float]
    losses: list[list[float]]
    seed: int


def train(
    seed: int = 0,
    epochs: int = 250,
    step: Step | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> TrainingResult:
    """Per-sample SGD on FIVE_POINTS from a Glorot start drawn by ``random.Random(seed)``.

    Each epoch visits the points in a shuffled order (the same ``rng``) and
    updates after every point with the decaying ``learning_rate``.
    ``progress(epoch, mean_loss)`` is called after each epoch.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    rng = random.Random(seed)
    initial = glorot_init(rng)
    weights = [initial[name] for name in PARAMETERS]
    step = step or compiled_step()
    order = list(range(len(FIVE_POINTS)))
    losses: list[list[float]] = []
    for epoch in range(epochs):
        rate = learning_rate(epoch, epochs)
        rng.shuffle(order)
        epoch_losses = [0.0] * len(FIVE_POINTS)
        for index in order:
            (x1, x2), y = FIVE_POINTS[index]
            loss, gradient = step(weights, x1, x2, y)
            epoch_losses[index] = loss
            weights = [w - rate * g for w, g in zip(weights, gradient, strict=True)]
        losses.append(epoch_losses)
        if progress is not None:
            progress(epoch + 1, sum(epoch_losses) / len(epoch_losses))
    return TrainingResult(
        initial=initial, weights=dict(zip(PARAMETERS, weights, strict=True)), losses=losses, seed=seed
    )


@functools.cache
def _output_function() -> Callable[..., float]:
    return lambdify(network().output, (*PARAMETERS, *INPUTS))


def predict(weights: Mapping[str, float], x1: float, x2: float) -> float:
    """The network's output sigmoid(fin) for input (x1, x2)."""
    return float(_output_function()(*(float(weights[name]) for name in PARAMETERS), float(x1), float(x2)))
