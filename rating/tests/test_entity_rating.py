"""Business entities in rating (issue 11, items 5 and 6): the entity cards' knock-outs fire
from the entity's own archive (a bad loan outstanding) on both paths, its overdue record is a
feature, and an entity is re-rated when its archive changes — like a household."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from households import services
from households.imports import import_file
from households.imports.columns import COLUMNS
from households.models import BusinessEntity, ImportKind
from households.tests.factories import BusinessEntityFactory, next_resident_id, next_uscc
from households.tests.test_imports import xlsx
from rating import batch, engine, runs
from rating.default_cards import enterprise_card
from rating.features import EnterpriseArchive, enterprise_features
from rating.models import CurrentRating, RatingResult, RatingRun, RunScope, RunStatus
from rating.rerating import PURPOSE_ARCHIVE_CHANGED
from rating.results_sql import RESULT_COLUMNS

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture
def committed(eager_celery, django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def current(entity):
    return CurrentRating.objects.filter(business_entity=entity).first()


def entity_reratings():
    return RatingRun.objects.filter(scope=RunScope.SUBJECTS).exclude(entity_ids=[])


# --- item 5: knock-outs from the entity's archive ---------------------------------------------


def test_a_bad_loan_or_serious_overdue_reads_from_the_entitys_archive():
    clean = EnterpriseArchive(kind="micro_enterprise", overdue_count_24m=0)
    bad = EnterpriseArchive(
        kind="micro_enterprise",
        overdue_count_24m=1,
        has_outstanding_overdue=True,
        has_bad_loan=True,
    )
    assert enterprise_features(clean)["has_bad_loan"] is False
    assert enterprise_features(clean)["overdue_class"] == "none"
    assert enterprise_features(bad)["has_bad_loan"] is True
    assert enterprise_features(bad)["overdue_class"] == "serious"
    result = engine.score(enterprise_card(), enterprise_features(bad))
    assert result.knocked_out
    assert [r.code for r in result.knock_outs] == ["bad_loan"]


@pytest.mark.usefixtures("postgres")
def test_a_bad_loan_on_the_entity_archive_knocks_it_out_on_both_paths(org):
    bad = BusinessEntityFactory(village=org.village_a, has_bad_loan=True)
    clean = BusinessEntityFactory(village=org.village_a)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    rows, _ = batch.rate_village(run, org.village_a.pk)
    python = {
        row["business_entity_id"]: json.loads(row["knock_outs"])
        for row in (dict(zip(RESULT_COLUMNS, r, strict=True)) for r in rows)
        if row["business_entity_id"]
    }
    cards = batch.compiled_cards(run)
    assert cards is not None
    batch.rate_village_sql(run, org.village_a.pk, cards)
    sql = dict(
        RatingResult.objects.filter(run=run, business_entity__isnull=False).values_list(
            "business_entity_id", "knock_outs"
        )
    )

    assert python == sql == {bad.pk: ["bad_loan"], clean.pk: []}


# --- item 6: re-rated when the archive changes ------------------------------------------------


@pytest.fixture
def rated_entity(org, committed):
    entity = BusinessEntityFactory(village=org.village_a, total_assets=2_000_000)
    with committed():
        runs.rating_run_start(
            actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate()
        )
    assert current(entity) is not None
    return entity


def test_an_entity_is_re_rated_when_its_archive_changes(org, rated_entity, committed):
    before = current(rated_entity)
    with committed():
        services.business_entity_update(
            actor=org.officer_a, entity=rated_entity, fields={"tax_compliant": False}
        )
    after = current(rated_entity)
    assert after.run_id != before.run_id
    assert after.score < before.score
    run = RatingRun.objects.get(pk=after.run_id)
    assert (run.status, run.scope, run.entity_ids, run.household_ids) == (
        RunStatus.PUBLISHED,
        RunScope.SUBJECTS,
        [rated_entity.pk],
        [],
    )
    assert run.scope_label.startswith(PURPOSE_ARCHIVE_CHANGED)


def test_a_new_entity_is_rated_once_archived(org, committed):
    with committed():
        entity = services.business_entity_create(
            actor=org.officer_a,
            fields={
                "kind": "micro_enterprise",
                "name": "罗家坪竹木制品有限公司",
                "uscc": next_uscc("91"),
                "legal_rep_name": "罗建华",
                "legal_rep_id_number": next_resident_id(),
                "village": org.village_a,
                "industry": "竹木加工",
                "annual_revenue": Decimal(1200000),
                "annual_costs": Decimal(1000000),
                "total_assets": Decimal(900000),
            },
        )
    assert current(entity) is not None
    assert entity_reratings().count() == 1


def test_an_entity_import_rates_all_its_entities_in_one_run(org, committed):
    headers = [c.header for c in COLUMNS[ImportKind.ENTERPRISES]]
    rows = [
        {
            "主体类型": "小微企业",
            "名称": f"罗家坪{n}号有限公司",
            "统一社会信用代码": next_uscc("91"),
            "法定代表人/经营者": "罗大",
            "法定代表人身份证号码": next_resident_id(),
            "村编码": org.village_a.code,
            "行业": "加工",
            "年销售收入（元）": "120万",
            "年经营成本费用（元）": "100万" if n else "",
            "有不良贷款余额": "是" if n == 2 else "否",
        }
        for n in range(3)
    ]
    with committed():
        result = import_file(
            stream=xlsx(rows, headers),
            filename="企业.xlsx",
            kind=ImportKind.ENTERPRISES,
            actor=org.officer_a,
        )
    assert (result.created, result.rejected_rows) == (3, 0)
    run = entity_reratings().get()
    entities = set(BusinessEntity.objects.values_list("pk", flat=True))
    assert (run.status, set(run.entity_ids), run.rated) == (RunStatus.PUBLISHED, entities, 3)
    costs = dict(BusinessEntity.objects.values_list("name", "annual_costs"))
    assert costs == {
        "罗家坪0号有限公司": None,  # blank: not recorded, the policy's margin applies
        "罗家坪1号有限公司": Decimal("1000000.00"),
        "罗家坪2号有限公司": Decimal("1000000.00"),
    }
    knocked = CurrentRating.objects.get(business_entity__name="罗家坪2号有限公司")
    assert knocked.knocked_out
