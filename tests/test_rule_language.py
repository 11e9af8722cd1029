"""The rule language: parse_rule, load_rules, DEFAULT_RULES, and the errors malformed rules raise."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from chainrule import DEFAULT_RULES, Const, Exp, Mul, Rule, RuleError, Sum, Var, load_rules, parse, parse_rule
from chainrule.patterns import Computed, PatternVar
from chainrule.rules import Condition, default_rule_files

x, y = Var("x"), Var("y")


def test_a_named_rule_reads_as_the_math_it_states() -> None:
    rule = parse_rule("zero-plus: 0 + ?x -> ?x")
    assert rule.name == "zero-plus"
    assert rule.lhs == parse("0 + ?x", pattern=lambda name, kind, at: PatternVar(name, kind))
    assert rule.rhs is PatternVar("x")
    assert rule(parse("0 + (x * y)")) is parse("x * y")
    assert rule(parse("1 + x")) is parse("1 + x")  # does not apply: the same object back


def test_an_unnamed_rule_is_named_by_its_text() -> None:
    rule = parse_rule("?x - ?x -> 0")
    assert rule.name == "?x - ?x -> 0"
    assert rule(parse("exp(x) - exp(x)")) is Const(0)


def test_repeated_variables_match_equal_subexpressions_only() -> None:
    rule = parse_rule("?x - ?x -> 0")
    assert rule(parse("(x * y) - (x * y)")) is Const(0)
    assert rule(parse("(x * y) - (y * x)")) is parse("(x * y) - (y * x)")


def test_kinds_restrict_what_a_variable_matches() -> None:
    rule = parse_rule("?a:const * ?x:var -> ?x")
    assert rule(parse("2 * x")) is x
    assert rule(parse("y * x")) is parse("y * x")
    assert rule(parse("2 * (x + 1)")) is parse("2 * (x + 1)")
    nonconst = parse_rule("?x:nonconst * ?a:const -> ?a * ?x")
    assert nonconst(parse("x * 2")) is parse("2 * x")
    assert nonconst(parse("3 * 2")) is parse("3 * 2")


def test_computed_blocks_fold_constants_and_keep_ints_exact() -> None:
    rule = parse_rule("fold: ?a:const * ?b:const -> {?a * ?b}")
    assert isinstance(rule.rhs, Computed)
    assert rule(parse("4 * 1")) is Const(4)
    assert rule(parse("2.5 * 2")) is Const(5.0)
    assert rule(parse("1e200 * 1e200")) is parse("1e200 * 1e200")  # overflow: does not apply
    assert rule(parse("1e-200 * 1e-200")) is parse("1e-200 * 1e-200")  # underflow: does not apply
    over = parse_rule("?a:const / ?b:const -> {?a / ?b}")
    assert over(parse("6 / 3")) is Const(2)
    assert over(parse("1 / 4")) is Const(0.25)
    assert over(parse("1 / 0")) is parse("1 / 0")


def test_a_computed_block_may_sit_inside_a_right_side() -> None:
    rule = parse_rule("?a:const * (?b:const * ?x) -> {?a * ?b} * ?x")
    assert rule(parse("2 * (3 * x)")) is parse("6 * x")


def test_conditions_must_be_proven_for_every_value() -> None:
    rule = parse_rule("split: log(?x * ?y) -> log(?x) + log(?y) if ?x > 0")
    assert rule.conditions == (Condition(PatternVar("x"), ">", 0),)
    assert rule(parse("log((1 + exp(x)) * y)")) is parse("log(1 + exp(x)) + log(y)")
    assert rule(parse("log(x * y)")) is parse("log(x * y)")  # x may be negative
    assert rule(parse("log(exp(x) * y)")) is parse("log(exp(x) * y)")  # exp(x) may underflow to 0
    both = parse_rule("?x / ?y -> 1 if ?x - ?y >= 0 and ?y - ?x >= 0")
    assert both(parse("2 / 2")) is Const(1)
    assert both(parse("2 / 3")) is parse("2 / 3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 + ?x", "'lhs -> rhs'"),
        ("?x -> ?x -> ?x", "more than one"),
        ("?x + 0 -> ?y", "?y"),
        ("?x + ?y -> {?x + ?y}", "?x:const"),
        ("?a:const + x -> {?a + x}", "variable x"),
        ("?a:const -> {{?a}}", "nest"),
        ("?a:const -> {?a", "unbalanced"),
        ("{?a} -> 1", "right side"),
        ("?a:number -> 1", "unknown kind"),
        ("?a:const + ?a:var -> 1", "declared"),
        ("?_hidden -> 1", "'_'"),
        ("0 + -> 1", "left side"),
        ("?x -> (1", "right side"),
        ("?x -> ?x if ?x", "condition"),
        ("?x -> ?x if ?x > y", "number"),
        ("?x -> ?x if ?z > 0", "?z"),
        ("-> ?x", "empty"),
        ("name:", "empty"),
    ],
)
def test_malformed_rules_raise_rule_error(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(text)
    assert message in str(caught.value)
    assert text.strip() in str(caught.value)


def test_rule_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.rules"
    path.write_text("# my rules\n\ngood: ?x * 1 -> ?x\nbad: ?x * 2 -> ?y\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"mine\.rules:4: \?y is not bound by the left side in rule .bad: "):
        load_rules(path)


def test_duplicate_names_in_a_file_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "twice.rules"
    path.write_text("a: ?x * 1 -> ?x\na: ?x + 0 -> ?x\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"twice\.rules:2: .*'a' is already used on line 1"):
        load_rules(path)


def test_a_missing_file_is_a_rule_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="cannot read"):
        load_rules(tmp_path / "nowhere.rules")


def test_load_rules_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "mine.rules"
    path.write_text(
        "# identities\n\n  one: 1 * ?x -> ?x   # trailing comment\n?x / 1 -> ?x\n", encoding="utf-8"
    )
    rules = load_rules(path)
    assert [r.name for r in rules] == ["one", "?x / 1 -> ?x"]
    assert [r.line for r in rules] == [3, 4]
    assert rules[0].source == str(path)


def test_rules_are_frozen_and_compare_by_content() -> None:
    rule = parse_rule("one: 1 * ?x -> ?x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rule.name = "other"  # type: ignore[misc]
    assert rule == parse_rule("one: 1 * ?x -> ?x", line=7)
    assert hash(rule) == hash(parse_rule("one: 1 * ?x -> ?x"))


def test_default_rules_are_a_tuple_of_uniquely_named_rules_from_the_rule_files() -> None:
    assert isinstance(DEFAULT_RULES, tuple)
    assert all(isinstance(rule, Rule) for rule in DEFAULT_RULES)
    names = [rule.name for rule in DEFAULT_RULES]
    assert len(names) == len(set(names))
    files = default_rule_files()
    assert [f.name for f in files] == sorted(f.name for f in files)
    assert {Path(str(rule.source)).name for rule in DEFAULT_RULES} == {f.name for f in files}
    reloaded = tuple(rule for f in files for rule in load_rules(f))
    assert reloaded == DEFAULT_RULES


def test_the_labs_identities_are_in_the_default_table() -> None:
    texts = {str(rule).split(": ", 1)[1] for rule in DEFAULT_RULES}
    for identity in [
        "0 + ?x -> ?x",
        "?x + 0 -> ?x",
        "0 * ?x -> 0",
        "?x * 0 -> 0",
        "1 * ?x -> ?x",
        "0 / ?x -> 0",
    ]:
        assert identity in texts


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda rule: rule.name)
def test_a_rule_prints_as_text_that_parses_back_to_it(rule: Rule) -> None:
    assert parse_rule(str(rule)) == rule


def test_growth_counts_the_nodes_a_right_side_may_add() -> None:
    assert parse_rule("?x * 1 -> ?x").growth == -1
    assert parse_rule("?x - ?x -> 0").growth == 0
    assert parse_rule("?x * ?a:const -> ?a * ?x").growth == 0
    assert parse_rule("?a:const + ?b:const -> {?a + ?b}").growth == 0
    assert parse_rule("?x + ?x -> 2 * ?x").growth == 1
    assert parse_rule("?a:const * (?b:const * ?x) -> {?a * ?b} * ?x").growth == 1


def test_rules_can_be_built_directly_and_are_checked_the_same_way() -> None:
    a = PatternVar("a", "const")
    double = Rule("double", Sum(a, a), Computed(Mul(Const(2), a)))
    assert double(parse("3 + 3")) is Const(6)
    with pytest.raises(RuleError, match="not bound"):
        Rule("bad", PatternVar("x"), PatternVar("y"))


def test_a_pattern_has_no_value() -> None:
    from chainrule import evaluate

    with pytest.raises(TypeError, match=r"\?x is part of a rule pattern"):
        evaluate(parse_rule("?x * 1 -> ?x").lhs, {})


def test_a_rule_built_directly_may_not_give_one_name_two_kinds() -> None:
    # Whether exp(exp(x + x)) matched would depend on which occurrence of ?a binds first.
    lhs = Exp(Exp(Sum(PatternVar("a", "const"), PatternVar("a"))))
    with pytest.raises(RuleError, match=r"\?a is declared as const and as any"):
        Rule("mixed", lhs, Const(0))


# ---------------------------------------------------------------------------------------------------
# Reading rule files: lines end at \n only (issue 13.9), long literals name file and line (13.6)


def test_rule_files_split_only_at_newlines(tmp_path: Path) -> None:
    text = (
        "\ufeff# a byte-order mark, then odd line breaks inside comments\n"
        "one: 0 + ?x -> ?x   # a form feed \x0c, a next-line \x85 and a line separator \u2028 stay here\r\n"
        "two: ?x * 1 -> ?x\n"
    )
    path = tmp_path / "odd.rules"
    path.write_bytes(text.encode("utf-8"))
    rules = load_rules(path)
    assert [(rule.name, rule.line) for rule in rules] == [("one", 2), ("two", 3)]


def test_a_bad_rule_after_an_odd_break_has_its_true_line_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.rules"
    path.write_text("# \x0c\u2028 comment\nok: 0 + ?x -> ?x\nbroken: ?x +\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"bad\.rules:3: "):
        load_rules(path)


def test_a_too_long_literal_in_a_rule_file_is_a_rule_error_with_file_and_line(tmp_path: Path) -> None:
    from chainrule.nodes import MAX_INT_DIGITS

    path = tmp_path / "long.rules"
    path.write_text(
        "ok: 0 + ?x -> ?x\nlong: ?x * " + "9" * (MAX_INT_DIGITS + 1) + " -> ?x\n", encoding="utf-8"
    )
    with pytest.raises(RuleError, match=r"long\.rules:2: .*too long"):
        load_rules(path)
    path.write_text("tiny: ?x * 1e-400 -> ?x\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"long\.rules:1: .*underflows"):
        load_rules(path)
