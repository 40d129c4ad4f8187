"""A generated county with everything the dashboards count: the synthetic archives, a
published county rating (lines with it), then officers' visits, QR scans, verified lookups
and villagers' requests, a few lines suspended or expired and a few households closed — so
that every figure has something to count and something to leave out."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import import_module

from django.apps import apps
from django.utils import timezone

from credit.models import CreditLine, LineStatus
from fuxiang.accounts.models import Role, User
from households.models import Grid, Household, HouseholdStatus, Village, Visit
from households.synthetic import build_county, demo_plan
from loans.applications import application_review, application_submit
from loans.contracts import contract_sign
from loans.drawdowns import drawdown_create
from loans.models import Channel, LoanApplication, LoanProduct, SigningCode
from loans.repayments import repayment_record
from loans.signing import code_hash, signing_code_confirm
from loans.verification import Verification
from qrlookup.models import (
    LookupEvent,
    LookupEventKind,
    OfficerRequest,
    RequestKind,
    RequestOutcome,
    RequestStatus,
    ScanEvent,
)
from rating import runs
from rating.models import CurrentRating, RunScope, RunStatus


@dataclass
class County:
    now: datetime
    head_office: User
    households: list[int]


def generated_county(*, households: int = 600, seed: int = 15) -> County:
    """Build, rate and animate a small county (needs committed data: a transactional test with
    eager Celery and the approved cards)."""
    today = timezone.localdate()
    loan_products_seeded()
    build_county(demo_plan(households=households, seed=seed, as_of=today))
    run = runs.rating_run_start(actor=None, scope=RunScope.COUNTY, as_of=today)
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED, run.error
    now = timezone.now()
    rng = random.Random(seed)
    add_loans(rng)
    add_activity(rng, now=now)
    head_office = User.objects.filter(role=Role.HEAD_OFFICE).order_by("pk").first()
    assert head_office is not None
    return County(now, head_office, list(Household.objects.values_list("pk", flat=True)))


def loan_products_seeded() -> None:
    """The loan products and contract template the migrations seed (an earlier transactional
    test flushed them)."""
    if not LoanProduct.objects.exists():
        import_module("loans.migrations.0003_seed_products_and_contract_template").seed(apps, None)


def _verified(
    channel: str, staff: User | None = None, member_id: int | None = None
) -> Verification:
    return Verification(
        channel=channel,
        method="in_person" if channel == Channel.BRANCH else "sms",
        verified_at=timezone.now(),
        reference=uuid.uuid4().hex,
        ip="203.0.113.9",
        user_agent="Mozilla/5.0 MicroMessenger",
        staff=staff,
        member_id=member_id,
    )


def _signing_code_used(
    application: LoanApplication, channel: str, staff: User | None, member_id: int | None
) -> Verification:
    """The borrower's signing code, as ``loans.signing`` would have sent and checked it (the
    code is made here, not read from an SMS)."""
    if channel != Channel.BRANCH:
        return _verified(channel, staff, member_id)
    now, code_id = timezone.now(), uuid.uuid4().hex
    SigningCode.objects.create(
        id=code_id,
        application=application,
        member_id=member_id,
        channel=channel,
        code_hash=code_hash(code_id, "246810"),
        created_at=now,
        expires_at=now + timedelta(minutes=5),
    )
    used = signing_code_confirm(application=application, code_id=code_id, code="246810")
    return Verification(
        channel=channel,
        method="sms",
        verified_at=now,
        reference=used.pk,
        staff=staff,
        member_id=member_id,
    )


def add_loans(rng: random.Random) -> None:
    """Households with an online line apply for 福祥e贷 — most online (码上贷), some with
    their officer at the branch; most sign, most of those draw, some repay; one asks for more
    than its line and is declined."""
    product = LoanProduct.objects.get(code="fuxiang_e_loan")
    online = list(
        CreditLine.objects.filter(
            rating_result_id__in=CurrentRating.objects.filter(household__isnull=False).values(
                "result_id"
            ),
            status=LineStatus.ACTIVE,
            online_eligible=True,
        )
        .order_by("pk")
        .values_list("household_id", "amount")
    )
    officer_of = dict(Village.objects.values_list("pk", "grid__officers"))
    for n, (household_id, line) in enumerate(rng.sample(online, min(len(online), 40))):
        household = Household.objects.get(pk=household_id)
        branch = n % 4 == 3
        staff = User.objects.get(pk=officer_of[household.village_id]) if branch else None
        channel = Channel.BRANCH if branch else Channel.VILLAGER
        head = household.members.filter(relation="head").values_list("pk", flat=True).first()
        amount = Decimal(50_000) if n % 10 else line + 1000  # the tenth: above its line
        application = application_submit(
            subject=household,
            product=product,
            amount=amount,
            term_months=12,
            repayment_method="revolving",
            purpose="购买化肥种子",
            verification=_verified(channel, staff, head),
            idempotency_key=uuid.uuid4().hex,
            actor=staff,
        )
        if application.status == "under_review":  # an officer entered it: the manager approves
            manager = User.objects.filter(
                managed_branches__grids__villages=household.village_id
            ).first()
            application = application_review(
                actor=manager, application=application, approve=True, note="同意"
            )
        if application.status != "approved" or n % 5 == 4:
            continue  # declined, or approved and not (yet) signed
        contract = contract_sign(  # the borrower confirms with the signing code sent to them
            application=application,
            verification=_signing_code_used(application, channel, staff, head),
            idempotency_key=uuid.uuid4().hex,
        )
        if n % 3 == 2:
            continue  # signed, never drawn
        loan = drawdown_create(
            contract=contract,
            amount=Decimal(30_000),
            verification=_verified(channel, staff),
            idempotency_key=uuid.uuid4().hex,
        ).loan
        if n % 2:
            repayment_record(
                loan=loan, amount=Decimal(10_000), channel="staff", idempotency_key=uuid.uuid4().hex
            )


def add_activity(rng: random.Random, *, now: datetime) -> None:
    ids = list(Household.objects.order_by("pk").values_list("pk", "village_id"))
    villages = {v.pk: v for v in Village.objects.select_related("grid")}
    officer_of = {grid.pk: grid.officers.order_by("pk").first() for grid in Grid.objects.all()}
    any_officer = User.objects.filter(role=Role.OFFICER).order_by("pk").first()

    # visits: about 40% of households, one to three each, over the last ten weeks
    visits = []
    for household, village in rng.sample(ids, len(ids) * 2 // 5):
        grid = villages[village].grid_id
        for _ in range(rng.randint(1, 3)):
            visits.append(
                Visit(
                    officer=officer_of.get(grid) or any_officer,
                    household_id=household,
                    village_id=village,
                    visited_at=now - timedelta(days=rng.randint(0, 70), hours=rng.randint(0, 20)),
                    place="村部",
                    outcome=rng.choice(["archived", "updated", "explained"]),
                )
            )
    Visit.objects.bulk_create(visits)

    # scans of village codes and of officers' own codes (no village), and lookups
    scans = []
    for _ in range(400):
        village = villages[rng.choice(ids)[1]]
        own_code = rng.random() < 0.15
        scans.append(
            ScanEvent(
                at=now - timedelta(hours=rng.randint(0, 24 * 60)),
                village_id=None if own_code else village.pk,
                grid_id=village.grid_id,
                ua_class="wechat",
            )
        )
    ScanEvent.objects.bulk_create(scans)
    events = []
    for household, village in rng.sample(ids, len(ids) // 4):
        at = now - timedelta(hours=rng.randint(0, 24 * 60))
        grid = villages[village].grid_id
        kind = rng.choice([LookupEventKind.VERIFIED, LookupEventKind.WECHAT])
        for k in (LookupEventKind.IDENTITY, kind, LookupEventKind.RESULT):
            events.append(
                LookupEvent(
                    at=at,
                    kind=k,
                    village_id=village,
                    grid_id=grid,
                    household_id=None if k == LookupEventKind.IDENTITY else household,
                    ua_class="wechat",
                )
            )
    # failed attempts of people never verified: no household, not a lookup
    events += [
        LookupEvent(at=now, kind=LookupEventKind.CODE_FAILED, ua_class="mobile") for _ in range(20)
    ]
    LookupEvent.objects.bulk_create(events)

    # requests: open and overdue, open and not yet due, answered on time, answered late, and
    # archive requests of people with no household (no village when made on an officer's code)
    requests = []
    for n, (household, village) in enumerate(rng.sample(ids, 40)):
        grid = villages[village].grid_id
        created = now - timedelta(days=rng.randint(1, 40))
        due = created + timedelta(days=7)
        closed = None
        if n % 4 in (2, 3):
            closed = due - timedelta(days=1) if n % 4 == 2 else due + timedelta(days=2)
            closed = min(closed, now)
        archive = n % 5 == 0
        requests.append(
            OfficerRequest(
                kind=RequestKind.ARCHIVE if archive else RequestKind.RATING,
                household_id=None if archive else household,
                grid_id=grid,
                village_id=None if archive and n % 2 else village,
                created_at=created,
                due_at=due,
                status=RequestStatus.DONE if closed else RequestStatus.OPEN,
                outcome=RequestOutcome.CONTACTED if closed else "",
                closed_at=closed,
            )
        )
    OfficerRequest.objects.bulk_create(requests)

    # lines: a few suspended (granted, not online), a few expired (not granted)
    current = CreditLine.objects.filter(
        rating_result_id__in=CurrentRating.objects.filter(household__isnull=False).values(
            "result_id"
        )
    ).order_by("pk")
    line_ids = list(current.values_list("pk", flat=True))
    picked = rng.sample(line_ids, 12)
    CreditLine.objects.filter(pk__in=picked[:6]).update(status=LineStatus.SUSPENDED)
    CreditLine.objects.filter(pk__in=picked[6:]).update(status=LineStatus.EXPIRED)

    # archives made long ago and still not rated (stalled), and households closed since
    unrated = list(
        Household.objects.exclude(status=HouseholdStatus.CLOSED)
        .filter(current_rating__isnull=True)
        .values_list("pk", flat=True)
    )
    Household.objects.filter(pk__in=unrated[: len(unrated) // 2]).update(
        created_at=now - timedelta(days=45)
    )
    Household.objects.filter(pk__in=[h for h, _ in rng.sample(ids, 8)]).update(
        status=HouseholdStatus.CLOSED
    )
