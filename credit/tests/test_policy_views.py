"""The credit policy pages as head office, a second head-office user, an officer and an auditor
use them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from credit import engine, policies
from credit.models import CreditPolicyVersion, PolicyStatus
from credit.policy_forms import PolicyForm
from credit.tests.test_policies import SEEDED_VERSIONS, future, seeded

pytestmark = pytest.mark.django_db


def posted(version: str = "2027.1", days: int = 30, **changes: Any) -> dict[str, str]:
    """What the new-version page posts when filled from the seeded policy, with ``changes``
    typed over it (form field names, form units)."""
    form = PolicyForm.for_policy(seeded().data)
    data = dict.fromkeys(form.fields, "")
    data.update({name: str(value) for name, value in form.initial.items()})
    data.update(version=version, effective_from=future(days).isoformat(), note="")
    data.update({name: str(value) for name, value in changes.items()})
    return data


def test_head_office_drafts_and_submits_and_a_second_user_approves(client, org, checker):
    client.force_login(org.head_office)
    page = client.get(reverse("credit:policy_new"))
    assert page.status_code == 200
    assert 'name="lpr" value="3.00"' in page.content.decode()  # a copy of the policy in force

    response = client.post(reverse("credit:policy_new"), posted(lpr="2.90", note="跟随LPR下调"))
    new = CreditPolicyVersion.objects.get(version="2027.1")
    assert response.url == reverse("credit:policy", args=[new.pk])
    assert (new.status, new.data["lpr_bp"], new.note) == ("draft", 290, "跟随LPR下调")

    client.post(reverse("credit:policy_submit", args=[new.pk]))
    detail = client.get(reverse("credit:policy", args=[new.pk])).content.decode()
    assert 'data-testid="maker-checker-note"' in detail
    refused = client.post(reverse("credit:policy_approve", args=[new.pk]), follow=True)
    assert "您起草、提交过该授信政策，不能再审批或退回（双人复核）" in refused.content.decode()
    new.refresh_from_db()
    assert new.status == PolicyStatus.SUBMITTED

    client.force_login(checker)
    approved = client.post(
        reverse("credit:policy_approve", args=[new.pk]), {"review_note": "同意"}, follow=True
    )
    assert f"自{future():%Y-%m-%d}起生效" in approved.content.decode()
    new.refresh_from_db()
    assert (new.status, new.reviewed_by, new.review_note) == ("approved", checker, "同意")
    listing = client.get(reverse("credit:policies")).content.decode()
    assert "待生效" in listing
    assert "当前生效" in listing


def test_the_form_shows_each_refusal_on_its_field_in_chinese(client, org):
    client.force_login(org.head_office)
    response = client.post(
        reverse("credit:policy_new"),
        posted(floor="9.00", income_multiple="0", lpr="三点零"),
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="lpr">输入一个数字。' in page  # the form's own check comes first
    response = client.post(reverse("credit:policy_new"), posted(tier_2_bp=""))
    page = response.content.decode()
    assert 'data-field="tier_2_bp">存款档位的比例和优惠基点须同时填写或同时留空' in page

    response = client.post(reverse("credit:policy_new"), posted(floor="9.00", income_multiple="0"))
    page = response.content.decode()
    assert 'data-field="floor">利率下限9.00%高于利率上限7.85%' in page  # then the engine's
    assert 'data-field="income_multiple">年净收入倍数必须大于0' in page
    assert CreditPolicyVersion.objects.count() == SEEDED_VERSIONS

    response = client.post(
        reverse("credit:policy_new"),
        posted(cap_AA="600000", effective_from=(timezone.localdate() - timedelta(days=1))),
    )
    page = response.content.decode()
    assert 'data-field="grade_caps">AA级额度上限（600,000元）超过线上贷款最高额度' in page
    assert 'data-field="effective_from">生效日期' in page
    assert "不能追溯生效" in page
    assert CreditPolicyVersion.objects.count() == SEEDED_VERSIONS


def test_spreads_that_price_a_better_grade_above_a_worse_one_are_refused_on_the_form(client, org):
    client.force_login(org.head_office)
    before = CreditPolicyVersion.objects.count()

    response = client.post(reverse("credit:policy_new"), posted(spread_AA="105"))

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="grade_spreads_bp">AAA级的利率会高于AA级：日均存款30,000元的同一户' in page
    assert "请拉大AAA级与AA级的利率加点差距" in page
    assert CreditPolicyVersion.objects.count() == before


def test_the_diff_page_shows_a_changed_lpr(client, org):
    new = policies.policy_draft_create(
        actor=org.head_office,
        version="2027.1",
        effective_from=future(),
        data={**seeded().data, "lpr_bp": 290},
    )
    client.force_login(org.officer_a)

    page = client.get(reverse("credit:policy", args=[new.pk])).content.decode()

    base = seeded()
    assert f"与 {base.version}（{base.effective_from:%Y-%m-%d}起）相比的变化" in page
    assert (
        '<tr data-testid="change"><td>一年期LPR</td><td class="text-muted">300基点（3.00%）</td>'
        '<td class="fw-bold">290基点（2.90%）</td></tr>'
    ) in page
    assert "利率下限" not in page.split('data-testid="diff"')[1].split("</table>")[0]


def test_every_parameter_reads_in_chinese_and_the_auditor_only_reads(client, org):
    client.force_login(org.auditor)
    page = client.get(reverse("credit:policy", args=[seeded().pk])).content.decode()

    for name, label in engine.FIELD_LABELS.items():
        if name not in ("version", "effective_from"):
            assert label in page, label
    for shown in ("¥500,000", "3.00%", "3.45%", "7.85%", "+100基点", "存款占额度≥50%，减30基点"):
        assert shown in page, shown
    assert "与 2026.1（2026-01-01起）相比的变化" in page  # 2026.2 added the entity rules
    assert "提交审批" not in page
    assert 'data-testid="review"' not in page


def test_the_list_highlights_the_version_in_force_today(client, org, checker):
    new = policies.policy_submit(
        actor=org.head_office,
        policy=policies.policy_draft_create(
            actor=org.head_office, version="2027.1", effective_from=future()
        ),
    )
    policies.policy_approve(actor=checker, policy=new)
    client.force_login(org.manager)

    page = client.get(reverse("credit:policies")).content.decode()

    assert f'<tr class="table-success" data-version="{seeded().version}">' in page
    assert '<tr data-version="2027.1">' in page
    assert "起草新版本" not in page


def test_an_officer_reads_but_may_not_draft_or_decide(client, org):
    version = seeded()
    client.force_login(org.officer_a)
    assert client.get(reverse("credit:policies")).status_code == 200
    assert client.get(reverse("credit:policy", args=[version.pk])).status_code == 200
    assert client.get(reverse("credit:policy_export", args=[version.pk])).status_code == 200
    assert client.get(reverse("credit:policy_new")).status_code == 403
    assert client.post(reverse("credit:policy_new"), posted()).status_code == 403
    for name in ("policy_edit", "policy_submit", "policy_approve", "policy_reject"):
        assert client.post(reverse(f"credit:{name}", args=[version.pk])).status_code == 403
    assert CreditPolicyVersion.objects.count() == SEEDED_VERSIONS


def test_an_approved_version_cannot_be_opened_for_editing(client, org):
    client.force_login(org.head_office)
    response = client.get(reverse("credit:policy_edit", args=[seeded().pk]), follow=True)
    assert "不能修改；如需调整请起草新版本" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("credit:policy", args=[seeded().pk])


def test_a_rejected_draft_is_edited_on_the_form_and_becomes_a_draft(client, org, checker):
    new = policies.policy_submit(
        actor=org.head_office,
        policy=policies.policy_draft_create(
            actor=org.head_office, version="2027.1", effective_from=future()
        ),
    )
    client.force_login(checker)
    client.post(reverse("credit:policy_reject", args=[new.pk]), {"review_note": "LPR未更新"})
    new.refresh_from_db()
    assert new.status == PolicyStatus.REJECTED

    client.force_login(org.head_office)
    form = client.get(reverse("credit:policy_edit", args=[new.pk])).content.decode()
    assert "LPR未更新" in form
    response = client.post(reverse("credit:policy_edit", args=[new.pk]), posted(lpr="2.85"))
    assert response.url == reverse("credit:policy", args=[new.pk])
    new.refresh_from_db()
    assert (new.status, new.data["lpr_bp"]) == (PolicyStatus.DRAFT, 285)


def test_a_version_exported_as_json_imports_as_a_new_draft(client, org):
    client.force_login(org.head_office)
    exported = client.get(reverse("credit:policy_export", args=[seeded().pk]))
    assert exported["Content-Type"].startswith("application/json")
    assert f"credit-policy-{seeded().version}.json" in exported["Content-Disposition"]
    upload = SimpleUploadedFile("policy.json", exported.content, content_type="application/json")

    response = client.post(
        reverse("credit:policy_new"),
        {
            "source": "json",
            "file": upload,
            "version": "2027.1",
            "effective_from": future().isoformat(),
        },
    )

    imported = CreditPolicyVersion.objects.get(version="2027.1")
    assert response.url == reverse("credit:policy", args=[imported.pk])
    assert imported.status == PolicyStatus.DRAFT
    assert imported.policy.lpr_bp == seeded().policy.lpr_bp


def test_an_import_keeping_the_files_version_label_is_refused_on_the_page(client, org):
    client.force_login(org.head_office)
    upload = SimpleUploadedFile("policy.json", json.dumps(seeded().data).encode())
    response = client.post(reverse("credit:policy_new"), {"source": "json", "file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-field="version">版本号“{seeded().version}”已被使用' in page
    assert 'data-field="effective_from">生效日期' in page
