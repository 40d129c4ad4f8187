"""The loan platform link over real HTTP and a real Celery worker: a push that fails twice is
retried with backoff and delivered exactly once, signed; the fake platform's round trip —
pull, apply, sign, draw, events back — moves the line's available amount and the dashboard.
The platform is the local fake (``loans.platform.fake``): the only thing outside the bank."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboards import figures
from dashboards.models import VillageFigures
from fuxiang.celery import app
from loans.borrowers import Borrower, available
from loans.models import (
    CreditExposure,
    Delivery,
    DeliveryStatus,
    Drawdown,
    InboundEvent,
    Loan,
    LoanProduct,
)
from loans.platform import deliveries, signing
from loans.platform.fake import FakePlatform
from loans.tests.conftest import RICH, rate_household, seeded  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def borrower(org, seeded, rate_household):  # noqa: F811  (fixtures)
    from households.tests.factories import HouseholdFactory

    return rate_household(HouseholdFactory(village=org.village_a, **RICH))


@pytest.fixture
def fake():
    platform = FakePlatform(code="prov", secret="").start()
    yield platform
    platform.stop()


def register(fake: FakePlatform, org, **kwargs) -> object:
    e_loan = LoanProduct.objects.get(code="fuxiang_e_loan")
    platform, token, secret = deliveries.platform_register(
        actor=org.head_office,
        code=fake.code,
        name="省联社线上贷款平台",
        products=[e_loan],
        webhook_url=fake.webhook_url,
        **kwargs,
    )
    fake.token, fake.secret = token, secret
    return platform


def latest_figures(village):
    rows = VillageFigures.objects.filter(village=village, period="day")
    return rows.order_by("-as_of").first()


def wait_for(condition, timeout: float, log=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out" + (f":\n{log.read_text()[-3000:]}" if log else ""))
        time.sleep(0.2)


def test_a_push_failing_twice_is_retried_and_delivered_exactly_once_signed(
    org, borrower, fake, celery_worker
):
    platform = register(fake, org, retry_base_seconds=1, max_attempts=5, timeout_seconds=5)
    app.conf.task_always_eager = False  # the push goes to the worker (the fixture restores it)
    fake.fail_next("500", "500")

    delivery = deliveries.delivery_push_create(
        platform=platform, product=LoanProduct.objects.get(code="fuxiang_e_loan")
    )

    wait_for(
        lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED,
        60,
        celery_worker.log,
    )
    delivery.refresh_from_db()
    assert [r.answered for r in fake.received] == [500, 500, 200]
    assert all(r.signature_ok for r in fake.received)  # each attempt signed afresh, validly
    assert {r.key for r in fake.received} == {delivery.idempotency_key}
    assert len({r.body for r in fake.received}) == 1  # the same document every time
    assert list(fake.accepted) == [delivery.idempotency_key]  # delivered once
    document = fake.accepted[delivery.idempotency_key]
    assert document["version"] == delivery.version
    assert document["kind"] == "snapshot"
    head = borrower.members.get(relation="head")
    assert [e["subject_ref"] for e in document["entries"]] == [head.id_number_index]
    assert delivery.attempts == 3
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [500, 500, 200]
    # the backoff doubled: the second wait is about twice the first
    at = [a.at for a in delivery.attempt_log.order_by("number")]
    assert (at[1] - at[0]).total_seconds() >= 0.9
    assert (at[2] - at[1]).total_seconds() >= 1.8

    # a stray duplicate of the task sends nothing more
    from loans.platform.tasks import push_delivery

    push_delivery.delay(delivery_id=delivery.pk).get(timeout=30)
    assert len(fake.received) == 3


def test_a_push_that_times_out_and_fails_is_dead_lettered_then_resent_by_head_office(
    org, borrower, fake, celery_worker
):
    platform = register(fake, org, retry_base_seconds=1, max_attempts=3, timeout_seconds=1)
    app.conf.task_always_eager = False
    fake.hang_seconds = 2
    fake.fail_next("timeout", "500", "500")
    delivery = deliveries.delivery_push_create(
        platform=platform, product=LoanProduct.objects.get(code="fuxiang_e_loan")
    )
    wait_for(
        lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DEAD,
        60,
        celery_worker.log,
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 3
    assert fake.accepted == {}
    errors = [a.error for a in delivery.attempt_log.order_by("number")]
    assert errors == ["推送超时", "平台响应500", "平台响应500"]

    deliveries.delivery_resend(actor=org.head_office, delivery=delivery)
    wait_for(
        lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED,
        60,
        celery_worker.log,
    )
    assert list(fake.accepted) == [delivery.idempotency_key]
    last = delivery.attempt_log.order_by("number").last()
    assert last.manual
    assert last.status_code == 200


def test_the_fake_platforms_round_trip_moves_the_line_and_the_dashboard(
    org, borrower, fake, live_server, eager_celery, settings
):
    settings.DASHBOARDS_REFRESH_DEBOUNCE_SECONDS = 0
    fake.base_url = live_server.url
    register(fake, org)
    today = timezone.localdate()
    subject = Borrower(household_id=borrower.pk)
    line = subject.line()
    before = available(line, Decimal(0), today)
    figures.figures_refresh()
    village_before = latest_figures(org.village_a)

    # pull: the whole snapshot, page by page, each page's signature checked
    page = fake.pull("fuxiang_e_loan", limit=1)
    head = borrower.members.get(relation="head")
    (row,) = page["entries"]
    assert row["subject_ref"] == head.id_number_index
    assert row["id_number"]  # the plaintext ID only inside the signed payload
    assert Decimal(row["amount"]) == line.amount

    # apply → sign → draw on the platform: events back, each applied once
    steps = dict(
        fake.journey(row, "fuxiang_e_loan", "100000", term_months=12, method="equal_instalment")
    )
    for step, response in steps.items():
        assert response.status_code == 200, (step, response.json())
    assert steps["application"].json()["result"]["status"] == "approved"
    loan = Loan.objects.get(household=borrower)
    assert loan.principal == Decimal("100000.00")
    assert loan.contract.signing_channel == "platform"
    assert Drawdown.objects.get(loan=loan).channel == "platform"

    # the same drawdown event again: nothing moves twice
    again = fake.resend(steps["drawdown"])
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Drawdown.objects.filter(loan=loan).count() == 1

    exposure = CreditExposure.objects.get(household=borrower)
    assert exposure.outstanding == Decimal("100000.00")
    assert available(line, exposure.in_use, today) == before - Decimal("100000.00")

    figures.figures_refresh()
    village = latest_figures(org.village_a)
    assert village.drawn_amount - (village_before.drawn_amount if village_before else 0) == (
        Decimal("100000.00")
    )
    assert village.online_balance >= Decimal("100000.00")
    assert InboundEvent.objects.filter(status="applied").count() == 3
    assert signing.SIGNATURE_HEADER in steps["application"].request.headers
