"""The lab's 2-2-1 tanh network, defined once for every system.

h_j = tanh(w_j1*x1 + w_j2*x2 + b_j), fin = v1*h1 + v2*h2 + c,
loss = fin - fin*y + log(1 + exp(-fin)) (the logistic loss of fin), nine
parameters, trained by per-sample SGD on the five points.  ``loss`` is written
once over arithmetic operators and ``tanh``/``exp``/``log`` functions, so
chainrule, SymPy, SymEngine, micrograd and PyTorch build the same tree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from chainrule.network import FIVE_POINTS, PARAMETERS, TARGET
from chainrule.network import INPUTS as NETWORK_INPUTS

# The parameter order and the data set are the library's own (chainrule.network).
PARAMS = PARAMETERS
INPUTS = (*NETWORK_INPUTS, TARGET)
#: The five points: the origin is class 1, the four corners class 0.
DATA = FIVE_POINTS

#: A fixed, asymmetric start (symmetric hidden units would learn the same thing) from which the
#: schedule below separates the five points (mean loss 0.71 -> 0.002).
INIT = (0.9, 0.9, -0.9, -0.8, 0.7, 0.5, 0.3, -0.4, 0.2)

#: The point W2's gradients are evaluated at: the initial weights and the sample (1, -1) -> 0.
CHECK_POINT = (*INIT, 1.0, -1.0, 0.0)

EPOCHS = 250


def learning_rate(epoch: int) -> float:
    """A step schedule: 2, halved after 100 and again after 200 epochs."""
    return 2.0 if epoch < 100 else 1.0 if epoch < 200 else 0.5


def loss(tanh: Callable[[Any], Any], exp: Callable[[Any], Any], log: Callable[[Any], Any], *a: Any) -> Any:
    """The loss of one sample, built from whatever numbers or expressions ``a`` holds.

    ``a`` is the nine parameters (PARAMS order), then x1, x2, y.
    """
    w11, w12, b1, w21, w22, b2, v1, v2, c, x1, x2, y = a
    h1 = tanh(w11 * x1 + w12 * x2 + b1)
    h2 = tanh(w21 * x1 + w22 * x2 + b2)
    fin = v1 * h1 + v2 * h2 + c
    return fin - fin * y + log(1 + exp(-fin))


def hand_gradients(
    w11: float,
    w12: float,
    b1: float,
    w21: float,
    w22: float,
    b2: float,
    v1: float,
    v2: float,
    c: float,
    x1: float,
    x2: float,
    y: float,
) -> tuple[float, ...]:
    """The nine gradients by hand-written backprop: the floor a compiled gradient can hope for."""
    h1 = math.tanh(w11 * x1 + w12 * x2 + b1)
    h2 = math.tanh(w21 * x1 + w22 * x2 + b2)
    fin = v1 * h1 + v2 * h2 + c
    e = math.exp(-fin)
    dfin = 1.0 - y - e / (1.0 + e)  # d/dfin of fin - fin*y + log(1 + e^-fin)
    d1 = dfin * v1 * (1.0 - h1 * h1)
    d2 = dfin * v2 * (1.0 - h2 * h2)
    return (d1 * x1, d1 * x2, d1, d2 * x1, d2 * x2, d2, dfin * h1, dfin * h2, dfin)


def hand_loss(*a: float) -> float:
    """The loss in plain floats, for checking what the systems trained."""
    return float(loss(math.tanh, math.exp, math.log, *a))


def train(gradients: Callable[..., Sequence[float]], epochs: int = EPOCHS) -> tuple[float, ...]:
    """Per-sample SGD from INIT: the same loop for every system that compiles its gradients."""
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
