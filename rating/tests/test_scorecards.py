"""Scorecard services: the seeded defaults, maker-checker approval, immutability, audit."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from fuxiang.accounts.models import Role
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from fuxiang.makerchecker import MakerCheckerRefused
from households.tests.factories import UserFactory
from rating import scorecards
from rating.default_cards import household_card
from rating.engine import card_to_json, validate_scorecard
from rating.models import Scorecard, ScorecardStatus
from rating.selectors import scorecard_active

pytestmark = pytest.mark.django_db


def submitted_draft(org, version="2026.2"):
    draft = scorecards.scorecard_draft_create(
        actor=org.head_office, version=version, from_card=scorecard_active("household")
    )
    return scorecards.scorecard_submit(actor=org.head_office, scorecard=draft)


def test_the_default_cards_are_seeded_approved_and_in_force():
    cards = Scorecard.objects.order_by("kind", "version")
    assert [(c.kind, c.version, c.status) for c in cards] == [
        ("agricultural", "2026.1", ScorecardStatus.RETIRED),
        ("agricultural", "2026.1.1", ScorecardStatus.APPROVED),
        ("enterprise", "2026.1", ScorecardStatus.RETIRED),
        ("enterprise", "2026.1.1", ScorecardStatus.APPROVED),
        ("household", "2026.1", ScorecardStatus.RETIRED),
        ("household", "2026.1.1", ScorecardStatus.APPROVED),
    ]
    for card in cards:
        assert card.created_by is None
        assert card.note.startswith("系统默认评分卡（docs/design.md §4.5）")
        assert validate_scorecard(card.card) == []
    assert scorecard_active("household").card == household_card()
    # 2026.1 kept its definition as approved (no feature rules: read with the implicit ones)
    first = cards.get(kind="household", version="2026.1")
    assert "feature_rules" not in first.definition
    assert first.card.rules == household_card().rules
    assert "feature_rules" in scorecard_active("household").definition


def test_a_second_head_office_user_approves_and_the_old_version_retires(org, checker):
    old = scorecard_active("household")
    card = submitted_draft(org)
    assert card.status == ScorecardStatus.SUBMITTED
    assert card.definition["version"] == "2026.2"

    scorecards.scorecard_approve(actor=checker, scorecard=card)

    card.refresh_from_db()
    old.refresh_from_db()
    assert card.status == ScorecardStatus.APPROVED
    assert card.approved_by == checker
    assert old.status == ScorecardStatus.RETIRED
    assert scorecard_active("household") == card
    actions = list(
        AuditEvent.objects.filter(target_id=str(card.pk))
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert actions == [
        (AuditAction.SCORECARD_CREATE, "admin"),
        (AuditAction.SCORECARD_SUBMIT, "admin"),
        (AuditAction.SCORECARD_APPROVE, "checker"),
    ]


def test_the_submitter_cannot_approve_their_own_card(org):
    card = submitted_draft(org)
    with pytest.raises(DomainError, match="您起草、提交过该评分卡，不能再审批或退回"):
        scorecards.scorecard_approve(actor=org.head_office, scorecard=card)
    card.refresh_from_db()
    assert card.status == ScorecardStatus.SUBMITTED
    assert scorecard_active("household").version == "2026.1.1"


def edited_title(card, title):
    definition = dict(card.definition)
    definition["title"] = title
    return definition


def test_who_drafted_and_edited_a_card_cannot_approve_it_once_another_submits(org, checker):
    # Issue 11: today only the submitter was stopped, so A could draft and edit, let B press
    # "submit", and approve the card A wrote.
    in_force = scorecard_active("household")
    card = scorecards.scorecard_draft_create(
        actor=org.head_office, version="2026.2", from_card=in_force
    )
    scorecards.scorecard_update_draft(
        actor=org.head_office, scorecard=card, definition=edited_title(card, "改过的标题")
    )
    scorecards.scorecard_submit(actor=checker, scorecard=card)

    for review in (
        lambda: scorecards.scorecard_approve(actor=org.head_office, scorecard=card),
        lambda: scorecards.scorecard_reject(actor=org.head_office, scorecard=card, reason="再议"),
    ):
        with pytest.raises(MakerCheckerRefused, match="您起草、修改过该评分卡") as refused:
            review()
        assert refused.value.code == "maker_checker"
    card.refresh_from_db()
    assert card.status == ScorecardStatus.SUBMITTED
    assert scorecard_active("household") == in_force

    third = UserFactory(username="third", role=Role.HEAD_OFFICE)
    scorecards.scorecard_approve(actor=third, scorecard=card)
    assert scorecard_active("household") == card


def test_an_editor_who_neither_drafted_nor_submitted_cannot_approve(org, checker):
    card = scorecards.scorecard_draft_create(
        actor=org.head_office, version="2026.2", from_card=scorecard_active("household")
    )
    scorecards.scorecard_update_draft(actor=checker, scorecard=card, note="补充说明")
    scorecards.scorecard_submit(actor=org.head_office, scorecard=card)

    with pytest.raises(MakerCheckerRefused, match="您修改过该评分卡"):
        scorecards.scorecard_approve(actor=checker, scorecard=card)
    card.refresh_from_db()
    assert card.status == ScorecardStatus.SUBMITTED


def test_a_submitter_of_an_earlier_round_cannot_approve_the_resubmitted_card(org, checker):
    card = scorecards.scorecard_draft_create(
        actor=org.head_office, version="2026.2", from_card=scorecard_active("household")
    )
    scorecards.scorecard_submit(actor=checker, scorecard=card)
    third = UserFactory(username="third", role=Role.HEAD_OFFICE)
    scorecards.scorecard_reject(actor=third, scorecard=card, reason="请补充说明")
    scorecards.scorecard_update_draft(actor=org.head_office, scorecard=card, note="已补充")
    scorecards.scorecard_submit(actor=org.head_office, scorecard=card)

    with pytest.raises(MakerCheckerRefused, match="您提交过该评分卡"):
        scorecards.scorecard_approve(actor=checker, scorecard=card)
    scorecards.scorecard_approve(actor=third, scorecard=card)
    card.refresh_from_db()
    assert card.status == ScorecardStatus.APPROVED


@pytest.mark.parametrize("role", ["manager", "officer_a", "auditor"])
def test_only_head_office_may_approve(org, role):
    card = submitted_draft(org)
    with pytest.raises(DomainError, match="只有总行可以审批评分卡"):
        scorecards.scorecard_approve(actor=getattr(org, role), scorecard=card)
    card.refresh_from_db()
    assert card.status == ScorecardStatus.SUBMITTED


def test_a_branch_manager_cannot_draft_a_card(org):
    with pytest.raises(DomainError, match="只有总行可以维护评分卡"):
        scorecards.scorecard_draft_create(
            actor=org.manager, version="2026.2", from_card=scorecard_active("household")
        )


def test_an_approved_card_cannot_be_edited(org):
    seeded = scorecard_active("household")
    definition = card_to_json(household_card())
    definition["title"] = "改过的标题"
    with pytest.raises(DomainError, match="不能修改"):
        scorecards.scorecard_update_draft(
            actor=org.head_office, scorecard=seeded, definition=definition
        )
    seeded.refresh_from_db()
    assert seeded.definition["title"] == "农户信用评级评分卡"


def test_postgresql_refuses_changing_an_approved_definition_even_without_the_service(postgres):
    seeded = scorecard_active("household")
    with pytest.raises(DatabaseError, match="cannot change"), transaction.atomic():
        Scorecard.objects.filter(pk=seeded.pk).update(definition={"tampered": True})
    with pytest.raises(DatabaseError, match="cannot change"), transaction.atomic():
        Scorecard.objects.filter(pk=seeded.pk).update(status=ScorecardStatus.DRAFT)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT definition->>'title' FROM rating_scorecard WHERE id = %s", [seeded.pk]
        )
        assert cursor.fetchone()[0] == "农户信用评级评分卡"


def test_a_draft_with_overlapping_bins_is_saved_but_cannot_be_submitted(org):
    definition = card_to_json(household_card())
    income = definition["blocks"][1]["indicators"][0]
    income["bins"][1]["low"] = 10000  # 2–5万 now starts at 1万, inside "2万元以下"
    draft = scorecards.scorecard_draft_create(
        actor=org.head_office, version="2026.2", definition=definition
    )
    assert draft.status == ScorecardStatus.DRAFT

    with pytest.raises(DomainError) as caught:
        scorecards.scorecard_submit(actor=org.head_office, scorecard=draft)
    assert caught.value.errors == {
        "definition": ["模块“家庭经济状况”指标“家庭年净收入”分箱“2万元以下”与“2–5万元”重叠"]
    }
    draft.refresh_from_db()
    assert draft.status == ScorecardStatus.DRAFT

    income["bins"][1]["low"] = 20000
    scorecards.scorecard_update_draft(actor=org.head_office, scorecard=draft, definition=definition)
    assert scorecards.scorecard_submit(actor=org.head_office, scorecard=draft).status == "submitted"


def test_a_rejected_card_needs_a_reason_and_goes_back_to_draft_when_edited(org, checker):
    card = submitted_draft(org)
    with pytest.raises(DomainError, match="必须填写原因"):
        scorecards.scorecard_reject(actor=checker, scorecard=card, reason="  ")
    scorecards.scorecard_reject(actor=checker, scorecard=card, reason="收入分档请与定价口径一致")
    card.refresh_from_db()
    assert card.status == ScorecardStatus.REJECTED
    assert card.rejected_by == checker
    assert AuditEvent.objects.filter(
        action=AuditAction.SCORECARD_REJECT, target_id=str(card.pk)
    ).exists()

    scorecards.scorecard_update_draft(actor=org.head_office, scorecard=card, note="已调整")
    card.refresh_from_db()
    assert card.status == ScorecardStatus.DRAFT


def test_a_submitted_card_cannot_be_edited_until_it_is_decided(org):
    card = submitted_draft(org)
    with pytest.raises(DomainError, match="待审批"):
        scorecards.scorecard_update_draft(actor=org.head_office, scorecard=card, note="改")


def test_an_exported_card_imports_as_a_new_draft(org):
    exported = json.dumps(scorecard_active("enterprise").definition, ensure_ascii=False)
    card = scorecards.scorecard_import_json(actor=org.head_office, data=exported, version="2027.1")
    assert (card.kind, card.version, card.status) == ("enterprise", "2027.1", "draft")
    assert card.created_by == org.head_office


def test_importing_an_invalid_or_duplicate_card_is_refused_with_the_reasons(org):
    with pytest.raises(DomainError, match="不是有效的JSON"):
        scorecards.scorecard_import_json(actor=org.head_office, data="{not json")
    broken = card_to_json(household_card())
    broken["grades"][0]["high"] = 50  # 50–60 belongs to no grade
    with pytest.raises(DomainError, match="等级“B”与“A”之间有空档"):
        scorecards.scorecard_import_json(actor=org.head_office, data=broken, version="2026.9")
    with pytest.raises(DomainError, match="已有同一版本号"):
        scorecards.scorecard_import_json(actor=org.head_office, data=card_to_json(household_card()))
    assert Scorecard.objects.count() == 6  # the two seeds of each kind


def test_head_office_sees_cards_read_only_in_the_admin(client, org):
    client.force_login(org.head_office)
    seeded = scorecard_active("household")
    listing = client.get("/admin/rating/scorecard/")
    assert listing.status_code == 200
    assert "2026.1" in listing.content.decode()
    page = client.get(f"/admin/rating/scorecard/{seeded.pk}/change/")
    assert page.status_code == 200
    assert "家庭年净收入" in page.content.decode()
    assert client.get("/admin/rating/scorecard/add/").status_code == 403
