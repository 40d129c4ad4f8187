"""What-if simulations: same machinery as a run, never published, compared with what is
current."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from credit import engine, simulation_exports, simulation_selectors, simulations
from credit.models import CreditLine, CreditPolicyVersion
from credit.selectors import current_lines
from fuxiang.errors import DomainError
from households.tests.factories import BusinessEntityFactory, HouseholdFactory
from rating import scorecards as rating_scorecards
from rating.models import CurrentRating, RatingResult, RatingRun, RunScope, RunStatus
from rating.selectors import scorecard_active
from rating.tests.test_scoring_sql import AS_OF

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(org, run_to_end):
    rich = [
        HouseholdFactory(village=org.village_a, committee_assessment="very_good") for _ in range(3)
    ]
    poor = HouseholdFactory(
        village=org.village_b, committee_assessment="good", income_wages=0, income_crops=15000
    )
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    return rich, poor


def _draft_policy(org, **changes):
    data = {**engine.DEFAULT_POLICY_JSON, "version": "draft.1", **changes}
    data["effective_from"] = str(AS_OF + timedelta(days=400))
    engine.policy_from_json(data)
    return CreditPolicyVersion.objects.create(
        version="draft.1",
        effective_from=data["effective_from"],
        status="draft",
        data=data,
        created_by=org.head_office,
    )


def _published_state():
    return (
        sorted(CurrentRating.objects.values_list("household_id", "result_id", "grade")),
        sorted(current_lines().values_list("pk", "amount", "rate_bp", "status")),
        sorted(RatingRun.objects.filter(simulation=False).values_list("pk", "status")),
    )


def test_a_what_if_leaves_published_data_untouched_and_reports_the_difference(
    org, county, eager_celery, django_capture_on_commit_callbacks
):
    before = _published_state()
    lines_before = current_lines().count()
    # a draft policy with much lower caps
    policy = _draft_policy(org, grade_caps={"AAA": "100000", "AA": "60000", "A": "30000"})
    with django_capture_on_commit_callbacks(execute=True):
        simulation = simulations.simulation_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, policy=policy
        )
    simulation.run.refresh_from_db()
    assert simulation.run.status == RunStatus.SIMULATED
    assert _published_state() == before  # nothing current changed
    # lines were computed, under the draft policy
    assert set(CreditLine.objects.filter(run=simulation.run).values_list("policy", flat=True)) == {
        policy.pk
    }

    report = simulation_selectors.simulation_report(simulation)
    county_row = report["county"]
    assert county_row["subjects"] == 4
    assert county_row["grade_changed"] == 0  # same cards
    assert county_row["lines_before"] == lines_before
    assert Decimal(county_row["limit_after"]) < Decimal(county_row["limit_before"])
    assert county_row["limit_change"] == str(
        Decimal(county_row["limit_after"]) - Decimal(county_row["limit_before"])
    )
    assert {row["name"] for row in report["villages"]} == {org.village_a.name, org.village_b.name}

    book = load_workbook(BytesIO(_xlsx(simulation)))
    assert book.sheetnames == ["乡镇汇总", "村汇总", "新增授信", "失去授信"]
    assert book["乡镇汇总"]["B2"].value == 4


def test_the_report_workbook_writes_a_name_that_looks_like_a_formula_as_text(
    org, county, eager_celery, django_capture_on_commit_callbacks
):
    planted = '=HYPERLINK("http://example.cn","点我")'
    org.village_a.name = planted
    org.village_a.save(update_fields=["name"])
    policy = _draft_policy(org, grade_caps={"AAA": "100000", "AA": "60000", "A": "30000"})
    with django_capture_on_commit_callbacks(execute=True):
        simulation = simulations.simulation_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, policy=policy
        )
    book = load_workbook(BytesIO(_xlsx(simulation)))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert planted in [c.value for c in book["村汇总"]["B"]]


def _xlsx(simulation) -> bytes:
    out = BytesIO()
    simulation_exports.simulation_workbook(simulation).save(out)
    return out.getvalue()


def test_a_draft_card_changes_grades_and_shows_who_gains_and_loses(
    org, county, eager_celery, django_capture_on_commit_callbacks
):
    rich, poor = county
    approved = scorecard_active("household")
    definition = approved.definition
    # everyone with at least 40 points is now AAA; the card is a draft
    definition = {
        **definition,
        "grades": [
            {"grade": "AAA", "low": "40", "high": None, "grants_credit": True},
            {"grade": "B", "low": None, "high": "40", "grants_credit": False},
        ],
    }
    draft = rating_scorecards.scorecard_draft_create(
        actor=org.head_office, definition=definition, version="2027.sim", note="测算"
    )
    with django_capture_on_commit_callbacks(execute=True):
        simulation = simulations.simulation_start(
            actor=org.head_office,
            scope=RunScope.COUNTY,
            as_of=AS_OF,
            cards={"household": draft},
        )
    current = {h.pk: CurrentRating.objects.get(household=h).grade for h in (*rich, poor)}
    simulated = {
        r.household_id: r
        for r in RatingResult.objects.filter(run=simulation.run, household__isnull=False)
    }
    changed = 0
    for household_id, grade in current.items():
        result = simulated[household_id]
        expected = "AAA" if result.score >= 40 and not result.knocked_out else "B"
        assert result.grade == expected
        changed += grade != expected
    report = simulation_selectors.simulation_report(simulation)
    assert changed > 0
    assert report["county"]["grade_changed"] == changed
    # the draft was used, the approved card is still the one in force, nothing published
    assert simulation.run.household_card_id == draft.pk
    assert scorecard_active("household").pk == approved.pk
    assert {h: CurrentRating.objects.get(household_id=h).grade for h in current} == current


def test_only_head_office_simulates_with_drafts(org, county):
    policy = _draft_policy(org)
    with pytest.raises(DomainError, match="只有总行可以用未批准的授信政策"):
        simulations.simulation_start(
            actor=org.manager,
            scope=RunScope.VILLAGE,
            scope_ids=[org.village_a.pk],
            as_of=AS_OF,
            policy=policy,
            dispatch=False,
        )
    with pytest.raises(DomainError, match="只有总行和支行行长可以进行模拟测算"):
        simulations.simulation_start(
            actor=org.officer_a, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False
        )
    assert not RatingRun.objects.filter(simulation=True).exists()


def test_a_manager_simulates_their_branch_with_approved_versions(
    org, county, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        simulation = simulations.simulation_start(
            actor=org.manager, scope=RunScope.VILLAGE, scope_ids=[org.village_a.pk], as_of=AS_OF
        )
    report = simulation_selectors.simulation_report(simulation)
    assert report["county"]["subjects"] == 3
    assert report["county"]["limit_after"] == report["county"]["limit_before"]


def test_the_pages_start_show_and_export_a_simulation(
    client, org, county, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(org.head_office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/credit/simulations/",
            {"scope": "county", "target": "", "as_of": AS_OF.isoformat()},
        )
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "按乡镇" in html
    assert 'data-testid="township-table"' in html
    export = client.get(response["Location"] + "export/")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(org.officer_a)
    assert client.get("/credit/simulations/").status_code == 403


def test_who_gains_and_loses_is_named_by_the_heads_masked_name_not_a_number(org, county):
    rich, _ = county
    household = rich[0]
    head = household.members.get(relation="head")
    entity = BusinessEntityFactory(village=org.village_b)
    changes = [
        {"village": org.village_a.name, "household_id": household.pk, "entity_id": None},
        {"village": org.village_b.name, "household_id": None, "entity_id": entity.pk},
    ]

    named = simulation_selectors.changes_named(changes)

    assert [c["name"] for c in named] == [
        f"{org.village_a.name} {head.masked_name}户",
        f"{org.village_b.name} {entity.name}",
    ]
