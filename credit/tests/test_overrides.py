"""Manual overrides (人工调整): the maker-checker rules, and what an approved override does to
the credit lines of the re-rating it triggers and of every later run."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit import override_reviews, override_selectors, overrides, simulations
from credit.lines import add_months
from credit.models import CreditLine, CreditOverride, CreditPolicyVersion, OverrideStatus
from credit.selectors import household_current_line
from fuxiang.accounts.models import Role
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from households.tests.factories import (
    BranchFactory,
    BusinessEntityFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    VillageFactory,
)
from rating import runs
from rating.models import CurrentRating, RunScope

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def run_today(eager_celery, django_capture_on_commit_callbacks):
    """Drive what commits queue (runs, re-ratings) to the end, in-process."""

    def run(action=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            if action is not None:
                return action()
            kwargs.setdefault("as_of", today())
            return runs.rating_run_start(**kwargs)

    return run


@pytest.fixture
def rated(org, run_today):
    """Two rated households of grid A: ``aa`` (AA, 150,000 bound by income, cap 300,000) and
    ``a`` (A, 100,000 at its grade's cap)."""
    aa = HouseholdFactory(village=org.village_a, committee_assessment="good")
    a = HouseholdFactory(village=org.village_a, committee_assessment="fair")
    run_today(actor=org.head_office, scope=RunScope.COUNTY)
    assert household_current_line(aa.pk).amount == Decimal(150000)
    assert household_current_line(a.pk).grade == "A"
    return aa, a


def propose(actor, household=None, **kwargs):
    kwargs.setdefault("kind", "limit")
    kwargs.setdefault("amount", Decimal(200000))
    kwargs.setdefault("reason", "走访核实家庭养殖规模扩大，收入被低估")
    kwargs.setdefault("valid_until", today() + timedelta(days=90))
    return overrides.override_propose(actor=actor, household=household, **kwargs)


def events(override, action):
    return AuditEvent.objects.filter(
        action=action, target_type="credit.creditoverride", target_id=str(override.pk)
    )


# --- proposing --------------------------------------------------------------------------------


def test_an_officer_proposes_a_limit_for_a_household_of_their_grid_and_it_is_audited(org, rated):
    aa, _ = rated

    override = propose(org.officer_a, aa, evidence="养殖场照片、销售单据")

    assert override.status == OverrideStatus.PROPOSED
    assert override.proposed_by == org.officer_a
    assert override.amount == Decimal(200000)
    assert override.grade == ""
    event = events(override, AuditAction.CREDIT_OVERRIDE_PROPOSE).get()
    assert event.actor == org.officer_a
    head = aa.members.get(relation="head")
    label = f"{aa.village.name} {head.masked_name}户"  # masked, like every page (not "12号户")
    assert event.details["subject"] == {"type": "household", "id": aa.pk, "label": label}
    assert head.name not in str(event.details)
    assert event.details["before"]["line"]["amount"] == "150000.00"
    assert event.details["after"]["amount"] == "200000"
    assert event.details["after"]["status"] == "proposed"


def test_an_officer_of_another_grid_cannot_propose_for_the_household(org, rated):
    aa, _ = rated
    with pytest.raises(DomainError) as refused:
        propose(org.officer_b, aa)
    assert refused.value.code == "not_found"
    assert not CreditOverride.objects.exists()


@pytest.mark.parametrize("who", ["manager", "head_office", "auditor"])
def test_only_officers_propose(org, rated, who):
    aa, _ = rated
    with pytest.raises(DomainError, match="只有客户经理可以提议") as refused:
        propose(getattr(org, who), aa)
    assert refused.value.code == "permission_denied"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": "低估"}, "reason", "至少4个字"),
        ({"kind": "bonus"}, "kind", "请选择调整类型"),
        ({"kind": "grade", "grade": "AAAA"}, "grade", "AAA、AA、A、B之一"),
        ({"amount": Decimal(0)}, "amount", "须大于0元"),
        ({"amount": None}, "amount", "请填写调整后额度"),
        ({"amount": Decimal(123456)}, "amount", "1,000元的整数倍"),
        ({"amount": Decimal(600000)}, "amount", "不能超过授信政策的最高额度500,000元"),
        ({"valid_until": "today"}, "valid_until", "须晚于今天"),
        ({"valid_until": "13 months"}, "valid_until", "有效期最长一年"),
        ({"valid_until": None}, "valid_until", "请填写有效期"),
        ({"kind": "grade", "grade": "AA"}, "grade", "与当前评级（AA级）相同"),
    ],
)
def test_bad_input_is_refused_with_a_message_on_its_field(org, rated, changes, field, message):
    aa, _ = rated
    dates = {"today": today(), "13 months": add_months(today(), 13)}
    if changes.get("valid_until") in dates:
        changes = {**changes, "valid_until": dates[changes["valid_until"]]}

    with pytest.raises(DomainError) as refused:
        propose(org.officer_a, aa, **changes)

    assert message in " ".join(refused.value.errors[field])
    assert not CreditOverride.objects.exists()


def test_a_limit_above_the_grade_cap_needs_evidence_and_a_manager(org, rated):
    _, a = rated  # grade A: cap 100,000
    with pytest.raises(DomainError) as refused:
        propose(org.officer_a, a, amount=Decimal(150000))
    assert "超过A级额度上限100,000元，须附依据材料" in refused.value.errors["evidence"][0]

    override = propose(org.officer_a, a, amount=Decimal(150000), evidence="担保人及存单质押")
    colleague = UserFactory(role=Role.OFFICER)
    org.grid_a.officers.add(colleague)
    with pytest.raises(DomainError, match="超过A级额度上限100,000元，须由支行行长或总行审批"):
        override_reviews.override_approve(actor=colleague, override=override)

    override_reviews.override_approve(actor=org.manager, override=override, note="同意")
    override.refresh_from_db()
    assert override.status == OverrideStatus.APPROVED
    event = events(override, AuditAction.CREDIT_OVERRIDE_APPROVE).get()
    assert event.details["above_grade_cap"] is True


def test_a_knocked_out_household_cannot_be_overridden(org, run_today):
    h = HouseholdFactory(village=org.village_a, committee_assessment="good", has_bad_loan=True)
    run_today(actor=org.head_office, scope=RunScope.COUNTY)
    assert CurrentRating.objects.get(household=h).result.knocked_out

    with pytest.raises(DomainError, match="一票否决"):
        propose(org.officer_a, h, kind="grade", grade="AAA", amount=None)


def test_a_household_without_a_rating_cannot_be_overridden(org):
    h = HouseholdFactory(village=org.village_a)
    with pytest.raises(DomainError, match="还没有评级结果"):
        propose(org.officer_a, h)


def test_one_open_override_per_household(org, rated):
    aa, _ = rated
    first = propose(org.officer_a, aa)
    with pytest.raises(DomainError, match=f"已有待审批的人工调整（#{first.pk}）") as refused:
        propose(org.officer_a, aa, kind="grade", grade="AAA", amount=None)
    assert refused.value.code == "duplicate"

    override_reviews.override_withdraw(actor=org.officer_a, override=first)
    second = propose(org.officer_a, aa, kind="grade", grade="AAA", amount=None)
    assert second.status == OverrideStatus.PROPOSED


# --- reviewing --------------------------------------------------------------------------------


def test_the_proposer_cannot_approve_their_own_override_even_as_a_manager(org, rated):
    aa, _ = rated
    override = propose(org.officer_a, aa)
    with pytest.raises(DomainError, match="您提议过该人工调整，不能再审批或退回") as refused:
        override_reviews.override_approve(actor=org.officer_a, override=override)
    assert refused.value.code == "maker_checker"

    # promoted to branch manager of the same branch: still the maker, never the checker
    org.officer_a.role = Role.BRANCH_MANAGER
    org.officer_a.save()
    org.branch.managers.add(org.officer_a)
    with pytest.raises(DomainError, match="双人复核"):
        override_reviews.override_approve(actor=org.officer_a, override=override)
    with pytest.raises(DomainError, match="双人复核"):
        override_reviews.override_reject(actor=org.officer_a, override=override, note="不同意")
    override.refresh_from_db()
    assert override.status == OverrideStatus.PROPOSED
    assert not events(override, AuditAction.CREDIT_OVERRIDE_APPROVE).exists()


def test_an_officer_cannot_approve_or_reject(org, rated):
    aa, _ = rated
    override = propose(org.officer_a, aa)
    colleague = UserFactory(role=Role.OFFICER)
    org.grid_a.officers.add(colleague)
    for review in (override_reviews.override_approve, override_reviews.override_reject):
        with pytest.raises(DomainError, match="只有支行行长或总行可以审批") as refused:
            review(actor=colleague, override=override, note="同意调整")
        assert refused.value.code == "permission_denied"
    override.refresh_from_db()
    assert override.status == OverrideStatus.PROPOSED


def test_a_manager_of_another_branch_does_not_see_the_override(org, rated):
    aa, _ = rated
    override = propose(org.officer_a, aa)
    other = UserFactory(role=Role.BRANCH_MANAGER)
    branch = BranchFactory()
    branch.managers.add(other)
    VillageFactory(grid=GridFactory(branch=branch))
    with pytest.raises(DomainError) as refused:
        override_reviews.override_approve(actor=other, override=override)
    assert refused.value.code == "not_found"


def test_head_office_may_approve_any_branchs_override(org, rated, run_today):
    aa, _ = rated
    override = propose(org.officer_a, aa)
    run_today(lambda: override_reviews.override_approve(actor=org.head_office, override=override))
    override.refresh_from_db()
    assert override.status == OverrideStatus.APPROVED
    assert override.reviewed_by == org.head_office


def test_rejecting_needs_a_note_and_is_audited(org, rated):
    aa, _ = rated
    override = propose(org.officer_a, aa)
    with pytest.raises(DomainError) as refused:
        override_reviews.override_reject(actor=org.manager, override=override, note=" ")
    assert refused.value.errors["note"] == ["请填写退回原因"]

    override_reviews.override_reject(actor=org.manager, override=override, note="收入证明不足")

    override.refresh_from_db()
    assert override.status == OverrideStatus.REJECTED
    assert override.reviewed_by == org.manager
    assert override.review_note == "收入证明不足"
    event = events(override, AuditAction.CREDIT_OVERRIDE_REJECT).get()
    assert event.details["before"]["status"] == "proposed"
    assert event.details["after"]["status"] == "rejected"
    assert event.details["note"] == "收入证明不足"
    with pytest.raises(DomainError, match="该调整已退回，不能批准"):
        override_reviews.override_approve(actor=org.manager, override=override)


def test_an_override_past_its_expiry_cannot_be_approved(org, rated):
    aa, _ = rated
    override = propose(org.officer_a, aa)
    CreditOverride.objects.filter(pk=override.pk).update(valid_until=today() - timedelta(days=1))
    with pytest.raises(DomainError, match="已过有效期，不能批准"):
        override_reviews.override_approve(actor=org.manager, override=override)


def test_the_proposer_withdraws_a_proposal_but_only_a_manager_an_approved_one(
    org, rated, run_today
):
    aa, a = rated
    pending = propose(org.officer_a, a, kind="grade", grade="AA", amount=None)
    with pytest.raises(DomainError, match="只能由提议人撤回"):
        override_reviews.override_withdraw(actor=org.manager, override=pending)
    override_reviews.override_withdraw(
        actor=org.officer_a, override=pending, note="材料不全，重新整理"
    )
    pending.refresh_from_db()
    assert pending.status == OverrideStatus.WITHDRAWN

    override = propose(org.officer_a, aa)
    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))
    with pytest.raises(DomainError, match="只能由支行行长或总行撤回"):
        override_reviews.override_withdraw(actor=org.officer_a, override=override)
    with pytest.raises(DomainError) as refused:
        override_reviews.override_withdraw(actor=org.manager, override=override)
    assert refused.value.errors["note"] == ["请填写撤回原因"]
    with pytest.raises(DomainError, match="该调整已撤回，不能撤回"):
        override_reviews.override_withdraw(actor=org.officer_a, override=pending)


# --- what an approved override does to the lines -------------------------------------------


def test_an_approved_limit_override_is_on_the_line_at_once_and_survives_a_county_run(
    org, rated, run_today
):
    aa, a = rated
    override = propose(org.officer_a, aa)

    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))

    line = household_current_line(aa.pk)
    assert line.override_id == override.pk
    assert line.amount == Decimal(200000)
    assert line.binding == "override"
    assert line.grade == "AA"
    assert household_current_line(a.pk).override_id is None  # only the subject

    later = run_today(actor=org.head_office, scope=RunScope.COUNTY)
    later.refresh_from_db()
    assert later.status == "published"
    line = household_current_line(aa.pk)
    assert line.run_id == later.pk
    assert line.override_id == override.pk
    assert line.amount == override.amount


def test_an_approved_grade_override_sets_the_grade_for_cap_and_spread(org, rated, run_today):
    _, a = rated  # A at its cap of 100,000
    override = propose(org.officer_a, a, kind="grade", grade="AA", amount=None)

    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))

    line = household_current_line(a.pk)
    assert line.override_id == override.pk
    assert line.grade == "AA"
    assert line.cap == Decimal(300000)
    assert line.amount > Decimal(100000)
    assert line.spread_bp == line.policy.policy.grade_spreads_bp["AA"]


def test_a_withdrawn_override_stops_applying_at_once_and_at_the_next_run(org, rated, run_today):
    aa, _ = rated
    override = propose(org.officer_a, aa)
    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))
    assert household_current_line(aa.pk).amount == Decimal(200000)

    run_today(
        lambda: override_reviews.override_withdraw(
            actor=org.manager, override=override, note="复核发现收入证明不实"
        )
    )

    line = household_current_line(aa.pk)
    assert line.override_id is None
    assert line.amount == Decimal(150000)
    event = events(override, AuditAction.CREDIT_OVERRIDE_WITHDRAW).get()
    assert event.details["before"]["status"] == "approved"
    assert event.details["after"]["status"] == "withdrawn"
    run_today(actor=org.head_office, scope=RunScope.COUNTY)
    assert household_current_line(aa.pk).override_id is None


def test_an_expired_override_stops_applying_at_the_next_run_and_a_new_proposal_closes_it(
    org, rated, run_today
):
    aa, _ = rated
    override = propose(org.officer_a, aa, valid_until=today() + timedelta(days=30))
    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))
    assert household_current_line(aa.pk).override_id == override.pk

    # a run on its last day still applies it; the next day's does not
    last_day, next_day = override.valid_until, override.valid_until + timedelta(days=1)
    run_today(actor=org.head_office, scope=RunScope.COUNTY, as_of=last_day, today=last_day)
    assert household_current_line(aa.pk).override_id == override.pk
    run_today(actor=org.head_office, scope=RunScope.COUNTY, as_of=next_day, today=next_day)
    line = household_current_line(aa.pk)
    assert line.override_id is None
    assert line.amount == Decimal(150000)

    # once expired, it no longer blocks a new proposal: the new one closes it, audited
    CreditOverride.objects.filter(pk=override.pk).update(valid_until=today() - timedelta(days=1))
    renewed = propose(org.officer_a, aa)
    override.refresh_from_db()
    assert override.status == OverrideStatus.WITHDRAWN
    assert renewed.status == OverrideStatus.PROPOSED
    closed = events(override, AuditAction.CREDIT_OVERRIDE_WITHDRAW).get()
    assert "到期" in closed.details["note"]


def test_a_knock_out_after_approval_wins_over_the_override(org, rated, run_today):
    aa, _ = rated
    override = propose(org.officer_a, aa)
    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))
    aa.is_dishonest_debtor = True
    aa.save()

    run_today(actor=org.head_office, scope=RunScope.COUNTY)

    assert CurrentRating.objects.get(household=aa).result.knocked_out
    assert household_current_line(aa.pk) is None


def test_an_entity_override_is_applied_by_a_subjects_run_of_its_own(org, run_today):
    entity = BusinessEntityFactory(village=org.village_a)
    run_today(actor=org.head_office, scope=RunScope.COUNTY)
    before = override_selectors.current_line(entity=entity)
    assert before is not None
    assert before.amount != Decimal(88000)

    override = overrides.override_propose(
        actor=org.officer_a,
        entity=entity,
        kind="limit",
        amount=Decimal(88000),
        reason="订单稳定，流动资金需求增加",
        valid_until=today() + timedelta(days=60),
    )
    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))

    line = override_selectors.current_line(entity=entity)
    assert line.override_id == override.pk
    assert line.amount == Decimal(88000)
    event = events(override, AuditAction.CREDIT_OVERRIDE_APPROVE).get()
    assert event.details["subject"]["type"] == "business_entity"


# --- an override never outlives the grade it was approved for ------------------------------


def _approve_300000_at_aa(org, aa, run_today):
    """The finding's override: 300,000 (AA's cap) approved while the household is AA."""
    override = propose(org.officer_a, aa, amount=Decimal(300000))
    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))
    override.refresh_from_db()
    assert (override.approved_grade, override.approved_cap) == ("AA", Decimal(300000))
    assert household_current_line(aa.pk).amount == Decimal(300000)
    return override


@pytest.mark.usefixtures("postgres")  # the county run writes its lines by SQL
def test_a_county_run_that_drops_the_household_to_a_ends_its_aa_override(org, rated, run_today):
    aa, _ = rated
    override = _approve_300000_at_aa(org, aa, run_today)
    # the household falls to A (cap 100,000) with negative net assets
    aa.private_loans = Decimal(400000)
    aa.avg_daily_deposit_here = Decimal(50000)  # what keeps it at A rather than B
    aa.save()

    run = run_today(actor=org.head_office, scope=RunScope.COUNTY)

    assert CurrentRating.objects.get(household=aa).grade == "A"
    line = household_current_line(aa.pk)
    assert line is None or (line.amount <= Decimal(100000) and line.override_id is None)
    override.refresh_from_db()
    assert override.status == OverrideStatus.NEEDS_REVIEW
    assert override.get_status_display() == "待复核"
    assert f"评级任务#{run.pk}" in override.review_reason
    assert "评级由AA级降为A级" in override.review_reason
    assert "等级额度上限由300,000元降为100,000元" in override.review_reason
    event = events(override, AuditAction.CREDIT_OVERRIDE_REVIEW).get()
    assert event.actor is None
    assert event.details["before"]["status"] == "approved"
    assert event.details["after"]["status"] == "needs_review"
    assert event.details["run"] == run.pk
    # in the manager's inbox, not in force
    assert list(override_selectors.overrides_to_review_for(org.manager)) == [override]
    assert not override_selectors.overrides_in_force_for(org.manager).exists()
    # the next run neither applies it nor flags it again
    run_today(actor=org.head_office, scope=RunScope.COUNTY)
    assert events(override, AuditAction.CREDIT_OVERRIDE_REVIEW).count() == 1


def test_a_single_re_rating_to_a_falls_back_to_the_engines_limit(org, rated, run_today):
    aa, _ = rated
    override = _approve_300000_at_aa(org, aa, run_today)
    aa.committee_assessment = "fair"  # A: the engine gives its cap of 100,000
    aa.save()

    runs.rating_household_rerate(household=aa, actor=org.officer_a)

    line = household_current_line(aa.pk)
    assert line.grade == "A"
    assert line.amount == Decimal(100000)
    assert line.override_id is None
    assert line.binding == "grade_cap"
    override.refresh_from_db()
    assert override.status == OverrideStatus.NEEDS_REVIEW
    assert "评级由AA级降为A级" in override.review_reason


def test_a_knock_out_sends_the_override_to_review(org, rated, run_today):
    aa, _ = rated
    override = _approve_300000_at_aa(org, aa, run_today)
    aa.has_bad_loan = True
    aa.save()

    runs.rating_household_rerate(household=aa, actor=org.officer_a)

    assert household_current_line(aa.pk) is None
    override.refresh_from_db()
    assert override.status == OverrideStatus.NEEDS_REVIEW
    assert "一票否决" in override.review_reason


@pytest.mark.parametrize(
    ("changes", "grade"),
    [
        ({}, "AA"),
        (
            {
                "committee_assessment": "very_good",
                "deposits": Decimal(5_000_000),
                "avg_daily_deposit_here": Decimal(50000),
            },
            "AAA",
        ),
    ],
    ids=["same", "rises"],
)
def test_a_grade_that_stays_or_rises_keeps_the_override(org, rated, run_today, changes, grade):
    aa, _ = rated
    override = _approve_300000_at_aa(org, aa, run_today)
    for field, value in changes.items():
        setattr(aa, field, value)
    aa.save()

    run_today(actor=org.head_office, scope=RunScope.COUNTY)
    runs.rating_household_rerate(household=aa, actor=org.officer_a)

    line = household_current_line(aa.pk)
    assert line.grade == grade
    assert line.override_id == override.pk
    assert line.amount == Decimal(300000)
    override.refresh_from_db()
    assert override.status == OverrideStatus.APPROVED
    assert not events(override, AuditAction.CREDIT_OVERRIDE_REVIEW).exists()


def test_a_lower_cap_under_a_new_policy_sends_the_override_to_review(org, rated, run_today):
    aa, _ = rated
    override = _approve_300000_at_aa(org, aa, run_today)
    version = CreditPolicyVersion.objects.get(version="2026.1")
    stricter = {**version.data, "version": "test.aa", "effective_from": str(today())}
    stricter["grade_caps"] = {**version.data["grade_caps"], "AA": "200000"}
    CreditPolicyVersion.objects.create(
        version="test.aa", effective_from=today(), status="approved", data=stricter
    )

    run_today(actor=org.head_office, scope=RunScope.COUNTY)

    line = household_current_line(aa.pk)
    assert line.grade == "AA"
    assert line.override_id is None
    assert line.amount == Decimal(150000)  # the engine's: bound by income, under the new cap
    override.refresh_from_db()
    assert override.status == OverrideStatus.NEEDS_REVIEW
    assert "等级额度上限由300,000元降为200,000元" in override.review_reason


def test_a_manager_approves_a_review_again_under_the_grade_of_now(org, rated, run_today):
    _, a = rated  # A at its cap of 100,000
    override = propose(org.officer_a, a, kind="grade", grade="AA", amount=None)
    run_today(lambda: override_reviews.override_approve(actor=org.manager, override=override))
    a.private_loans = Decimal(400000)  # down to B: no credit whatever the override
    a.save()
    runs.rating_household_rerate(household=a, actor=org.officer_a)
    override.refresh_from_db()
    assert override.status == OverrideStatus.NEEDS_REVIEW
    assert household_current_line(a.pk) is None
    # the officer cannot propose over it, nor withdraw it
    with pytest.raises(DomainError, match="待复核，须由支行行长或总行复核通过或撤回"):
        propose(org.officer_a, a, kind="grade", grade="A", amount=None)
    with pytest.raises(DomainError, match="待复核的调整只能由支行行长或总行撤回"):
        override_reviews.override_withdraw(actor=org.officer_a, override=override, note="不再需要")
    with pytest.raises(DomainError, match="您提议过该人工调整，不能再审批或退回"):
        override_reviews.override_approve(actor=org.officer_a, override=override)

    a.private_loans = Decimal(0)  # the archive corrected: A again
    a.save()
    runs.rating_household_rerate(household=a, actor=org.officer_a)
    run_today(
        lambda: override_reviews.override_approve(
            actor=org.manager, override=override, note="已复核"
        )
    )

    override.refresh_from_db()
    assert override.status == OverrideStatus.APPROVED
    assert (override.approved_grade, override.approved_cap) == ("A", Decimal(100000))
    assert override.review_reason == ""
    line = household_current_line(a.pk)
    assert line.override_id == override.pk
    assert line.grade == "AA"
    approval = events(override, AuditAction.CREDIT_OVERRIDE_APPROVE).order_by("id").last()
    assert "评级由A级降为B级" in approval.details["review"]
    assert approval.details["approved_under"] == {"grade": "A", "cap": "100000"}


def test_a_manager_withdraws_an_override_in_review(org, rated, run_today):
    aa, _ = rated
    override = _approve_300000_at_aa(org, aa, run_today)
    aa.committee_assessment = "fair"
    aa.save()
    runs.rating_household_rerate(household=aa, actor=org.officer_a)
    override.refresh_from_db()
    # 300,000 is above A's cap and the proposal brought no evidence: it cannot pass again
    with pytest.raises(DomainError, match="须附依据材料才能批准"):
        override_reviews.override_approve(actor=org.manager, override=override)

    override_reviews.override_withdraw(
        actor=org.manager, override=override, note="评级下降，不再适用"
    )

    override.refresh_from_db()
    assert override.status == OverrideStatus.WITHDRAWN
    assert household_current_line(aa.pk).amount == Decimal(100000)
    assert propose(org.officer_a, aa, amount=Decimal(90000)).status == OverrideStatus.PROPOSED


def test_a_what_if_leaves_an_outlived_override_out_of_its_lines_but_in_force(org, rated, run_today):
    aa, _ = rated
    override = _approve_300000_at_aa(org, aa, run_today)
    aa.committee_assessment = "fair"
    aa.save()

    simulation = run_today(
        lambda: simulations.simulation_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=today()
        )
    )

    simulated = CreditLine.objects.get(run=simulation.run, household=aa)
    assert simulated.override_id is None
    assert simulated.amount == Decimal(100000)
    override.refresh_from_db()
    assert override.status == OverrideStatus.APPROVED  # a what-if changes nothing
    assert household_current_line(aa.pk).amount == Decimal(300000)
