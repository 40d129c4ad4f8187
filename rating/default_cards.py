"""The default scorecards, version 2026.1.1, as data (pure Python, like the engine).

Migrations store these cards, approved, as the starting policy; from then on head office
drafts and approves new versions through ``rating.scorecards``. Version 2026.1 (migration
``0002``, frozen copy ``rating/migrations/default_cards_2026_1.json``) stated no feature rules
and was scored with the implicit ones; 2026.1.1 (migration ``0008``, frozen copy
``default_cards_2026_1_1.json``) is the same cards stating them — the same scores for every
archive. Tests check that the 2026.1.1 copy equals these cards and that 2026.1 read with the
implicit rules equals them but for the version label.

Household card — docs/design.md §4.5 exactly (100 points)::

    家庭基本情况 30  户主年龄 25–50 / 18–24 or 51–60 / 61–65 / other   8 / 5 / 2 / 0
                     户主健康 良好 / 一般 / 较差                         6 / 3 / 0
                     户主文化程度 大专+ / 高中 / 初中 / 小学−            4 / 3 / 2 / 1
                     劳动力 ≥3 / 2 / 1 / 0 人                           6 / 4 / 2 / 0
                     住房 自有 / 租住或其他                              6 / 2
    家庭经济状况 40  年净收入 ≥20万 / 10–20 / 5–10 / 2–5 / <2            15 / 12 / 9 / 5 / 2
                     净资产 ≥100万 / 60–100 / 30–60 / 10–30 / <10        15 / 12 / 9 / 5 / 2
                     资产负债率 ≤30% / ≤50% / ≤70% / >70% (无资产 = >70%) 10 / 6 / 3 / 0
    信用状况 20      近24个月逾期 无 / 1–2次已结清 / ≥3次或未结清         12 / 6 / 0
                     本行日均存款 ≥5万 / 1–5万 / <1万                     4 / 2 / 0
                     他行贷款机构 0–1 / 2 / ≥3 家                         4 / 2 / 0
    社会评价 10      村两委评议 很好 / 好 / 一般 / 差                     10 / 7 / 4 / 0
    加减分           荣誉表彰 +2/项（最多+5）；公共记录 −5/项；总分限 0–100
    等级             AAA ≥85，AA 75–84，A 60–74，B <60（不授信）
    否决             失信被执行人、犯罪记录、涉毒涉赌、不良贷款余额、户主年龄不在18–65周岁
    标记             低保户、脱贫户（不否决，供优惠定价）
    特征规则         劳动力：有劳动能力计1人，部分劳动能力计0.5人，无劳动能力计0人；
                     无资产无负债的资产负债率为∞（落入 >70% 一档，0分）

Enterprise card (小微企业/个体工商户, 100 points; the item shares of §4.5's last paragraph)::

    偿债能力 40      资产负债率 ≤30% / ≤50% / ≤70% / >70%               20 / 12 / 6 / 0
                     销售收入÷流动负债 ≥5 / 4–5 / 3–4 / <3 倍             20 / 12 / 6 / 0
    经营状况 40      经营年限 ≥10 / 5–9 / 3–4 / 1–2 / <1 年                20 / 15 / 10 / 5 / 0
                     从业人数 ≥20 / 10–19 / 3–9 / <3                       10 / 7 / 4 / 2
                     年销售收入 ≥500万 / 100–500万 / 30–100万 / <30万       10 / 7 / 4 / 2
    合规经营 20      纳税 依法纳税 / 未依法纳税                            20 / 0

Agricultural card (家庭农场、合作社、种养大户, 100 points)::

    偿债能力 40      资产负债率 ≤30% / ≤50% / ≤70% / >70%               20 / 12 / 6 / 0
                     销售收入÷流动负债 ≥5 / 4–5 / 3–4 / <3 倍             20 / 12 / 6 / 0
    经营规模 45      经营年限 ≥5 / 3–4 / 1–2 / <1 年                       10 / 7 / 4 / 0
                     经营土地 ≥500 / 200–500 / 50–200 / 10–50 / <10 亩     20 / 16 / 12 / 7 / 3
                     成员（合作社社员，其他为从业人数）≥50 / 20–49 / 10–19 / 5–9 / <5
                                                                           15 / 12 / 9 / 5 / 2
    合规经营 15      纳税 依法纳税 / 未依法纳税                            15 / 0

Both entity cards: AAA ≥85 / AA 75–84 / A 60–74 / B <60; knock-outs: the legal representative
is a dishonest debtor or has a criminal record, a bad loan outstanding; feature rule: with
neither assets nor liabilities the debt ratio is ∞ (the 0-point bin).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rating.engine import (
    INFINITY,
    Adjustment,
    Bin,
    Block,
    Category,
    FeatureRules,
    Flag,
    GradeBand,
    Indicator,
    KnockOut,
    Scorecard,
)

DEFAULT_VERSION = "2026.1.1"
D = Decimal


def ladder(
    thresholds: Sequence[str], points: Sequence[int], labels: Sequence[str]
) -> tuple[Bin, ...]:
    """Bins covering every value: (−∞, t1), [t1, t2), …, [tn, +∞) (or their right-closed twins)."""
    edges: list[Decimal | None] = [None, *(D(t) for t in thresholds), None]
    return tuple(Bin(edges[i], edges[i + 1], D(points[i]), labels[i]) for i in range(len(points)))


GRADES = (
    GradeBand("B", None, D(60), grants_credit=False),
    GradeBand("A", D(60), D(75)),
    GradeBand("AA", D(75), D(85)),
    GradeBand("AAA", D(85), None),
)
TAX_LABEL = "纳税情况"

# The feature rules, stated (docs/design.md §4.5 leaves them to the card): a member with partial
# labour ability counts half; a subject with neither assets nor debt has an infinite debt
# ratio — the worst bin, as if it had debt and no assets (the rule before cards stated it).
HOUSEHOLD_RULES = FeatureRules(
    labour_weights=(("full", D(1)), ("partial", D("0.5")), ("none", D(0))),
    debt_ratio_without_assets_or_debt=INFINITY,
)
ENTITY_RULES = FeatureRules(debt_ratio_without_assets_or_debt=INFINITY)


def household_card() -> Scorecard:
    """docs/design.md §4.5's household card (see the module docstring for the table)."""
    basics = Block(
        "家庭基本情况",
        D(30),
        (
            Indicator(
                "head_age",
                "户主年龄",
                bins=ladder(
                    ["18", "25", "51", "61", "66"],
                    [0, 5, 8, 5, 2, 0],
                    [
                        "未满18周岁",
                        "18–24周岁",
                        "25–50周岁",
                        "51–60周岁",
                        "61–65周岁",
                        "65周岁以上",
                    ],
                ),
                unit="周岁",
                improvable=False,
            ),
            Indicator(
                "head_health",
                "户主健康状况",
                categories=(
                    Category("good", D(6), "良好"),
                    Category("fair", D(3), "一般"),
                    Category("poor", D(0), "较差"),
                ),
                improvable=False,
            ),
            Indicator(
                "head_education",
                "户主文化程度",
                categories=(
                    Category("college", D(4), "大专及以上"),
                    Category("senior", D(3), "高中/中专"),
                    Category("junior", D(2), "初中"),
                    Category("primary", D(1), "小学及以下"),
                ),
                improvable=False,
            ),
            Indicator(
                "labour_force",
                "家庭劳动力",
                bins=ladder(["1", "2", "3"], [0, 2, 4, 6], ["无", "1人", "2人", "3人及以上"]),
                unit="人",
                improvable=False,
            ),
            Indicator(
                "house_ownership",
                "住房情况",
                categories=(
                    Category("owned", D(6), "自有住房"),
                    Category("rented", D(2), "租住"),
                    Category("other", D(2), "其他"),
                ),
                improvable=False,
            ),
        ),
    )
    economy = Block(
        "家庭经济状况",
        D(40),
        (
            Indicator(
                "net_annual_income",
                "家庭年净收入",
                bins=ladder(
                    ["20000", "50000", "100000", "200000"],
                    [2, 5, 9, 12, 15],
                    ["2万元以下", "2–5万元", "5–10万元", "10–20万元", "20万元及以上"],
                ),
                unit="万元",
                scale=D(10000),
            ),
            Indicator(
                "net_assets",
                "家庭净资产",
                bins=ladder(
                    ["100000", "300000", "600000", "1000000"],
                    [2, 5, 9, 12, 15],
                    ["10万元以下", "10–30万元", "30–60万元", "60–100万元", "100万元及以上"],
                ),
                unit="万元",
                scale=D(10000),
            ),
            Indicator(
                "debt_ratio",
                "资产负债率",
                bins=ladder(
                    ["0.30", "0.50", "0.70"],
                    [10, 6, 3, 0],
                    ["30%及以下", "30%–50%", "50%–70%", "70%以上或无资产"],
                ),
                right_closed=True,
                unit="%",
                scale=D("0.01"),
            ),
        ),
    )
    credit = Block(
        "信用状况",
        D(20),
        (
            Indicator(
                "overdue_class",
                "近24个月逾期情况",
                categories=(
                    Category("none", D(12), "无逾期"),
                    Category("settled_1_2", D(6), "逾期1–2次且已结清"),
                    Category("serious", D(0), "逾期3次及以上或未结清"),
                ),
            ),
            Indicator(
                "avg_daily_deposit_here",
                "在本行日均存款",
                bins=ladder(["10000", "50000"], [0, 2, 4], ["1万元以下", "1–5万元", "5万元及以上"]),
                unit="万元",
                scale=D(10000),
            ),
            Indicator(
                "other_lenders_count",
                "本行以外贷款机构数",
                bins=ladder(["2", "3"], [4, 2, 0], ["0–1家", "2家", "3家及以上"]),
                unit="家",
            ),
        ),
    )
    reputation = Block(
        "社会评价",
        D(10),
        (
            Indicator(
                "committee_assessment",
                "村两委评议",
                categories=(
                    Category("very_good", D(10), "很好"),
                    Category("good", D(7), "好"),
                    Category("fair", D(4), "一般"),
                    Category("poor", D(0), "差"),
                ),
            ),
        ),
    )
    return Scorecard(
        version=DEFAULT_VERSION,
        kind="household",
        title="农户信用评级评分卡",
        blocks=(basics, economy, credit, reputation),
        grades=GRADES,
        adjustments=(
            Adjustment("honours_count", "荣誉表彰", D(2), limit=D(5)),
            Adjustment("public_record_deductions", "公共记录扣分", D(-5)),
        ),
        knock_outs=(
            KnockOut("is_dishonest_debtor", "true", None, "dishonest_debtor", "失信被执行人"),
            KnockOut("has_criminal_record", "true", None, "criminal_record", "有犯罪记录"),
            KnockOut("has_drug_gambling_flag", "true", None, "drug_gambling", "涉毒涉赌"),
            KnockOut("has_bad_loan", "true", None, "bad_loan", "有不良贷款余额"),
            KnockOut("head_age", "outside", [18, 65], "head_age", "户主年龄不在18至65周岁之间"),
        ),
        flags=(
            Flag("is_dibao", "dibao", "低保户（可享受优惠利率）"),
            Flag("is_poverty_alleviated", "poverty_alleviated", "脱贫户（可享受优惠利率）"),
        ),
        feature_rules=HOUSEHOLD_RULES,
    )


def _solvency_block() -> Block:
    """Debt ratio ≤30/50/70% → 100/60/30/0% of the item; sales ÷ current liabilities
    ≥5/4/3× → 100/60/30% (docs/design.md §4.5, last paragraph)."""
    return Block(
        "偿债能力",
        D(40),
        (
            Indicator(
                "debt_ratio",
                "资产负债率",
                bins=ladder(
                    ["0.30", "0.50", "0.70"],
                    [20, 12, 6, 0],
                    ["30%及以下", "30%–50%", "50%–70%", "70%以上或无资产"],
                ),
                right_closed=True,
                unit="%",
                scale=D("0.01"),
            ),
            Indicator(
                "sales_to_current_liabilities",
                "销售收入与流动负债之比",
                bins=ladder(
                    ["3", "4", "5"], [0, 6, 12, 20], ["3倍以下", "3–4倍", "4–5倍", "5倍及以上"]
                ),
                unit="倍",
            ),
        ),
    )


def _tax_indicator(points: int) -> Indicator:
    return Indicator(
        "tax_compliance",
        TAX_LABEL,
        categories=(
            Category("compliant", D(points), "依法纳税"),
            Category("not_compliant", D(0), "未依法纳税"),
        ),
    )


ENTITY_KNOCK_OUTS = (
    KnockOut("is_dishonest_debtor", "true", None, "dishonest_debtor", "法定代表人为失信被执行人"),
    KnockOut("has_criminal_record", "true", None, "criminal_record", "法定代表人有犯罪记录"),
    KnockOut("has_bad_loan", "true", None, "bad_loan", "有不良贷款余额"),
)


def enterprise_card() -> Scorecard:
    """小微企业/个体工商户 (see the module docstring for the table)."""
    operations = Block(
        "经营状况",
        D(40),
        (
            Indicator(
                "years_operating",
                "经营年限",
                bins=ladder(
                    ["1", "3", "5", "10"],
                    [0, 5, 10, 15, 20],
                    ["不足1年", "1–2年", "3–4年", "5–9年", "10年及以上"],
                ),
                unit="年",
                improvable=False,
            ),
            Indicator(
                "employees",
                "从业人数",
                bins=ladder(
                    ["3", "10", "20"], [2, 4, 7, 10], ["3人以下", "3–9人", "10–19人", "20人及以上"]
                ),
                unit="人",
            ),
            Indicator(
                "annual_revenue",
                "年销售收入",
                bins=ladder(
                    ["300000", "1000000", "5000000"],
                    [2, 4, 7, 10],
                    ["30万元以下", "30–100万元", "100–500万元", "500万元及以上"],
                ),
                unit="万元",
                scale=D(10000),
            ),
        ),
    )
    return Scorecard(
        version=DEFAULT_VERSION,
        kind="enterprise",
        title="小微企业/个体工商户信用评级评分卡",
        blocks=(_solvency_block(), operations, Block("合规经营", D(20), (_tax_indicator(20),))),
        grades=GRADES,
        knock_outs=ENTITY_KNOCK_OUTS,
        feature_rules=ENTITY_RULES,
    )


def agricultural_card() -> Scorecard:
    """家庭农场、农民专业合作社、种养大户 (see the module docstring for the table)."""
    scale = Block(
        "经营规模",
        D(45),
        (
            Indicator(
                "years_operating",
                "经营年限",
                bins=ladder(
                    ["1", "3", "5"], [0, 4, 7, 10], ["不足1年", "1–2年", "3–4年", "5年及以上"]
                ),
                unit="年",
                improvable=False,
            ),
            Indicator(
                "land_mu",
                "经营土地",
                bins=ladder(
                    ["10", "50", "200", "500"],
                    [3, 7, 12, 16, 20],
                    ["10亩以下", "10–50亩", "50–200亩", "200–500亩", "500亩及以上"],
                ),
                unit="亩",
            ),
            Indicator(
                "members",
                "成员数",
                bins=ladder(
                    ["5", "10", "20", "50"],
                    [2, 5, 9, 12, 15],
                    ["5人以下", "5–9人", "10–19人", "20–49人", "50人及以上"],
                ),
                unit="人",
            ),
        ),
    )
    return Scorecard(
        version=DEFAULT_VERSION,
        kind="agricultural",
        title="新型农业经营主体信用评级评分卡",
        blocks=(_solvency_block(), scale, Block("合规经营", D(15), (_tax_indicator(15),))),
        grades=GRADES,
        knock_outs=ENTITY_KNOCK_OUTS,
        feature_rules=ENTITY_RULES,
    )


def default_cards() -> dict[str, Scorecard]:
    """The three seeded cards by subject kind."""
    return {
        "household": household_card(),
        "enterprise": enterprise_card(),
        "agricultural": agricultural_card(),
    }
