"""The pure engine: schedules against hand-computed values, admission rules, state machines."""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loans.engine import rules, schedules, states

D = Decimal
RATE = D("0.0345")
START = date(2026, 1, 31)


def test_equal_instalment_12_months_of_100000_at_3_45_percent():
    """等额本息, 100,000 yuan, 3.45% a year, 12 months, drawn 2026-01-31.

    Monthly rate r = 0.0345 / 12 = 0.002875; (1 + r)^12 = 1.0350507932...
    Payment = 100,000 × 0.002875 × 1.0350507932 / 0.0350507932 = 287.50 × 29.530099...
            = 8,489.878... → 8,489.88 (to the fen, half up).
    Month 1: interest = 100,000 × 0.002875 = 287.50; principal = 8,489.88 − 287.50 = 8,202.38;
             balance 91,797.62.
    Month 2: interest = 91,797.62 × 0.002875 = 263.918... → 263.92; principal = 8,225.96;
             balance 83,571.66.
    Month 3: interest = 83,571.66 × 0.002875 = 240.268... → 240.27; principal 8,249.61.
    ... (each month the same way) ...
    Month 11: balance after 8,465.59.
    Month 12 (absorbs the rounding): interest = 8,465.59 × 0.002875 = 24.338... → 24.34;
             principal = the whole balance 8,465.59; payment 8,489.93.
    Interest in all: 1,878.61. Due dates on the 31st clamp: 2026-02-28, 2026-03-31, ...
    """
    rows = schedules.schedule(
        "equal_instalment", principal=D(100000), annual_rate=RATE, months=12, start=START
    )
    assert len(rows) == 12
    assert [(r.principal, r.interest) for r in rows[:3]] == [
        (D("8202.38"), D("287.50")),
        (D("8225.96"), D("263.92")),
        (D("8249.61"), D("240.27")),
    ]
    assert all(r.payment == D("8489.88") for r in rows[:11])
    assert (rows[-1].principal, rows[-1].interest, rows[-1].payment) == (
        D("8465.59"),
        D("24.34"),
        D("8489.93"),
    )
    assert rows[10].balance_after == D("8465.59")
    assert schedules.totals(rows) == (D("100000.00"), D("1878.61"))
    assert [r.due_date for r in rows[:3]] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert rows[-1].due_date == date(2027, 1, 31)


def test_equal_principal_12_months():
    """等额本金, 100,000 at 3.45%, 12 months: principal 100,000 / 12 = 8,333.333 → 8,333.33 a
    month, the last 100,000 − 11 × 8,333.33 = 8,333.37. Interest on the balance:
    month 1: 100,000 × 0.002875 = 287.50; month 2: 91,666.67 × 0.002875 = 263.541... → 263.54;
    month 3: 83,333.34 × 0.002875 = 239.583... → 239.58; month 12: 8,333.37 × 0.002875 =
    23.958... → 23.96. Interest in all 1,868.76."""
    rows = schedules.schedule(
        "equal_principal", principal=D(100000), annual_rate=RATE, months=12, start=START
    )
    assert [r.principal for r in rows[:11]] == [D("8333.33")] * 11
    assert rows[-1].principal == D("8333.37")
    assert [r.interest for r in rows[:3]] == [D("287.50"), D("263.54"), D("239.58")]
    assert rows[-1].interest == D("23.96")
    assert schedules.totals(rows) == (D("100000.00"), D("1868.76"))


def test_interest_only_with_the_principal_at_maturity():
    """按月付息到期还本, 100,000 at 3.45%, 12 months: 100,000 × 0.002875 = 287.50 every
    month; the principal with the 12th; interest in all 12 × 287.50 = 3,450.00."""
    rows = schedules.schedule(
        "interest_only", principal=D(100000), annual_rate=RATE, months=12, start=START
    )
    assert {r.interest for r in rows} == {D("287.50")}
    assert [r.principal for r in rows[:11]] == [D(0)] * 11
    assert rows[-1].principal == D(100000)
    assert schedules.totals(rows) == (D("100000.00"), D("3450.00"))


def test_revolving_interest_by_days_outstanding():
    """随借随还: 30,000 outstanding for 45 days at 3.45%: 30,000 × 0.0345 × 45 / 360 =
    129.375 → 129.38; one day of 10,000: 10,000 × 0.0345 / 360 = 0.958... → 0.96."""
    assert schedules.revolving_interest(D(30000), RATE, 45) == D("129.38")
    assert schedules.revolving_interest(D(10000), RATE, 1) == D("0.96")
    assert schedules.revolving_interest(D(10000), RATE, 0) == D(0)
    assert (
        schedules.schedule("revolving", principal=D(1), annual_rate=RATE, months=1, start=START)
        == []
    )


@given(
    principal=st.decimals(min_value=D(1000), max_value=D(1000000), places=2),
    rate=st.decimals(min_value=D("0.0100"), max_value=D("0.1200"), places=4),
    months=st.integers(min_value=1, max_value=60),
    method=st.sampled_from(schedules.SCHEDULED_METHODS),
)
def test_every_schedule_repays_exactly_the_principal_in_fen(principal, rate, months, method):
    rows = schedules.schedule(
        method, principal=principal, annual_rate=rate, months=months, start=START
    )
    assert len(rows) == months
    assert sum(r.principal for r in rows) == principal
    assert rows[-1].balance_after == 0
    for r in rows:
        assert r.principal >= 0
        assert r.interest >= 0
        assert r.principal == r.principal.quantize(D("0.01"))
        assert r.interest == r.interest.quantize(D("0.01"))


# --- admission -------------------------------------------------------------------------------

E_LOAN = rules.ProductTerms(
    name="福祥e贷",
    min_amount=D(50000),
    max_amount=D(500000),
    grades=("AAA", "AA", "A"),
    subject_kinds=("household",),
    terms_months=(12, 24),
    methods=("revolving", "equal_instalment"),
    online=True,
)
GONGXIN = rules.ProductTerms(**{**E_LOAN.__dict__, "name": "公信贷", "rule": "public_employee"})
HUINONG = rules.ProductTerms(**{**E_LOAN.__dict__, "name": "惠农快贷", "rule": "farming"})
MORTGAGE = rules.ProductTerms(
    **{**E_LOAN.__dict__, "name": "房抵贷", "online": False, "needs_review": True,
       "collateral_ratio": D("0.7")}
)  # fmt: skip
LINE = rules.LineFacts("AA", D(300000), "active", date(2028, 1, 1), True, D(300000))
FAMILY = rules.Applicant(kind="household", annual_income=D(100000))
ASK = rules.LoanRequest(D(100000), 12, "revolving")
TODAY = date(2026, 6, 1)


def test_input_errors_name_the_field_and_the_rule():
    reasons = rules.check_request(E_LOAN, rules.LoanRequest(D(600000), 6, "equal_principal"))
    by_field = {r.field: r.message for r in reasons}
    assert "5" in by_field["amount"]
    assert "50,000元至500,000元" in by_field["amount"]
    assert "12、24个月" in by_field["term_months"]
    assert "6个月" in by_field["term_months"]
    assert "等额本息" in by_field["repayment_method"]
    assert rules.check_request(E_LOAN, ASK) == []


def test_an_eligible_household_is_approved_at_once():
    decision = rules.decide(E_LOAN, FAMILY, ASK, LINE, on_whitelist=True, as_of=TODAY)
    assert decision.approved
    assert decision.reasons == ()


def test_gongxin_needs_a_public_employee():
    decision = rules.decide(GONGXIN, FAMILY, ASK, LINE, on_whitelist=True, as_of=TODAY)
    assert decision.outcome == rules.DECLINE
    assert decision.reasons[0].message == "公信贷仅限家庭成员中有公职人员的农户申请"
    teacher = rules.Applicant(kind="household", has_public_employee=True)
    assert rules.decide(GONGXIN, teacher, ASK, LINE, on_whitelist=True, as_of=TODAY).approved


def test_huinong_needs_farming_by_land_or_income_share():
    wages_only = rules.Applicant(kind="household", annual_income=D(100000))
    assert not rules.is_farming(HUINONG, wages_only)
    assert rules.is_farming(HUINONG, rules.Applicant(kind="household", land_mu=D(3)))
    share = rules.Applicant(kind="household", annual_income=D(100000), agricultural_income=D(30000))
    assert rules.is_farming(HUINONG, share)
    assert rules.is_farming(HUINONG, rules.Applicant(kind="family_farm"))
    assert not rules.is_farming(HUINONG, rules.Applicant(kind="micro_enterprise"))


@pytest.mark.parametrize(
    ("status", "valid_to", "code"),
    [
        ("suspended", date(2028, 1, 1), "line_suspended"),
        ("revoked", date(2028, 1, 1), "line_revoked"),
        ("expired", date(2028, 1, 1), "line_expired"),
        ("active", date(2026, 5, 31), "line_expired"),  # past its end before the nightly run
    ],
)
def test_an_unusable_line_declines(status, valid_to, code):
    line = rules.LineFacts("AA", D(300000), status, valid_to, True, D(300000))
    decision = rules.decide(E_LOAN, FAMILY, ASK, line, on_whitelist=True, as_of=TODAY)
    assert [r.code for r in decision.reasons] == [code]


def test_more_than_available_declines_with_both_figures():
    line = rules.LineFacts("AA", D(300000), "active", date(2028, 1, 1), True, D(80000))
    decision = rules.decide(E_LOAN, FAMILY, ASK, line, on_whitelist=True, as_of=TODAY)
    assert decision.reasons[0].message == "申请金额100,000元超过可用授信额度80,000元"


def test_mortgage_goes_to_review_and_needs_collateral():
    assert rules.decide(MORTGAGE, FAMILY, ASK, LINE, on_whitelist=True, as_of=TODAY).outcome == (
        rules.REVIEW
    )
    fields = {r.field for r in rules.check_request(MORTGAGE, ASK)}
    assert fields == {"collateral_value"}
    short = rules.LoanRequest(D(100000), 12, "revolving", collateral_value=D(100000))
    assert [r.code for r in rules.check_request(MORTGAGE, short)] == ["collateral_short"]


def test_not_on_the_whitelist_declines_only_when_nothing_else_does():
    decision = rules.decide(E_LOAN, FAMILY, ASK, LINE, on_whitelist=False, as_of=TODAY)
    assert [r.code for r in decision.reasons] == ["not_on_whitelist"]


# --- state machines --------------------------------------------------------------------------


def test_transitions_follow_the_tables():
    assert states.transition(states.APPLICATION, "submitted", "approved") == "approved"
    with pytest.raises(states.TransitionError, match=r"已签约.*不能改为.*已撤回"):
        states.transition(states.APPLICATION, "signed", "withdrawn")
    assert states.can_move(states.LOAN, "overdue", "active")
    assert not states.can_move(states.LOAN, "bad", "active")  # bad until closed
    assert not states.can_move(states.CONTRACT, "closed", "active")


def test_loan_state_by_days_past_due():
    assert states.loan_state_for(0, current="active") == "active"
    assert states.loan_state_for(1, current="active") == "overdue"
    assert states.loan_state_for(90, current="overdue") == "bad"
    assert states.loan_state_for(0, current="bad") == "bad"


def test_the_migrations_trigger_tables_match_the_engine():
    from importlib import import_module

    migration = import_module("loans.migrations.0002_state_and_signature_triggers")
    tables = {
        "loans_loanapplication": states.APPLICATION,
        "loans_loancontract": states.CONTRACT,
        "loans_loan": states.LOAN,
        "loans_instalment": states.INSTALMENT,
    }
    for table, machine in tables.items():
        engine = {k: sorted(v) for k, v in states.MACHINES[machine].items() if v}
        assert {k: sorted(v) for k, v in migration.MACHINES[table].items()} == engine


def test_the_engine_imports_no_django():
    for path in Path(__file__).resolve().parent.parent.joinpath("engine").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [n for n in names if n.split(".")[0] in {"django", "rest_framework", "celery"}]
