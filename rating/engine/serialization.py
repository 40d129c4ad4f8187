"""Cards to and from JSON (export, import, and the form stored in the database)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rating.engine.cards import (
    Adjustment,
    Bin,
    Block,
    Category,
    Flag,
    GradeBand,
    Indicator,
    KnockOut,
    Scorecard,
    ScorecardError,
    validate_scorecard,
)
from rating.engine.numbers import _dec, _num, _opt_dec, _plain
from rating.features import LABOUR_ABILITIES, FeatureRules

# --- JSON -------------------------------------------------------------------------------------


def card_to_json(card: Scorecard) -> dict[str, Any]:
    """The card as JSON-ready data (numbers as JSON numbers; exact decimals as strings). The
    feature rules are always written out — a card without its own is written with the
    implicit ones it is scored with — so every card the system stores states them."""

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
        "feature_rules": _rules_to_json(card),
    }


def _rules_to_json(card: Scorecard) -> dict[str, Any]:
    rules = card.rules
    data: dict[str, Any] = {}
    if card.kind == "household":
        data["labour_weights"] = {ability: _num(w) for ability, w in rules.labour_weights}
    ratio = rules.debt_ratio_without_assets_or_debt
    data["debt_ratio_without_assets_or_debt"] = _num(ratio) if ratio.is_finite() else str(ratio)
    return data


def _rules_from_json(kind: str, data: Any) -> FeatureRules | None:
    """``None`` when the card states no rules (read with the implicit ones). A household
    card that states them must state both; labour weights on another kind are kept for the
    validation to refuse."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise TypeError("feature_rules")
    weights = data["labour_weights"] if kind == "household" else data.get("labour_weights", {})
    if not isinstance(weights, Mapping):
        raise TypeError("labour_weights")
    ratio = Decimal(str(data["debt_ratio_without_assets_or_debt"]))
    if ratio.is_nan():
        raise ValueError("debt_ratio_without_assets_or_debt")
    known = {ability: n for n, ability in enumerate(LABOUR_ABILITIES)}
    # most able first, whatever order the JSON (or jsonb, which sorts keys) kept
    order = sorted(weights, key=lambda a: (known.get(str(a), len(known)), str(a)))
    return FeatureRules(
        labour_weights=tuple((str(a), _dec(weights[a])) for a in order),
        debt_ratio_without_assets_or_debt=ratio,
    )


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
        feature_rules=_rules_from_json(data["kind"], data.get("feature_rules")),
    )
