"""Scoring one subject: points per indicator, adjustments, knock-outs, grade, reasons, hints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from rating.engine.cards import TOP_FACTORS, Bin, Block, GradeBand, Indicator, KnockOut, Scorecard
from rating.engine.numbers import (
    _category_key,
    _count,
    _decimal,
    _fmt,
    _low_key,
    _num,
    _plain,
)

# --- scoring ----------------------------------------------------------------------------------


class IndicatorScore(NamedTuple):
    """One indicator's outcome. A named tuple, not a frozen dataclass: a county run builds
    about 2.7 million of them, and a tuple is four times cheaper to create."""

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


def score(card: Scorecard, features: Mapping[str, Any], *, explain: bool = True) -> RatingResult:
    """Score one subject. A missing feature (absent or ``None``) scores 0 and marks the result
    incomplete; a knocked-out subject gets the lowest grade whatever its score — and no hints:
    no number of points would lift it, so "…可加N分" would mislead.

    ``explain=False`` skips the top factors and the hints (half the work): a batch stores the
    per-indicator points, from which the explanation is the same whenever it is asked for."""
    missing: list[str] = []
    scored: list[IndicatorScore] = []
    total = _ZERO
    for block in card.blocks:
        for indicator in block.indicators:
            result = _score_indicator(block, indicator, features.get(indicator.feature))
            if result.missing:
                missing.append(indicator.feature)
            scored.append(result)
            total += result.points
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
        total += points
    knock_outs: list[Reason] = []
    for rule in card.knock_outs:
        value = features.get(rule.feature)
        if value is None:
            if rule.feature not in missing:
                missing.append(rule.feature)
        elif _knocks_out(rule, value) and all(r.code != rule.code for r in knock_outs):
            knock_outs.append(Reason(rule.code, rule.reason))
    total = min(max(total, card.min_score), card.max_score)
    band = _band_for(card, total)
    if knock_outs:
        band = _band_for(card, card.min_score)
    flags = tuple(Reason(f.code, f.label) for f in card.flags if features.get(f.feature) is True)
    raised, lowered = _factors(scored, adjustments) if explain else ((), ())
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
        hints=_hints(card, scored) if explain and not knock_outs else (),
        flags=flags,
    )


def _score_indicator(block: Block, indicator: Indicator, value: Any) -> IndicatorScore:
    # Hot path (once per indicator per subject in a batch): no closures, positional tuples.
    name, feature, label, top = block.name, indicator.feature, indicator.label, indicator.max_points
    if value is None:
        return IndicatorScore(name, feature, label, None, "", _ZERO, top, True)
    if indicator.categories:
        key = _category_key(value)
        for category in indicator.categories:
            if category.value == key:
                return IndicatorScore(
                    name, feature, label, key, category.label, category.points, top, False
                )
        # a value the card does not know
        return IndicatorScore(name, feature, label, key, "", _ZERO, top, True)
    number = _decimal(value)
    matched = _bin_for(indicator, number) if number is not None else None
    if matched is None:
        return IndicatorScore(name, feature, label, value, "", _ZERO, top, True)
    return IndicatorScore(name, feature, label, number, matched.label, matched.points, top, False)


_ZERO = Decimal(0)


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


def _shown(indicator: Indicator, value: Decimal) -> str:
    shown = value / indicator.scale
    return f"{_fmt(shown)}{indicator.unit}"
