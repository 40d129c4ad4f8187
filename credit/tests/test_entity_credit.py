"""Business entities' credit (issue 11, items 4 and 6): limited on their net operating profit
with the policy's own entity rules — never on revenue — with their own words; an individual
business, family farm or large grower run by a household member shares the household's line,
a company or cooperative keeps its own; the household page shows the total exposure.

Rated as of today, under the seeded 2026.2 (2026.1 with the entity rules, migration
``0010_entity_limit_policy``, in force from 2026-01-02 in the test database)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from credit import engine, override_reviews, overrides
from credit.models import CreditLine, CreditPolicyVersion
from credit.policy_selectors import policy_in_force
from credit.selectors import entity_current_line, household_current_line
from fuxiang.errors import DomainError
from fuxiang.formatting import format_rmb
from households import services
from households.models import EntityCategory, EntityKind
from households.tests.factories import BusinessEntityFactory, HouseholdFactory, next_uscc
from rating.models import CurrentRating, RunScope

D = Decimal
AS_OF = None  # run_to_end's default: every run here passes today's date (``rate_today``)
MIGRATIONS = Path(__file__).parents[1] / "migrations"


@pytest.fixture
def rate_today(run_to_end, org):
    """A county run as of today, driven to its publish."""
    return lambda: run_to_end(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate()
    )


def entity_inputs(profit, assets, grade="AA", **kwargs):
    return engine.LimitInputs(
        grade=grade,
        grants_credit=True,
        knocked_out=False,
        net_annual_income=profit,
        net_assets=assets,
        subject=engine.ENTITY,
        **kwargs,
    )


# --- item 4: the limit basis (engine) --------------------------------------------------------


def test_an_entitys_income_term_is_its_net_profit_not_its_revenue():
    policy = engine.DEFAULT_POLICY
    # 800,000 of sales and 720,000 of costs: 80,000 of profit, × 3 = 240,000 — not 2,400,000
    profit = engine.entity_net_profit(
        policy, kind="individual_business", revenue=D(800000), costs=D(720000)
    )
    assert profit == D(80000)
    result = engine.credit_limit(policy, entity_inputs(profit, D(1900000)))
    terms = {t.code: t for t in result.terms}
    assert terms["profit"].value == D(240000)
    assert terms["profit"].label == "经营主体年净利润×3"
    assert terms["grade_cap"].label == "经营主体AA级额度上限"
    assert terms["grade_cap"].value == D(600000)  # the entity's own cap, not the household's
    assert (result.amount, result.binding) == (D(240000), "profit")
    assert "income" not in terms


def test_without_recorded_costs_the_profit_is_revenue_times_the_kinds_margin():
    policy = engine.DEFAULT_POLICY
    for kind, margin in policy.entity_margins.items():
        assert (
            engine.entity_net_profit(policy, kind=kind, revenue=D(800000), costs=None)
            == D(800000) * margin
        )
    assert engine.entity_net_profit(policy, kind="cooperative", revenue=None, costs=None) is None


@pytest.mark.parametrize(
    ("costs", "words"), [(D(800000), "经营主体年净利润为0"), (D(900000), "经营主体年净利润为负")]
)
def test_zero_or_negative_profit_gets_no_limit_and_says_why(costs, words):
    policy = engine.DEFAULT_POLICY
    profit = engine.entity_net_profit(policy, kind="cooperative", revenue=D(800000), costs=costs)
    result = engine.credit_limit(policy, entity_inputs(profit, D(5000000), grade="AAA"))
    assert result.amount == 0
    assert result.reason_code == "non_positive_profit"
    assert result.reason == f"{words}，不予授信"


def test_a_version_without_entity_rules_grants_entities_nothing():
    frozen = json.loads((MIGRATIONS / "default_policy_2026_1.json").read_text(encoding="utf-8"))
    old = engine.policy_from_json(frozen)
    assert not old.has_entity_rules
    assert engine.policy_to_json(old) == frozen  # round-trips unchanged
    result = engine.credit_limit(old, entity_inputs(D(500000), D(5000000)))
    assert (result.amount, result.reason_code) == (0, "no_entity_rules")
    assert result.reason == "授信政策2026.1未设置经营主体授信规则，不予授信"
    # households are limited as before
    household = engine.LimitInputs("AA", True, False, D(80000), D(400000))
    assert engine.credit_limit(old, household).amount == D(200000)


def test_an_entitys_words_speak_of_its_profit_and_never_of_the_family():
    policy = engine.DEFAULT_POLICY
    by_profit = engine.credit_limit(policy, entity_inputs(D(80000), D(1900000)))
    by_assets = engine.credit_limit(policy, entity_inputs(D(200000), D(300000)))
    words = engine.plain_words(by_profit) + engine.plain_words(by_assets)
    assert "按经营主体年净利润测算，您的授信额度为24万元" in words
    assert "按经营主体净资产测算，您的授信额度为15万元" in words
    assert not any("家庭" in w for w in words)


profits = st.none() | st.decimals(min_value=-1_000_000, max_value=20_000_000, places=2)


@settings(max_examples=300, deadline=None)
@given(
    grade=st.sampled_from(["AAA", "AA", "A", "B"]),
    profit=profits,
    assets=profits,
    revenue=st.decimals(min_value=0, max_value=50_000_000, places=2),
)
def test_an_entitys_limit_never_exceeds_its_own_cap_profit_or_assets_bound(
    grade, profit, assets, revenue
):
    policy = engine.DEFAULT_POLICY
    result = engine.credit_limit(
        policy,
        engine.LimitInputs(grade, grade != "B", False, profit, assets, subject=engine.ENTITY),
    )
    assert result.amount >= 0
    assert result.amount % policy.rounding_unit == 0
    if result.amount:
        assert result.amount <= policy.entity_grade_caps[grade]
        assert result.amount <= profit * policy.entity_profit_multiple
        assert result.amount <= assets * policy.entity_asset_multiple
    # the revenue plays no part once the profit is known
    assert result.binding in ("", "grade_cap", "profit", "assets")


# --- item 4: the policy ------------------------------------------------------------------------


def test_the_entity_rules_come_all_together_or_not_at_all():
    data = {**engine.DEFAULT_POLICY_JSON}
    data.pop("entity_margins")
    with pytest.raises(engine.PolicyError) as caught:
        engine.policy_from_json(data)
    assert caught.value.errors == {
        "entity_margins": ["缺少字段：经营主体利润率（未填报成本时）（entity_margins）"]
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"entity_grade_caps": {"AAA": "200000", "AA": "600000", "A": "100000"}},
            "entity_grade_caps",
            "经营主体AAA级额度上限（200,000元）低于AA级（600,000元）：评级越高，额度上限不能越低",
        ),
        (
            {"entity_grade_caps": {"AAA": "1000000", "B": "10000"}},
            "entity_grade_caps",
            "B级为不授信等级，不能设置经营主体额度上限",
        ),
        (
            {"entity_profit_multiple": "0"},
            "entity_profit_multiple",
            "经营主体年净利润倍数必须大于0",
        ),
        (
            {
                "entity_margins": {
                    "micro_enterprise": "0.08",
                    "individual_business": "0.10",
                    "family_farm": "0.15",
                    "cooperative": "1.5",
                    "large_grower": "0.15",
                }
            },
            "entity_margins",
            "农民专业合作社的利润率（1.5）必须大于0且不超过1（即0%–100%）",
        ),
        (
            {"entity_margins": {"family_farm": "0.15"}},
            "entity_margins",
            "缺少小微企业的利润率",
        ),
        (
            {
                "grade_caps": {"AAA": "500000", "AA": "300000"},
                "grade_spreads_bp": {"AAA": 100, "AA": 150},
            },
            "entity_grade_caps",
            "经营主体A级设置了额度上限，但等级利率加点中没有A级",
        ),
    ],
)
def test_bad_entity_rules_are_refused_in_chinese(change, field, message):
    with pytest.raises(engine.PolicyError) as caught:
        engine.policy_from_json({**engine.DEFAULT_POLICY_JSON, **change})
    assert message in caught.value.errors[field]


def test_a_change_of_the_entity_rules_shows_in_the_diff():
    older = engine.policy_from_json(
        json.loads((MIGRATIONS / "default_policy_2026_1.json").read_text(encoding="utf-8"))
    )
    rows = engine.policy_diff(older, engine.DEFAULT_POLICY)
    assert ("经营主体等级额度上限（AA）", "—", "600,000元") in rows
    assert ("经营主体年净利润倍数", "—", "3倍") in rows
    assert ("经营主体利润率（未填报成本时）（家庭农场）", "—", "15%") in rows


@pytest.mark.django_db
def test_the_seeded_2026_1_is_untouched_and_2026_2_adds_the_entity_rules():
    """Approved versions never change: the entity rules came as a new approved version — on a
    fresh install (the test database: no line granted) from the day after 2026.1."""
    frozen = json.loads((MIGRATIONS / "default_policy_2026_1.json").read_text(encoding="utf-8"))
    rules = json.loads((MIGRATIONS / "default_entity_rules_2026_2.json").read_text("utf-8"))
    first = CreditPolicyVersion.objects.get(version="2026.1")
    second = CreditPolicyVersion.objects.get(version="2026.2")
    assert first.data == frozen
    assert (second.status, second.created_by, second.effective_from) == (
        "approved",
        None,
        first.effective_from + timedelta(days=1),
    )
    assert second.data == {
        **frozen,
        **rules,
        "version": "2026.2",
        "effective_from": second.effective_from.isoformat(),
    }
    assert policy_in_force(timezone.localdate()) == second
    assert second.policy.has_entity_rules
    # the engine's default is the seeded numbers
    assert {k: engine.DEFAULT_POLICY_JSON[k] for k in rules} == rules
    assert {k: v for k, v in engine.DEFAULT_POLICY_JSON.items() if k not in rules} == frozen


# --- item 4: lines, pages ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_entitys_line_is_measured_on_its_profit_with_its_own_words(client, org, rate_today):
    # 800,000 of sales, no costs recorded: 800,000 × 10% (个体工商户) = 80,000 of profit
    entity = BusinessEntityFactory(village=org.village_a, total_assets=2_000_000)
    rate_today()
    line = entity_current_line(entity.pk)
    assert line is not None
    assert line.by_income == D(240000)  # not 2,400,000 (revenue × 3)
    assert (line.amount, line.binding, line.cap) == (D(240000), "profit", D(600000))

    client.force_login(org.officer_a)
    card = client.get(reverse("credit:entity_card", args=[entity.pk])).content.decode()
    assert "按经营主体年净利润测算，您的授信额度为24万元" in card
    assert "经营主体年净利润×倍数" in card
    assert "家庭" not in card


@pytest.mark.django_db
@pytest.mark.usefixtures("postgres")
def test_an_entity_with_costs_above_its_revenue_gets_no_line_and_staff_see_why(
    client, org, rate_today
):
    entity = BusinessEntityFactory(
        village=org.village_a,
        kind=EntityKind.MICRO_ENTERPRISE,
        annual_costs=850000,
        total_assets=2_000_000,
    )
    rate_today()
    assert CurrentRating.objects.get(business_entity=entity).grade in ("AAA", "AA", "A")
    assert entity_current_line(entity.pk) is None
    assert not CreditLine.objects.filter(business_entity=entity).exists()

    client.force_login(org.officer_a)
    card = client.get(reverse("credit:entity_card", args=[entity.pk])).content.decode()
    assert "经营主体年净利润为负，不予授信" in card


@pytest.mark.django_db
def test_the_policy_page_shows_and_edits_the_entity_rules(client, org):
    client.force_login(org.head_office)
    seeded = CreditPolicyVersion.objects.get(version="2026.2")
    page = client.get(reverse("credit:policy", args=[seeded.pk])).content.decode()
    assert "经营主体等级额度上限（AA级）" in page
    assert "1,000,000元" in page
    assert "经营主体利润率（未填报成本时）（家庭农场）" in page
    first = CreditPolicyVersion.objects.get(version="2026.1")
    page = client.get(reverse("credit:policy", args=[first.pk])).content.decode()
    assert "未设置：本版本不为经营主体授信" in page

    form = client.get(reverse("credit:policy_new")).content.decode()
    assert 'name="entity_cap_AA" value="600000"' in form
    assert 'name="margin_cooperative" value="5"' in form


# --- item 6: one household, one limit ---------------------------------------------------------


@pytest.mark.django_db
def test_an_individual_business_of_a_household_draws_on_the_household_line(client, org, rate_today):
    household = HouseholdFactory(village=org.village_a, committee_assessment="good")
    shop = BusinessEntityFactory(village=org.village_a, total_assets=2_000_000)
    shop.owner_households.add(household)
    unlinked = BusinessEntityFactory(village=org.village_a, total_assets=2_000_000)
    rate_today()

    assert CurrentRating.objects.filter(business_entity=shop).exists()  # still rated
    assert entity_current_line(shop.pk) is None  # one exposure, one limit
    assert entity_current_line(unlinked.pk) is not None  # no household to share with
    household_line = household_current_line(household.pk)
    assert household_line is not None

    client.force_login(org.officer_a)
    card = client.get(reverse("credit:entity_card", args=[shop.pk])).content.decode()
    assert "与所属农户共用授信额度" in card
    assert reverse("households:detail", args=[household.pk]) in card
    head = household.members.get(relation="head")
    assert f"{org.village_a.name} {head.masked_name}户" in card  # not "12号户"
    assert f"{household.pk}号户" not in card
    assert reverse("credit:line", args=[household_line.pk]) in card
    assert "提议人工调整" not in card
    with pytest.raises(DomainError, match="共用授信额度"):
        overrides.override_propose(
            actor=org.officer_a,
            entity=shop,
            kind="limit",
            amount=D(50000),
            reason="经营规模扩大",
            valid_until=timezone.localdate() + timedelta(days=30),
        )


@pytest.mark.django_db
def test_a_cooperative_keeps_its_own_line_and_the_household_shows_the_total_exposure(
    client, org, rate_today
):
    household = HouseholdFactory(village=org.village_a, committee_assessment="good")
    farm = BusinessEntityFactory(
        village=org.village_a,
        kind=EntityKind.FAMILY_FARM,
        category=EntityCategory.AGRICULTURAL,
        land_mu=300,
        total_assets=2_000_000,
    )
    coop = BusinessEntityFactory(
        village=org.village_a,
        kind=EntityKind.COOPERATIVE,
        category=EntityCategory.AGRICULTURAL,
        uscc=next_uscc("93"),
        cooperative_members=60,
        land_mu=320,
        total_assets=2_000_000,
    )
    for entity in (farm, coop):
        entity.owner_households.add(household)
    rate_today()

    own = household_current_line(household.pk)
    coop_line = entity_current_line(coop.pk)
    assert own is not None
    assert coop_line is not None
    assert entity_current_line(farm.pk) is None

    client.force_login(org.officer_a)
    card = client.get(reverse("credit:household_card", args=[household.pk])).content.decode()
    exposure = card.split('data-testid="exposure"')[1]
    assert "共用本户额度" in exposure  # the family farm
    assert format_rmb(coop_line.amount) in exposure
    total = own.amount + coop_line.amount
    assert f'data-testid="exposure-total">{format_rmb(total)}' in exposure


# --- item 5: a company on the 失信被执行人 list by its own code -------------------------------


@pytest.mark.django_db
def test_a_company_listed_by_its_uscc_is_held_and_knocked_out_at_once(
    org, rate_today, eager_celery, django_capture_on_commit_callbacks
):
    from households.tests.test_watchlist_companies import company, do_import

    entity = BusinessEntityFactory(
        village=org.village_a, kind=EntityKind.MICRO_ENTERPRISE, total_assets=2_000_000
    )
    rate_today()
    line = entity_current_line(entity.pk)
    assert line is not None

    with django_capture_on_commit_callbacks(execute=True):
        do_import(org.head_office, [company(entity.uscc)])

    line.refresh_from_db()
    assert line.status == "suspended"  # at once, in the import's transaction
    assert "失信被执行人" in line.status_reason
    rating = CurrentRating.objects.get(business_entity=entity)  # re-rated after the commit
    assert rating.knocked_out
    assert rating.result.knock_outs == ["dishonest_debtor"]
    assert entity_current_line(entity.pk) is None


@pytest.mark.django_db
def test_the_form_saves_entity_rules_only_when_filled_in_and_then_all_of_them(client, org):
    from credit.tests.test_policy_views import posted

    client.force_login(org.head_office)
    blank = {name: "" for name in posted() if name.startswith(("entity_", "margin_"))}
    response = client.post(reverse("credit:policy_new"), posted("2027.1", **blank))
    assert response.status_code == 302
    assert not CreditPolicyVersion.objects.get(version="2027.1").policy.has_entity_rules

    partial = {**blank, "entity_cap_AAA": "800000"}
    response = client.post(reverse("credit:policy_new"), posted("2027.2", **partial))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-field="entity_profit_multiple">设置经营主体授信规则时必须填写' in page
    assert 'data-field="margin_family_farm">设置经营主体授信规则时必须填写' in page

    response = client.post(
        reverse("credit:policy_new"),
        posted("2027.3", entity_cap_AAA="300000", margin_cooperative="6"),
    )
    page = response.content.decode()
    assert 'data-field="entity_grade_caps">经营主体AAA级额度上限（300,000元）低于AA级' in page
    response = client.post(reverse("credit:policy_new"), posted("2027.3", margin_cooperative="6"))
    saved = CreditPolicyVersion.objects.get(version="2027.3").policy
    assert saved.entity_margins["cooperative"] == D("0.06")


# --- item 6: re-rated when the archive changes, the line follows at once -----------------------
# (rating/tests/test_entity_rating.py has the re-rating itself)


@pytest.fixture
def committed(eager_celery, django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def rated_entity(org, rate_today):
    entity = BusinessEntityFactory(village=org.village_a, total_assets=2_000_000)
    rate_today()
    return entity


def current(entity):
    return CurrentRating.objects.get(business_entity=entity)


@pytest.mark.django_db
def test_a_bad_loan_recorded_on_the_archive_removes_the_entitys_line_at_once(
    org, rated_entity, committed
):
    assert entity_current_line(rated_entity.pk) is not None
    with committed():
        services.business_entity_update(
            actor=org.officer_a, entity=rated_entity, fields={"has_bad_loan": True}
        )
    assert current(rated_entity).knocked_out
    assert entity_current_line(rated_entity.pk) is None


@pytest.mark.django_db
def test_linking_a_business_to_its_household_re_rates_it_onto_the_household_line(
    org, rated_entity, committed
):
    household = HouseholdFactory(village=org.village_a)
    assert entity_current_line(rated_entity.pk) is not None
    with committed():
        services.business_entity_update(
            actor=org.officer_a, entity=rated_entity, fields={}, owner_households=[household]
        )
    assert entity_current_line(rated_entity.pk) is None  # it shares the household's now


@pytest.mark.django_db
@pytest.mark.usefixtures("postgres")
def test_a_run_under_a_version_without_entity_rules_writes_no_entity_line_on_either_path(
    org, rate_today
):
    from credit import lines

    frozen = json.loads((MIGRATIONS / "default_policy_2026_1.json").read_text(encoding="utf-8"))
    today = timezone.localdate()
    data = {**frozen, "version": "old.style", "effective_from": today.isoformat()}
    CreditPolicyVersion.objects.create(
        version="old.style", effective_from=today, status="approved", data=data
    )
    household = HouseholdFactory(village=org.village_a, committee_assessment="good")
    entity = BusinessEntityFactory(
        village=org.village_a, kind=EntityKind.MICRO_ENTERPRISE, total_assets=2_000_000
    )
    run = rate_today()
    assert CurrentRating.objects.get(business_entity=entity).grade in ("AAA", "AA", "A")
    assert household_current_line(household.pk) is not None
    assert not CreditLine.objects.filter(run=run, business_entity__isnull=False).exists()
    CreditLine.objects.filter(run=run).delete()
    version = lines.policy_for(run)
    assert version.version == "old.style"
    lines.write_python(run, org.village_a.pk, version)
    assert CreditLine.objects.filter(run=run).count() == 1  # the household's only


@pytest.mark.django_db
def test_an_entitys_override_is_approved_and_kept_under_the_entity_caps(
    org, rated_entity, committed
):
    """Approved at AA under the entity cap (600,000, not the household's 300,000), so a later
    run at AA keeps it (main's review of outlived overrides compares entity caps)."""
    override = overrides.override_propose(
        actor=org.officer_a,
        entity=rated_entity,
        kind="limit",
        amount=D(400000),
        reason="订单稳定，流动资金需求增加",
        valid_until=timezone.localdate() + timedelta(days=60),
    )  # above the household AA cap, within the entity's: no evidence needed
    with committed():
        override_reviews.override_approve(actor=org.manager, override=override)
    override.refresh_from_db()
    assert (override.approved_grade, override.approved_cap) == ("AA", D(600000))
    with committed():
        services.business_entity_update(
            actor=org.officer_a, entity=rated_entity, fields={"employees": 4}
        )
    override.refresh_from_db()
    assert override.status == "approved"
    line = entity_current_line(rated_entity.pk)
    assert (line.override_id, line.amount) == (override.pk, D(400000))
