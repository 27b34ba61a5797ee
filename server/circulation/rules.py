"""The loan rule matrix: branch, patron category and item type decide how an item is lent.

Pure data and lookups, no I/O: the service builds a RuleMatrix from the rows librarians
keep, and a new library starts from DEFAULT_RULES. Money is in whole cents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

ANY = "*"  # a matrix row's wildcard: every branch, every category or every item type


def _count(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a whole number of 0 or more, not {value!r}")


@dataclass(frozen=True)
class LoanRule:
    """How one kind of item is lent to one kind of patron, and what lateness costs."""

    loan_days: int = 28
    renewals: int = 3  # times a loan may be renewed
    max_items: int = 30  # loans under the same matrix row a patron may hold at once
    fine_per_day_cents: int = 0
    fine_cap_cents: int | None = None  # the most one loan's fine may reach; None: no cap
    grace_days: int = 0  # open days late that are never charged
    holds_block_renewal: bool = True  # a loan someone else waits for is not renewed
    for_loan: bool = True  # False: used in the library only (reference)

    def __post_init__(self) -> None:
        for name in ("loan_days", "renewals", "max_items", "fine_per_day_cents", "grace_days"):
            _count(name, getattr(self, name))
        if self.fine_cap_cents is not None:
            _count("fine_cap_cents", self.fine_cap_cents)
        if self.for_loan and self.loan_days < 1:
            raise ValueError("an item that is for loan is lent for at least one day")


NOT_FOR_LOAN = LoanRule(loan_days=0, renewals=0, max_items=0, for_loan=False)


@dataclass(frozen=True, order=True)
class RuleKey:
    """Where a matrix row applies; ANY in a field matches every value of it."""

    branch: str = ANY
    category: str = ANY
    item_type: str = ANY

    def __post_init__(self) -> None:
        for name in ("branch", "category", "item_type"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"a rule's {name} is a code or {ANY!r}, not {value!r}")


DEFAULT_KEY = RuleKey()

# Most specific first. The item type counts most (a reference book is not lent, whoever
# asks and wherever), then the patron category, then the branch: a row naming a branch
# refines the all-branch row with the same category and item type, it does not replace
# the rows that name an item type.
_PRECEDENCE = tuple(
    (by_type, by_category, by_branch)
    for by_type in (True, False)
    for by_category in (True, False)
    for by_branch in (True, False)
)


@dataclass(frozen=True)
class Match:
    """The row that applies, so a page can show which one and why."""

    key: RuleKey
    rule: LoanRule


@dataclass(frozen=True)
class RuleMatrix:
    """Every row librarians keep; the default row (*, *, *) must be one of them."""

    rules: Mapping[RuleKey, LoanRule]

    def __post_init__(self) -> None:
        if DEFAULT_KEY not in self.rules:
            raise ValueError("the rule matrix needs a default row (*, *, *) that lends anything")
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))

    def match(self, branch: str, category: str, item_type: str) -> Match:
        """The most specific row for lending an item of `item_type` at `branch` to `category`."""
        for by_type, by_category, by_branch in _PRECEDENCE:
            key = RuleKey(
                branch if by_branch else ANY,
                category if by_category else ANY,
                item_type if by_type else ANY,
            )
            rule = self.rules.get(key)
            if rule is not None:
                return Match(key, rule)
        raise AssertionError("unreachable: the default row matches everything")

    def rule_for(self, branch: str, category: str, item_type: str) -> LoanRule:
        return self.match(branch, category, item_type).rule

    def loans_under(self, key: RuleKey, category: str, loans: Iterable[tuple[str, str]]) -> int:
        """How many of a patron's `loans` ((branch lent at, item type) pairs) fall under `key`.

        This is the count max_items limits: 5 DVDs under the DVD row do not use up the
        30 books of the default row.
        """
        return sum(
            1 for branch, item_type in loans if self.match(branch, category, item_type).key == key
        )

    def with_rule(self, key: RuleKey, rule: LoanRule) -> RuleMatrix:
        """The matrix with `key`'s row added or changed."""
        return RuleMatrix({**self.rules, key: rule})

    def without_rule(self, key: RuleKey) -> RuleMatrix:
        """The matrix with `key`'s row removed; the default row stays."""
        if key == DEFAULT_KEY:
            raise ValueError("the default row (*, *, *) cannot be removed, only changed")
        if key not in self.rules:
            raise KeyError(f"no row for {key}")
        return RuleMatrix({k: rule for k, rule in self.rules.items() if k != key})

    def rows(self) -> list[tuple[RuleKey, LoanRule]]:
        """The rows in a stable order for a page: by branch, category, item type (* first)."""
        return sorted(self.rules.items(), key=lambda row: row[0])


@dataclass(frozen=True)
class Policy:
    """Library-wide settings that are not a row of the matrix."""

    max_fines_cents: int = 1000  # owing more stops borrowing and renewing (as patrons' Limits)
    renew_overdue: bool = False  # whether a loan already overdue may still be renewed
    hold_shelf_days: int = 7  # days a trapped item waits on the hold shelf for its patron

    def __post_init__(self) -> None:
        _count("max_fines_cents", self.max_fines_cents)
        _count("hold_shelf_days", self.hold_shelf_days)


DEFAULT_POLICY = Policy()

# What a new library lends, before librarians change anything. Children and staff pay no
# fines; DVDs go for a week; reference items stay in the building.
DEFAULT_RULES = RuleMatrix(
    {
        DEFAULT_KEY: LoanRule(
            loan_days=28,
            renewals=3,
            max_items=30,
            fine_per_day_cents=20,
            fine_cap_cents=500,
            grace_days=2,
        ),
        RuleKey(category="child"): LoanRule(
            loan_days=21, renewals=3, max_items=20, fine_per_day_cents=0
        ),
        RuleKey(category="student"): LoanRule(
            loan_days=28,
            renewals=5,
            max_items=40,
            fine_per_day_cents=20,
            fine_cap_cents=500,
            grace_days=2,
        ),
        RuleKey(category="staff"): LoanRule(
            loan_days=56, renewals=6, max_items=50, fine_per_day_cents=0
        ),
        RuleKey(item_type="dvd"): LoanRule(
            loan_days=7,
            renewals=1,
            max_items=5,
            fine_per_day_cents=100,
            fine_cap_cents=1000,
            grace_days=0,
        ),
        RuleKey(category="child", item_type="dvd"): LoanRule(
            loan_days=7, renewals=1, max_items=3, fine_per_day_cents=0
        ),
        RuleKey(category="staff", item_type="dvd"): LoanRule(
            loan_days=14, renewals=2, max_items=10, fine_per_day_cents=0
        ),
        RuleKey(item_type="reference"): NOT_FOR_LOAN,
    }
)
