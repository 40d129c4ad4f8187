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

# The hand-worked loan: 12,000 yuan at 3.6% a year, drawn 2026-01-15, 3 monthly instalments due
# 2026-02-15 (31 days), 2026-03-15 (28 days), 2026-04-15 (31 days). Actual/360: a day's
# interest is 0.036 / 360 = 0.0001 of the balance, so the periods' factors are g1 = 31 ×
# 0.0001 = 0.0031, g2 = 28 × 0.0001 = 0.0028, g3 = 0.0031.
HAND = {"principal": D(12000), "annual_rate": D("0.036"), "months": 3, "start": date(2026, 1, 15)}


def test_equal_instalment_actual_360_by_hand():
    """等额本息: X = P·(1+g1)(1+g2)(1+g3) / [(1+g2)(1+g3) + (1+g3) + 1]
    (1+g1)(1+g2)(1+g3) = 1.0031 × 1.0028 × 1.0031 = 1.009026996908
    denominator = 1.0028 × 1.0031 + 1.0031 + 1 = 1.00590868 + 1.0031 + 1 = 3.00900868
    X = 12,000 × 1.009026996908 / 3.00900868 = 4,024.0242719... → 4,024.02
    Period 1: interest 12,000 × 0.0031 = 37.20; principal 4,024.02 − 37.20 = 3,986.82;
              balance 12,000 − 3,986.82 = 8,013.18
    Period 2: interest 8,013.18 × 0.0028 = 22.436904 → 22.44; principal 4,024.02 − 22.44 =
              4,001.58; balance 8,013.18 − 4,001.58 = 4,011.60
    Period 3: interest 4,011.60 × 0.0031 = 12.43596 → 12.44; principal the whole 4,011.60;
              payment 4,024.04 (the last absorbs the rounding)
    Interest 37.20 + 22.44 + 12.44 = 72.08."""
    rows = schedules.schedule("equal_instalment", **HAND)
    assert [(r.due_date, r.principal, r.interest, r.balance_after) for r in rows] == [
        (date(2026, 2, 15), D("3986.82"), D("37.20"), D("8013.18")),
        (date(2026, 3, 15), D("4001.58"), D("22.44"), D("4011.60")),
        (date(2026, 4, 15), D("4011.60"), D("12.44"), D("0.00")),
    ]
    assert [r.payment for r in rows] == [D("4024.02"), D("4024.02"), D("4024.04")]
    assert schedules.totals(rows) == (D("12000.00"), D("72.08"))


def test_equal_principal_actual_360_by_hand():
    """等额本金: principal 12,000 / 3 = 4,000.00 a period. Interest on the balance:
    12,000 × 0.0031 = 37.20; 8,000 × 0.0028 = 22.40; 4,000 × 0.0031 = 12.40; in all 72.00."""
    rows = schedules.schedule("equal_principal", **HAND)
    assert [(r.principal, r.interest) for r in rows] == [
        (D("4000.00"), D("37.20")),
        (D("4000.00"), D("22.40")),
        (D("4000.00"), D("12.40")),
    ]
    assert schedules.totals(rows) == (D("12000.00"), D("72.00"))


def test_interest_only_actual_360_by_hand():
    """按月付息到期还本: interest on the whole 12,000 for each period's days:
    12,000 × 0.0031 = 37.20; 12,000 × 0.0028 = 33.60; 12,000 × 0.0031 = 37.20 (in all
    108.00 = 12,000 × 0.036 × 90 / 360); the principal with the last."""
    rows = schedules.schedule("interest_only", **HAND)
    assert [(r.principal, r.interest) for r in rows] == [
        (D("0.00"), D("37.20")),
        (D("0.00"), D("33.60")),
        (D("12000.00"), D("37.20")),
    ]
    assert schedules.totals(rows) == (D("12000.00"), D("108.00"))


def test_a_reschedule_runs_its_first_period_from_the_prepayment_day():
    """After a prepayment on 2026-03-01 leaving 6,000 (等额本金), the remaining dates
    2026-03-15 (14 days from the prepayment: 6,000 × 0.0014 = 8.40) and 2026-04-15
    (31 days: 3,000 × 0.0031 = 9.30); 3,000 principal each, numbered from 2."""
    rows = schedules.reschedule(
        "equal_principal",
        principal=D(6000),
        annual_rate=D("0.036"),
        start=date(2026, 3, 1),
        dates=[date(2026, 3, 15), date(2026, 4, 15)],
        first_number=2,
    )
    assert [(r.number, r.principal, r.interest) for r in rows] == [
        (2, D("3000.00"), D("8.40")),
        (3, D("3000.00"), D("9.30")),
    ]


def test_equal_periods_give_the_textbook_level_payment():
    """With periods of equal length the actual/360 annuity is the textbook one: 100,000 at
    3.6%, every period 30 days (g = 0.003), 12 periods: X = 100,000 × 0.003 × 1.003^12 /
    (1.003^12 − 1) = 300 × 1.0365999... / 0.0365999... = 8,496.7257... → 8,496.73."""
    assert schedules.level_payment(D(100000), [D("0.003")] * 12) == D("8496.73")


def test_due_dates_clamp_to_the_months_end():
    rows = schedules.schedule(
        "equal_instalment", principal=D(100000), annual_rate=RATE, months=12, start=START
    )
    assert [r.due_date for r in rows[:3]] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert rows[-1].due_date == date(2027, 1, 31)


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
