"""The lab's network, data, weights and training, as the handout states them.

One source of truth for ``chainrule lab``, the notebook, the benchmarks and
the README (w_ij runs from input i to hidden unit j)::

    h1   = tanh(b1 + x1*w11 + x2*w21)
    h2   = tanh(b2 + x1*w12 + x2*w22)
    fin  = u1*h1 + u2*h2 + c
    fout = sigmoid(fin) = 1 / (1 + exp(-fin))  (the Sigmoid node)
    loss = fin - fin*y + log(1 + exp(-fin))      (binary cross-entropy with logits)
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import attrs

from .compile import lambdify
from .diff import diff
from .evaluate import evaluate
from .functions import Sigmoid
from .grad import grad
from .nodes import Exp, Expr, Log, TanH, Var

__all__ = [
    "PARAMETERS",
    "BIASES",
    "INPUTS",
    "TARGET",
    "HANDOUT_WEIGHTS_TEXT",
    "HANDOUT_WEIGHTS",
    "FIVE_POINTS",
    "GLOROT_LIMIT",
    "DEFAULT_SEED",
    "EPOCHS",
    "Network",
    "network",
    "glorot_init",
    "Schedule",
    "constant",
    "linear",
    "step_down",
    "exponential",
    "cosine",
    "DEFAULT_SCHEDULE",
    "learning_rate",
    "Order",
    "HANDOUT_ORDER",
    "handout_order",
    "alternating",
    "DEFAULT_ORDER",
    "Step",
    "compiled_step",
    "interpreted_step",
    "TrainingResult",
    "train",
    "predict",
    "classifies_all",
]

#: The nine parameters in the handout's order: ``parameter_nodes = [b1, w11, w12, b2, w21, w22, c, u1, u2]``.
PARAMETERS: tuple[str, ...] = ("b1", "w11", "w12", "b2", "w21", "w22", "c", "u1", "u2")
#: The handout's ``init_params(parameter_nodes, ['b1', 'b2', 'c'])``: these start at zero.
BIASES: tuple[str, ...] = ("b1", "b2", "c")
INPUTS: tuple[str, ...] = ("x1", "x2")
TARGET = "y"

#: The handout's weights (cell "Values for weights and biases"), exactly as it writes them.
HANDOUT_WEIGHTS_TEXT: Mapping[str, str] = MappingProxyType(
    {
        "b1": "1.543385",
        "w11": "3.111573",
        "w12": "-2.808800",
        "b2": "1.373085",
        "w21": "3.130452",
        "w22": "-2.813466",
        "c": "-4.241453",
        "u1": "4.036489",
        "u2": "4.074885",
    }
)
HANDOUT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {name: float(text) for name, text in HANDOUT_WEIGHTS_TEXT.items()}
)

#: The handout's five points (cell "Create dataset"): the origin is class 1, its four neighbours class 0.
FIVE_POINTS: tuple[tuple[tuple[float, float], float], ...] = (
    ((0.0, 0.0), 1.0),
    ((1.0, 0.0), 0.0),
    ((0.0, -1.0), 0.0),
    ((-1.0, 0.0), 0.0),
    ((0.0, 1.0), 0.0),
)

#: The handout's Glorot bound ``b = math.sqrt(6 / 4)``: every weight starts in U(-b, b).
GLOROT_LIMIT = math.sqrt(6 / 4)
#: The seed ``chainrule lab`` trains from unless told otherwise.
DEFAULT_SEED = 0
#: The handout's ``for ep in range(250)``.
EPOCHS = 250


@attrs.frozen
class Network:
    """The network's expressions, over the variables PARAMETERS + INPUTS (+ TARGET for the loss)."""

    hidden: tuple[Expr, Expr]
    logit: Expr
    output: Expr
    loss: Expr


@functools.cache
def network() -> Network:
    """The handout's 2-2-1 tanh network, sigmoid output and BCE-with-logits loss, as expressions."""
    b1, w11, w12, b2, w21, w22, c, u1, u2 = (Var(name) for name in PARAMETERS)
    x1, x2 = (Var(name) for name in INPUTS)
    y = Var(TARGET)
    h1 = TanH(b1 + (x1 * w11 + x2 * w21))
    h2 = TanH(b2 + (x1 * w12 + x2 * w22))
    fin = u1 * h1 + u2 * h2 + c
    fout = Sigmoid(fin)  # the stable node: 1 / (1 + exp(-fin)) without overflow at any fin
    loss = fin - fin * y + Log(1 + Exp(-fin))
    return Network(hidden=(h1, h2), logit=fin, output=fout, loss=loss)


def glorot_init(rng: random.Random) -> dict[str, float]:
    """The handout's ``init_params``: biases 0, every other weight from U(-b, b), b = sqrt(6/4).

    Drawn in PARAMETERS order, as the handout's loop over ``parameter_nodes`` does.
    """
    return {name: 0.0 if name in BIASES else rng.uniform(-GLOROT_LIMIT, GLOROT_LIMIT) for name in PARAMETERS}


#: A learning-rate schedule: (epoch counted from 0, number of epochs) -> rate.
Schedule = Callable[[int, int], float]


def _fraction(epoch: int, epochs: int) -> float:
    return epoch / (epochs - 1) if epochs > 1 else 0.0


@attrs.frozen
class constant:
    """The same rate every epoch."""

    rate: float

    def __call__(self, epoch: int, epochs: int) -> float:
        return self.rate

    def __str__(self) -> str:
        return f"constant {self.rate:g}"


@attrs.frozen
class _Ramp:
    """A schedule from ``start`` at the first epoch to ``end`` at the last, printed by its class name."""

    start: float
    end: float

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.start:g} -> {self.end:g}"


@attrs.frozen
class linear(_Ramp):
    """From ``start`` at the first epoch to ``end`` at the last, in a straight line."""

    def __call__(self, epoch: int, epochs: int) -> float:
        return self.start + (self.end - self.start) * _fraction(epoch, epochs)


@attrs.frozen
class step_down(_Ramp):
    """``start`` for the first ``at`` epochs, then ``end``: the hint's "large, then reduce" in one step."""

    at: int

    def __call__(self, epoch: int, epochs: int) -> float:
        return self.start if epoch < self.at else self.end

    def __str__(self) -> str:
        return f"step {self.start:g} for {self.at} epochs, then {self.end:g}"


@attrs.frozen
class exponential(_Ramp):
    """Geometric decay from ``start`` at the first epoch to ``end`` at the last."""

    def __call__(self, epoch: int, epochs: int) -> float:
        return self.start * math.pow(self.end / self.start, _fraction(epoch, epochs))


@attrs.frozen
class cosine(_Ramp):
    """Half a cosine from ``start`` at the first epoch down to ``end`` at the last."""

    def __call__(self, epoch: int, epochs: int) -> float:
        return self.end + (self.start - self.end) * (1 + math.cos(math.pi * _fraction(epoch, epochs))) / 2


#: The hint's large rate 2.5 for 150 epochs, then 0.5 (chosen by benchmarks/lab_schedules.py).
DEFAULT_SCHEDULE: Schedule = step_down(2.5, 0.5, 150)


def learning_rate(epoch: int, epochs: int = EPOCHS) -> float:
    """The default schedule's rate at ``epoch`` (from 0) of ``epochs``."""
    return DEFAULT_SCHEDULE(epoch, epochs)


#: A sample order: (epoch counted from 0) -> the indices into FIVE_POINTS visited in that epoch.
Order = Callable[[int], Sequence[int]]

#: The handout's order: the five points as its "Create dataset" cell lists them.
HANDOUT_ORDER: tuple[int, ...] = tuple(range(len(FIVE_POINTS)))


def handout_order(epoch: int) -> Sequence[int]:
    """The handout's order, every epoch."""
    return HANDOUT_ORDER


@attrs.frozen
class alternating:
    """The handout's order and ``other`` in turn, ``every`` epochs each: still one fixed rule, no randomness.

    At the large rate one fixed order can settle into a periodic orbit that lumps the origin
    with a neighbour; an orbit belongs to its order, a solution does not, so switching breaks it.
    """

    other: tuple[int, ...] = (1, 2, 0, 3, 4)  # the origin moved to the middle, the ring kept
    every: int = 10

    def __attrs_post_init__(self) -> None:
        if sorted(self.other) != list(HANDOUT_ORDER):
            raise ValueError(f"alternating: other must be an order of the five points 0..4, got {self.other}")
        if self.every < 1:
            raise ValueError(f"alternating: every must be at least 1, got {self.every}")

    def __call__(self, epoch: int) -> Sequence[int]:
        return HANDOUT_ORDER if (epoch // self.every) % 2 == 0 else self.other

    def __str__(self) -> str:
        points = ", ".join(map(str, self.other))
        return f"the handout's order and points {points} in turn, {self.every} epochs each"


#: The handout's order and the origin-in-the-middle order in turn, ten epochs each: more seeds
#: classify all five points than in the handout's order alone (benchmarks/lab_schedules.py).
DEFAULT_ORDER: Order = alternating()


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
    """The handout's way, for comparison: ``evaluate`` each of the nine ``diff`` trees on every step."""
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
    seed: int = DEFAULT_SEED,
    epochs: int = EPOCHS,
    step: Step | None = None,
    progress: Callable[[int, float], None] | None = None,
    schedule: Schedule = DEFAULT_SCHEDULE,
    shuffle: bool = False,
    order: Order = DEFAULT_ORDER,
) -> TrainingResult:
    """The handout's training loop: Glorot init from ``random.Random(seed)``, per-sample SGD.

    ``shuffle`` draws each epoch's order from the same generator instead of ``order(epoch)``;
    ``progress(epoch, epoch_loss)`` hears the handout's ``ep_loss`` after each epoch.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    rng = random.Random(seed)
    initial = glorot_init(rng)
    weights = [initial[name] for name in PARAMETERS]
    step = step or compiled_step()
    shuffled = list(HANDOUT_ORDER)
    losses: list[list[float]] = []
    for epoch in range(epochs):
        rate = schedule(epoch, epochs)
        if shuffle:
            rng.shuffle(shuffled)
        epoch_losses = [0.0] * len(FIVE_POINTS)
        for index in shuffled if shuffle else order(epoch):
            (x1, x2), y = FIVE_POINTS[index]
            loss, gradient = step(weights, x1, x2, y)
            epoch_losses[index] = loss
            weights = [w - rate * g for w, g in zip(weights, gradient, strict=True)]
        losses.append(epoch_losses)
        if progress is not None:
            progress(epoch + 1, sum(epoch_losses))
    return TrainingResult(
        initial=initial, weights=dict(zip(PARAMETERS, weights, strict=True)), losses=losses, seed=seed
    )


@functools.cache
def _output_function() -> Callable[..., float]:
    return lambdify(network().output, (*PARAMETERS, *INPUTS))


def predict(weights: Mapping[str, float], x1: float, x2: float) -> float:
    """The network's output fout = sigmoid(fin) for input (x1, x2)."""
    return float(_output_function()(*(float(weights[name]) for name in PARAMETERS), float(x1), float(x2)))


def classifies_all(weights: Mapping[str, float]) -> bool:
    """Whether every one of the five points is on its label's side of 0.5."""
    return all((predict(weights, *point) > 0.5) == (label == 1.0) for point, label in FIVE_POINTS)
