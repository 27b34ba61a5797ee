"""The loan rule matrix: shipped defaults, which row wins, and librarians' edits."""

from __future__ import annotations

import pytest

from server.circulation.rules import (
    ANY,
    DEFAULT_KEY,
    DEFAULT_RULES,
    NOT_FOR_LOAN,
    LoanRule,
    Policy,
    RuleKey,
    RuleMatrix,
)


def test_an_adult_borrows_a_book_for_four_weeks_with_three_renewals() -> None:
    rule = DEFAULT_RULES.rule_for("main", "adult", "book")
    assert (rule.loan_days, rule.renewals, rule.max_items) == (28, 3, 30)
    assert rule.for_loan
    assert rule.fine_per_day_cents > 0
    assert rule.fine_cap_cents is not None


def test_a_child_borrows_for_three_weeks_up_to_twenty_items_without_fines() -> None:
    rule = DEFAULT_RULES.rule_for("main", "child", "book")
    assert (rule.loan_days, rule.max_items, rule.fine_per_day_cents) == (21, 20, 0)
    assert DEFAULT_RULES.rule_for("main", "child", "dvd").fine_per_day_cents == 0


def test_reference_items_are_not_lent_to_anyone_anywhere() -> None:
    for category in ("adult", "child", "student", "staff", "visitor"):
        for branch in ("main", "east"):
            assert not DEFAULT_RULES.rule_for(branch, category, "reference").for_loan


def test_dvds_go_for_a_week() -> None:
    match = DEFAULT_RULES.match("main", "adult", "dvd")
    assert match.key == RuleKey(item_type="dvd")
    assert match.rule.loan_days == 7


def test_an_unknown_category_or_item_type_falls_back_to_the_default_row() -> None:
    match = DEFAULT_RULES.match("annex", "visitor", "zine")
    assert match.key == DEFAULT_KEY


def _every_row() -> RuleMatrix:
    """One row per kind of match, each lending for a different number of days."""
    keys = [
        RuleKey("east", "child", "dvd"),
        RuleKey(ANY, "child", "dvd"),
        RuleKey("east", ANY, "dvd"),
        RuleKey(ANY, ANY, "dvd"),
        RuleKey("east", "child", ANY),
        RuleKey(ANY, "child", ANY),
        RuleKey("east", ANY, ANY),
        DEFAULT_KEY,
    ]
    return RuleMatrix({key: LoanRule(loan_days=days) for days, key in enumerate(keys, 1)})


def test_the_most_specific_row_wins_item_type_then_category_then_branch() -> None:
    matrix = _every_row()
    seen = []
    for _ in range(8):
        match = matrix.match("east", "child", "dvd")
        seen.append(match.rule.loan_days)
        if match.key != DEFAULT_KEY:
            matrix = matrix.without_rule(match.key)
    assert seen == [1, 2, 3, 4, 5, 6, 7, 8]


def test_exact_beats_item_type_only_beats_category_only_beats_default() -> None:
    exact = RuleKey("main", "adult", "dvd")
    by_type = RuleKey(item_type="dvd")
    by_category = RuleKey(category="adult")
    matrix = RuleMatrix(
        {
            DEFAULT_KEY: LoanRule(loan_days=28),
            by_category: LoanRule(loan_days=21),
            by_type: LoanRule(loan_days=7),
            exact: LoanRule(loan_days=3),
        }
    )
    assert matrix.match("main", "adult", "dvd").key == exact
    assert matrix.match("east", "adult", "dvd").key == by_type
    assert matrix.match("east", "adult", "book").key == by_category
    assert matrix.match("east", "child", "book").key == DEFAULT_KEY


def test_a_branch_row_refines_its_own_kind_but_never_lends_a_reference_item() -> None:
    matrix = DEFAULT_RULES.with_rule(RuleKey(branch="east"), LoanRule(loan_days=14))
    assert matrix.rule_for("east", "visitor", "book").loan_days == 14
    assert matrix.rule_for("main", "visitor", "book").loan_days == 28
    assert not matrix.rule_for("east", "visitor", "reference").for_loan


def test_loans_count_against_the_row_they_were_lent_under() -> None:
    loans = [("main", "book"), ("main", "book"), ("east", "dvd"), ("main", "reference")]
    assert DEFAULT_RULES.loans_under(DEFAULT_KEY, "adult", loans) == 2
    assert DEFAULT_RULES.loans_under(RuleKey(item_type="dvd"), "adult", loans) == 1
    assert DEFAULT_RULES.loans_under(RuleKey(category="child"), "adult", loans) == 0
    assert DEFAULT_RULES.loans_under(RuleKey(category="child"), "child", loans) == 2


def test_edits_make_a_new_matrix_and_leave_the_old_one_alone() -> None:
    key = RuleKey(category="adult", item_type="book")
    edited = DEFAULT_RULES.with_rule(key, LoanRule(loan_days=14))
    assert edited.rule_for("main", "adult", "book").loan_days == 14
    assert DEFAULT_RULES.rule_for("main", "adult", "book").loan_days == 28
    assert edited.without_rule(key).rules == DEFAULT_RULES.rules


def test_the_matrix_does_not_follow_later_changes_to_the_mapping_it_was_built_from() -> None:
    rows = {DEFAULT_KEY: LoanRule()}
    matrix = RuleMatrix(rows)
    rows[RuleKey(item_type="dvd")] = NOT_FOR_LOAN
    assert matrix.rule_for("main", "adult", "dvd").for_loan
    with pytest.raises(TypeError):
        matrix.rules[DEFAULT_KEY] = NOT_FOR_LOAN  # type: ignore[index]


def test_the_default_row_is_required_and_cannot_be_removed() -> None:
    with pytest.raises(ValueError, match=r"default row \(\*, \*, \*\)"):
        RuleMatrix({RuleKey(category="adult"): LoanRule()})
    with pytest.raises(ValueError, match="cannot be removed"):
        DEFAULT_RULES.without_rule(DEFAULT_KEY)
    with pytest.raises(KeyError):
        DEFAULT_RULES.without_rule(RuleKey(branch="nowhere"))


def test_rows_are_listed_wildcards_first_in_a_stable_order() -> None:
    keys = [key for key, _rule in DEFAULT_RULES.rows()]
    assert keys[0] == DEFAULT_KEY
    assert keys == sorted(keys)
    assert len(keys) == len(DEFAULT_RULES.rules)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("loan_days", -1),
        ("renewals", -1),
        ("max_items", -5),
        ("fine_per_day_cents", -10),
        ("fine_cap_cents", -1),
        ("grace_days", -1),
        ("fine_per_day_cents", 0.25),
        ("max_items", True),
    ],
)
def test_a_rule_takes_whole_numbers_of_zero_or_more(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        LoanRule(**{field: value})  # type: ignore[arg-type]


def test_a_rule_that_lends_lends_for_a_day_at_least() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        LoanRule(loan_days=0)
    assert not LoanRule(loan_days=0, for_loan=False).for_loan


def test_a_rule_key_names_a_code_or_the_wildcard() -> None:
    with pytest.raises(ValueError, match="category"):
        RuleKey(category=" ")


def test_the_policy_takes_whole_numbers() -> None:
    assert Policy().max_fines_cents == 1000
    with pytest.raises(ValueError, match="hold_shelf_days"):
        Policy(hold_shelf_days=-1)
