"""``horner``: collect like terms and powers, and print each polynomial part in Horner form.

The rule table rewrites locally, so it cannot see that a sum of products
spread over a DAG is, say, an odd polynomial of degree 9 in tanh(x).  Each
maximal region of + - * (and division by a nonzero constant) is read as a
sparse polynomial over *atoms* (every other subexpression) and written back
only where that frees as many distinct nodes as it adds.  Coefficients stay
exact ints where they can; one that leaves the float range, like a region
past ``MAX_TERMS``, leaves its region as it was.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections import Counter
from functools import reduce

from .nodes import Const, Div, Expr, Mul, Sub, Sum, Var, children
from .strategies import rebuild
from .traverse import count_nodes, descend, fold_cases, postorder

__all__ = ["MAX_PASSES", "MAX_TERMS", "MAX_WEIGHT", "horner"]

#: Most terms a region's polynomial may have before the region is kept as it is.
MAX_TERMS = 64
#: Most passes, each over the previous one's result, to reach a fixed point (so horner is idempotent).
MAX_PASSES = 8
#: Most atom occurrences (plus one per term) in a region's polynomial.
MAX_WEIGHT = 1024

#: A product of atoms: (atom index, exponent) pairs sorted by index; () is the constant term.
Monomial = tuple[tuple[int, int], ...]
Coefficient = int | float
Poly = dict[Monomial, Coefficient]

_LARGEST = int(sys.float_info.max)
_TINY = sys.float_info.min  # below this a product has lost precision (subnormal) or vanished


def horner(expr: Expr) -> Expr:
    """``expr`` with each polynomial region collected and written in Horner form; never larger.

    >>> from chainrule import parse, show
    >>> show(horner(parse("(x + 1) * (x - 1) + x + x")))
    '((x * (2 + x)) - 1)'
    """
    current, size = expr, count_nodes(expr)
    # A region's Horner form depends on the region alone, so later passes look up what earlier ones wrote.
    written: dict[Expr, Expr] = {}
    for _ in range(MAX_PASSES):
        result = _Horner(written).run(current)
        if result is current:
            break
        result_size = count_nodes(result)
        if result_size > size:
            break
        current, size = result, result_size
    return current


def _is_polynomial_op(node: Expr) -> bool:
    """Whether ``node`` belongs to a polynomial region (rather than being an atom of one)."""
    kind = type(node)
    if kind is Div:
        divisor = children(node)[1]
        return type(divisor) is Const and divisor.value != 0
    return kind is Sum or kind is Sub or kind is Mul or kind is Const


def _evaluated(value: Coefficient) -> Coefficient:
    """A constant as evaluate reads it: an int a float cannot hold (2**53 + 1) is its float's value."""
    if type(value) is int and not -(2**53) <= value <= 2**53:
        try:
            return int(float(value))
        except OverflowError:  # beyond the float range: _fits refuses it
            return value
    return value


def _fits(value: Coefficient) -> bool:
    """Whether a computed coefficient is trustworthy: finite and within the float range."""
    if type(value) is int:
        return -_LARGEST <= value <= _LARGEST
    return math.isfinite(value)


def _nonzero(value: Coefficient) -> Coefficient | None:
    """A product or quotient of nonzero coefficients, or None when it overflowed or underflowed."""
    if type(value) is float and abs(value) < _TINY:
        return None  # underflow to a subnormal or zero
    return value if _fits(value) else None


def _quotient(a: Coefficient, d: Coefficient) -> Coefficient | None:
    if type(a) is int and type(d) is int and a % d == 0:
        return a // d
    return _nonzero(a / d)


def _bounded(poly: Poly) -> Poly | None:
    return poly if len(poly) <= MAX_TERMS and sum(1 + len(m) for m in poly) <= MAX_WEIGHT else None


def _add(poly: Poly, m: Monomial, c: Coefficient) -> bool:
    """Add the term c*m into ``poly``; False when the coefficient leaves the float range."""
    value = poly.get(m, 0) + c
    if not _fits(value):
        return False
    if value == 0:
        poly.pop(m, None)
    else:
        poly[m] = value
    return True


def _plus(a: Poly, b: Poly, sign: int) -> Poly | None:
    total = dict(a)
    if all(_add(total, m, c if sign > 0 else -c) for m, c in b.items()):
        return _bounded(total)
    return None


def _merge(m: Monomial, n: Monomial) -> Monomial:
    """The product of two monomials (exponents of a shared atom add)."""
    if not m:
        return n
    if not n:
        return m
    powers = dict(m)
    for atom, k in n:
        powers[atom] = powers.get(atom, 0) + k
    return tuple(sorted(powers.items()))


def _times_poly(a: Poly, b: Poly) -> Poly | None:
    product: Poly = {}
    for m, c in a.items():
        for n, d in b.items():
            term = _nonzero(c * d)
            if term is None or not _add(product, _merge(m, n), term):
                return None
    return _bounded(product)


def _over(a: Poly, d: Coefficient) -> Poly | None:
    result = {m: q for m, c in a.items() if (q := _quotient(c, d)) is not None}
    return result if len(result) == len(a) else None


class _Horner:
    """One pass's state: polynomials of region nodes, processed atoms and their canonical order."""

    def __init__(self, written: dict[Expr, Expr]) -> None:
        self.written = written  # region as rebuilt -> its Horner form, from this call's earlier passes
        self.poly: dict[Expr, Poly | None] = {}
        self.plain: dict[Expr, Expr] = {}  # a within-cap region node rebuilt over processed atoms
        self.out: dict[Expr, Expr] = {}  # the final form of an atom, a kept node, or an emitted root
        self.uses: Counter[Expr] = Counter()  # parent edges of each node in the input DAG
        self.atoms: dict[Expr, int] = {}
        self.atom_list: list[Expr] = []
        self.fingerprints: dict[Expr, bytes] = {}

    def run(self, root: Expr) -> Expr:
        poly, plain, out = self.poly, self.plain, self.out
        order = list(postorder(root))
        self.uses.update(kid for node in order for kid in children(node))
        for node in order:
            kids = children(node)
            if _is_polynomial_op(node):
                found = poly[node] = self._read(node)
                if found is None:
                    out[node] = rebuild(node, [self._final(k) for k in kids])
                else:
                    plain[node] = rebuild(node, [plain[k] if k in plain else out[k] for k in kids])
            else:
                atom = rebuild(node, [self._final(k) for k in kids])
                if type(atom) is Div:
                    if _is_polynomial_op(atom):  # the divisor came out a nonzero constant: a region node
                        self._divided(node, atom)
                        continue
                    atom = _cancel(atom)
                out[node] = atom
                index = self.atoms.get(atom)
                if index is None:
                    index = self.atoms[atom] = len(self.atom_list)
                    self.atom_list.append(atom)
                poly[node] = {((index, 1),): 1}
        return self._final(root)

    def _divided(self, node: Expr, division: Expr) -> None:
        """A division whose divisor is a nonzero constant once processed, read like one written so.

        Atoms are never region nodes, so every pass reads an expression the same way.
        """
        top, divisor = children(node)[0], children(division)[1]
        numerator = self.poly[top]
        found = self.poly[node] = None if numerator is None else _over(numerator, _evaluated(divisor.value))  # type: ignore[attr-defined]
        if found is None:
            self.out[node] = division
        else:
            self.plain[node] = Div(self.plain[top] if top in self.plain else self.out[top], divisor)

    def _read(self, node: Expr) -> Poly | None:
        """The node's polynomial from its children's, or None when a child's is missing or it is too big."""
        kind = type(node)
        if kind is Const:
            return {(): _evaluated(node.value)} if node.value else {}  # type: ignore[attr-defined]
        a, b = (self.poly[kid] for kid in children(node))
        if a is None or b is None:
            return None
        if kind is Sum or kind is Sub:
            return _plus(a, b, 1 if kind is Sum else -1)
        if kind is Mul:
            return _times_poly(a, b)
        return _over(a, _evaluated(children(node)[1].value))  # type: ignore[attr-defined]

    def _final(self, node: Expr) -> Expr:
        """The node's output: its Horner form if it roots a region and that frees as many nodes as it adds."""
        found = self.out.get(node)
        if found is not None:
            return found
        plain = self.plain[node]
        if type(node) is Const:
            result = plain
        else:
            poly = self.poly[node]
            assert poly is not None
            freed = self._freed(node)
            candidate = self.written.get(plain)
            if candidate is None and _fewest_nodes(poly) > freed:
                result = plain  # no Horner form could be small enough: do not write one
            else:
                if candidate is None:
                    candidate = self.written[plain] = _Writer(self, poly).write()
                    self.written[candidate] = candidate  # a Horner form is its own Horner form
                result = candidate if _region_size(candidate) <= freed else plain
        self.out[node] = result
        return result

    def _freed(self, root: Expr) -> int:
        """Region nodes (atoms aside) that replacing ``root`` frees: those used only from freed nodes.

        A node the region shares with the rest of the DAG stays alive whatever
        happens to this region, so it is no saving.
        """
        uses = self.uses
        taken: dict[Expr, int] = {}

        def freed_too(kid: Expr) -> bool:  # asked once per edge from a freed node
            if not _is_polynomial_op(kid):
                return False
            count = taken[kid] = taken.get(kid, 0) + 1
            return count == uses[kid]

        return descend(root, freed_too, _REGION_BUDGET + 1)

    def key(self, atom: Expr) -> tuple[int, str, bytes]:
        """A canonical order of atoms, independent of traversal order: variables by name, then the rest."""
        if type(atom) is Var:
            return (0, atom.name, b"")
        return (1, "", fold_cases(atom, lambda kind: _fingerprint, self.fingerprints))  # memo: once per atom


#: Most nodes counted when weighing one region (beyond it, the region counts as this large).
_REGION_BUDGET = 4 * MAX_WEIGHT
#: Most factors looked at on each side of a division.
_MAX_FACTORS = 64


def _factors(expr: Expr) -> list[Expr] | None:
    """The factors of a product, left to right (None when there are too many to look at)."""
    if type(expr) is not Mul:
        return [expr]
    found: list[Expr] = []

    def into_product(kid: Expr) -> bool:
        if type(kid) is Mul:
            return True
        found.append(kid)
        return False

    # A product of n factors has n - 1 Mul nodes; the walk enters the right operand first.
    if descend(expr, into_product, _MAX_FACTORS) >= _MAX_FACTORS:
        return None
    found.reverse()
    return found


def _cancel(division: Expr) -> Expr:
    """(a * b) / (b * c) as a / c: cancel the non-constant factors the two products share.

    Only while a non-constant divisor is left (a / 1 or a / 3 would be no atom).

    Sound where the division is defined: there every cancelled factor is finite
    and nonzero (the quotient rule's (da * b - 0 * a) / (b * b) is da / b).
    """
    top, bottom = _factors(children(division)[0]), _factors(children(division)[1])
    if top is None or bottom is None:
        return division
    shared = Counter(top) & Counter(factor for factor in bottom if type(factor) is not Const)
    if not shared:
        return division
    kept_top, kept_bottom = _without(top, shared), _without(bottom, shared)
    if all(type(factor) is Const for factor in kept_bottom):
        return division  # keep a division by something non-constant, so the result stays an atom
    return Div(reduce(Mul, kept_top) if kept_top else Const(1), reduce(Mul, kept_bottom))


def _without(factors: list[Expr], cancelled: Counter[Expr]) -> list[Expr]:
    """``factors`` without the first ``cancelled[f]`` occurrences of each f, in order."""
    left = cancelled.copy()
    kept: list[Expr] = []
    for factor in factors:
        if left[factor]:
            left[factor] -= 1
        else:
            kept.append(factor)
    return kept


def _fingerprint(node: Expr, *kids: bytes) -> bytes:
    """A stable structural hash (the same in every process, unlike ``hash`` of a str)."""
    digest = hashlib.blake2b(type(node).__qualname__.encode(), digest_size=12)
    if not kids:
        for name in type(node)._field_names:
            digest.update(repr(getattr(node, name)).encode())
    for kid in kids:
        digest.update(kid)
    return digest.digest()


def _fewest_nodes(poly: Poly) -> int:
    """A lower bound on the region size of the polynomial's Horner form.

    k terms need k - 1 additions or subtractions, every distinct coefficient
    magnitude other than 1 a constant (the constant term one even when it is
    1), and a term of degree 2 or more a product.
    """
    magnitudes = {abs(c) for m, c in poly.items() if not m or (c != 1 and c != -1)}
    products = any(len(m) > 1 or (m and m[0][1] > 1) for m in poly)
    return max(len(poly) - 1, 0) + len(magnitudes) + products


def _region_size(root: Expr) -> int:
    """Distinct nodes of the region under ``root``, atoms aside."""
    seen = {root}

    def unseen_in_region(kid: Expr) -> bool:
        if kid in seen or not _is_polynomial_op(kid):
            return False
        seen.add(kid)
        return True

    return descend(root, unseen_in_region)


class _Writer:
    """Writes one polynomial as a recursive Horner scheme, a function of the polynomial alone.

    Atoms are ranked in canonical order; a common monomial factor is pulled
    out, then the atom in most terms (lowest rank on a tie) splits the
    polynomial as R + a^k * Q.  Powers are built by squaring, and interning
    shares them (t*t is one node however often it occurs).  Signs come out
    as subtractions rather than -1 factors where they can.
    """

    def __init__(self, state: _Horner, poly: Poly) -> None:
        used = sorted({atom for m in poly for atom, _ in m}, key=lambda i: state.key(state.atom_list[i]))
        self.rank = {atom: r for r, atom in enumerate(used)}
        self.expr = [state.atom_list[i] for i in used]
        self.poly = {tuple(sorted((self.rank[a], k) for a, k in m)): c for m, c in poly.items()}
        self.powers: dict[tuple[int, int], Expr] = {}

    def write(self) -> Expr:
        expr, negated = self._form(self.poly)
        if not negated:
            return expr
        if type(expr) is Const:
            return Const(-expr.value)
        if type(expr) is Mul:
            factor, rest = children(expr)
            if type(factor) is Const:
                return Mul(Const(-factor.value), rest)
        return Mul(Const(-1), expr)

    def _form(self, poly: Poly) -> tuple[Expr, bool]:
        """(e, negated): e is the polynomial, or its negation when ``negated``."""
        if len(poly) == 1:
            ((m, c),) = poly.items()
            return self._term(m, c)
        if not poly:
            return Const(0), False
        common = _common(poly)
        if common:
            inner, negated = self._form({_divide(m, common): c for m, c in poly.items()})
            return Mul(self._monomial(common), inner), negated
        atom = _splitter(poly)
        low = min(k for m in poly for a, k in m if a == atom)
        with_atom = {_divide(m, ((atom, low),)): c for m, c in poly.items() if atom in dict(m)}
        rest = {m: c for m, c in poly.items() if atom not in dict(m)}
        if len(with_atom) == 1:
            ((m, c),) = with_atom.items()
            term, term_negated = self._term(_merge(m, ((atom, low),)), c)
        else:
            inner, term_negated = self._form(with_atom)
            term = Mul(self._power(atom, low), inner)
        if not rest:
            return term, term_negated
        others, others_negated = self._form(rest)
        if others_negated == term_negated:
            return Sum(others, term), others_negated
        if term_negated:
            return Sub(others, term), False
        return Sub(term, others), False

    def _term(self, m: Monomial, c: Coefficient) -> tuple[Expr, bool]:
        if m and (c == 1 or c == -1):
            return self._monomial(m), c < 0
        magnitude = Const(abs(c))
        return (Mul(magnitude, self._monomial(m)) if m else magnitude), c < 0

    def _monomial(self, m: Monomial) -> Expr:
        return reduce(Mul, (self._power(atom, k) for atom, k in m))

    def _power(self, atom: int, k: int) -> Expr:
        """atom ** k by squaring, so each power is a few shared products."""
        found = self.powers.get((atom, k))
        if found is not None:
            return found
        if k == 1:
            result = self.expr[atom]
        else:
            half = self._power(atom, k // 2)
            result = Mul(half, half)
            if k % 2:
                result = Mul(result, self.expr[atom])
        self.powers[(atom, k)] = result
        return result


def _common(poly: Poly) -> Monomial:
    """The largest monomial dividing every term."""
    terms = iter(poly)
    lowest = dict(next(terms))
    for m in terms:
        powers = dict(m)
        lowest = {a: min(k, powers[a]) for a, k in lowest.items() if a in powers}
        if not lowest:
            return ()
    return tuple(sorted(lowest.items()))


def _divide(m: Monomial, d: Monomial) -> Monomial:
    """m / d, for d dividing m (m's order kept: it is sorted)."""
    powers = dict(d)
    return tuple((atom, k - powers.get(atom, 0)) for atom, k in m if k != powers.get(atom, 0))


def _splitter(poly: Poly) -> int:
    """The atom occurring in most terms; the highest-ranked among equals (so y + z reads in order)."""
    counts = Counter(atom for m in poly for atom, _ in m)
    return -min((-count, -atom) for atom, count in counts.items())[1]
