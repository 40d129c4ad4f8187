"""The credit line pages and the line services: the household's card, lists by status, the
manager's suspend/restore/revoke, the nightly expiry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit import holds
from credit.models import CreditLine, CreditOverride, LineStatus
from credit.selectors import entity_current_line, household_current_line
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from fuxiang.formatting import format_rmb
from households.models import WatchlistEntry, WatchlistMatch
from households.tests.factories import BusinessEntityFactory, HouseholdFactory
from rating import runs
from rating.models import RunScope
from rating.tests.test_scoring_sql import AS_OF  # noqa: F401  (run_to_end's date)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(org, run_to_end):
    h = HouseholdFactory(
        village=org.village_a, committee_assessment="very_good", payroll_agency=True
    )
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    line = household_current_line(h.pk)
    assert line is not None
    return h, line


def login(client, user):
    client.force_login(user)
    return client


def test_the_household_card_shows_the_line_its_trace_and_the_villagers_words(client, org, rated):
    h, line = rated
    page = login(client, org.officer_a).get(f"/credit/households/{h.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert format_rmb(line.amount) in html
    assert line.rate_percent in html
    assert "代发工资优惠" in html  # a term of the rate
    assert "可以在手机上直接申请线上贷款" in html or "请联系您的客户经理" in html


def test_another_grids_officer_gets_404_for_the_card_and_the_line(client, org, rated):
    h, line = rated
    login(client, org.officer_b)
    assert client.get(f"/credit/households/{h.pk}/").status_code == 404
    assert client.get(f"/credit/lines/{line.pk}/").status_code == 404


def test_the_list_filters_by_status(client, org, rated):
    _, line = rated
    login(client, org.manager)
    assert f"/credit/lines/{line.pk}/" in client.get("/credit/").content.decode()
    suspended = client.get("/credit/?status=suspended").content.decode()
    assert f"/credit/lines/{line.pk}/" not in suspended


def test_a_manager_suspends_and_restores_a_line_with_a_reason_audited(client, org, rated):
    _, line = rated
    login(client, org.manager)
    response = client.post(
        f"/credit/lines/{line.pk}/status/", {"status": "suspended", "reason": "涉诉待查"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.status_reason) == (LineStatus.SUSPENDED, "涉诉待查")
    assert AuditEvent.objects.filter(action=AuditAction.CREDIT_LINE_SUSPEND).exists()
    client.post(f"/credit/lines/{line.pk}/status/", {"status": "active", "reason": "已核实"})
    line.refresh_from_db()
    assert line.status == LineStatus.ACTIVE


def test_an_officer_may_not_suspend_and_a_reason_is_required(client, org, rated):
    _, line = rated
    login(client, org.officer_a)
    response = client.post(f"/credit/lines/{line.pk}/status/", {"status": "suspended"})
    assert response.status_code == 403
    with pytest.raises(DomainError, match="请填写原因"):
        holds.line_set_status(actor=org.manager, line=line, status="suspended", reason="")
    line.refresh_from_db()
    assert line.status == LineStatus.ACTIVE


def test_a_suspension_carries_over_to_the_next_runs_line(org, rated, run_to_end):
    h, line = rated
    holds.line_set_status(actor=org.manager, line=line, status="suspended", reason="涉诉待查")
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    new = household_current_line(h.pk)
    assert new.pk != line.pk
    assert (new.status, new.status_reason) == (LineStatus.SUSPENDED, "涉诉待查")


def test_lines_past_their_end_expire_nightly_once(org, rated):
    _, line = rated
    CreditLine.objects.filter(pk=line.pk).update(valid_to=line.valid_from + timedelta(days=1))
    today = line.valid_from + timedelta(days=2)
    assert holds.lines_expire(today=today) == 1
    assert holds.lines_expire(today=today) == 0
    line.refresh_from_db()
    assert line.status == LineStatus.EXPIRED


def test_a_suspension_made_while_a_run_is_rating_holds_when_it_publishes(org, rated):
    h, line = rated
    run = runs.rating_run_start(
        actor=org.head_office,
        scope=RunScope.COUNTY,
        as_of=line.valid_from,
        dispatch=False,
        today=line.valid_from,
    )
    for chunk in run.chunks.all():
        runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False)
    # the run has written its new line (active) — now the manager suspends the current one
    holds.line_set_status(actor=org.manager, line=line, status="suspended", reason="涉诉待查")
    runs.rating_run_publish(run_id=run.pk)
    new = household_current_line(h.pk)
    assert new.run_id == run.pk
    assert (new.status, new.status_reason) == (LineStatus.SUSPENDED, "涉诉待查")


def test_a_suspension_lifted_while_a_run_is_rating_is_lifted_when_it_publishes(org, rated):
    h, line = rated
    holds.line_set_status(actor=org.manager, line=line, status="suspended", reason="核查")
    run = runs.rating_run_start(
        actor=org.head_office,
        scope=RunScope.COUNTY,
        as_of=line.valid_from,
        dispatch=False,
        today=line.valid_from,
    )
    for chunk in run.chunks.all():
        runs.rating_chunk_run(chunk_id=chunk.pk, queue_publish=False)
    written = CreditLine.objects.get(run=run, household=h)
    assert written.status == LineStatus.SUSPENDED  # the chunk copied the hold it saw
    line.refresh_from_db()
    holds.line_set_status(actor=org.manager, line=line, status="active", reason="核查完毕")
    runs.rating_run_publish(run_id=run.pk)
    new = household_current_line(h.pk)
    assert new.pk == written.pk
    assert (new.status, new.status_reason) == (LineStatus.ACTIVE, "")


def test_a_revocation_outlives_a_rating_that_grants_nothing(org, rated, run_to_end):
    h, line = rated
    holds.line_set_status(actor=org.manager, line=line, status="revoked", reason="骗贷")
    h.has_bad_loan = True
    h.save()
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    assert household_current_line(h.pk) is None  # knocked out: no line at all
    h.has_bad_loan = False
    h.save()
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    again = household_current_line(h.pk)
    assert (again.status, again.status_reason) == (LineStatus.REVOKED, "骗贷")


def test_a_line_cannot_be_restored_while_listed_and_a_lapsed_one_expires(org, rated):
    h, line = rated
    holds.line_set_status(actor=org.manager, line=line, status="suspended", reason="核查")
    head = h.members.get()
    entry = WatchlistEntry.objects.create(
        kind="dishonest_debtor",
        name=head.name,
        id_number_encrypted="x",
        id_number_index=head.id_number_index,
        id_number_masked=head.id_number_masked,
        source="法院",
        listed_on=line.valid_from - timedelta(days=400),
    )
    WatchlistMatch.objects.create(entry=entry, member=head, household=h, kind=entry.kind)
    with pytest.raises(DomainError, match="名单移出前不能解冻"):
        holds.line_set_status(actor=org.manager, line=line, status="active", reason="已核实")
    WatchlistMatch.objects.update(cleared_at=timezone.now())
    CreditLine.objects.filter(pk=line.pk).update(valid_to=line.valid_from)
    line.refresh_from_db()
    holds.line_set_status(actor=org.manager, line=line, status="active", reason="已核实")
    line.refresh_from_db()
    assert line.status == LineStatus.EXPIRED  # its term ended while it was suspended


def test_a_lapsed_override_leaves_the_line_the_night_after(
    org, rated, eager_celery, django_capture_on_commit_callbacks
):
    h, line = rated
    today = timezone.localdate()
    override = CreditOverride.objects.create(
        household=h,
        kind="limit",
        amount=Decimal("88000"),
        reason="测试到期",
        valid_until=today - timedelta(days=1),  # its last day was yesterday
        status="approved",
        approved_grade=line.grade,
        approved_cap=line.cap,
        proposed_by=org.officer_a,
        reviewed_by=org.manager,
    )
    with django_capture_on_commit_callbacks(execute=True):  # rated while it was in force
        runs.rating_households_rerate(household_ids=[h.pk], as_of=today - timedelta(days=5))
    assert household_current_line(h.pk).override_id == override.pk
    assert holds.overrides_lapse(today=today - timedelta(days=1)) == 0  # still in force
    with django_capture_on_commit_callbacks(execute=True):
        assert holds.overrides_lapse(today=today) == 1
    after = household_current_line(h.pk)
    assert after.override_id is None
    assert after.amount == line.amount  # the machine's limit again


def test_an_entity_shows_its_own_line_and_another_grid_gets_404(client, org, run_to_end):
    entity = BusinessEntityFactory(village=org.village_a, total_assets=2_000_000)
    # under the seeded policy with entity rules (2026.2, in force from the migration's day)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate())
    line = entity_current_line(entity.pk)
    assert line is not None
    client.force_login(org.officer_a)
    html = client.get(f"/credit/entities/{entity.pk}/").content.decode()
    assert format_rmb(line.amount) in html
    assert f"?entity={entity.pk}" in html  # propose an override for the entity
    client.force_login(org.officer_b)
    assert client.get(f"/credit/entities/{entity.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        ("suspended", "您的授信额度目前暂停使用，暂不能申请贷款"),
        ("expired", "您的授信额度已到期，暂不能申请贷款"),
        ("revoked", "您的授信额度已撤销，暂不能申请贷款"),
    ],
)
def test_a_line_that_cannot_be_used_never_tells_the_villager_to_borrow_online(
    client, org, rated, status, sentence
):
    h, line = rated
    assert line.online_eligible
    login(client, org.manager)
    pages = (f"/credit/households/{h.pk}/", f"/credit/lines/{line.pk}/")
    for url in pages:
        assert "可以在手机上直接申请线上贷款" in client.get(url).content.decode()

    CreditLine.objects.filter(pk=line.pk).update(status=status)

    for url in pages:
        html = client.get(url).content.decode()
        assert "可以在手机上直接申请线上贷款" not in html
        assert "可线上办理" not in html
        assert "您的贷款年利率" not in html
        assert sentence in html


# --- issue 16 (6): money and people on credit screens --------------------------------------


def test_lists_name_the_household_by_its_heads_masked_name_and_money_one_way(client, org, rated):
    h, line = rated
    head = h.members.get(relation="head")
    html = login(client, org.head_office).get("/credit/").content.decode()
    assert f"{org.village_a.name} {head.masked_name}户" in html
    assert f"农户#{h.pk}" not in html
    assert format_rmb(line.amount) in html
    detail = client.get(f"/credit/lines/{line.pk}/").content.decode()
    assert f"{head.masked_name}户" in detail
    assert head.name not in detail


def test_a_superseded_line_says_so_and_never_shows_a_green_badge(client, org, rated, run_to_end):
    h, old = rated
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    assert household_current_line(h.pk).pk != old.pk
    html = login(client, org.manager).get(f"/credit/lines/{old.pk}/").content.decode()
    assert 'data-testid="superseded"' in html
    assert "text-bg-success" not in html
    assert "已被取代" in html
    assert "调整状态" not in html  # nothing to suspend on a line that is no longer current


def test_a_superseded_business_line_opens_for_head_office_and_the_grid(client, org, run_to_end):
    entity = BusinessEntityFactory(village=org.village_a, total_assets=2_000_000)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate())
    old = entity_current_line(entity.pk)
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate())
    assert entity_current_line(entity.pk).pk != old.pk
    for user in (org.head_office, org.officer_a):
        page = login(client, user).get(f"/credit/lines/{old.pk}/")
        assert page.status_code == 200
        assert "已被新的评级结果取代" in page.content.decode()
    assert login(client, org.officer_b).get(f"/credit/lines/{old.pk}/").status_code == 404
