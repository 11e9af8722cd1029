"""Hypothesis strategies for chainrule expressions, and ``assert_sound`` for rewrite rules.

For users' property tests and ours.  Requires the ``hypothesis`` package
(a test dependency, not a runtime one).
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable, Sequence

try:
    import hypothesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # a plain install: hypothesis is the [testing] extra
    raise ImportError(
        "chainrule.testing needs hypothesis: pip install 'chainrule[testing]' (or hypothesis)"
    ) from None

from . import functions as _functions  # noqa: F401  (its node types are in operators() below)
from .define import FUNCTION_NODES
from .errors import EvaluationError
from .evaluate import evaluate
from .nodes import Const, Exp, Expr, Mul, Sum, TanH, Var, operators
from .parse import _binary
from .patterns import KINDS, pattern_vars
from .rules import Rule, instantiate
from .soundness import Unsound, check_rewrite
from .traverse import postorder

__all__ = [
    "EDGES",
    "assert_sound",
    "constants",
    "environments",
    "expressions",
    "instantiations",
    "near",
    "overflow_targets",
]

# Read off the node types' ``op`` records (nodes.py): the parser's infix table, and its unary twin.
_BINARY: dict[str, Callable[[Expr, Expr], Expr]] = {symbol: cls for symbol, (_, cls) in _binary().items()}
_UNARY: dict[str, Callable[[Expr], Expr]] = {
    cls.op.symbol: cls for cls in operators() if cls.op and cls.op.symbol and not cls.op.infix
}
#: What ``expressions`` draws unless told otherwise: every built-in node type.
OPERATORS = tuple(_BINARY)
FUNCTIONS = tuple(_UNARY)


def _unary(name: str) -> Callable[[Expr], Expr] | None:
    """A function node type by name: the library's, or one added with ``define_function``."""
    return _UNARY.get(name) or FUNCTION_NODES.get(name)


def constants(
    min_value: float = -10.0, max_value: float = 10.0, *, floats: bool = True
) -> st.SearchStrategy[Const]:
    """Small integer constants (the common case in rules) and, optionally, finite floats."""
    ints = st.integers(int(min_value), int(max_value)).map(Const)
    if not floats:
        return ints
    reals = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False).map(Const)
    return st.one_of(ints, reals)


def expressions(
    variables: Sequence[str] = ("x", "y"),
    *,
    operators: Sequence[str] = OPERATORS,
    functions: Sequence[str] = FUNCTIONS,
    leaves: st.SearchStrategy[Expr] | None = None,
    max_leaves: int = 12,
    extra_nodes: Sequence[type[Expr]] = (),
) -> st.SearchStrategy[Expr]:
    """Random expressions over ``variables`` built from the given operators and functions.

    By default every built-in node type (``OPERATORS``, ``FUNCTIONS``); a function
    added with ``define_function`` is drawn when named in ``functions``.
    ``extra_nodes`` adds node types of your own (``extra_nodes=[Sine, Cosine]``):
    each is built from as many random subexpressions as it has fields, so
    property tests reach rules about your nodes.

    >>> from hypothesis import given
    >>> @given(expressions(("x",)))
    ... def test(e): ...
    """
    unknown = [op for op in operators if op not in _BINARY] + [f for f in functions if _unary(f) is None]
    if unknown:
        raise ValueError(f"unknown operators or functions: {unknown}")
    for kind in extra_nodes:
        if not (isinstance(kind, type) and issubclass(kind, Expr) and kind._field_names):
            raise TypeError(f"extra_nodes takes node classes with fields (Expr subclasses), got {kind!r:.80}")
    if leaves is None:
        choices: list[st.SearchStrategy[Expr]] = [constants()]
        if variables:
            choices.insert(0, st.sampled_from([Var(v) for v in variables]))
        leaves = st.one_of(choices)

    def extend(inner: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        options: list[st.SearchStrategy[Expr]] = []
        if operators:
            options.append(
                st.builds(lambda op, a, b: _BINARY[op](a, b), st.sampled_from(operators), inner, inner)
            )
        options.extend(st.builds(build, inner) for f in functions if (build := _unary(f)) is not None)
        options.extend(st.builds(kind, *[inner] * len(kind._field_names)) for kind in extra_nodes)
        return st.one_of(options)

    if not operators and not functions and not extra_nodes:
        return leaves
    return st.recursive(leaves, extend, max_leaves=max_leaves)


#: Where floating point parts from the reals: the largest finite numbers (and half of them), the
#: smallest normal and subnormal numbers, signed zeros, the neighbours of 1, and the square roots
#: of the extremes (where a square overflows or underflows).
EDGES: tuple[float, ...] = tuple(
    sign * value
    for value in (
        sys.float_info.max,
        sys.float_info.max / 2,
        math.nextafter(sys.float_info.max, 0.0),
        sys.float_info.min,
        5e-324,
        0.0,
        1.0,
        math.nextafter(1.0, 2.0),
        math.nextafter(1.0, 0.0),
        math.sqrt(sys.float_info.max),
        2.0**-537,
    )
    for sign in (1.0, -1.0)
)

#: How many representable steps (ulps) either side of a target ``near`` values stray.
ULPS = 4


def near(targets: Sequence[float], ulps: int = ULPS) -> st.SearchStrategy[float]:
    """Finite floats within ``ulps`` representable steps of one of ``targets`` (inf and NaN skipped)."""
    values = sorted({value for target in targets if math.isfinite(target) for value in _window(target, ulps)})
    return st.sampled_from(values) if values else st.nothing()


def _window(target: float, ulps: int) -> list[float]:
    """The finite floats within ``ulps`` representable steps of ``target``, in order."""
    values = [target]
    for towards in (-math.inf, math.inf):
        value = target
        for _ in range(ulps):
            value = math.nextafter(value, towards)
            values.append(value)
    return sorted(value for value in values if math.isfinite(value))


def overflow_targets(constants: Sequence[float]) -> list[float]:
    """Values of a variable that take a sum or product with one of ``constants`` to the overflow
    edge: ``±max - c`` and ``±max / c``."""
    top = sys.float_info.max
    targets: list[float] = []
    for c in {float(c) for c in constants}:
        if math.isfinite(c):
            targets += [top - c, -top - c] + ([top / c, -top / c] if c else [])
    return [t for t in targets if math.isfinite(t)]


def environments(
    variables: Sequence[str] = ("x", "y"),
    min_value: float = -5.0,
    max_value: float = 5.0,
    *,
    edges: bool = False,
    targets: Sequence[float] = (),
) -> st.SearchStrategy[dict[str, float]]:
    """Values for ``variables``: finite floats in [min_value, max_value], small integers favoured.

    ``edges=True`` also draws ``EDGES``, and ``targets`` values within a few ulps of the given
    numbers: where rewrites exact in the reals break in floating point.
    """
    ordinary = st.one_of(
        st.integers(int(min_value), int(max_value)).map(float),
        st.floats(min_value, max_value, allow_nan=False, allow_infinity=False),
    )
    choices = [ordinary]
    if edges:
        choices.append(st.sampled_from(EDGES))
    if any(math.isfinite(t) for t in targets):
        choices += [near(targets), near(targets)]
    return st.fixed_dictionaries({name: st.one_of(choices) for name in variables})


def _signed(inner: Expr, negative: bool, shift: int) -> Expr:
    """An expression provably positive (or negative) for every value of its variables."""
    positive: Expr = Sum(Const(shift), Exp(inner)) if shift > 1 else Exp(TanH(inner))
    return Mul(Const(-1), positive) if negative else positive


def _of_kind(kind: str | None, variables: Sequence[str]) -> st.SearchStrategy[Expr]:
    numbers = st.one_of(
        constants(),
        st.sampled_from([Const(0), Const(1), Const(-1), Const(2), Const(0.5), Const(0.0)]),
        # Huge and tiny numbers: where floating point differs from the reals (overflow, underflow).
        st.sampled_from(
            [Const(v) for v in (1e308, -1e308, 1e300, -1e300, 1e-300, 1e200, 1e-200, 1e154, 5e-324)]
        ),
        # The ulp of max and half of it (a sum that lands on max's rounding boundary), and integers
        # a float cannot hold (a fold computes them exactly, evaluation rounds them first).
        st.sampled_from([Const(v) for v in (2.0**971, -(2.0**971), 2.0**970, -(2.0**970))]),
        st.sampled_from([Const(v) for v in (2**53 + 1, -(2**53) - 1, 3 * 2**53 + 1, 10**17 + 1)]),
        st.floats(allow_nan=False, allow_infinity=False).map(Const),
    )
    if kind == "const":
        return numbers
    names = st.sampled_from([Var(v) for v in variables]) if variables else st.nothing()
    if kind == "var":
        return names
    general = expressions(variables, max_leaves=6)
    signed = st.builds(_signed, general, st.booleans(), st.integers(1, 3))
    # Plain variables often: a value at the float boundary then reaches the rule's operations as it is.
    anything = st.one_of(names, general, signed, numbers, names)
    return anything if kind is None else anything.filter(KINDS[kind])


def instantiations(rule: Rule, variables: Sequence[str] = ("x", "y")) -> st.SearchStrategy[dict[str, Expr]]:
    """Random subexpressions for each pattern variable of ``rule``'s left side, of the variable's kind.

    Besides random expressions, some are provably positive or negative
    (such as ``2 + exp(x)``), so that side conditions hold often enough.  For
    the same reason a constant is sometimes drawn as another's copy, negation
    or reciprocal: rules relate their constants (``?a * ?b`` exactly 1).
    """
    found = pattern_vars(rule.lhs)
    drawn = st.fixed_dictionaries({name: _of_kind(var.kind, variables) for name, var in found.items()})
    constant_names = [name for name, var in found.items() if var.kind == "const"]
    if len(constant_names) < 2:
        return drawn
    relations = st.sampled_from([None, float, operator.neg, _reciprocal])  # copy, negation, reciprocal
    return st.builds(_relate, drawn, relations, st.permutations(constant_names))


def _reciprocal(value: float) -> float:
    return 1.0 / value if value else 1.0


def _relate(
    bindings: dict[str, Expr], relation: Callable[[float], float] | None, names: list[str]
) -> dict[str, Expr]:
    if relation is None:
        return bindings
    first = bindings[names[0]]
    value = relation(float(first.value))  # type: ignore[attr-defined]
    return {**bindings, names[1]: Const(value)} if math.isfinite(value) else bindings


def assert_sound(
    rule_or_rules: Rule | Sequence[Rule],
    *,
    variables: Sequence[str] = ("x", "y"),
    max_examples: int = 200,
    seed: int | None = None,
) -> None:
    """Property-test that each rule is sound; fail with a minimal counterexample if one is not.

    Sound as ``chainrule.soundness`` checks it, at random and boundary values
    (``EDGES``) and a few ulps around where a constant the rewrite made meets
    the overflow edge.  A rule that never applies to a finite example fails
    too, since nothing was shown.  ``seed`` makes the run repeatable.

    >>> from chainrule import parse_rule
    >>> assert_sound(parse_rule("?x * 1 -> ?x"), max_examples=20)
    """
    rules = (rule_or_rules,) if isinstance(rule_or_rules, Rule) else tuple(rule_or_rules)
    for rule in rules:
        if not isinstance(rule, Rule):
            raise TypeError(f"assert_sound expects Rule objects, got {type(rule).__name__}")
        _assert_rule_sound(rule, tuple(variables), max_examples, seed)


def _assert_rule_sound(rule: Rule, variables: tuple[str, ...], max_examples: int, seed: int | None) -> None:
    checked = 0

    # Ordinary values, wide ones, and the float boundaries; the few ulps where this instance's sums
    # and products meet max are probed around each drawn point below (not drawn: too narrow to hit).
    places = st.one_of(
        environments(variables), environments(variables, -1e4, 1e4), environments(variables, edges=True)
    )

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(bindings=instantiations(rule, variables), env=places)
    def rewrite_keeps_value(bindings: dict[str, Expr], env: dict[str, float]) -> None:
        nonlocal checked
        before = instantiate(rule.lhs, bindings)
        after = rule(before)
        if after is before:
            return  # the rule declined (a condition or a fold): nothing to check
        matched = rule.match(before)
        assert matched is not None
        if check_rewrite(before, after, env, matched, rule.name):
            checked += 1
        # The overflow edge is a few ulps wide: probe it around each target rather than hope to draw
        # it, in this instance and in the same one with its general subexpressions taken as a plain
        # variable (whose value then reaches the rule's own operations unchanged).
        for instance in (bindings, _plain(rule, bindings, variables)):
            _probe_edges(rule, instance, env)

    run = rewrite_keeps_value if seed is None else hypothesis.seed(seed)(rewrite_keeps_value)
    try:
        run()
    except Unsound as found:
        # The message already shows the (shrunk) instance and environment: drop hypothesis's notes.
        raise Unsound(str(found)) from None
    if checked == 0:
        raise AssertionError(
            f"assert_sound: {rule.name} never rewrote an expression that evaluates to a finite number "
            f"in {max_examples} examples, so its soundness was not tested"
        )


def _plain(rule: Rule, bindings: dict[str, Expr], variables: tuple[str, ...]) -> dict[str, Expr]:
    """``bindings`` with each pattern variable that accepts a plain variable bound to the first one."""
    if not variables:
        return bindings
    plain, found = Var(variables[0]), pattern_vars(rule.lhs)
    return {
        name: plain if (kind := found[name].kind) is None or KINDS[kind](plain) else bound
        for name, bound in bindings.items()
    }


def _probe_edges(rule: Rule, bindings: dict[str, Expr], env: dict[str, float]) -> None:
    """Check the rewrite of this instance at the points near ``env`` where it meets the overflow edge."""
    before = instantiate(rule.lhs, bindings)
    after = rule(before)
    if after is before:
        return
    matched = rule.match(before)
    assert matched is not None  # the rule rewrote it
    used = {node.name for node in postorder(after) if isinstance(node, Var) and node.name in env}
    for probe in _probes(used, env, _targets(before, after)):
        if _fails(after, probe) and not _fails(before, probe):
            check_rewrite(before, after, probe, matched, rule.name)  # raises Unsound


def _targets(before: Expr, after: Expr) -> list[float]:
    """Where the rewritten side meets the overflow edge: a constant the rewrite made (a fold) is where
    the rounding changed, so ``c * x`` and ``c + x`` with x near max / c and max - c can part."""
    kept = {n for n in postorder(before) if isinstance(n, Const)}
    made = [n.value for n in postorder(after) if isinstance(n, Const) and n not in kept]
    return sorted(set(overflow_targets(made[:4])))


def _fails(expr: Expr, env: dict[str, float]) -> bool:
    try:
        evaluate(expr, env)
    except EvaluationError:
        return True
    return False


def _probes(
    moved: set[str], env: dict[str, float], targets: list[float], ulps: int = 3
) -> list[dict[str, float]]:
    """``env`` with one of the ``moved`` variables moved to within ``ulps`` steps of each target."""
    values = [value for target in targets for value in _window(target, ulps)]
    return [{**env, name: value} for name in moved for value in values]
