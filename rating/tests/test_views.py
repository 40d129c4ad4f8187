"""The rating pages as head office, a branch manager and an officer use them."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from fuxiang.accounts.models import Role
from households.tests.factories import (
    BranchFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    VillageFactory,
)
from rating import runs, scorecards
from rating.models import (
    CurrentRating,
    RatingRun,
    RunScope,
    RunStatus,
    Scorecard,
    ScorecardStatus,
)
from rating.selectors import scorecard_active

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture
def post_and_run(eager_celery, django_capture_on_commit_callbacks):
    """POST, then run what was queued after commit in-process: the run page finds it done."""

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def household(village, **kwargs):
    return HouseholdFactory(village=village, committee_assessment="good", **kwargs)


def test_head_office_starts_a_county_run_and_sees_it_published_with_grades(
    client, org, post_and_run
):
    for village in (org.village_a, org.village_a, org.village_b):
        household(village)
    client.force_login(org.head_office)

    today = timezone.localdate()
    response = post_and_run(
        client, reverse("rating:runs"), {"scope": "county", "as_of": today.isoformat()}
    )

    run = RatingRun.objects.get()
    assert response.url == reverse("rating:run", args=[run.pk])
    assert run.status == RunStatus.PUBLISHED
    page = client.get(response.url).content.decode()
    assert "已发布" in page
    assert 'data-testid="rated">3<' in page
    assert 'data-testid="grade-distribution-household"' in page
    grade, count = next(iter(run.grade_counts["household"].items()))
    assert f'data-grade="{grade}">{count} 个' in page
    progress = client.get(reverse("rating:run_progress", args=[run.pk]))
    assert progress["HX-Refresh"] == "true"
    listing = client.get(reverse("rating:runs")).content.decode()
    assert f"{grade} {count}" in listing


def test_a_branch_manager_may_choose_only_the_branch_grids_and_villages(client, org):
    client.force_login(org.manager)
    page = client.get(reverse("rating:runs")).content.decode()
    assert f'value="grid:{org.grid_a.pk}"' in page
    assert f'value="village:{org.village_b.pk}"' in page
    assert 'value="county"' not in page
    assert "township:" not in page


def test_an_officer_may_not_start_runs(client, org):
    household(org.village_a)
    client.force_login(org.officer_a)

    response = client.post(reverse("rating:runs"), {"scope": "county", "as_of": "2026-06-30"})

    assert response.status_code == 403
    assert client.get(reverse("rating:runs")).status_code == 403
    assert not RatingRun.objects.exists()


def test_a_second_run_while_one_is_active_is_refused_on_the_form(client, org):
    household(org.village_a)
    runs.rating_run_start(actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, today=AS_OF)
    client.force_login(org.head_office)

    today = timezone.localdate().isoformat()
    response = client.post(reverse("rating:runs"), {"scope": "county", "as_of": today})

    assert response.status_code == 200
    errors = response.content.decode().split('data-testid="form-errors"')[1]
    assert "<div>已有评级任务正在进行，请待其完成后再发起</div>" in errors
    assert RatingRun.objects.count() == 1
    run = RatingRun.objects.get()
    page = client.get(reverse("rating:run", args=[run.pk])).content.decode()
    assert reverse("rating:run_progress", args=[run.pk]) in page
    assert "HX-Refresh" not in client.get(reverse("rating:run_progress", args=[run.pk]))


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (1, "晚于今天"),
        (-400, "正式评级的基准日只能是今天或此前7天内"),  # before the first credit policy
    ],
)
def test_the_form_refuses_a_date_out_of_bounds_on_its_field(
    client, org, post_and_run, days, message
):
    household(org.village_a)
    client.force_login(org.head_office)
    today = timezone.localdate().isoformat()
    post_and_run(client, reverse("rating:runs"), {"scope": "county", "as_of": today})
    published = RatingRun.objects.get()
    ratings = list(CurrentRating.objects.values_list("pk", "run_id"))
    as_of = timezone.localdate() + timedelta(days=days)

    response = client.post(reverse("rating:runs"), {"scope": "county", "as_of": as_of.isoformat()})

    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field="as_of">评级基准日{as_of:%Y-%m-%d}' in page
    assert message in page
    assert "其他日期只能用于模拟测算" in page
    assert list(RatingRun.objects.all()) == [published]
    assert list(CurrentRating.objects.values_list("pk", "run_id")) == ratings


def test_the_household_fragment_shows_the_grade_and_hides_other_grids(client, org):
    mine = household(org.village_a)
    theirs = household(org.village_b)
    runs.rating_household_rerate(household=mine, as_of=AS_OF, today=AS_OF)
    current = CurrentRating.objects.get(household=mine)
    client.force_login(org.officer_a)

    fragment = client.get(reverse("rating:household_card", args=[mine.pk])).content.decode()

    assert f'data-testid="grade">{current.grade}<' in fragment
    assert f"{current.score} 分" in fragment
    assert 'data-testid="breakdown"' in fragment
    assert "家庭年净收入" in fragment or "净收入" in fragment
    assert 'data-testid="history"' in fragment
    assert "<html" not in fragment
    outside = client.get(reverse("rating:household_card", args=[theirs.pk]))
    assert outside.status_code == 404
    detail = client.get(reverse("households:detail", args=[mine.pk])).content.decode()
    assert reverse("rating:household_card", args=[mine.pk]) in detail


def test_a_knocked_out_household_gets_its_reasons_but_no_advice_on_points(client, org):
    listed = household(org.village_a, is_dishonest_debtor=True)
    clean = household(org.village_a)
    for h in (listed, clean):
        runs.rating_household_rerate(household=h, as_of=AS_OF, today=AS_OF)
    client.force_login(org.officer_a)

    def fragment(h):
        return client.get(reverse("rating:household_card", args=[h.pk])).content.decode()

    assert 'data-testid="hints"' in fragment(clean)
    knocked_out = fragment(listed)
    assert "一票否决：</strong>失信被执行人" in knocked_out
    assert 'data-testid="hints"' not in knocked_out
    assert "如何提高" not in knocked_out
    assert "可加" not in knocked_out


def test_a_card_submitted_by_a_user_cannot_be_approved_by_them_on_the_page(client, org):
    draft = scorecards.scorecard_draft_create(
        actor=org.head_office, version="2026.2", from_card=scorecard_active("household")
    )
    scorecards.scorecard_submit(actor=org.head_office, scorecard=draft)
    client.force_login(org.head_office)

    page = client.get(reverse("rating:scorecard", args=[draft.pk])).content.decode()
    assert 'data-testid="maker-checker-note"' in page
    response = client.post(reverse("rating:scorecard_approve", args=[draft.pk]), follow=True)

    assert "您起草、提交过该评分卡，不能再审批或退回（双人复核）" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ScorecardStatus.SUBMITTED


def test_an_editor_sees_the_review_buttons_disabled_once_another_user_submits(client, org, checker):
    draft = scorecards.scorecard_draft_create(
        actor=checker, version="2026.2", from_card=scorecard_active("household")
    )
    scorecards.scorecard_update_draft(actor=org.head_office, scorecard=draft, note="改了说明")
    scorecards.scorecard_submit(actor=checker, scorecard=draft)
    client.force_login(org.head_office)

    page = client.get(reverse("rating:scorecard", args=[draft.pk])).content.decode()

    assert "您起草、修改或提交过该评分卡，须由另一位总行用户审批（双人复核）" in page
    assert 'type="submit" disabled>批准并生效' in page
    response = client.post(reverse("rating:scorecard_approve", args=[draft.pk]), follow=True)
    assert "您修改过该评分卡，不能再审批或退回（双人复核）" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ScorecardStatus.SUBMITTED


def test_the_default_household_card_reads_in_chinese(client, org):
    card = scorecard_active("household")
    client.force_login(org.auditor)

    page = client.get(reverse("rating:scorecard", args=[card.pk])).content.decode()

    engine_card = card.card
    for block in engine_card.blocks:
        assert block.name in page
        for indicator in block.indicators:
            assert indicator.label in page
    assert "AAA" in page
    assert "一票否决" in page
    assert "批准并生效" not in page  # the auditor reads, head office decides
    rules = page[page.index('data-testid="feature-rules"') :]
    assert "劳动力：部分劳动能力的成员</span><span>计 0.5 人" in rules
    assert "无资产、无负债时的资产负债率</span><span>∞（落入最差一档）" in rules
    assert "本版本未写明特征规则" not in rules
    first = Scorecard.objects.get(kind="household", version="2026.1")  # retired, as approved
    page = client.get(reverse("rating:scorecard", args=[first.pk])).content.decode()
    assert "本版本未写明特征规则" in page


def test_a_card_exported_as_json_imports_as_a_new_draft(client, org):
    card = scorecard_active("household")
    client.force_login(org.head_office)
    exported = client.get(reverse("rating:scorecard_export", args=[card.pk]))
    assert exported["Content-Type"].startswith("application/json")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("card.json", exported.content, content_type="application/json")
    response = client.post(
        reverse("rating:scorecard_import"), {"file": upload, "version": "2026.9"}
    )

    imported = card.__class__.objects.get(version="2026.9")
    assert response.url == reverse("rating:scorecard", args=[imported.pk])
    assert imported.status == ScorecardStatus.DRAFT
    assert imported.kind == "household"


def test_only_head_office_may_act_on_cards(client, org):
    card = scorecard_active("household")
    client.force_login(org.manager)
    assert client.get(reverse("rating:scorecards")).status_code == 200
    assert client.post(reverse("rating:scorecard_submit", args=[card.pk])).status_code == 403
    client.force_login(org.officer_a)
    assert client.get(reverse("rating:scorecards")).status_code == 403


# --- who sees which runs (issue 10: runs were listed and opened across branches) -------------


@pytest.fixture
def other_branch(org):
    """A second branch with its own grid, village, household and manager."""
    branch = BranchFactory(name="黄丰桥支行")
    grid = GridFactory(branch=branch, name="黄丰桥网格")
    village = VillageFactory(township=org.township, grid=grid, name="黄丰桥村")
    manager = UserFactory(username="manager_2", full_name="李行长", role=Role.BRANCH_MANAGER)
    branch.managers.add(manager)
    return SimpleNamespace(
        branch=branch, grid=grid, village=village, manager=manager, household=household(village)
    )


@pytest.fixture
def runs_everywhere(org, other_branch, run_to_end, django_capture_on_commit_callbacks):
    """One of each kind of run, ours and theirs, all finished."""
    household(org.village_a)
    today = timezone.localdate()
    made = SimpleNamespace()
    made.county = run_to_end(actor=org.head_office, scope=RunScope.COUNTY, as_of=today)
    made.ours = run_to_end(
        actor=org.manager, scope=RunScope.VILLAGE, scope_ids=[org.village_a.pk], as_of=today
    )
    made.theirs = run_to_end(
        actor=other_branch.manager,
        scope=RunScope.VILLAGE,
        scope_ids=[other_branch.village.pk],
        as_of=today,
    )
    made.their_rerating = runs.rating_household_rerate(household=other_branch.household)
    with django_capture_on_commit_callbacks(execute=True):
        made.their_what_if = runs.rating_simulation_start(
            actor=other_branch.manager,
            scope=RunScope.VILLAGE,
            scope_ids=[other_branch.village.pk],
            as_of=today,
        )
    with django_capture_on_commit_callbacks(execute=True):
        made.our_what_if = runs.rating_simulation_start(
            actor=org.manager, scope=RunScope.VILLAGE, scope_ids=[org.village_a.pk], as_of=today
        )
    with django_capture_on_commit_callbacks(execute=True):
        made.county_what_if = runs.rating_simulation_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=today
        )
    for run in vars(made).values():
        run.refresh_from_db()
        assert run.status in (RunStatus.PUBLISHED, RunStatus.SIMULATED)
    return made


def listed(client, kinds=("batch", "single")):
    """The runs the run list shows, over its tabs (what-if runs are listed under 模拟测算)."""
    shown = set()
    for kind in kinds:
        page = client.get(reverse("rating:runs"), {"kind": kind})
        assert page.status_code == 200
        shown |= {
            run.pk
            for run in RatingRun.objects.all()
            if f'href="{reverse("rating:run", args=[run.pk])}"' in page.content.decode()
        }
    return shown


def opens(client, run):
    codes = {
        client.get(reverse("rating:run", args=[run.pk])).status_code,
        client.get(reverse("rating:run_progress", args=[run.pk])).status_code,
    }
    assert len(codes) == 1, codes
    return codes.pop()


def test_a_branch_manager_sees_their_branch_runs_and_the_county_runs_only(
    client, org, runs_everywhere
):
    made = runs_everywhere
    client.force_login(org.manager)

    assert listed(client) == {made.county.pk, made.ours.pk}
    for run in (made.county, made.ours, made.our_what_if):
        assert opens(client, run) == 200
    for run in (made.theirs, made.their_rerating, made.their_what_if, made.county_what_if):
        assert opens(client, run) == 404
    cancel = client.post(reverse("rating:run_cancel", args=[made.theirs.pk]))
    assert cancel.status_code == 404


def test_the_other_branch_manager_sees_theirs_and_not_ours(client, other_branch, runs_everywhere):
    made = runs_everywhere
    client.force_login(other_branch.manager)

    assert listed(client) == {made.county.pk, made.theirs.pk, made.their_rerating.pk}
    page = client.get(reverse("rating:run", args=[made.their_rerating.pk])).content.decode()
    assert "指定对象（农户1户" in page
    for run in (made.ours, made.our_what_if, made.county_what_if):
        assert opens(client, run) == 404


@pytest.mark.parametrize("role", ["head_office", "auditor"])
def test_head_office_and_auditors_see_every_run(client, org, runs_everywhere, role):
    client.force_login(getattr(org, role))

    assert listed(client) == set(
        RatingRun.objects.filter(simulation=False).values_list("pk", flat=True)
    )
    for run in vars(runs_everywhere).values():
        assert opens(client, run) == 200


def test_an_officer_sees_no_run_page(client, org, runs_everywhere):
    client.force_login(org.officer_a)
    assert client.get(reverse("rating:runs")).status_code == 403
    assert opens(client, runs_everywhere.county) == 403


def test_a_run_of_another_branch_holding_the_lane_is_not_named_to_a_manager(
    client, org, other_branch
):
    runs.rating_run_start(
        actor=other_branch.manager,
        scope=RunScope.VILLAGE,
        scope_ids=[other_branch.village.pk],
        as_of=timezone.localdate(),
        dispatch=False,
    )
    client.force_login(org.manager)

    page = client.get(reverse("rating:runs")).content.decode()

    assert "已有评级任务正在进行（由总行或其他支行发起）" in page
    assert other_branch.village.name not in page


def test_the_household_fragment_explains_the_points_the_run_stored_not_todays_logic(
    client, org, monkeypatch
):
    """Once a grade is stored, what the officer (and the villager) read about it comes from
    the result row: a later change to the scoring logic — here, an engine that can no longer
    score at all — changes nothing of it."""
    from decimal import Decimal

    from rating import engine
    from rating.models import RatingResult

    mine = household(org.village_a)
    runs.rating_household_rerate(household=mine, as_of=AS_OF, today=AS_OF)
    result = RatingResult.objects.get(household=mine)
    assert result.engine_version == engine.ENGINE_VERSION
    points = list(result.points)
    assert len(points) == 14
    assert len(result.codes) == 24
    assert points[5] < 15
    points[5] = Decimal(15)  # as if the income rule of that day had given full marks
    RatingResult.objects.filter(pk=result.pk).update(points=points)

    def no_scoring(*args, **kwargs):
        raise AssertionError("a stored result is never scored again")

    monkeypatch.setattr(engine, "score", no_scoring)
    monkeypatch.setattr("rating.engine.scoring.score", no_scoring)
    client.force_login(org.officer_a)
    fragment = client.get(reverse("rating:household_card", args=[mine.pk])).content.decode()

    assert "15 / 15" in fragment  # 家庭年净收入, as stored
    assert 'data-testid="hints"' in fragment


def test_grades_are_coloured_so_a_and_b_differ_from_aa_and_aaa(client, org):
    """A knocked-out household's B and a good household's grade look different on its card,
    and the four grades have four colours, greens for AA/AAA, amber for A, grey for B."""
    import re
    from pathlib import Path

    from django.conf import settings

    from fuxiang.formatting import grade_class

    listed = household(org.village_a, is_dishonest_debtor=True)
    runs.rating_household_rerate(household=listed, as_of=AS_OF, today=AS_OF)
    client.force_login(org.officer_a)
    card = client.get(reverse("rating:household_card", args=[listed.pk])).content.decode()
    assert 'class="display-6 fw-bold grade-b"' in card
    css = (Path(settings.BASE_DIR) / "static" / "css" / "fuxiang.css").read_text()
    rule = r"\.{}[ ,][^{{]*{{ color: (#[0-9a-f]+); }}"
    colours = {
        grade: re.search(rule.format(grade_class(grade)), css).group(1)
        for grade in ("AAA", "AA", "A", "B")
    }
    assert len(set(colours.values())) == 4
    greens = {colours["AAA"], colours["AA"]}
    assert colours["A"] not in greens
    assert colours["B"] not in greens


def test_the_run_list_keeps_single_re_ratings_apart_and_what_ifs_out(client, org, runs_everywhere):
    made = runs_everywhere
    client.force_login(org.head_office)
    assert listed(client, ["batch"]) == {made.county.pk, made.ours.pk, made.theirs.pk}
    assert listed(client, ["single"]) == {made.their_rerating.pk}
    page = client.get(reverse("rating:runs")).content.decode()
    assert "单户重评与人工调整生效" in page
    assert reverse("credit:simulations") in page  # what-ifs are found under 模拟测算
