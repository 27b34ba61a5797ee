"""Checkout and renewal decisions: every refusal explained, and staff overrides reported."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.catalog.shapes import ItemStatus
from server.circulation.decisions import (
    Allowed,
    Hold,
    ItemState,
    LoanState,
    PatronStanding,
    Reason,
    Refused,
    may_checkout,
    may_renew,
    renewals_left,
)
from server.circulation.rules import DEFAULT_RULES, LoanRule, Policy

TZ = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=TZ)
ALICE = PatronStanding(
    patron_id=1, category="adult", home_branch="main", card_expires=date(2027, 1, 1)
)
BOOK = ItemState(status=ItemStatus.AVAILABLE, item_type="book", home_branch="main")
RULE = LoanRule(loan_days=28, renewals=2, max_items=3)
LOAN = LoanState(due_at=NOW + timedelta(days=5), renewals_used=0)


def checkout(
    patron: PatronStanding = ALICE,
    item: ItemState = BOOK,
    rule: LoanRule = RULE,
    loans: int = 0,
    **options: object,
) -> Allowed | Refused:
    return may_checkout(patron, item, rule, loans, today=TODAY, **options)  # type: ignore[arg-type]


def renew(
    patron: PatronStanding = ALICE,
    item: ItemState = BOOK,
    loan: LoanState = LOAN,
    rule: LoanRule = RULE,
    **options: object,
) -> Allowed | Refused:
    return may_renew(patron, item, loan, rule, now=NOW, tz=TZ, **options)  # type: ignore[arg-type]


def refused(decision: Allowed | Refused) -> list[tuple[str, str]]:
    assert isinstance(decision, Refused), decision
    assert not decision.allowed
    return [(r.code, r.message) for r in decision.reasons]


def test_a_patron_in_good_standing_borrows_an_available_book() -> None:
    decision = checkout()
    assert decision == Allowed()
    assert decision.allowed
    assert decision.overridden == ()


def test_each_block_is_a_reason_of_its_own() -> None:
    blocked = replace(ALICE, blocked_reasons=("lost card reported", "4 items overdue"))
    assert refused(checkout(blocked)) == [
        ("patron_blocked", "lost card reported"),
        ("patron_blocked", "4 items overdue"),
    ]


def test_the_card_is_valid_through_its_expiry_day() -> None:
    assert checkout(replace(ALICE, card_expires=TODAY)).allowed
    expired = replace(ALICE, card_expires=TODAY - timedelta(days=1))
    assert refused(checkout(expired)) == [("card_expired", "card expired on 2026-03-09")]


def test_fines_refuse_only_over_the_limit() -> None:
    policy = Policy(max_fines_cents=1000)
    assert checkout(replace(ALICE, fines_owed_cents=1000), policy=policy).allowed
    owing = replace(ALICE, fines_owed_cents=1001)
    assert refused(checkout(owing, policy=policy)) == [
        ("fines_over_limit", "owes 10.01 in fines, over the limit of 10.00")
    ]


def test_an_item_on_loan_to_someone_else_is_checked_in_first() -> None:
    lent = replace(BOOK, status=ItemStatus.ON_LOAN, borrower_id=2)
    assert refused(checkout(item=lent)) == [
        ("already_on_loan", "on loan to another patron: check it in first")
    ]


def test_an_item_already_on_loan_to_the_patron_is_renewed_instead() -> None:
    lent = replace(BOOK, status=ItemStatus.ON_LOAN, borrower_id=ALICE.patron_id)
    assert refused(checkout(item=lent)) == [
        ("already_on_loan", "already on loan to this patron: renew it instead")
    ]


def test_a_withdrawn_item_is_not_lent_but_a_missing_one_was_found() -> None:
    assert refused(checkout(item=replace(BOOK, status=ItemStatus.WITHDRAWN))) == [
        ("withdrawn", "withdrawn from the collection")
    ]
    assert checkout(item=replace(BOOK, status=ItemStatus.MISSING)).allowed


def test_a_reference_item_is_for_use_in_the_library() -> None:
    atlas = replace(BOOK, item_type="reference")
    rule = DEFAULT_RULES.rule_for("main", "adult", "reference")
    assert refused(checkout(item=atlas, rule=rule)) == [
        ("not_for_loan", "reference items are for use in the library")
    ]


def test_an_item_someone_else_is_first_in_line_for_is_refused() -> None:
    bob_first = replace(BOOK, holds=(Hold(2, "main"), Hold(ALICE.patron_id, "main")))
    assert refused(checkout(item=bob_first)) == [
        ("on_hold_for_other", "on hold for another patron")
    ]
    trapped_for_bob = replace(bob_first, status=ItemStatus.ON_HOLD_SHELF)
    assert refused(checkout(item=trapped_for_bob))[0][0] == "on_hold_for_other"


def test_the_patron_first_in_line_borrows_the_item_held_for_them() -> None:
    for_alice = replace(
        BOOK,
        status=ItemStatus.ON_HOLD_SHELF,
        holds=(Hold(ALICE.patron_id, "main"), Hold(2, "main")),
    )
    assert checkout(item=for_alice) == Allowed()


def test_the_limit_counts_loans_under_the_same_row() -> None:
    assert checkout(loans=2).allowed
    assert refused(checkout(loans=3)) == [
        ("limit_reached", "3 such items on loan already, the most allowed is 3")
    ]


def test_every_reason_is_listed_patron_first_then_item() -> None:
    everything_wrong = replace(
        ALICE,
        blocked_reasons=("manual",),
        card_expires=date(2020, 1, 1),
        fines_owed_cents=5000,
    )
    held = replace(BOOK, status=ItemStatus.ON_LOAN, borrower_id=2, holds=(Hold(3, "east"),))
    decision = checkout(everything_wrong, held, loans=3)
    assert isinstance(decision, Refused)
    assert decision.codes == [
        Reason.PATRON_BLOCKED,
        Reason.CARD_EXPIRED,
        Reason.FINES_OVER_LIMIT,
        Reason.ALREADY_ON_LOAN,
        Reason.ON_HOLD_FOR_OTHER,
        Reason.LIMIT_REACHED,
    ]


def test_staff_override_a_refusal_and_the_decision_says_which() -> None:
    decision = checkout(loans=3, overrides=["limit_reached"])
    assert isinstance(decision, Allowed)
    assert [(r.code, r.message) for r in decision.overridden] == [
        ("limit_reached", "3 such items on loan already, the most allowed is 3")
    ]


def test_overriding_one_of_two_refusals_still_refuses_and_reports_both_sides() -> None:
    atlas = replace(BOOK, item_type="reference")
    decision = checkout(
        item=atlas,
        rule=DEFAULT_RULES.rule_for("main", "adult", "reference"),
        loans=0,
        patron=replace(ALICE, fines_owed_cents=2000),
        overrides=[Reason.NOT_FOR_LOAN],
    )
    assert isinstance(decision, Refused)
    assert decision.codes == [Reason.FINES_OVER_LIMIT]
    assert [r.code for r in decision.overridden] == [Reason.NOT_FOR_LOAN]


def test_overriding_a_block_sets_aside_every_block() -> None:
    blocked = replace(ALICE, blocked_reasons=("a", "b"))
    decision = checkout(blocked, overrides={"patron_blocked"})
    assert isinstance(decision, Allowed)
    assert [r.message for r in decision.overridden] == ["a", "b"]


def test_overriding_what_was_not_refused_records_nothing() -> None:
    assert checkout(overrides=["card_expired"]) == Allowed(overridden=())


def test_an_unknown_override_code_is_an_error() -> None:
    with pytest.raises(ValueError, match="no_such_reason"):
        checkout(overrides=["no_such_reason"])


# renewals


def test_a_loan_with_renewals_left_is_renewed() -> None:
    assert renew() == Allowed()
    assert renewals_left(RULE, LOAN) == 2


def test_no_renewals_left() -> None:
    used_up = replace(LOAN, renewals_used=2)
    assert renewals_left(RULE, used_up) == 0
    assert refused(renew(loan=used_up)) == [
        ("no_renewals_left", "renewed 2 times, the most allowed is 2")
    ]


def test_a_hold_by_someone_else_blocks_renewal_when_the_rule_says_so() -> None:
    wanted = replace(BOOK, status=ItemStatus.ON_LOAN, holds=(Hold(2, "main"),))
    assert refused(renew(item=wanted)) == [
        ("on_hold_for_other", "another patron is waiting for it")
    ]
    assert renew(item=wanted, rule=replace(RULE, holds_block_renewal=False)).allowed


def test_the_borrowers_own_hold_does_not_block_their_renewal() -> None:
    own = replace(BOOK, status=ItemStatus.ON_LOAN, holds=(Hold(ALICE.patron_id, "main"),))
    assert renew(item=own).allowed


def test_an_overdue_loan_is_not_renewed_unless_the_policy_allows_it() -> None:
    overdue = replace(LOAN, due_at=NOW - timedelta(days=3))
    assert refused(renew(loan=overdue)) == [("overdue", "overdue since 2026-03-07: return it")]
    assert renew(loan=overdue, policy=Policy(renew_overdue=True)).allowed


def test_a_blocked_expired_or_owing_patron_does_not_renew() -> None:
    patron = replace(
        ALICE, blocked_reasons=("manual",), card_expires=date(2026, 3, 1), fines_owed_cents=1500
    )
    decision = renew(patron)
    assert isinstance(decision, Refused)
    assert decision.codes == [
        Reason.PATRON_BLOCKED,
        Reason.CARD_EXPIRED,
        Reason.FINES_OVER_LIMIT,
    ]


def test_an_item_no_longer_for_loan_is_not_renewed() -> None:
    decision = renew(rule=DEFAULT_RULES.rule_for("main", "adult", "reference"))
    assert isinstance(decision, Refused)
    assert decision.codes == [Reason.NOT_FOR_LOAN]
    assert renewals_left(DEFAULT_RULES.rule_for("main", "adult", "reference"), LOAN) == 0


def test_a_renewal_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        may_renew(ALICE, BOOK, LOAN, RULE, now=datetime(2026, 3, 10, 15), tz=TZ)


def test_staff_override_a_renewal_refusal() -> None:
    wanted = replace(BOOK, status=ItemStatus.ON_LOAN, holds=(Hold(2, "main"),))
    decision = renew(
        item=wanted, loan=replace(LOAN, renewals_used=2), overrides=["on_hold_for_other"]
    )
    assert isinstance(decision, Refused)
    assert decision.codes == [Reason.NO_RENEWALS_LEFT]
    decision = renew(
        item=wanted,
        loan=replace(LOAN, renewals_used=2),
        overrides=["on_hold_for_other", "no_renewals_left"],
    )
    assert isinstance(decision, Allowed)
    assert {r.code for r in decision.overridden} == {
        Reason.ON_HOLD_FOR_OTHER,
        Reason.NO_RENEWALS_LEFT,
    }


# a patron never holds more than a row allows

BRANCHES = ("main", "east")
ITEM_TYPES = ("book", "dvd", "reference", "magazine")
attempts = st.lists(
    st.tuples(
        st.sampled_from(["borrow", "borrow", "borrow", "return"]),
        st.sampled_from(BRANCHES),
        st.sampled_from(ITEM_TYPES),
        st.integers(0, 1000),
    ),
    max_size=150,
)


@given(category=st.sampled_from(["adult", "child", "staff", "visitor"]), steps=attempts)
def test_across_any_checkouts_a_patron_never_exceeds_the_maximum(
    category: str, steps: list[tuple[str, str, str, int]]
) -> None:
    matrix = DEFAULT_RULES.with_rule(
        # small limits so the sequences reach them
        DEFAULT_RULES.match("main", category, "book").key,
        LoanRule(loan_days=14, max_items=4),
    ).with_rule(DEFAULT_RULES.match("east", category, "dvd").key, LoanRule(max_items=2))
    patron = replace(ALICE, category=category)
    loans: list[tuple[str, str]] = []
    for action, branch, item_type, pick in steps:
        if action == "return":
            if loans:
                loans.pop(pick % len(loans))
            continue
        match = matrix.match(branch, category, item_type)
        count = matrix.loans_under(match.key, category, loans)
        item = replace(BOOK, item_type=item_type, home_branch=branch)
        decision = may_checkout(patron, item, match.rule, count, today=TODAY)
        if decision.allowed:
            loans.append((branch, item_type))
        for key, rule in matrix.rules.items():
            assert matrix.loans_under(key, category, loans) <= rule.max_items
