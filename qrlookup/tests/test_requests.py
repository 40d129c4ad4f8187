"""Requests to officers: the inbox with deadlines, closing by hand, closing by an archive edit
or a published re-rating, overdue requests flagged for the branch manager, the villager seeing
the status next time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fuxiang.errors import DomainError
from households import services as household_services
from qrlookup import officer_requests
from qrlookup.models import OfficerRequest, RequestKind, RequestOutcome, RequestStatus
from qrlookup.qrcode_selectors import code_attribution

pytestmark = pytest.mark.django_db


@pytest.fixture
def correction(rated):
    return officer_requests.request_create_for_household(
        household_id=rated.household.pk, kind=RequestKind.CORRECTION, note="新盖了房子"
    )


def test_the_officer_sees_the_request_with_its_deadline(client, org, correction, settings):
    client.force_login(org.officer_a)
    html = client.get("/qrlookup/requests/").content.decode()
    assert "信息有误" in html
    # (the day the officer reads: Beijing time's, not UTC's — they differ 16:00–24:00 UTC)
    assert f"{timezone.localtime(correction.due_at):%m-%d}" in html
    assert correction.due_at - correction.created_at == timedelta(
        days=settings.QRLOOKUP_REQUEST_DAYS
    )
    badge = client.get("/qrlookup/requests/badge").content.decode()
    assert ">1<" in badge
    client.force_login(org.officer_b)
    assert "信息有误" not in client.get("/qrlookup/requests/").content.decode()
    assert client.get(f"/qrlookup/requests/{correction.pk}/").status_code == 404


def test_the_officer_closes_it_with_an_outcome_the_villager_sees(
    client, org, village_code, correction, rated, flow
):
    client.force_login(org.officer_a)
    client.post(
        f"/qrlookup/requests/{correction.pk}/close",
        {"outcome": RequestOutcome.CONTACTED, "outcome_note": "内部：已电话联系"},
    )
    correction.refresh_from_db()
    assert correction.status == RequestStatus.DONE
    assert correction.closed_by == org.officer_a
    client.logout()
    flow.verify(village_code.token, rated.head)
    html = client.get("/q/me/").content.decode()
    assert "已办结" in html
    assert "已联系本人" in html
    assert "内部：已电话联系" not in html  # the officer's note stays inside


def test_an_archive_edit_closes_a_correction(
    org, correction, rated, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        household_services.household_update(
            actor=org.officer_a, household=rated.household, fields={"house_value": 600000}
        )
    correction.refresh_from_db()
    assert correction.status == RequestStatus.DONE
    assert correction.outcome == RequestOutcome.ARCHIVE_UPDATED


def test_a_watchlist_change_does_not_close_a_correction(correction, rated):
    officer_requests.requests_close_for_archive_change(
        household_ids=[rated.household.pk], reason="watchlist"
    )
    correction.refresh_from_db()
    assert correction.status == RequestStatus.OPEN


def test_a_published_rerating_closes_rating_requests(org, rated, run_today):
    asked = officer_requests.request_create_for_household(
        household_id=rated.household.pk, kind=RequestKind.RERATING
    )
    OfficerRequest.objects.filter(pk=asked.pk).update(
        created_at=timezone.now() - timedelta(minutes=1)
    )
    run_today(actor=org.head_office)
    asked.refresh_from_db()
    assert asked.status == RequestStatus.DONE
    assert asked.outcome == RequestOutcome.RERATED


def test_a_run_started_before_the_request_does_not_close_it(org, rated):
    from rating.models import RatingRun

    run = RatingRun.objects.order_by("-created_at").first()
    asked = officer_requests.request_create_for_household(
        household_id=rated.household.pk, kind=RequestKind.RERATING
    )
    officer_requests.requests_close_for_publish(run_id=run.pk, run_created_at=run.created_at)
    asked.refresh_from_db()
    assert asked.status == RequestStatus.OPEN


def test_overdue_requests_are_flagged_for_the_manager(client, org, correction):
    OfficerRequest.objects.filter(pk=correction.pk).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    from qrlookup import tasks

    assert tasks.flag_overdue_requests() == 1
    assert tasks.flag_overdue_requests() == 0  # once
    client.force_login(org.manager)
    html = client.get("/qrlookup/requests/?status=open&overdue=1").content.decode()
    assert "逾期" in html
    assert "信息有误" in html
    assert "text-bg-danger" in client.get("/qrlookup/requests/badge").content.decode()


def test_an_archive_request_from_anyone_reaches_the_codes_officer(client, org, village_code, flow):
    page = client.get(f"/q/{village_code.token}/contact").content.decode()
    key, answer = flow.captcha(page)
    response = client.post(
        f"/q/{village_code.token}/contact",
        {"name": "周新来", "phone": "13612345678", "note": "想办理建档",
         "captcha_0": key, "captcha_1": answer},
    )  # fmt: skip
    assert "客户经理将在7天内与您联系" in response.content.decode()
    request = OfficerRequest.objects.get()
    assert request.kind == RequestKind.ARCHIVE
    assert request.grid == org.grid_a
    assert request.contact_phone_masked == "136****5678"
    assert "13612345678" not in request.contact_phone_encrypted
    client.force_login(org.officer_a)
    detail = client.get(f"/qrlookup/requests/{request.pk}/").content.decode()
    assert "136****5678" in detail
    assert "13612345678" not in detail
    revealed = client.post(f"/qrlookup/requests/{request.pk}/phone").content.decode()
    assert "13612345678" in revealed
    from fuxiang.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="pii.reveal", target_id=str(request.pk)).exists()
    client.force_login(org.auditor)
    assert client.post(f"/qrlookup/requests/{request.pk}/phone").status_code == 403


def test_a_bad_call_back_number_is_refused_with_a_message(client, village_code, flow):
    page = client.get(f"/q/{village_code.token}/contact").content.decode()
    key, answer = flow.captcha(page)
    response = client.post(
        f"/q/{village_code.token}/contact",
        {"name": "周新来", "phone": "12345", "captcha_0": key, "captcha_1": answer},
    )
    assert "联系电话应为11位手机号" in response.content.decode()
    assert not OfficerRequest.objects.exists()


def test_one_open_request_per_kind(rated):
    officer_requests.request_create_for_household(
        household_id=rated.household.pk, kind=RequestKind.RATING
    )
    with pytest.raises(DomainError, match="已提交过同类申请"):
        officer_requests.request_create_for_household(
            household_id=rated.household.pk, kind=RequestKind.RATING
        )


def test_closing_twice_or_without_outcome_is_refused(org, correction):
    with pytest.raises(DomainError, match="请选择处理结果"):
        officer_requests.request_close(actor=org.officer_a, request=correction, outcome="")
    officer_requests.request_close(
        actor=org.officer_a, request=correction, outcome=RequestOutcome.CONTACTED
    )
    with pytest.raises(DomainError, match="已办结"):
        officer_requests.request_close(
            actor=org.officer_a, request=correction, outcome=RequestOutcome.CONTACTED
        )


def test_attribution_of_an_archive_request(village_code):
    attribution = code_attribution(village_code.token)
    request = officer_requests.request_create_archive(
        name="周新来", phone="13612345678", attribution=attribution
    )
    assert request.code_id == village_code.pk
    assert request.village_id == village_code.village_id
