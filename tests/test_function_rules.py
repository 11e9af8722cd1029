"""The rules about powers and the new functions: what each rewrites, and that each is sound.

The default ones (rules/7-functions.rules) are also property-tested for
soundness with every other default rule in test_soundness.py; the opt-in
POWER_RULES are property-tested here.
"""

from __future__ import annotations

import pytest

from chainrule import DEFAULT_RULES, POWER_RULES, Rule, count_nodes, parse, show, simplify
from chainrule.testing import assert_sound

FUNCTION_RULES = [rule for rule in DEFAULT_RULES if rule.source is not None and "7-functions" in rule.source]
BY_NAME = {rule.name: rule for rule in (*FUNCTION_RULES, *POWER_RULES)}


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        ("pow-one", "(x + y) ** 1", "(x + y)"),
        ("pow-zero", "log(x) ** 0", "1"),
        ("one-pow", "1 ** tanh(x)", "1"),
        ("zero-pow", "0 ** (1 + exp(x))", "0"),
        ("sqrt-times-sqrt", "sqrt(x) * sqrt(x)", "x"),
        ("sqrt-squared", "sqrt(x - 1) ** 2", "(x - 1)"),
        ("sqrt-zero", "sqrt(0)", "0"),
        ("sqrt-one", "sqrt(1)", "1"),
        ("softplus-written-out", "log(1 + exp(-1 * y))", "softplus((-1 * y))"),
        ("sigmoid-written-out", "1 / (1 + exp(-1 * (w * x)))", "sigmoid((w * x))"),
        ("sigmoid-as-ratio", "exp(x) / (1 + exp(x))", "sigmoid(x)"),
        ("sigmoid-symmetry", "sigmoid(x) + sigmoid(-1 * x)", "1"),
        ("one-minus-sigmoid-neg", "1 - sigmoid(-1 * x)", "sigmoid(x)"),
        ("one-minus-sigmoid-exp", "1 - sigmoid(x) * exp(-1 * x)", "sigmoid(x)"),
        ("one-minus-exp-sigmoid", "1 - exp(-1 * x) * sigmoid(x)", "sigmoid(x)"),
        ("sigmoid-neg-times-exp", "sigmoid(-1 * x) * exp(x)", "sigmoid(x)"),
        ("exp-times-sigmoid-neg", "exp(w * x) * sigmoid(-1 * (w * x))", "sigmoid((w * x))"),
        ("softplus-difference", "softplus(x) - softplus(-1 * x)", "x"),
        ("tanh-from-sigmoid", "2 * sigmoid(2 * x) - 1", "tanh(x)"),
        ("sigmoid-zero", "sigmoid(0)", "0.5"),
        ("sin-cos-squares", "sin(x) * sin(x) + cos(x) * cos(x)", "1"),
        ("cos-sin-squares", "cos(x) * cos(x) + sin(x) * sin(x)", "1"),
        ("sin-cos-powers", "sin(x) ** 2 + cos(x) ** 2", "1"),
        ("cos-sin-powers", "cos(x) ** 2 + sin(x) ** 2", "1"),
        ("cos-neg", "cos(-1 * x)", "cos(x)"),
        ("sin-zero", "sin(0)", "0"),
        ("cos-zero", "cos(0)", "1"),
        ("square", "exp(x) * exp(x)", "(exp(x) ** 2)"),
        ("pow-times-pow", "x ** 2 * x ** 3", "(x ** 5)"),
        ("times-pow", "x * x ** -1", "(x ** 0)"),
        ("pow-times", "x ** 0.5 * x", "(x ** 1.5)"),
        ("pow-over-pow", "x ** 3 / x ** 2", "(x ** 1)"),
        ("pow-pow", "((1 + exp(x)) ** 3) ** 0.5", "((1 + exp(x)) ** 1.5)"),
    ],
)
def test_each_rule_rewrites_its_example(name: str, before: str, after: str) -> None:
    rule = BY_NAME[name]
    assert show(rule(parse(before))) == after


def test_every_rule_has_an_example() -> None:
    tested = {name for name, *_ in test_each_rule_rewrites_its_example.pytestmark[0].args[1]}  # type: ignore[attr-defined]
    assert tested == set(BY_NAME)


@pytest.mark.parametrize(
    ("name", "unchanged"),
    [
        ("zero-pow", "0 ** x"),  # x may be negative: 0 ** -1 fails
        ("pow-pow", "(x ** 2) ** 0.5"),  # x = -2: 2 on the left, -2 on the right
        ("pow-pow", "((1 + exp(x)) ** 2) ** 3"),  # |b| > 1 would amplify the rounding of the inner power
        ("pow-times-pow", "x ** y * x ** 2"),  # exponents must be constants
    ],
)
def test_side_conditions_keep_unsound_instances_out(name: str, unchanged: str) -> None:
    expr = parse(unchanged)
    assert BY_NAME[name](expr) is expr


def test_default_function_rules_never_grow_a_dag() -> None:
    assert FUNCTION_RULES and all(rule.growth <= 0 for rule in FUNCTION_RULES)
    assert {rule.name for rule in POWER_RULES if rule.growth > 0} == set(BY_NAME) - {
        rule.name for rule in FUNCTION_RULES
    }


@pytest.mark.parametrize("rule", POWER_RULES, ids=lambda rule: rule.name)
def test_power_rule_is_sound(rule: Rule) -> None:
    assert_sound(rule, max_examples=150)


def test_collecting_powers_with_the_optional_table() -> None:
    table = DEFAULT_RULES + POWER_RULES
    assert show(simplify(parse("x * x * x * x"), table)) == "(x ** 4)"
    assert show(simplify(parse("(x * y) * (x * y) * (x * y)"), table)) == "((x * y) ** 3)"
    assert show(simplify(parse("sqrt(x) * sqrt(x) * x"), table)) == "(x ** 2)"
    e = parse("x * x")
    assert simplify(e) is e  # the default table leaves it: x ** 2 has one node more
    assert count_nodes(BY_NAME["square"](e)) == count_nodes(e) + 1


def test_the_lab_loss_reads_as_softplus() -> None:
    loss = parse("fin - fin * y + log(1 + exp(-fin))")
    assert show(simplify(loss)) == "((fin - (fin * y)) + softplus((-1 * fin)))"
