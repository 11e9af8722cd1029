"""The handout's 2-2-1 tanh network, defined once for every system (from chainrule.network).

h1 = tanh(b1 + x1*w11 + x2*w21), h2 = tanh(b2 + x1*w12 + x2*w22),
fin = u1*h1 + u2*h2 + c, loss = fin - fin*y + log(1 + exp(-fin)) (the
logistic loss of fin), the nine parameters in the handout's order, trained by
per-sample SGD on the handout's five points from the default seed's Glorot
start with the default schedule.  ``loss`` is written once over arithmetic
operators and ``tanh``/``exp``/``log`` functions, so chainrule, SymPy,
SymEngine, micrograd and PyTorch build the same tree.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from chainrule.network import (
    DEFAULT_SCHEDULE,
    DEFAULT_SEED,
    EPOCHS,
    FIVE_POINTS,
    HANDOUT_WEIGHTS,
    PARAMETERS,
    TARGET,
    glorot_init,
)
from chainrule.network import INPUTS as NETWORK_INPUTS

# The parameter order, the data set, the start and the schedule are the library's own (chainrule.network).
PARAMS = PARAMETERS
INPUTS = (*NETWORK_INPUTS, TARGET)
#: The handout's five points: the origin is class 1, its four neighbours class 0.
DATA = FIVE_POINTS

#: The start of ``chainrule lab``'s default run: the handout's Glorot init (biases 0) from the default seed.
INIT = tuple(glorot_init(random.Random(DEFAULT_SEED))[name] for name in PARAMS)

#: The point W2's gradients are evaluated at: the handout's weights at its check input x = (1, -1), y = 0.
CHECK_POINT = (*(HANDOUT_WEIGHTS[name] for name in PARAMS), 1.0, -1.0, 0.0)


def learning_rate(epoch: int) -> float:
    """The default schedule (chainrule.network.DEFAULT_SCHEDULE) at ``epoch`` of the handout's 250."""
    return DEFAULT_SCHEDULE(epoch, EPOCHS)


def loss(tanh: Callable[[Any], Any], exp: Callable[[Any], Any], log: Callable[[Any], Any], *a: Any) -> Any:
    """The loss of one sample, built from whatever numbers or expressions ``a`` holds.

    ``a`` is the nine parameters (PARAMS order), then x1, x2, y.
    """
    b1, w11, w12, b2, w21, w22, c, u1, u2, x1, x2, y = a
    h1 = tanh(b1 + (x1 * w11 + x2 * w21))
    h2 = tanh(b2 + (x1 * w12 + x2 * w22))
    fin = u1 * h1 + u2 * h2 + c
    return fin - fin * y + log(1 + exp(-fin))


def hand_gradients(
    b1: float,
    w11: float,
    w12: float,
    b2: float,
    w21: float,
    w22: float,
    c: float,
    u1: float,
    u2: float,
    x1: float,
    x2: float,
    y: float,
) -> tuple[float, ...]:
    """The nine gradients by hand-written backprop: the floor a compiled gradient can hope for."""
    h1 = math.tanh(b1 + (x1 * w11 + x2 * w21))
    h2 = math.tanh(b2 + (x1 * w12 + x2 * w22))
    fin = u1 * h1 + u2 * h2 + c
    e = math.exp(-fin)
    dfin = 1.0 - y - e / (1.0 + e)  # d/dfin of fin - fin*y + log(1 + e^-fin)
    d1 = dfin * u1 * (1.0 - h1 * h1)
    d2 = dfin * u2 * (1.0 - h2 * h2)
    return (d1, d1 * x1, d2 * x1, d2, d1 * x2, d2 * x2, dfin, dfin * h1, dfin * h2)


def hand_loss(*a: float) -> float:
    """The loss in plain floats, for checking what the systems trained."""
    return float(loss(math.tanh, math.exp, math.log, *a))


def train(gradients: Callable[..., Sequence[float]], epochs: int = EPOCHS) -> tuple[float, ...]:
    """Per-sample SGD from INIT in the handout's order: the same loop for every system."""
    params = list(INIT)
    for epoch in range(epochs):
        rate = learning_rate(epoch)
        for (x1, x2), y in DATA:
            slopes = gradients(*params, x1, x2, y)
            params = [p - rate * g for p, g in zip(params, slopes, strict=True)]
    return tuple(params)


def mean_loss(params: Sequence[float]) -> float:
    """The mean loss over the five points, a one-number summary of a trained network."""
    return sum(hand_loss(*params, x1, x2, y) for (x1, x2), y in DATA) / len(DATA)
