"""The rating engine (评级): scorecards as data, features in, a reasoned result out.

Pure Python — no Django, no ORM, no settings, no clock. The caller passes plain values and
``as_of``; the same inputs always give the same result, so a batch chunk can simply run again.

- A ``Scorecard`` has blocks of ``Indicator``\\ s. An indicator reads one *feature* and scores it
  by numeric ``Bin``\\ s or by ``Category`` values. Bins are half-open ``[low, high)`` (``None`` =
  open end); an indicator with ``right_closed=True`` uses ``(low, high]``, which is how "debt
  ratio ≤ 30%" is written without fudging the boundary. Bins must cover every value.
- ``Adjustment``\\ s add or deduct points per unit of a count (honours, public-record
  deductions); the total is then clamped to the card's ``[min_score, max_score]``.
- ``KnockOut`` rules put a subject into the lowest grade band (no credit) whatever its score.
- ``Flag``\\ s mark a subject for later steps (低保/脱贫 → preferential pricing); they never
  change the score.
- Features are computed in one place, :func:`household_features` and :func:`enterprise_features`
  (``rating/features.py``); ``FEATURE_CATALOGUE`` lists the features a card may refer to.
- The seeded default cards (DESIGN.md §4.5) are data in ``rating/default_cards.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

# Features are computed in rating/features.py (kept apart only for size); the engine is their
# public entry point, so callers import everything rating needs from here.
from rating.features import (
    FEATURE_CATALOGUE,
    INFINITY,
    EnterpriseArchive,
    HouseholdArchive,
    age_on,
    enterprise_features,
    household_features,
)

__all__ = [
    "FEATURE_CATALOGUE",
    "INFINITY",
    "Adjustment",
    "Bin",
    "Block",
    "Category",
    "EnterpriseArchive",
    "Flag",
    "GradeBand",
    "HouseholdArchive",
    "Indicator",
    "KnockOut",
    "RatingResult",
    "Scorecard",
    "ScorecardError",
    "age_on",
    "card_from_json",
    "card_to_json",
    "enterprise_features",
    "household_features",
    "score",
    "validate_scorecard",
]

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

    @property
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
    problems += _grade_problems(card)
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


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorScore:
    block: str
    feature: str
    label: str
    value: Any  # the value used; None when the feature was missing
    band: str  # the bin or category that matched ("" when missing)
    points: Decimal
    max_points: Decimal
    missing: bool


@dataclass(frozen=True)
class AdjustmentScore:
    feature: str
    label: str
    count: int
    points: Decimal


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class Factor:
    feature: str
    label: str
    points: Decimal  # earned (raised) or lost against the maximum (lowered)
    text: str


@dataclass(frozen=True)
class RatingResult:
    kind: str
    card_version: str
    score: Decimal
    grade: str
    grants_credit: bool
    knocked_out: bool
    knock_outs: tuple[Reason, ...]
    indicators: tuple[IndicatorScore, ...]
    adjustments: tuple[AdjustmentScore, ...]
    incomplete: bool
    missing: tuple[str, ...]  # feature names
    raised: tuple[Factor, ...]
    lowered: tuple[Factor, ...]
    hints: tuple[str, ...]
    flags: tuple[Reason, ...]

    def to_json(self) -> dict[str, Any]:
        """The breakdown as JSON-ready data, for storing beside the result row."""
        return {
            "kind": self.kind,
            "card_version": self.card_version,
            "score": _num(self.score),
            "grade": self.grade,
            "grants_credit": self.grants_credit,
            "knocked_out": self.knocked_out,
            "knock_outs": [{"code": r.code, "text": r.text} for r in self.knock_outs],
            "indicators": [
                {
                    "block": i.block,
                    "feature": i.feature,
                    "label": i.label,
                    "value": _plain(i.value),
                    "band": i.band,
                    "points": _num(i.points),
                    "max_points": _num(i.max_points),
                    "missing": i.missing,
                }
                for i in self.indicators
            ],
            "adjustments": [
                {"feature": a.feature, "label": a.label, "count": a.count, "points": _num(a.points)}
                for a in self.adjustments
            ],
            "incomplete": self.incomplete,
            "missing": list(self.missing),
            "raised": [f.text for f in self.raised],
            "lowered": [f.text for f in self.lowered],
            "hints": list(self.hints),
            "flags": [{"code": r.code, "text": r.text} for r in self.flags],
        }


def score(card: Scorecard, features: Mapping[str, Any]) -> RatingResult:
    """Score one subject. A missing feature (absent or ``None``) scores 0 and marks the result
    incomplete; a knocked-out subject gets the lowest grade whatever its score."""
    missing: list[str] = []
    scored: list[IndicatorScore] = []
    for block in card.blocks:
        for indicator in block.indicators:
            result = _score_indicator(block, indicator, features.get(indicator.feature))
            if result.missing:
                missing.append(indicator.feature)
            scored.append(result)
    adjustments = []
    for adjustment in card.adjustments:
        count = _count(features.get(adjustment.feature))
        if count is None:
            missing.append(adjustment.feature)
            count = 0
        points = adjustment.points_each * count
        if adjustment.limit is not None and abs(points) > adjustment.limit:
            points = adjustment.limit if points > 0 else -adjustment.limit
        adjustments.append(AdjustmentScore(adjustment.feature, adjustment.label, count, points))
    knock_outs: list[Reason] = []
    for rule in card.knock_outs:
        value = features.get(rule.feature)
        if value is None:
            if rule.feature not in missing:
                missing.append(rule.feature)
        elif _knocks_out(rule, value) and all(r.code != rule.code for r in knock_outs):
            knock_outs.append(Reason(rule.code, rule.reason))
    total = sum((i.points for i in scored), Decimal(0)) + sum(
        (a.points for a in adjustments), Decimal(0)
    )
    total = min(max(total, card.min_score), card.max_score)
    band = _band_for(card, total)
    if knock_outs:
        band = _band_for(card, card.min_score)
    flags = tuple(Reason(f.code, f.label) for f in card.flags if features.get(f.feature) is True)
    raised, lowered = _factors(scored, adjustments)
    return RatingResult(
        kind=card.kind,
        card_version=card.version,
        score=total,
        grade=band.grade,
        grants_credit=band.grants_credit,
        knocked_out=bool(knock_outs),
        knock_outs=tuple(knock_outs),
        indicators=tuple(scored),
        adjustments=tuple(adjustments),
        incomplete=bool(missing),
        missing=tuple(missing),
        raised=raised,
        lowered=lowered,
        hints=_hints(card, scored),
        flags=flags,
    )


def _score_indicator(block: Block, indicator: Indicator, value: Any) -> IndicatorScore:
    def result(band: str, points: Decimal, used: Any, missing: bool = False) -> IndicatorScore:
        return IndicatorScore(
            block.name,
            indicator.feature,
            indicator.label,
            used,
            band,
            points,
            indicator.max_points,
            missing,
        )

    if value is None:
        return result("", Decimal(0), None, missing=True)
    if indicator.categories:
        key = _category_key(value)
        for category in indicator.categories:
            if category.value == key:
                return result(category.label, category.points, key)
        return result("", Decimal(0), key, missing=True)  # a value the card does not know
    number = _decimal(value)
    matched = _bin_for(indicator, number) if number is not None else None
    if matched is None:
        return result("", Decimal(0), value, missing=True)
    return result(matched.label, matched.points, number)


def _bin_for(indicator: Indicator, number: Decimal) -> Bin | None:
    for b in indicator.bins:
        if indicator.right_closed:
            inside = (b.low is None or number > b.low) and (b.high is None or number <= b.high)
        else:
            inside = (b.low is None or number >= b.low) and (b.high is None or number < b.high)
        if inside:
            return b
    return None


def _band_for(card: Scorecard, total: Decimal) -> GradeBand:
    for band in card.grades:
        if (band.low is None or total >= band.low) and (band.high is None or total < band.high):
            return band
    return min(card.grades, key=lambda g: _low_key(g.low))  # only for an unvalidated card


def _knocks_out(rule: KnockOut, value: Any) -> bool:
    if rule.operator == "true":
        return value is True
    if rule.operator == "in":
        return _category_key(value) in {_category_key(v) for v in rule.value}
    if rule.operator in ("eq", "ne") and not isinstance(value, int | float | Decimal):
        same = _category_key(value) == _category_key(rule.value)
        return same if rule.operator == "eq" else not same
    number = _decimal(value)
    if number is None:
        return False
    if rule.operator == "outside":
        low, high = (_decimal(v) for v in rule.value)
        return (low is not None and number < low) or (high is not None and number > high)
    limit = _decimal(rule.value)
    if limit is None:
        return False
    return {
        "eq": number == limit,
        "ne": number != limit,
        "lt": number < limit,
        "le": number <= limit,
        "gt": number > limit,
        "ge": number >= limit,
    }[rule.operator]


def _factors(
    scored: Sequence[IndicatorScore], adjustments: Sequence[AdjustmentScore]
) -> tuple[tuple[Factor, ...], tuple[Factor, ...]]:
    """Judged against each indicator's maximum: what raised the score most is what came
    closest to full marks (at least half, then the most points); what lowered it most is
    what lost the most points against its maximum (a missing value loses all of them).
    Honours count as raising, deductions as lowering."""
    ranked: list[tuple[Decimal, Decimal, Factor]] = []
    losses: list[tuple[Decimal, Factor]] = []
    for i in scored:
        if i.missing:
            text = f"{i.label}：未采集，计0分"
        else:
            text = f"{i.label}：{i.band}，得{_fmt(i.points)}分（满分{_fmt(i.max_points)}分）"
        if i.max_points > 0 and i.points > 0 and i.points * 2 >= i.max_points:
            share = i.points / i.max_points
            ranked.append((share, i.points, Factor(i.feature, i.label, i.points, text)))
        lost = i.max_points - i.points
        if lost > 0:
            losses.append((lost, Factor(i.feature, i.label, lost, text)))
    for a in adjustments:
        if a.points > 0:
            text = f"{a.label}{a.count}项，加{_fmt(a.points)}分"
            ranked.append((Decimal(1), a.points, Factor(a.feature, a.label, a.points, text)))
        elif a.points < 0:
            text = f"{a.label}{a.count}项，扣{_fmt(-a.points)}分"
            losses.append((-a.points, Factor(a.feature, a.label, -a.points, text)))
    ranked.sort(key=lambda r: (r[0], r[1]), reverse=True)
    raised = tuple(r[2] for r in ranked[:TOP_FACTORS])
    shown = {f.feature for f in raised}
    losses.sort(key=lambda r: r[0], reverse=True)
    lowered = tuple(f for _, f in losses if f.feature not in shown)[:TOP_FACTORS]
    return raised, lowered


def _hints(card: Scorecard, scored: Sequence[IndicatorScore]) -> tuple[str, ...]:
    """For each indicator short of its maximum, the nearest better bin or the next better
    category, as one plain sentence; the biggest gains first."""
    by_feature = {i.feature: i for i in card.indicators}
    hints: list[tuple[Decimal, str]] = []
    for result in scored:
        indicator = by_feature[result.feature]
        if result.missing:
            hints.append((indicator.max_points, f"补充完善“{indicator.label}”档案信息"))
            continue
        if not indicator.improvable or result.points >= indicator.max_points:
            continue
        if indicator.categories:
            better = [c for c in indicator.categories if c.points > result.points]
            nearest = min(better, key=lambda c: c.points)
            gain = nearest.points - result.points
            hints.append((gain, f"{indicator.label}达到“{nearest.label}”可加{_fmt(gain)}分"))
            continue
        hint = _bin_hint(indicator, result.points, result.value)
        if hint is not None:
            hints.append(hint)
    hints.sort(key=lambda h: h[0], reverse=True)
    return tuple(text for _, text in hints)


def _bin_hint(indicator: Indicator, points: Decimal, value: Decimal) -> tuple[Decimal, str] | None:
    """The nearest bin worth more points: above the value ("达到…") or below it ("降至…")."""
    above: list[tuple[Decimal, Bin]] = []
    below: list[tuple[Decimal, Bin]] = []
    for b in indicator.bins:
        if b.points <= points:
            continue
        if b.low is not None and b.low >= value:
            above.append((b.low, b))
        elif b.high is not None and b.high <= value:
            below.append((b.high, b))
    if above:
        edge, target = min(above, key=lambda e: (e[0], -e[1].points))
        verb, tail = ("超过", "") if indicator.right_closed else ("达到", "")
    elif below:
        edge, target = max(below, key=lambda e: (e[0], e[1].points))
        verb, tail = ("降至", "及以下") if indicator.right_closed else ("降至", "以下")
    else:
        return None
    gain = target.points - points
    return gain, f"{indicator.label}{verb}{_shown(indicator, edge)}{tail}可加{_fmt(gain)}分"


# --- JSON -------------------------------------------------------------------------------------


def card_to_json(card: Scorecard) -> dict[str, Any]:
    """The card as JSON-ready data (numbers as JSON numbers; exact decimals as strings)."""

    def indicator(i: Indicator) -> dict[str, Any]:
        data: dict[str, Any] = {"feature": i.feature, "label": i.label}
        if i.bins:
            data["bins"] = [
                {
                    "low": _num(b.low),
                    "high": _num(b.high),
                    "points": _num(b.points),
                    "label": b.label,
                }
                for b in i.bins
            ]
        if i.categories:
            data["categories"] = [
                {"value": c.value, "points": _num(c.points), "label": c.label} for c in i.categories
            ]
        if i.right_closed:
            data["right_closed"] = True
        if i.unit:
            data["unit"] = i.unit
        if i.scale != 1:
            data["scale"] = _num(i.scale)
        if not i.improvable:
            data["improvable"] = False
        return data

    return {
        "version": card.version,
        "kind": card.kind,
        "title": card.title,
        "min_score": _num(card.min_score),
        "max_score": _num(card.max_score),
        "blocks": [
            {
                "name": b.name,
                "max_points": _num(b.max_points),
                "indicators": [indicator(i) for i in b.indicators],
            }
            for b in card.blocks
        ],
        "grades": [
            {
                "grade": g.grade,
                "low": _num(g.low),
                "high": _num(g.high),
                "grants_credit": g.grants_credit,
            }
            for g in card.grades
        ],
        "adjustments": [
            {
                "feature": a.feature,
                "label": a.label,
                "points_each": _num(a.points_each),
                "limit": _num(a.limit),
            }
            for a in card.adjustments
        ],
        "knock_outs": [
            {
                "feature": k.feature,
                "operator": k.operator,
                "value": _plain(k.value),
                "code": k.code,
                "reason": k.reason,
            }
            for k in card.knock_outs
        ],
        "flags": [{"feature": f.feature, "code": f.code, "label": f.label} for f in card.flags],
    }


def card_from_json(data: Mapping[str, Any], *, validate: bool = True) -> Scorecard:
    """Read a card written by :func:`card_to_json` (or by hand). Raises ``ScorecardError`` with
    Chinese messages when the structure is wrong or — with ``validate`` — the card is unusable."""
    try:
        card = _read_card(data)
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        detail = f"缺少字段{exc}" if isinstance(exc, KeyError) else "字段类型或取值不正确"
        raise ScorecardError([f"评分卡JSON格式错误：{detail}"]) from exc
    if validate:
        problems = validate_scorecard(card)
        if problems:
            raise ScorecardError(problems)
    return card


def _read_card(data: Mapping[str, Any]) -> Scorecard:
    if not isinstance(data, Mapping):
        raise TypeError("card")
    blocks = tuple(
        Block(
            name=str(b["name"]),
            max_points=_dec(b["max_points"]),
            indicators=tuple(
                Indicator(
                    feature=str(i["feature"]),
                    label=str(i["label"]),
                    bins=tuple(
                        Bin(
                            _opt_dec(x.get("low")),
                            _opt_dec(x.get("high")),
                            _dec(x["points"]),
                            str(x["label"]),
                        )
                        for x in i.get("bins", ())
                    ),
                    categories=tuple(
                        Category(str(x["value"]), _dec(x["points"]), str(x["label"]))
                        for x in i.get("categories", ())
                    ),
                    right_closed=bool(i.get("right_closed", False)),
                    unit=str(i.get("unit", "")),
                    scale=_dec(i.get("scale", 1)),
                    improvable=bool(i.get("improvable", True)),
                )
                for i in b["indicators"]
            ),
        )
        for b in data["blocks"]
    )
    return Scorecard(
        version=str(data["version"]),
        kind=data["kind"],
        title=str(data.get("title", "")),
        blocks=blocks,
        grades=tuple(
            GradeBand(
                str(g["grade"]),
                _opt_dec(g.get("low")),
                _opt_dec(g.get("high")),
                bool(g.get("grants_credit", True)),
            )
            for g in data["grades"]
        ),
        adjustments=tuple(
            Adjustment(
                str(a["feature"]), str(a["label"]), _dec(a["points_each"]), _opt_dec(a.get("limit"))
            )
            for a in data.get("adjustments", ())
        ),
        knock_outs=tuple(
            KnockOut(
                str(k["feature"]), k["operator"], k.get("value"), str(k["code"]), str(k["reason"])
            )
            for k in data.get("knock_outs", ())
        ),
        flags=tuple(
            Flag(str(f["feature"]), str(f["code"]), str(f["label"])) for f in data.get("flags", ())
        ),
        min_score=_dec(data.get("min_score", 0)),
        max_score=_dec(data.get("max_score", 100)),
    )


# --- small helpers ----------------------------------------------------------------------------


def _dec(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    result = Decimal(str(value))
    if not result.is_finite():
        raise ValueError("not finite")
    return result


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else _dec(value)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def _count(value: Any) -> int | None:
    number = _decimal(value)
    return None if number is None or not number.is_finite() else max(int(number), 0)


def _category_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _low_key(low: Decimal | None) -> Decimal:
    return -INFINITY if low is None else low


def _num(value: Decimal | None) -> int | str | None:
    """Whole numbers as JSON integers; anything else as an exact decimal string."""
    if value is None:
        return None
    if value.is_finite() and value == value.to_integral_value():
        return int(value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _num(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value.is_finite() else str(value)
    return text


def _shown(indicator: Indicator, value: Decimal) -> str:
    shown = value / indicator.scale
    return f"{_fmt(shown)}{indicator.unit}"
