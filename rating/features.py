"""Features (评级特征): the one place a subject's rating inputs are computed from its archive.

Pure Python, like the engine: the caller (a batch run) reads the archive and passes plain
values and the run's ``as_of`` date; nothing here touches Django. ``FEATURE_CATALOGUE`` lists
every feature a scorecard of each kind may refer to — the engine's validation checks cards
against it.

Where computing a feature is a choice of policy rather than arithmetic — how much a member
with partial labour ability counts, what debt ratio a subject with neither assets nor debt
has — the choice is the card's (``FeatureRules``, the card's ``feature_rules``), so a result
is explained by its card alone and a new rule is a new, approved card version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

INFINITY = Decimal("Infinity")  # liabilities ÷ no assets: worse than any debt-ratio bin
LABOUR_ABILITIES = ("full", "partial", "none")  # households.LabourAbility's values


@dataclass(frozen=True)
class FeatureRules:
    """The rules a card states for computing its features.

    - ``labour_weights``: what a member of each labour ability counts for in ``labour_force``
      (``(ability, weight)`` pairs; an ability not listed counts 0). Household cards only.
    - ``debt_ratio_without_assets_or_debt``: the ``debt_ratio`` of a subject with no assets
      and no liabilities (``INFINITY``: the worst bin, as with debt and no assets; 0: the
      best). With liabilities and no assets the ratio is always ``INFINITY``.
    """

    labour_weights: tuple[tuple[str, Decimal], ...] = ()
    debt_ratio_without_assets_or_debt: Decimal = INFINITY

    @cached_property  # a batch asks once per household
    def weights(self) -> dict[str, Decimal]:
        return dict(self.labour_weights)


# The rules the code applied before cards stated them: a card without ``feature_rules``
# (every card approved before version 2026.1.1) was approved under these, and is read with them.
IMPLICIT_HOUSEHOLD_RULES = FeatureRules(
    labour_weights=(("full", Decimal(1)), ("partial", Decimal("0.5")), ("none", Decimal(0))),
    debt_ratio_without_assets_or_debt=INFINITY,
)
IMPLICIT_ENTITY_RULES = FeatureRules(debt_ratio_without_assets_or_debt=INFINITY)

# The archive columns summed into a household's income, assets and liabilities — here, in the
# SQL twins (``features_sql``) and in credit's limit inputs alike.
INCOME_FIELDS = (
    "income_crops",
    "income_livestock",
    "income_business",
    "income_wages",
    "income_other",
)
ASSET_FIELDS = ("house_value", "livestock_value", "vehicles_value", "deposits", "other_assets")
LIABILITY_FIELDS = ("loans_this_bank", "loans_other_banks", "private_loans")

HOUSEHOLD_FEATURES: dict[str, str] = {
    "head_age": "户主年龄（周岁，按评级基准日）",
    "head_health": "户主健康状况 good/fair/poor",
    "head_education": "户主文化程度 college/senior/junior/primary",
    "labour_force": "劳动力人数（各劳动能力成员按评分卡的劳动力折算计人）",
    "house_ownership": "住房情况 owned/rented/other",
    "net_annual_income": "家庭年净收入（元）= 各项收入 − 生产生活支出",
    "net_assets": "家庭净资产（元）= 资产 − 负债",
    "debt_ratio": "资产负债率 = 负债 ÷ 资产（无资产有负债为无穷大；无资产无负债按评分卡规定）",
    "overdue_class": "近24个月逾期 none/settled_1_2/serious",
    "avg_daily_deposit_here": "在本行日均存款（元）",
    "other_lenders_count": "本行以外贷款机构数",
    "committee_assessment": "村两委评议 very_good/good/fair/poor",
    "honours_count": "荣誉表彰（项）",
    "public_record_deductions": "公共记录扣分（项）",
    "is_dishonest_debtor": "失信被执行人（档案标记或有效名单匹配）",
    "has_criminal_record": "有犯罪记录（档案标记或有效名单匹配）",
    "has_drug_gambling_flag": "涉毒涉赌（档案标记或有效名单匹配）",
    "has_bad_loan": "有不良贷款余额",
    "is_dibao": "低保户（任一成员或有效名单匹配）",
    "is_poverty_alleviated": "脱贫户（任一成员或有效名单匹配）",
}

ENTERPRISE_FEATURES: dict[str, str] = {
    "debt_ratio": "资产负债率 = 负债总额 ÷ 资产总额（无资产有负债为无穷大；都没有按评分卡规定）",
    "sales_to_current_liabilities": "销售收入 ÷ 流动负债（无流动负债时为无穷大，落入最好分箱）",
    "years_operating": "经营年限（年）",
    "annual_revenue": "年销售收入（元）",
    "employees": "从业人数",
    "land_mu": "经营土地（亩）",
    "members": "成员数（合作社为社员数，其他为从业人数）",
    "tax_compliance": "纳税情况 compliant/not_compliant",
    "overdue_class": "主体近24个月逾期 none/settled_1_2/serious",
    "is_dishonest_debtor": "主体（按统一社会信用代码）或其法定代表人/经营者为失信被执行人",
    "has_criminal_record": "法定代表人/经营者有犯罪记录",
    "has_bad_loan": "主体有不良贷款余额（档案记录）",
}

FEATURE_CATALOGUE: dict[str, dict[str, str]] = {
    "household": HOUSEHOLD_FEATURES,
    "enterprise": ENTERPRISE_FEATURES,
    "agricultural": ENTERPRISE_FEATURES,
}


@dataclass(frozen=True)
class HouseholdArchive:
    """A household's archive as plain values (the model's field names). ``None`` means "not
    recorded": the feature it feeds is then missing and the result is flagged incomplete.
    ``watchlist_kinds`` are the kinds of the household's active (uncleared) list matches."""

    as_of: date
    head_birth_date: date | None = None
    head_health: str | None = None
    head_education: str | None = None
    member_labour_abilities: Sequence[str] = ()  # "full" / "partial" / "none", head included
    house_ownership: str | None = None
    income_crops: Decimal | None = None
    income_livestock: Decimal | None = None
    income_business: Decimal | None = None
    income_wages: Decimal | None = None
    income_other: Decimal | None = None
    annual_costs: Decimal | None = None
    house_value: Decimal | None = None
    livestock_value: Decimal | None = None
    vehicles_value: Decimal | None = None
    deposits: Decimal | None = None
    other_assets: Decimal | None = None
    loans_this_bank: Decimal | None = None
    loans_other_banks: Decimal | None = None
    private_loans: Decimal | None = None
    avg_daily_deposit_here: Decimal | None = None
    other_lenders_count: int | None = None
    overdue_count_24m: int | None = None
    has_outstanding_overdue: bool = False
    has_bad_loan: bool = False
    is_dishonest_debtor: bool = False
    has_criminal_record: bool = False
    has_drug_gambling_flag: bool = False
    committee_assessment: str | None = None
    honours_count: int = 0
    public_record_deductions: int = 0
    subsistence_allowance: bool = False  # any member flagged
    is_poverty_alleviated: bool = False  # any member flagged
    watchlist_kinds: frozenset[str] = frozenset()


def household_features(
    archive: HouseholdArchive, rules: FeatureRules = IMPLICIT_HOUSEHOLD_RULES
) -> dict[str, Any]:
    """The one place a household's features are computed (docs/design.md §4.5), under the card's
    ``rules``."""
    a = archive
    assets = _sum_known(*(getattr(a, f) for f in ASSET_FIELDS))
    liabilities = _sum_known(*(getattr(a, f) for f in LIABILITY_FIELDS))
    overdue = overdue_class(a.overdue_count_24m, a.has_outstanding_overdue)
    labour = rules.weights
    kinds = a.watchlist_kinds
    return {
        "head_age": None if a.head_birth_date is None else age_on(a.head_birth_date, a.as_of),
        "head_health": a.head_health or None,
        "head_education": a.head_education or None,
        "labour_force": sum(
            (labour.get(x, Decimal(0)) for x in a.member_labour_abilities), Decimal(0)
        ),
        "house_ownership": a.house_ownership or None,
        "net_annual_income": net_annual_income(a),
        "net_assets": _net(assets, liabilities),
        "debt_ratio": _ratio(liabilities, assets, rules.debt_ratio_without_assets_or_debt),
        "overdue_class": overdue,
        "avg_daily_deposit_here": a.avg_daily_deposit_here,
        "other_lenders_count": a.other_lenders_count,
        "committee_assessment": a.committee_assessment or None,
        "honours_count": a.honours_count,
        "public_record_deductions": a.public_record_deductions,
        "is_dishonest_debtor": a.is_dishonest_debtor or "dishonest_debtor" in kinds,
        "has_criminal_record": a.has_criminal_record or "criminal_record" in kinds,
        "has_drug_gambling_flag": a.has_drug_gambling_flag or "drug_gambling" in kinds,
        "has_bad_loan": a.has_bad_loan,
        "is_dibao": a.subsistence_allowance or "dibao" in kinds,
        "is_poverty_alleviated": a.is_poverty_alleviated or "poverty_alleviated" in kinds,
    }


@dataclass(frozen=True)
class EnterpriseArchive:
    """A business or new agricultural entity as plain values (``BusinessEntity`` field names).
    ``watchlist_kinds`` are the kinds of its active list matches: by its own USCC (a company
    on the 失信被执行人 list) or by its legal representative's ID."""

    kind: str  # micro_enterprise / individual_business / family_farm / cooperative / large_grower
    years_operating: int | None = None
    annual_revenue: Decimal | None = None
    total_assets: Decimal | None = None
    total_liabilities: Decimal | None = None
    current_liabilities: Decimal | None = None
    employees: int | None = None
    land_mu: Decimal | None = None
    cooperative_members: int | None = None
    tax_compliant: bool | None = None
    overdue_count_24m: int | None = None
    has_outstanding_overdue: bool = False
    has_bad_loan: bool = False
    watchlist_kinds: frozenset[str] = frozenset()


def enterprise_features(
    entity: EnterpriseArchive, rules: FeatureRules = IMPLICIT_ENTITY_RULES
) -> dict[str, Any]:
    """The one place an enterprise's or agricultural entity's features are computed, under
    the card's ``rules``."""
    e = entity
    if e.annual_revenue is None or e.current_liabilities is None:
        sales_ratio = None
    elif e.current_liabilities <= 0:
        sales_ratio = INFINITY  # nothing short-term to repay: the best bin
    else:
        sales_ratio = e.annual_revenue / e.current_liabilities
    members = e.cooperative_members if e.kind == "cooperative" else e.employees
    return {
        "debt_ratio": _ratio(
            e.total_liabilities, e.total_assets, rules.debt_ratio_without_assets_or_debt
        ),
        "sales_to_current_liabilities": sales_ratio,
        "years_operating": e.years_operating,
        "annual_revenue": e.annual_revenue,
        "employees": e.employees,
        "land_mu": e.land_mu,
        "members": members,
        "tax_compliance": None
        if e.tax_compliant is None
        else ("compliant" if e.tax_compliant else "not_compliant"),
        "overdue_class": overdue_class(e.overdue_count_24m, e.has_outstanding_overdue),
        "is_dishonest_debtor": "dishonest_debtor" in e.watchlist_kinds,
        "has_criminal_record": "criminal_record" in e.watchlist_kinds,
        "has_bad_loan": e.has_bad_loan,
    }


def overdue_class(count_24m: int | None, outstanding: bool) -> str | None:
    """Overdue in 24 months: "none", "settled_1_2", or "serious" (≥ 3, or any outstanding);
    ``None`` when the count is not recorded."""
    if count_24m is None:
        return None
    if outstanding or count_24m >= 3:
        return "serious"
    return "none" if count_24m == 0 else "settled_1_2"


def net_annual_income(household: Any) -> Decimal | None:
    """Income net of costs, from anything carrying the archive's income and cost fields (an
    archive, a ``Household``); ``None`` when no income is known."""
    income = _sum_known(*(getattr(household, f) for f in INCOME_FIELDS))
    return None if income is None else income - (household.annual_costs or Decimal(0))


def net_assets(household: Any) -> Decimal | None:
    """Assets less liabilities, from anything carrying the archive's fields; ``None`` when
    neither is known."""
    return _net(
        _sum_known(*(getattr(household, f) for f in ASSET_FIELDS)),
        _sum_known(*(getattr(household, f) for f in LIABILITY_FIELDS)),
    )


def _net(assets: Decimal | None, liabilities: Decimal | None) -> Decimal | None:
    if assets is None and liabilities is None:
        return None
    return (assets or Decimal(0)) - (liabilities or Decimal(0))


def age_on(birth: date, as_of: date) -> int:
    """Whole years of age on ``as_of`` (a birthday on 29 February counts from 1 March)."""
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def _ratio(
    liabilities: Decimal | None, assets: Decimal | None, without_either: Decimal
) -> Decimal | None:
    if liabilities is None and assets is None:
        return None
    if not assets or assets <= 0:
        if not liabilities or liabilities <= 0:
            return without_either  # neither assets nor debt: the card says
        return INFINITY  # docs/design.md: debt and no assets → the worst debt-ratio bin
    return (liabilities or Decimal(0)) / assets


def _sum_known(*values: Decimal | None) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None
