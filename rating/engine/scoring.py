"""Scoring one subject: points per indicator, adjustments, knock-outs, grade, reasons, hints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from rating.engine.cards import (
    TOP_FACTORS,
    Bin,
    Block,
    Category,
    GradeBand,
    Indicator,
    KnockOut,
    Scorecard,
)
from rating.engine.numbers import (
    _category_key,
    _count,
    _decimal,
    _fmt,
    _low_key,
    _num,
    _plain,
)

# The version of the scoring logic, stored on every result (``RatingResult.engine_version``).
# Bump it whenever a change here, in ``rating.features`` or in ``rating.scoring_sql`` can give
# a subject other points, reasons or hints from the same archive and card: a result then says
# which logic scored it, and ``manage.py rating_replay`` says when it rebuilds a result with
# another. 1: results before points and codes were stored (none of them carries a version).
ENGINE_VERSION = 2

NO_BAND = -1  # in ``codes``: no bin or category matched (the value is missing), or no hint

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
    band_index: int = NO_BAND  # the bin or category matched (its place in the card)


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
        hints=_hints(card, scored, [hint_target(i, r.band_index) for i, r in _pairs(card, scored)])
        if explain and not knock_outs
        else (),
        flags=flags,
    )


def _pairs(
    card: Scorecard, scored: Sequence[IndicatorScore]
) -> list[tuple[Indicator, IndicatorScore]]:
    return list(zip(card.indicators, scored, strict=True))


def codes_of(card: Scorecard, result: RatingResult) -> list[int]:
    """A result's codes as stored: each indicator's band (the bin or category it matched, by
    its place in the card; ``NO_BAND`` when missing), then each indicator's hint target (the
    band it would have to reach for more points; ``NO_BAND`` for none)."""
    bands = [i.band_index for i in result.indicators]
    targets = [hint_target(ind, i.band_index) for ind, i in _pairs(card, result.indicators)]
    return bands + targets


def points_of(result: RatingResult) -> list[Decimal]:
    """A result's points as stored: each indicator's, then each adjustment's."""
    return [i.points for i in result.indicators] + [a.points for a in result.adjustments]


def explain_stored(
    card: Scorecard,
    *,
    values: Mapping[str, Any],
    points: Sequence[Decimal],
    codes: Sequence[int],
    score: Decimal,
    grade: str,
    knock_out_codes: Sequence[str],
    flag_codes: Sequence[str],
    missing: Sequence[str],
) -> RatingResult:
    """A stored result explained — what raised and lowered it, how to improve it — from what
    the run stored (points, bands, hint targets, knock-out and flag codes), never by scoring
    again: the explanation stays that of the logic that rated it. Texts come from the card."""
    n = len(card.indicators)
    bands, targets = list(codes[:n]), list(codes[n : 2 * n])
    scored = []
    for k, (block, indicator) in enumerate((b, i) for b in card.blocks for i in b.indicators):
        band = bands[k]
        options: Sequence[Category | Bin] = indicator.categories or indicator.bins
        label = options[band].label if 0 <= band < len(options) else ""
        value = values.get(indicator.feature)
        if value is not None:
            value = _category_key(value) if indicator.categories else _decimal(value)
        scored.append(
            IndicatorScore(
                block.name,
                indicator.feature,
                indicator.label,
                value,
                label,
                Decimal(points[k]),
                indicator.max_points,
                band < 0,
                band,
            )
        )
    adjustments = [
        AdjustmentScore(
            a.feature, a.label, _count(values.get(a.feature)) or 0, Decimal(points[n + j])
        )
        for j, a in enumerate(card.adjustments)
    ]
    reasons: dict[str, str] = {}
    for rule in card.knock_outs:
        reasons.setdefault(rule.code, rule.reason)
    labels = {f.code: f.label for f in card.flags}
    band_of = {b.grade: b for b in card.grades}
    raised, lowered = _factors(scored, adjustments)
    return RatingResult(
        kind=card.kind,
        card_version=card.version,
        score=score,
        grade=grade,
        grants_credit=band_of[grade].grants_credit if grade in band_of else False,
        knocked_out=bool(knock_out_codes),
        knock_outs=tuple(Reason(c, reasons.get(c, c)) for c in knock_out_codes),
        indicators=tuple(scored),
        adjustments=tuple(adjustments),
        incomplete=bool(missing),
        missing=tuple(missing),
        raised=raised,
        lowered=lowered,
        hints=() if knock_out_codes else _hints(card, scored, targets),
        flags=tuple(Reason(c, labels.get(c, c)) for c in flag_codes),
    )


def _score_indicator(block: Block, indicator: Indicator, value: Any) -> IndicatorScore:
    # Hot path (once per indicator per subject in a batch): no closures, positional tuples.
    name, feature, label, top = block.name, indicator.feature, indicator.label, indicator.max_points
    if value is None:
        return IndicatorScore(name, feature, label, None, "", _ZERO, top, True, NO_BAND)
    if indicator.categories:
        key = _category_key(value)
        for index, category in enumerate(indicator.categories):
            if category.value == key:
                return IndicatorScore(
                    name, feature, label, key, category.label, category.points, top, False, index
                )
        # a value the card does not know
        return IndicatorScore(name, feature, label, key, "", _ZERO, top, True, NO_BAND)
    number = _decimal(value)
    index = _bin_for(indicator, number) if number is not None else NO_BAND
    if index == NO_BAND:
        return IndicatorScore(name, feature, label, value, "", _ZERO, top, True, NO_BAND)
    matched = indicator.bins[index]
    return IndicatorScore(
        name, feature, label, number, matched.label, matched.points, top, False, index
    )


_ZERO = Decimal(0)


def _bin_for(indicator: Indicator, number: Decimal) -> int:
    """The place of the first bin holding ``number``, or ``NO_BAND``."""
    for index, b in enumerate(indicator.bins):
        if indicator.right_closed:
            inside = (b.low is None or number > b.low) and (b.high is None or number <= b.high)
        else:
            inside = (b.low is None or number >= b.low) and (b.high is None or number < b.high)
        if inside:
            return index
    return NO_BAND


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


def hint_target(indicator: Indicator, band: int) -> int:
    """The band (bin or category, by its place in the card) a subject in ``band`` would have
    to reach for more points: the next better category, or the nearest bin worth more — above
    the one matched ("达到…") or else below it ("降至…"). ``NO_BAND`` when the value is missing
    (the hint is then to fill it in), the indicator is not improvable or nothing is better.
    A function of the card and the band alone, so the compiled SQL path computes it too."""
    if band == NO_BAND or not indicator.improvable:
        return NO_BAND
    if indicator.categories:
        current = indicator.categories[band].points
        better = [(c.points, i) for i, c in enumerate(indicator.categories) if c.points > current]
        return min(better)[1] if better else NO_BAND
    matched = indicator.bins[band]
    above: list[tuple[Decimal, Decimal, int]] = []
    below: list[tuple[Decimal, Decimal, int]] = []
    for i, b in enumerate(indicator.bins):
        if b.points <= matched.points:
            continue
        if b.low is not None and matched.high is not None and b.low >= matched.high:
            above.append((b.low, -b.points, i))
        elif b.high is not None and matched.low is not None and b.high <= matched.low:
            below.append((b.high, b.points, i))
    if above:
        return min(above, key=lambda e: (e[0], e[1]))[2]
    if below:
        return max(below, key=lambda e: (e[0], e[1]))[2]
    return NO_BAND


def _hints(
    card: Scorecard, scored: Sequence[IndicatorScore], targets: Sequence[int]
) -> tuple[str, ...]:
    """For each indicator short of its maximum, the way to its hint target as one plain
    sentence; the biggest gains first."""
    hints: list[tuple[Decimal, str]] = []
    for indicator, result, target in zip(card.indicators, scored, targets, strict=True):
        if result.missing:
            hints.append((indicator.max_points, f"补充完善“{indicator.label}”档案信息"))
            continue
        if target == NO_BAND:
            continue
        if indicator.categories:
            goal = indicator.categories[target]
            gain = goal.points - result.points
            hints.append((gain, f"{indicator.label}达到“{goal.label}”可加{_fmt(gain)}分"))
            continue
        aim, matched = indicator.bins[target], indicator.bins[result.band_index]
        gain = aim.points - result.points
        if aim.low is not None and matched.high is not None and aim.low >= matched.high:
            edge, tail = aim.low, ""
            verb = "超过" if indicator.right_closed else "达到"
        else:
            edge, verb = aim.high or _ZERO, "降至"
            tail = "及以下" if indicator.right_closed else "以下"
        hints.append(
            (gain, f"{indicator.label}{verb}{_shown(indicator, edge)}{tail}可加{_fmt(gain)}分")
        )
    hints.sort(key=lambda h: h[0], reverse=True)
    return tuple(text for _, text in hints)


def _shown(indicator: Indicator, value: Decimal) -> str:
    shown = value / indicator.scale
    return f"{_fmt(shown)}{indicator.unit}"
