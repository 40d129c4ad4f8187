"""The loan platform link through its HTTP endpoints (Django's test client as the platform):
the pull API (token, only its products, cursor over a snapshot, deltas, ETags, signed
pages), signed events back (verified, replay-safe, idempotent, refused with a record), the
nightly event file (checksum, row report), batch files with their manifest, the daily
reconciliation, and head office's pages."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import uuid
from decimal import Decimal

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from fuxiang.audit.models import AuditAction, AuditEvent
from loans.models import (
    CreditExposure,
    Delivery,
    DeliveryStatus,
    Difference,
    Drawdown,
    InboundEvent,
    Loan,
    LoanApplication,
    LoanProduct,
    PlatformBalance,
)
from loans.platform import deliveries, inbound_files, reconciliation, signing
from loans.tests.conftest import money

pytestmark = [pytest.mark.django_db]
EVENTS = "/api/v1/loans/platform/events/"
E_LOAN = "fuxiang_e_loan"


@pytest.fixture
def platform(org, products, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    made, token, secret = deliveries.platform_register(
        actor=org.head_office,
        code="prov",
        name="省联社线上贷款平台",
        products=[products[E_LOAN], products["huinong_quick_loan"]],
        webhook_url="https://platform.example/webhook",
        retry_base_seconds=1,
        max_attempts=3,
    )
    made.token, made.secret = token, secret
    return made


@pytest.fixture
def other_platform(org, products):
    made, token, secret = deliveries.platform_register(
        actor=org.head_office,
        code="other",
        name="另一平台",
        products=[products["gongxin_loan"]],
    )
    made.token, made.secret = token, secret
    return made


def pull(client, platform, product=E_LOAN, **params):
    return client.get(
        f"/api/v1/loans/platform/whitelists/{product}/",
        params,
        HTTP_AUTHORIZATION=f"Bearer {platform.token}",
    )


def send(client, platform, kind, data, *, event_id=None, secret=None, timestamp=None):
    body = json.dumps(
        {"event_id": event_id or uuid.uuid4().hex, "type": kind, "data": data}
    ).encode()
    headers = signing.sign(secret or platform.secret, body, timestamp)
    return client.post(
        EVENTS,
        body,
        content_type="application/json",
        HTTP_X_FX_PLATFORM=platform.code,
        HTTP_X_FX_TIMESTAMP=headers[signing.TIMESTAMP_HEADER],
        HTTP_X_FX_SIGNATURE=headers[signing.SIGNATURE_HEADER],
    )


def ref(household) -> str:
    return household.members.get(relation="head").id_number_index


def apply_sign_draw(client, platform, household, amount="100000", n=None):
    n = n or uuid.uuid4().hex[:8]
    answers = [
        send(
            client,
            platform,
            "application",
            {
                "application_no": f"A{n}",
                "subject_type": "household",
                "subject_ref": ref(household),
                "product": E_LOAN,
                "amount": amount,
                "term_months": 12,
                "repayment_method": "equal_instalment",
                "purpose": "购买农资",
            },
        ),
        send(
            client,
            platform,
            "contract",
            {"application_no": f"A{n}", "contract_no": f"C{n}", "signature_ref": f"S{n}"},
        ),
        send(
            client,
            platform,
            "drawdown",
            {"contract_no": f"C{n}", "drawdown_no": f"D{n}", "amount": amount},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.json()
    return n


# --- signatures ---------------------------------------------------------------------------------


def test_a_signature_is_checked_over_timestamp_and_body_within_the_window():
    body = b'{"a":1}'
    headers = signing.sign("s3cret", body)
    signing.verify("s3cret", body, headers[signing.TIMESTAMP_HEADER], headers["X-FX-Signature"])
    with pytest.raises(signing.SignatureError) as bad:
        signing.verify("s3cret", b'{"a":2}', headers["X-FX-Timestamp"], headers["X-FX-Signature"])
    assert bad.value.code == "signature_bad"
    old = signing.sign("s3cret", body, int(time.time()) - 600)
    with pytest.raises(signing.SignatureError) as stale:
        signing.verify("s3cret", body, old["X-FX-Timestamp"], old["X-FX-Signature"])
    assert stale.value.code == "signature_stale"


# --- pull ---------------------------------------------------------------------------------------


def test_the_pull_pages_a_snapshot_by_cursor_signs_each_page_and_answers_304_to_its_etag(
    client, platform, make_borrower
):
    households = [make_borrower() for _ in range(3)]
    first = pull(client, platform, limit=2)
    assert first.status_code == 200
    signing.verify(platform.secret, first.content, first["X-FX-Timestamp"], first["X-FX-Signature"])
    page = first.json()
    assert page["total"] == 3
    assert len(page["entries"]) == 2
    assert page["next_cursor"]
    version = page["version"]

    make_borrower()  # a new version appears while the platform pages
    second = pull(client, platform, cursor=page["next_cursor"], limit=2).json()
    assert second["version"] == version  # the cursor stays on its snapshot
    assert second["next_cursor"] is None
    refs = {e["subject_ref"] for e in page["entries"] + second["entries"]}
    assert refs == {ref(h) for h in households}

    again = client.get(
        f"/api/v1/loans/platform/whitelists/{E_LOAN}/",
        {"limit": 2, "version": version},
        HTTP_AUTHORIZATION=f"Bearer {platform.token}",
        HTTP_IF_NONE_MATCH=first["ETag"],
    )
    assert again.status_code == 304
    pulls = Delivery.objects.filter(platform=platform, kind="pull", version=version)
    assert pulls.get().status == DeliveryStatus.DELIVERED
    assert pulls.get().rows == 3


def test_a_delta_after_a_rerating_carries_only_the_change(
    client, platform, make_borrower, rate_household
):
    household = make_borrower()
    make_borrower()
    version = pull(client, platform).json()["version"]
    household.deposits = 0
    household.avg_daily_deposit_here = 0
    household.house_value = 100000
    household.save()
    rate_household(household)
    delta = pull(client, platform, since=version).json()
    assert delta["kind"] == "delta"
    assert delta["version"] > version
    assert [(e["subject_ref"], e["change"]) for e in delta["entries"]] == [
        (ref(household), "changed")
    ]


def test_a_pull_without_a_token_or_for_another_platforms_product_is_refused_and_recorded(
    client, platform, other_platform, make_borrower
):
    make_borrower()
    assert client.get(f"/api/v1/loans/platform/whitelists/{E_LOAN}/").status_code == 401
    assert pull(client, other_platform, E_LOAN).status_code == 403
    refused = AuditEvent.objects.filter(action=AuditAction.PLATFORM_REFUSED)
    assert {e.details["code"] for e in refused} == {"bad_token", "product_not_allowed"}
    assert not Delivery.objects.filter(platform=other_platform).exists()


def test_plaintext_ids_only_when_the_platform_needs_them(client, platform, make_borrower):
    make_borrower()
    entry = pull(client, platform).json()["entries"][0]
    assert len(entry["id_number"]) == 18
    assert "*" in entry["id_masked"]
    platform.send_plaintext_ids = False
    platform.save()
    assert "id_number" not in pull(client, platform).json()["entries"][0]


# --- events back --------------------------------------------------------------------------------


def test_a_replayed_inbound_event_changes_nothing(client, platform, borrower):
    n = apply_sign_draw(client, platform, borrower)
    exposure = CreditExposure.objects.get(household=borrower)
    loan = Loan.objects.get(household=borrower)
    repayment = {
        "contract_no": f"C{n}",
        "repayment_no": f"R{n}",
        "amount": "10000",
        "paid_on": timezone.localdate().isoformat(),
    }
    first = send(client, platform, "repayment", repayment, event_id=f"E-repay-{n}")
    assert first.status_code == 200
    after_first = (
        CreditExposure.objects.get(pk=exposure.pk).outstanding,
        Loan.objects.get(pk=loan.pk).principal_outstanding,
        loan.repayments.count(),
        AuditEvent.objects.filter(action=AuditAction.LOAN_REPAYMENT).count(),
    )

    replay = send(client, platform, "repayment", repayment, event_id=f"E-repay-{n}")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["result"] == first.json()["result"]
    # the same repayment under a new event id (the platform re-sent it): its number keys it
    resent = send(client, platform, "repayment", repayment)
    assert resent.status_code == 200
    assert (
        CreditExposure.objects.get(pk=exposure.pk).outstanding,
        Loan.objects.get(pk=loan.pk).principal_outstanding,
        loan.repayments.count(),
        AuditEvent.objects.filter(action=AuditAction.LOAN_REPAYMENT).count(),
    ) == after_first
    assert InboundEvent.objects.get(event_id=f"E-repay-{n}").replays == 1
    # the same event id with other content is refused
    other = send(
        client, platform, "repayment", {**repayment, "amount": "1"}, event_id=f"E-repay-{n}"
    )
    assert other.status_code == 409


def test_a_bad_or_old_signature_or_an_unknown_platform_is_rejected_recorded_and_applies_nothing(
    client, platform, borrower
):
    data = {
        "application_no": "A1",
        "subject_type": "household",
        "subject_ref": ref(borrower),
        "product": E_LOAN,
        "amount": "100000",
        "term_months": 12,
        "repayment_method": "equal_instalment",
        "purpose": "购买农资",
    }
    assert send(client, platform, "application", data, secret="wrong").status_code == 401
    old = int(time.time()) - 3600
    assert send(client, platform, "application", data, timestamp=old).status_code == 401
    unknown = client.post(EVENTS, b"{}", content_type="application/json", HTTP_X_FX_PLATFORM="x")
    assert unknown.status_code == 401
    assert not LoanApplication.objects.exists()
    codes = list(InboundEvent.objects.filter(status="rejected").values_list("code", flat=True))
    assert sorted(codes) == ["signature_bad", "signature_stale", "unknown_platform"]
    assert AuditEvent.objects.filter(action=AuditAction.PLATFORM_REFUSED).count() == 3


def test_events_for_an_unknown_customer_contract_or_loan_are_refused_with_a_reason(
    client, platform, borrower
):
    unknown_customer = send(
        client,
        platform,
        "application",
        {
            "application_no": "A2",
            "subject_type": "household",
            "subject_ref": "0" * 64,
            "product": E_LOAN,
            "amount": "100000",
            "term_months": 12,
            "repayment_method": "equal_instalment",
            "purpose": "购买农资",
        },
    )
    assert unknown_customer.status_code == 422
    assert unknown_customer.json()["code"] == "unknown_subject"
    draw = send(
        client, platform, "drawdown", {"contract_no": "C9", "drawdown_no": "D9", "amount": "1"}
    )
    assert draw.json()["code"] == "unknown_contract"
    other_product = send(
        client,
        platform,
        "application",
        {
            "application_no": "A3",
            "subject_type": "household",
            "subject_ref": ref(borrower),
            "product": "gongxin_loan",
        },
    )
    assert other_product.json()["code"] == "unknown_product"
    assert not LoanApplication.objects.exists()
    assert InboundEvent.objects.filter(status="refused").count() == 3


def test_an_event_refused_for_arriving_early_is_applied_by_head_offices_retry_once(
    client, platform, borrower, org
):
    n = uuid.uuid4().hex[:8]
    early = send(
        client,
        platform,
        "drawdown",
        {"contract_no": f"C{n}", "drawdown_no": f"D{n}", "amount": "100000"},
        event_id=f"early-{n}",
    )
    assert early.status_code == 422
    for kind, data in (
        ("application", {"application_no": f"A{n}", "subject_type": "household",
                         "subject_ref": ref(borrower), "product": E_LOAN, "amount": "100000",
                         "term_months": 12, "repayment_method": "equal_instalment",
                         "purpose": "购买农资"}),
        ("contract", {"application_no": f"A{n}", "contract_no": f"C{n}", "signature_ref": f"S{n}"}),
    ):  # fmt: skip
        assert send(client, platform, kind, data).status_code == 200
    event = InboundEvent.objects.get(event_id=f"early-{n}")
    client.force_login(org.head_office)
    client.post(
        reverse("loans:platform_event_retry", args=[event.pk]), HTTP_USER_AGENT="总行办公电脑"
    )
    event.refresh_from_db()
    assert event.status == "applied"
    # the view hands the service an AuditContext: who retried, from where
    retried = AuditEvent.objects.get(
        action=AuditAction.PLATFORM_EVENT, target_id=str(event.pk), details__retry=True
    )
    assert (retried.actor, retried.ip_address, retried.user_agent) == (
        org.head_office,
        "127.0.0.1",
        "总行办公电脑",
    )
    assert Drawdown.objects.get().amount == Decimal("100000.00")
    assert client.post(reverse("loans:platform_event_retry", args=[event.pk])).status_code == 302
    assert Drawdown.objects.count() == 1  # a second retry: not refused-state, nothing moves
    client.force_login(org.auditor)
    assert client.post(reverse("loans:platform_event_retry", args=[event.pk])).status_code == 403


# --- the nightly event file ---------------------------------------------------------------------


def event_file(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=inbound_files.FILE_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def test_a_nightly_file_with_a_wrong_checksum_applies_nothing_and_a_good_one_reports_each_row(
    client, platform, borrower, org
):
    n = apply_sign_draw(client, platform, borrower)
    today = timezone.localdate().isoformat()
    good = {"contract_no": f"C{n}", "paid_on": today}
    content = event_file(
        [
            {"event_id": f"F1-{n}", "type": "repayment", "repayment_no": f"FR{n}",
             "amount": "5000", **good},
            {"event_id": f"F2-{n}", "type": "balance", "contract_no": f"C{n}",
             "principal_outstanding": "95000", "as_of": today},
            {"event_id": f"F3-{n}", "type": "repayment", "contract_no": "NOPE",
             "repayment_no": "X1", "amount": "1", "paid_on": today},
            {"event_id": f"F4-{n}", "type": "repayment", "repayment_no": "X2",
             "amount": "abc", **good},
        ]
    )  # fmt: skip
    wrong = inbound_files.platform_file_import(
        platform=platform, content=content, file_name="events.csv", declared_sha256="0" * 64
    )
    assert not wrong.accepted
    assert "SHA-256" in wrong.message
    assert not InboundEvent.objects.filter(source="file").exists()

    digest = hashlib.sha256(content).hexdigest()
    batch = inbound_files.platform_file_import(
        platform=platform,
        content=content,
        file_name="events.csv",
        declared_sha256=digest,
        actor=org.head_office,
    )
    assert (batch.rows, batch.applied, batch.refused) == (4, 2, 2)
    assert [r["status"] for r in batch.report] == ["applied", "applied", "refused", "refused"]
    assert "未找到平台合同" in batch.report[2]["message"]
    loan = Loan.objects.get(household=borrower)
    assert loan.principal_outstanding < Decimal("100000")
    assert PlatformBalance.objects.get().principal_outstanding == Decimal("95000")

    again = inbound_files.platform_file_import(
        platform=platform, content=content, file_name="events.csv", declared_sha256=digest
    )
    assert (again.applied, again.repeated, again.refused) == (0, 2, 2)
    assert loan.repayments.count() == 1


def test_an_xlsx_event_file_is_read_like_the_csv(client, platform, borrower):
    from openpyxl import Workbook

    n = apply_sign_draw(client, platform, borrower)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["event_id", "type", "contract_no", "principal_outstanding", "as_of"])
    sheet.append([f"X1-{n}", "balance", f"C{n}", 100000, timezone.localdate().isoformat()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()
    batch = inbound_files.platform_file_import(
        platform=platform,
        content=content,
        file_name="events.xlsx",
        declared_sha256=hashlib.sha256(content).hexdigest(),
    )
    assert (batch.rows, batch.applied) == (1, 1)
    assert PlatformBalance.objects.get().principal_outstanding == Decimal("100000")


# --- files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_batch_file_matches_its_manifest_and_carries_no_plaintext_id(
    client, platform, make_borrower, org, file_format
):
    households = [make_borrower() for _ in range(2)]
    delivery = deliveries.delivery_file_create(
        platform=platform,
        product=LoanProduct.objects.get(code=E_LOAN),
        file_format=file_format,
        actor=org.head_office,
    )
    manifest = client.get(
        f"/api/v1/loans/platform/files/{delivery.pk}/manifest/",
        HTTP_AUTHORIZATION=f"Bearer {platform.token}",
    ).json()
    download = client.get(
        f"/api/v1/loans/platform/files/{delivery.pk}/",
        HTTP_AUTHORIZATION=f"Bearer {platform.token}",
    )
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == manifest["sha256"] == delivery.checksum
    assert manifest["rows"] == 2
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    if file_format == "csv":
        text = content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {r["subject_ref"] for r in rows} == {ref(h) for h in households}
        from fuxiang import crypto
        from households.services.personal_data import ID_COLUMN

        for h in households:
            plain = crypto.decrypt(
                h.members.get(relation="head").id_number_encrypted, column=ID_COLUMN
            )
            assert plain not in text


# --- push without the worker (responses at the HTTP boundary) -----------------------------------


@responses.activate
def test_a_push_answering_500_each_time_is_dead_lettered_then_resent(
    platform, make_borrower, org, eager_celery, django_capture_on_commit_callbacks
):
    make_borrower()
    responses.add(responses.POST, platform.webhook_url, status=500)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = deliveries.delivery_push_create(
            platform=platform, product=LoanProduct.objects.get(code=E_LOAN)
        )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == 3
    responses.replace(responses.POST, platform.webhook_url, status=204)
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_resend(actor=org.head_office, delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 4
    sent = responses.calls[-1].request
    signing.verify(
        platform.secret, sent.body, sent.headers["X-FX-Timestamp"], sent.headers["X-FX-Signature"]
    )
    assert AuditEvent.objects.filter(action=AuditAction.PLATFORM_RESEND).count() == 1


# --- reconciliation -----------------------------------------------------------------------------


def test_the_reconciliation_lists_differences_per_loan_and_product_and_never_overwrites(
    client, platform, make_borrower, org
):
    a, b = make_borrower(), make_borrower()
    na = apply_sign_draw(client, platform, a)
    nb = apply_sign_draw(client, platform, b, amount="80000")
    today = timezone.localdate().isoformat()
    send(
        client,
        platform,
        "balance",
        {"contract_no": f"C{na}", "principal_outstanding": "100000", "as_of": today},
    )
    send(
        client,
        platform,
        "balance",
        {"contract_no": f"C{nb}", "principal_outstanding": "70000", "as_of": today},
    )

    run = reconciliation.reconcile(platform=platform)
    assert (run.contracts, run.matched, run.differences) == (2, 1, 2)
    loan_b = Loan.objects.get(household=b)
    assert loan_b.principal_outstanding == money(80000)  # the ledger is not touched
    differences = {d.kind: d for d in Difference.objects.all()}
    assert differences["loan"].platform_amount == money(70000)
    assert differences["loan"].ledger_amount == money(80000)
    assert differences["product"].platform_amount == money(170000)
    assert differences["product"].ledger_amount == money(180000)

    reconciliation.reconcile(platform=platform)  # the next day: not listed twice
    assert Difference.objects.filter(resolved=False).count() == 2

    client.force_login(org.head_office)
    page = client.get(reverse("loans:platform_differences"))
    assert "借据余额不一致" in page.content.decode()
    client.post(
        reverse("loans:platform_differences"),
        {"difference": differences["loan"].pk, "note": "平台T+1入账，次日已一致"},
    )
    assert Difference.objects.get(pk=differences["loan"].pk).resolved
    assert AuditEvent.objects.filter(action=AuditAction.PLATFORM_RESOLVE).count() == 1


# --- head office's pages ------------------------------------------------------------------------


def test_head_office_sees_every_delivery_and_officers_do_not(client, platform, make_borrower, org):
    make_borrower()
    pull(client, platform)
    client.force_login(org.head_office)
    page = client.get(reverse("loans:platform_deliveries")).content.decode()
    assert "省联社线上贷款平台" in page
    assert "已送达" in page
    client.force_login(org.officer_a)
    assert client.get(reverse("loans:platform_deliveries")).status_code == 403
    client.force_login(org.auditor)
    assert client.get(reverse("loans:platform_events")).status_code == 200
    assert client.post(reverse("loans:platform_differences")).status_code == 403


def test_a_drawdown_above_the_line_from_the_platform_is_refused_and_nothing_moves(
    client, platform, borrower
):
    with pytest.raises(AssertionError):
        apply_sign_draw(client, platform, borrower, amount="9000000")
    assert not Drawdown.objects.exists()
    assert CreditExposure.objects.filter(household=borrower, outstanding__gt=0).count() == 0
