"""Scorecards as data: the card's parts, and the checks a card must pass before use."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from rating.engine.numbers import _fmt, _low_key
from rating.features import (
    FEATURE_CATALOGUE,
    IMPLICIT_ENTITY_RULES,
    IMPLICIT_HOUSEHOLD_RULES,
    LABOUR_ABILITIES,
    FeatureRules,
)

SubjectKind = Literal["household", "enterprise", "agricultural"]
SUBJECT_KINDS: tuple[str, ...] = ("household", "enterprise", "agricultural")
KnockOutOperator = Literal["true", "eq", "ne", "lt", "le", "gt", "ge", "in", "outside"]
KNOCK_OUT_OPERATORS: tuple[str, ...] = ("true", "eq", "ne", "lt", "le", "gt", "ge", "in", "outside")
TOP_FACTORS = 3


class ScorecardError(ValueError):
    """A scorecard that cannot be read or used; ``messages`` are in Chinese."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("；".join(self.messages))


# --- the card ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    low: Decimal | None  # included (excluded when the indicator is right-closed)
    high: Decimal | None  # excluded (included when the indicator is right-closed)
    points: Decimal
    label: str


@dataclass(frozen=True)
class Category:
    value: str
    points: Decimal
    label: str


@dataclass(frozen=True)
class Indicator:
    feature: str
    label: str
    bins: tuple[Bin, ...] = ()
    categories: tuple[Category, ...] = ()
    right_closed: bool = False
    unit: str = ""  # shown in hints, after dividing by ``scale`` (e.g. 10000 → "万元")
    scale: Decimal = Decimal(1)
    improvable: bool = True  # no "what would improve it" hint for age, health, education

    @cached_property  # cards are immutable; a batch asks this once per subject and indicator
    def max_points(self) -> Decimal:
        options = [b.points for b in self.bins] + [c.points for c in self.categories]
        return max(options, default=Decimal(0))


@dataclass(frozen=True)
class Block:
    name: str
    max_points: Decimal
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class GradeBand:
    grade: str
    low: Decimal | None  # included
    high: Decimal | None  # excluded
    grants_credit: bool = True


@dataclass(frozen=True)
class Adjustment:
    feature: str
    label: str
    points_each: Decimal  # negative for deductions
    limit: Decimal | None = None  # cap on the total's absolute value


@dataclass(frozen=True)
class KnockOut:
    feature: str
    operator: KnockOutOperator
    value: Any
    code: str
    reason: str


@dataclass(frozen=True)
class Flag:
    feature: str
    code: str
    label: str


@dataclass(frozen=True)
class Scorecard:
    version: str
    kind: SubjectKind
    title: str
    blocks: tuple[Block, ...]
    grades: tuple[GradeBand, ...]
    adjustments: tuple[Adjustment, ...] = ()
    knock_outs: tuple[KnockOut, ...] = ()
    flags: tuple[Flag, ...] = ()
    min_score: Decimal = Decimal(0)
    max_score: Decimal = Decimal(100)
    # How the card's features are computed where that is a choice (``FeatureRules``). None:
    # the card does not say — cards approved before version 2026.1.1 — and is read with the
    # rules the code applied when it was approved (``rules``).
    feature_rules: FeatureRules | None = None

    @property
    def rules(self) -> FeatureRules:
        """The feature rules the card is scored with: its own, or the implicit ones."""
        if self.feature_rules is not None:
            return self.feature_rules
        return IMPLICIT_HOUSEHOLD_RULES if self.kind == "household" else IMPLICIT_ENTITY_RULES

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for b in self.blocks for i in b.indicators)

    @property
    def lowest_grade(self) -> str:
        return min(self.grades, key=lambda g: _low_key(g.low)).grade


# --- validation -------------------------------------------------------------------------------


def validate_scorecard(card: Scorecard) -> list[str]:
    """Everything wrong with ``card``, in Chinese; an empty list means it may be approved."""
    problems: list[str] = []
    if card.kind not in SUBJECT_KINDS:
        problems.append(f"评分卡主体类型“{card.kind}”无效")
    if not card.version.strip():
        problems.append("评分卡版本号不能为空")
    if card.min_score >= card.max_score:
        problems.append("评分卡最低分必须小于最高分")
    catalogue = FEATURE_CATALOGUE.get(card.kind, {})
    seen: set[str] = set()

    def feature_known(feature: str, where: str) -> None:
        if feature not in catalogue:
            problems.append(f"{where}引用了未知特征“{feature}”")

    for block in card.blocks:
        if block.max_points <= 0:
            problems.append(f"模块“{block.name}”的满分必须大于0")
        if not block.indicators:
            problems.append(f"模块“{block.name}”没有指标")
        for indicator in block.indicators:
            where = f"模块“{block.name}”指标“{indicator.label}”"
            if indicator.feature in seen:
                problems.append(f"{where}的特征“{indicator.feature}”重复使用")
            seen.add(indicator.feature)
            feature_known(indicator.feature, where)
            problems += _indicator_problems(indicator, block, where)
        total = sum((i.max_points for i in block.indicators), Decimal(0))
        if total > block.max_points:
            problems.append(
                f"模块“{block.name}”各指标满分合计{_fmt(total)}分，超过模块满分"
                f"{_fmt(block.max_points)}分"
            )
    blocks_total = sum((b.max_points for b in card.blocks), Decimal(0))
    if blocks_total > card.max_score - card.min_score:
        problems.append(f"各模块满分合计{_fmt(blocks_total)}分，超过评分卡分值范围")
    for adjustment in card.adjustments:
        where = f"加减分项“{adjustment.label}”"
        if adjustment.feature in seen:
            problems.append(f"{where}的特征“{adjustment.feature}”重复使用")
        seen.add(adjustment.feature)
        feature_known(adjustment.feature, where)
        if adjustment.points_each == 0:
            problems.append(f"{where}每项分值不能为0")
        if adjustment.limit is not None and adjustment.limit <= 0:
            problems.append(f"{where}的上限必须大于0")
    for rule in card.knock_outs:
        where = f"否决规则“{rule.code}”"
        feature_known(rule.feature, where)
        if rule.operator not in KNOCK_OUT_OPERATORS:
            problems.append(f"{where}的条件“{rule.operator}”无效")
        elif rule.operator == "outside" and not (
            isinstance(rule.value, list | tuple) and len(rule.value) == 2
        ):
            problems.append(f"{where}的“outside”条件需要[下限, 上限]两个值")
        elif rule.operator == "in" and not isinstance(rule.value, list | tuple):
            problems.append(f"{where}的“in”条件需要一组取值")
        if not rule.code.strip() or not rule.reason.strip():
            problems.append(f"否决规则（特征“{rule.feature}”）需要原因代码和中文原因")
    for flag in card.flags:
        feature_known(flag.feature, f"标记“{flag.label}”")
    problems += _rule_problems(card)
    problems += _grade_problems(card)
    return problems


def _rule_problems(card: Scorecard) -> list[str]:
    """The feature rules: labour weights for households only, each ability once, between 0
    and 1, a more able member never counting less; a debt ratio of 0 or more (∞ allowed)."""
    rules = card.rules
    problems: list[str] = []
    where = "评级特征规则"
    if card.kind != "household":
        if rules.labour_weights:
            problems.append(f"{where}：只有农户评分卡可以设置劳动力折算")
    else:
        abilities = [ability for ability, _ in rules.labour_weights]
        for ability in sorted(set(abilities) - set(LABOUR_ABILITIES)):
            problems.append(
                f"{where}：劳动力折算的劳动能力“{ability}”无效，应为full、partial或none"
            )
        if len(set(abilities)) != len(abilities):
            problems.append(f"{where}：劳动力折算的劳动能力重复")
        for ability, weight in rules.labour_weights:
            if not (0 <= weight <= 1):
                problems.append(f"{where}：劳动能力“{ability}”折算人数须在0到1之间")
        weights = [rules.weights.get(a, Decimal(0)) for a in LABOUR_ABILITIES]
        if any(better < worse for better, worse in itertools.pairwise(weights)):
            problems.append(f"{where}：劳动力折算须满足 有劳动能力 ≥ 部分劳动能力 ≥ 无劳动能力")
    ratio = rules.debt_ratio_without_assets_or_debt
    if ratio.is_nan() or ratio < 0:
        problems.append(f"{where}：无资产无负债时的资产负债率须为0或以上（可为Infinity）")
    return problems


def _indicator_problems(indicator: Indicator, block: Block, where: str) -> list[str]:
    problems: list[str] = []
    if bool(indicator.bins) == bool(indicator.categories):
        return [f"{where}必须且只能设置分箱或分类之一"]
    options: list[Bin | Category] = [*indicator.bins, *indicator.categories]
    for option in options:
        if option.points < 0:
            problems.append(f"{where}“{option.label}”的分值不能为负数")
        elif option.points > block.max_points:
            problems.append(
                f"{where}“{option.label}”的分值{_fmt(option.points)}超过模块满分"
                f"{_fmt(block.max_points)}分"
            )
    if indicator.categories:
        values = [c.value for c in indicator.categories]
        if len(set(values)) != len(values):
            problems.append(f"{where}的分类取值重复")
        return problems
    bins = sorted(indicator.bins, key=lambda b: _low_key(b.low))
    for b in bins:
        if b.low is not None and b.high is not None and b.low >= b.high:
            problems.append(f"{where}分箱“{b.label}”的下限必须小于上限")
    if bins[0].low is not None:
        problems.append(
            f"{where}的分箱没有覆盖低于{_fmt(bins[0].low)}的取值（第一个分箱应不设下限）"
        )
    if bins[-1].high is not None:
        problems.append(
            f"{where}的分箱没有覆盖{_fmt(bins[-1].high)}及以上的取值（最后一个分箱应不设上限）"
        )
    for before, after in itertools.pairwise(bins):
        if before.high is None or after.low is None or after.low < before.high:
            problems.append(f"{where}分箱“{before.label}”与“{after.label}”重叠")
        elif after.low > before.high:
            problems.append(f"{where}分箱“{before.label}”与“{after.label}”之间有空档")
    return problems


def _grade_problems(card: Scorecard) -> list[str]:
    if not card.grades:
        return ["评分卡没有设置等级"]
    problems: list[str] = []
    bands = sorted(card.grades, key=lambda g: _low_key(g.low))
    names = [g.grade for g in bands]
    if len(set(names)) != len(names):
        problems.append("评分卡的等级名称重复")
    if bands[0].low is not None and bands[0].low > card.min_score:
        problems.append(f"等级没有覆盖{_fmt(card.min_score)}至{_fmt(bands[0].low)}分")
    if bands[-1].high is not None and bands[-1].high <= card.max_score:
        problems.append(f"等级没有覆盖{_fmt(bands[-1].high)}分及以上")
    for before, after in itertools.pairwise(bands):
        if before.high is None or after.low is None or after.low < before.high:
            problems.append(f"等级“{before.grade}”与“{after.grade}”的分数段重叠")
        elif after.low > before.high:
            problems.append(f"等级“{before.grade}”与“{after.grade}”之间有空档")
    if bands[0].grants_credit:
        problems.append(f"最低等级“{bands[0].grade}”应为不授信等级")
    return problems
