"""The term order behind the rule condition ``?a before ?b``: ordered rewriting of sums and products.

A commutative law such as ``?a + ?b -> ?b + ?a`` loops if applied freely;
applied only when the result is smaller in a total order on terms it sorts
(Isabelle's simplifier calls such rules permutative).  ``precedes(a, b)``
compares the sort keys, tuples of flat numbers and bytes:

1. constants first (by value), then any other term, then products (the
   rest of a product chain sorts after its factors), then sums and
   differences (the rest of a sum chain sorts after its terms);
2. then the term without its constant coefficient (``c * m`` and ``0 - m``
   are ``m``) and without a constant exponent (``b ** k`` is ``b``), so
   like terms and like powers end up next to each other; ``m`` is compared
   by its height, then its digest;
3. then the exponent, then the coefficient;
4. last the digest of the whole term.

The digest is a 128-bit BLAKE2b of the node's type, its data fields and its
children's digests: the same in every process (no ``id()``, no ``hash()``),
and distinct for distinct terms barring a collision (two colliding terms
would be incomparable, so neither moves past the other: still sound, still
terminating).  Keys are computed by the one fold and kept as long as the
node lives.
"""

from __future__ import annotations

import hashlib
import math
import weakref

from .functions import Pow
from .nodes import Const, Expr, Mul, Sub, Sum
from .traverse import fold

__all__ = ["precedes", "sort_key"]

#: (height, digest) of each live node.
_known: weakref.WeakKeyDictionary[Expr, tuple[int, bytes]] = weakref.WeakKeyDictionary()
_keys: weakref.WeakKeyDictionary[Expr, tuple[object, ...]] = weakref.WeakKeyDictionary()


def _identity(expr: Expr) -> tuple[int, bytes]:
    """The node's height and digest (children's computed first, by the fold, once each)."""

    def visit(node: Expr, kids: list[tuple[int, bytes]]) -> tuple[int, bytes]:
        known = _known.get(node)
        if known is None:
            digest = hashlib.blake2b(type(node).__name__.encode(), digest_size=16)
            for name in node._field_names:
                value = getattr(node, name)
                if not isinstance(value, Expr):
                    digest.update(f"|{name}={value!r}".encode())
            for _, kid in kids:
                digest.update(kid)
            known = _known[node] = (1 + max((h for h, _ in kids), default=0), digest.digest())
        return known

    return fold(expr, visit, {}, prune=_known.__contains__)  # a known node's children are not walked


def _number(node: Const) -> float:
    try:
        return float(node.value)
    except OverflowError:  # an int beyond float range
        return math.copysign(math.inf, node.value)


def sort_key(expr: Expr) -> tuple[object, ...]:
    """The key ``precedes`` compares (see the module docstring)."""
    key = _keys.get(expr)
    if key is not None:
        return key
    if type(expr) is Const:
        key = (0, _number(expr), _identity(expr)[1])
    else:
        core, coefficient = expr, 1.0
        if type(expr) is Mul and type(expr.x) is Const:
            core, coefficient = expr.y, _number(expr.x)
        elif type(expr) is Sub and type(expr.x) is Const and expr.x.value == 0:
            core, coefficient = expr.y, -1.0
        base, exponent = core, 1.0
        if type(core) is Pow and type(core.y) is Const:
            base, exponent = core.x, _number(core.y)
        rank = 3 if type(core) in (Sum, Sub) else 2 if type(core) is Mul else 1
        height, digest = _identity(base)
        key = (rank, height, digest, exponent, coefficient, _identity(expr)[1])
    _keys[expr] = key
    return key


def precedes(a: Expr, b: Expr) -> bool:
    """Whether ``a`` sorts strictly before ``b``."""
    return sort_key(a) < sort_key(b)
