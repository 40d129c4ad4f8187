"""Credit policy versions: drafting, maker-checker approval, effective dates, immutability,
the version in force on a day, audit."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from credit import engine, policies
from credit.models import CreditPolicyVersion, PolicyStatus
from credit.policy_selectors import policy_in_force, policy_previous_approved
from fuxiang.accounts.models import Role
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from fuxiang.makerchecker import MakerCheckerRefused
from households.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# 2026.1 (migration 0002) and 2026.2 = 2026.1 with the entity rules, in force from 2026-01-02 on
# a fresh install such as the test database (migration 0010_entity_limit_policy)
SEEDED_VERSIONS = 2


def seeded() -> CreditPolicyVersion:
    """The seeded version in force today (nothing approved later)."""
    return CreditPolicyVersion.objects.get(version="2026.2")


def future(days: int = 30) -> date:
    """A date a new version may take: after today and after the seeded version's date."""
    return max(timezone.localdate(), seeded().effective_from) + timedelta(days=days)


def draft(org, version="2027.1", days=30, **changes):
    data = {**seeded().data, **changes} if changes else None
    return policies.policy_draft_create(
        actor=org.head_office, version=version, effective_from=future(days), data=data
    )


def submitted(org, version="2027.1", days=30, **changes):
    return policies.policy_submit(
        actor=org.head_office, policy=draft(org, version, days, **changes)
    )


def test_a_new_draft_starts_as_a_copy_of_the_policy_in_force(org):
    new = draft(org)

    assert new.status == PolicyStatus.DRAFT
    assert new.created_by == org.head_office
    assert new.data == {
        **seeded().data,
        "version": "2027.1",
        "effective_from": future().isoformat(),
    }
    event = AuditEvent.objects.get(target_id=str(new.pk))
    assert event.action == AuditAction.CREDIT_POLICY_CREATE
    assert event.details["from"] == seeded().version


def test_a_second_head_office_user_approves_and_it_takes_effect_on_its_date(org, checker):
    new = submitted(org, lpr_bp=290)
    assert new.status == PolicyStatus.SUBMITTED

    policies.policy_approve(actor=checker, policy=new, note="按最新LPR调整")

    new.refresh_from_db()
    assert new.status == PolicyStatus.APPROVED
    assert (new.reviewed_by, new.review_note) == (checker, "按最新LPR调整")
    assert policy_in_force(timezone.localdate()) == seeded()
    assert policy_in_force(new.effective_from - timedelta(days=1)) == seeded()
    assert policy_in_force(new.effective_from) == new
    assert new.policy.lpr_bp == 290
    trail = list(
        AuditEvent.objects.filter(target_id=str(new.pk))
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert trail == [
        (AuditAction.CREDIT_POLICY_CREATE, "admin"),
        (AuditAction.CREDIT_POLICY_SUBMIT, "admin"),
        (AuditAction.CREDIT_POLICY_APPROVE, "checker"),
    ]
    approval = AuditEvent.objects.get(action=AuditAction.CREDIT_POLICY_APPROVE)
    assert approval.details["follows"] == seeded().version
    assert ["一年期LPR", "300基点（3.00%）", "290基点（2.90%）"] in approval.details["changes"]


def test_the_submitter_cannot_approve_their_own_version(org):
    new = submitted(org)
    with pytest.raises(DomainError, match="您起草、提交过该授信政策，不能再审批或退回"):
        policies.policy_approve(actor=org.head_office, policy=new)
    new.refresh_from_db()
    assert new.status == PolicyStatus.SUBMITTED
    assert policy_in_force(new.effective_from) == seeded()


def test_neither_the_drafter_nor_the_submitter_may_approve_or_reject(org, checker):
    new = draft(org)  # drafted by org.head_office
    policies.policy_submit(actor=checker, policy=new)  # submitted by checker
    for maker in (org.head_office, checker):
        with pytest.raises(DomainError, match="双人复核"):
            policies.policy_approve(actor=maker, policy=new)
        with pytest.raises(DomainError, match="双人复核"):
            policies.policy_reject(actor=maker, policy=new, note="不同意")
    third = UserFactory(username="third", role=Role.HEAD_OFFICE)
    policies.policy_approve(actor=third, policy=new)
    new.refresh_from_db()
    assert new.status == PolicyStatus.APPROVED


def test_who_drafted_and_edited_a_version_cannot_approve_it_once_another_submits(org, checker):
    new = draft(org)  # drafted by org.head_office
    policies.policy_update_draft(actor=org.head_office, policy=new, note="改了说明")
    policies.policy_submit(actor=checker, policy=new)

    with pytest.raises(MakerCheckerRefused, match="您起草、修改过该授信政策") as refused:
        policies.policy_approve(actor=org.head_office, policy=new)
    assert refused.value.code == "maker_checker"
    new.refresh_from_db()
    assert new.status == PolicyStatus.SUBMITTED


@pytest.mark.parametrize("role", ["manager", "officer_a", "auditor"])
def test_only_head_office_drafts_and_approves(org, checker, role):
    user = getattr(org, role)
    with pytest.raises(DomainError, match="只有总行可以维护授信政策"):
        policies.policy_draft_create(actor=user, version="2027.1", effective_from=future())
    new = submitted(org)
    with pytest.raises(DomainError, match="只有总行可以审批授信政策"):
        policies.policy_approve(actor=user, policy=new)
    with pytest.raises(DomainError, match="只有总行可以审批授信政策"):
        policies.policy_reject(actor=user, policy=new, note="不同意")
    new.refresh_from_db()
    assert new.status == PolicyStatus.SUBMITTED


def test_a_version_pricing_aaa_above_aa_for_some_household_is_refused_naming_both(org):
    # issue 11: spreads AAA +100 / AA +105 bp were accepted
    with pytest.raises(DomainError) as caught:
        draft(org, grade_spreads_bp={"AAA": 100, "AA": 105, "A": 250})

    [message] = caught.value.errors["grade_spreads_bp"]
    assert message.startswith("AAA级的利率会高于AA级")
    assert CreditPolicyVersion.objects.count() == SEEDED_VERSIONS


def test_an_invalid_policy_is_refused_with_the_engines_messages_per_field(org):
    with pytest.raises(DomainError) as caught:
        draft(org, floor_bp=900, income_multiple="-1", grade_caps={"AAA": "100000", "AA": "300000"})

    errors = caught.value.errors
    assert errors["floor_bp"] == ["利率下限9.00%高于利率上限7.85%（LPR 3.00%加4.85个百分点）"]
    assert errors["income_multiple"] == ["年净收入倍数必须大于0"]
    assert any("AAA级额度上限（100,000元）低于AA级" in m for m in errors["grade_caps"])
    assert CreditPolicyVersion.objects.count() == SEEDED_VERSIONS


def test_a_back_dated_version_is_refused(org):
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(DomainError) as caught:
        policies.policy_draft_create(
            actor=org.head_office, version="2026.2", effective_from=yesterday
        )
    assert any("不能追溯生效" in m for m in caught.value.errors["effective_from"])


def test_a_version_overlapping_the_latest_approved_one_is_refused(org, checker):
    first = submitted(org, "2027.1", days=30)
    same_day = submitted(org, "2027.2", days=30)  # both wait for approval: allowed
    policies.policy_approve(actor=checker, policy=first)

    with pytest.raises(DomainError, match=r"须晚于最新已批准版本2027\.1"):
        policies.policy_approve(actor=checker, policy=same_day)
    with pytest.raises(DomainError, match=r"须晚于最新已批准版本2027\.1"):
        draft(org, "2027.3", days=10)  # before the latest approved one
    later = draft(org, "2027.3", days=31)
    assert later.status == PolicyStatus.DRAFT


def test_a_version_whose_date_passed_while_waiting_cannot_be_approved(org, checker, monkeypatch):
    new = submitted(org, days=5)
    later = future(6)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later)

    with pytest.raises(DomainError, match="不能追溯生效"):
        policies.policy_approve(actor=checker, policy=new)
    new.refresh_from_db()
    assert new.status == PolicyStatus.SUBMITTED


def test_version_labels_are_unique(org):
    with pytest.raises(DomainError) as caught:
        policies.policy_draft_create(
            actor=org.head_office, version="2026.1", effective_from=future()
        )
    assert caught.value.errors == {"version": ["版本号“2026.1”已被使用，请换一个"]}
    with pytest.raises(DomainError, match="版本号只能包含字母"):
        policies.policy_draft_create(
            actor=org.head_office, version="2027 春", effective_from=future()
        )


def test_an_approved_version_cannot_be_edited_or_submitted_again(org):
    with pytest.raises(DomainError, match="不能修改；如需调整请起草新版本"):
        policies.policy_update_draft(
            actor=org.head_office, policy=seeded(), data={**seeded().data, "lpr_bp": 250}
        )
    with pytest.raises(DomainError, match="只有草稿可以提交审批"):
        policies.policy_submit(actor=org.head_office, policy=seeded())
    assert seeded().data["lpr_bp"] == 300


def test_a_submitted_version_cannot_be_edited_until_it_is_decided(org):
    new = submitted(org)
    with pytest.raises(DomainError, match="待审批"):
        policies.policy_update_draft(actor=org.head_office, policy=new, note="改")


def test_a_rejection_needs_a_reason_and_an_edit_makes_it_a_draft_again(org, checker):
    new = submitted(org)
    with pytest.raises(DomainError) as caught:
        policies.policy_reject(actor=checker, policy=new, note="  ")
    assert caught.value.errors == {"review_note": ["退回授信政策必须填写原因"]}

    policies.policy_reject(actor=checker, policy=new, note="低收入户优惠请与扶贫口径一致")
    new.refresh_from_db()
    assert (new.status, new.reviewed_by) == (PolicyStatus.REJECTED, checker)

    policies.policy_update_draft(
        actor=org.head_office, policy=new, data={**new.data, "low_income_bp": 60}
    )
    new.refresh_from_db()
    assert new.status == PolicyStatus.DRAFT
    assert new.data["low_income_bp"] == 60
    actions = list(
        AuditEvent.objects.filter(target_id=str(new.pk)).order_by("id").values_list("action")
    )
    assert actions[-2:] == [
        (AuditAction.CREDIT_POLICY_REJECT,),
        (AuditAction.CREDIT_POLICY_CREATE,),
    ]
    edit = AuditEvent.objects.filter(target_id=str(new.pk)).latest("id")
    assert edit.details["changes"] == [["低收入户优惠", "50基点", "60基点"]]


def test_editing_a_draft_keeps_the_row_and_its_json_in_step(org):
    new = draft(org)
    policies.policy_update_draft(
        actor=org.head_office, policy=new, version="2027.1a", effective_from=future(40)
    )
    new.refresh_from_db()
    assert (new.version, new.effective_from) == ("2027.1a", future(40))
    assert new.data["version"] == "2027.1a"
    assert new.data["effective_from"] == future(40).isoformat()


def test_the_policy_in_force_is_the_latest_approved_on_or_before_the_day(org, checker):
    approved = submitted(org, "2027.1", days=30)
    policies.policy_approve(actor=checker, policy=approved)
    draft(org, "2027.2", days=60)  # a draft is never in force

    assert policy_in_force(date(2025, 12, 31)) is None
    assert policy_in_force(seeded().effective_from) == seeded()
    assert policy_in_force(future(29)) == seeded()
    assert policy_in_force(future(30)) == approved
    assert policy_in_force(future(3650)) == approved
    assert engine.policy_in_force([seeded().policy, approved.policy], future(60)) == (
        approved.policy
    )


def test_a_draft_is_compared_with_the_approved_version_it_would_follow(org, checker):
    approved = submitted(org, "2027.1", days=30)
    policies.policy_approve(actor=checker, policy=approved)
    later = draft(org, "2027.2", days=60)

    assert policy_previous_approved(approved) == seeded()
    assert policy_previous_approved(later) == approved
    first = CreditPolicyVersion.objects.get(version="2026.1")
    assert policy_previous_approved(seeded()) == first
    assert policy_previous_approved(first) is None


def test_an_exported_version_imports_as_a_new_draft(org):
    exported = json.dumps(seeded().data, ensure_ascii=False)
    new = policies.policy_import_json(
        actor=org.head_office, data=exported, version="2027.1", effective_from=future()
    )
    assert (new.version, new.status, new.effective_from) == ("2027.1", "draft", future())
    assert engine.policy_diff(seeded().policy, new.policy) == [
        ("版本号", seeded().version, "2027.1"),
        ("生效日期", seeded().effective_from.isoformat(), future().isoformat()),
    ]
    with pytest.raises(DomainError) as caught:
        policies.policy_import_json(actor=org.head_office, data="{not json")
    assert caught.value.errors == {"file": ["文件不是有效的JSON"]}


def test_postgresql_refuses_changing_an_approved_version_even_without_the_service(postgres):
    version = seeded()
    tampered = {**version.data, "lpr_bp": 100}
    for change in (
        {"data": tampered},
        {"effective_from": date(2025, 1, 1)},
        {"status": PolicyStatus.DRAFT},
    ):
        with pytest.raises(DatabaseError, match="cannot change"), transaction.atomic():
            CreditPolicyVersion.objects.filter(pk=version.pk).update(**change)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data->>'lpr_bp', effective_from FROM credit_creditpolicyversion WHERE id = %s",
            [version.pk],
        )
        assert cursor.fetchone() == ("300", version.effective_from)


def test_postgresql_refuses_a_self_approval_even_without_the_service(postgres, org):
    new = submitted(org)
    with pytest.raises(DatabaseError, match="approver cannot be"), transaction.atomic():
        CreditPolicyVersion.objects.filter(pk=new.pk).update(
            status=PolicyStatus.APPROVED, reviewed_by=org.head_office, reviewed_at=timezone.now()
        )
    new.refresh_from_db()
    assert new.status == PolicyStatus.SUBMITTED


def test_head_office_sees_versions_read_only_in_the_admin(client, org):
    client.force_login(org.head_office)
    listing = client.get("/admin/credit/creditpolicyversion/")
    assert listing.status_code == 200
    assert "2026.1" in listing.content.decode()
    page = client.get(f"/admin/credit/creditpolicyversion/{seeded().pk}/change/")
    assert page.status_code == 200
    assert "lpr_bp" in page.content.decode()
    assert client.get("/admin/credit/creditpolicyversion/add/").status_code == 403
    deleted = client.post(
        f"/admin/credit/creditpolicyversion/{seeded().pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert CreditPolicyVersion.objects.filter(version="2026.1").exists()


def test_whoever_edited_the_draft_may_not_approve_it(org, checker):
    new = draft(org)  # drafted by org.head_office
    data = {**new.data, "lpr_bp": 290}
    policies.policy_update_draft(actor=checker, policy=new, data=data)  # the checker edits
    policies.policy_submit(actor=org.head_office, policy=new)
    with pytest.raises(MakerCheckerRefused, match="您修改过该授信政策"):
        policies.policy_approve(actor=checker, policy=new)
    new.refresh_from_db()
    assert new.status == PolicyStatus.SUBMITTED
