"""What is wrong with a credit policy, field by field, in Chinese: signs, the order of the
grades, caps and spreads per grade, the entity rules, the deposit tiers, and (once all else
holds) that a better grade never pays more."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import fields
from decimal import Decimal
from typing import Any

from credit.engine.formatting import (
    percentage_points,
    plain_number,
    rate_percent,
    share_percent,
    yuan,
)
from credit.engine.policy import (
    DISCOUNT_FIELDS,
    ENTITY_FIELDS,
    ENTITY_KINDS,
    FIELD_LABELS,
    GRADES,
    MULTIPLE_FIELDS,
    NO_CREDIT_GRADES,
    CreditPolicy,
    DepositTiers,
    V,
)
from credit.engine.pricing import grade_inversions


def validate_policy(policy: CreditPolicy) -> dict[str, list[str]]:
    """Everything wrong with ``policy`` by field, in Chinese; empty means it may be approved."""
    return policy_problems({f.name: getattr(policy, f.name) for f in fields(policy)})


# --- checks -----------------------------------------------------------------------------------


def policy_problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Checks on whatever fields were read; a check needing an unread field is skipped (that
    field already has its own message)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def has(*names: str) -> bool:
        return all(name in values for name in names)

    if has("version") and not values["version"].strip():
        add("version", "版本号不能为空")
    for name in MULTIPLE_FIELDS:
        if has(name) and values[name] <= 0:
            add(name, f"{FIELD_LABELS[name]}必须大于0")
    if has("rounding_unit") and values["rounding_unit"] <= 0:
        add("rounding_unit", "额度取整单位必须大于0")
    if has("online_min") and values["online_min"] < 0:
        add("online_min", "线上贷款最低额度不能为负数")
    if has("online_max") and values["online_max"] <= 0:
        add("online_max", "线上贷款最高额度必须大于0")
    if has("online_min", "online_max") and values["online_min"] > values["online_max"]:
        add(
            "online_min",
            f"线上贷款最低额度（{yuan(values['online_min'])}）高于最高额度"
            f"（{yuan(values['online_max'])}）",
        )
    if has("validity_months") and values["validity_months"] < 1:
        add("validity_months", "授信有效期至少为1个月")
    if has("lpr_bp") and values["lpr_bp"] <= 0:
        add("lpr_bp", "一年期LPR必须大于0基点")
    for name in (*DISCOUNT_FIELDS, "floor_bp", "ceiling_spread_bp"):
        if has(name) and values[name] < 0:
            add(name, f"{FIELD_LABELS[name]}不能为负数")
    if has("floor_bp", "lpr_bp", "ceiling_spread_bp"):
        floor, lpr, spread = values["floor_bp"], values["lpr_bp"], values["ceiling_spread_bp"]
        if floor > lpr + spread:
            add(
                "floor_bp",
                f"利率下限{rate_percent(floor)}高于利率上限{rate_percent(lpr + spread)}"
                f"（LPR {rate_percent(lpr)}加{percentage_points(spread)}）",
            )
    if has("grade_caps"):
        _cap_problems(values, add)
    if has("grade_spreads_bp"):
        _spread_problems(values, add)
    if has("deposit_discounts"):
        _tier_problems(values["deposit_discounts"], add)
    # an entity grade needs the household side's spread: checked once that side is consistent
    _entity_problems(
        values, add, check_spreads=not {"grade_caps", "grade_spreads_bp"} & set(errors)
    )
    if not errors and has(*(f.name for f in fields(CreditPolicy))):
        for message in _grade_order_problems(CreditPolicy(**values)):
            add("grade_spreads_bp", message)
    return errors


def _grade_order_problems(policy: CreditPolicy) -> list[str]:
    """A better grade never pays more for the same household, whatever its deposit and
    contributions (``pricing.grade_inversions``). Checked once everything else holds: it
    prices households under the policy."""
    return [inversion.message() for inversion in grade_inversions(policy)]


def _known_grades(grades: Mapping[str, Any], name: str, add: Callable[[str, str], None]) -> None:
    allowed = "、".join(g for g in GRADES if g not in NO_CREDIT_GRADES)
    for grade in grades:
        if grade not in GRADES:
            add(name, f"{FIELD_LABELS[name]}中的等级“{grade}”不存在，等级只能是{allowed}")


def _better_first(grades: Mapping[str, V]) -> list[tuple[str, V]]:
    return [(g, grades[g]) for g in GRADES if g in grades]


def _cap_problems(values: Mapping[str, Any], add: Callable[[str, str], None]) -> None:
    caps: Mapping[str, Decimal] = values["grade_caps"]
    if not caps:
        add("grade_caps", "至少要为一个等级设置额度上限")
    _known_grades(caps, "grade_caps", add)
    for grade, cap in _better_first(caps):
        if grade in NO_CREDIT_GRADES:
            add("grade_caps", f"{grade}级为不授信等级，不能设置额度上限")
        elif cap <= 0:
            add("grade_caps", f"{grade}级额度上限必须大于0（不授信的等级请不要列出）")
        elif "online_max" in values and cap > values["online_max"]:
            add(
                "grade_caps",
                f"{grade}级额度上限（{yuan(cap)}）超过线上贷款最高额度"
                f"（{yuan(values['online_max'])}）",
            )
    credit_grades = [g for g in GRADES if g not in NO_CREDIT_GRADES]
    for better, worse in itertools.pairwise(credit_grades):
        if worse in caps and better not in caps:
            add(
                "grade_caps",
                f"{better}级没有额度上限（不授信），而更低的{worse}级有：评级越高，额度上限不能越低",
            )
    for (better, high), (worse, low) in itertools.pairwise(_better_first(caps)):
        if high < low:
            add(
                "grade_caps",
                f"{better}级额度上限（{yuan(high)}）低于{worse}级（{yuan(low)}）："
                "评级越高，额度上限不能越低",
            )


def _spread_problems(values: Mapping[str, Any], add: Callable[[str, str], None]) -> None:
    spreads: Mapping[str, int] = values["grade_spreads_bp"]
    _known_grades(spreads, "grade_spreads_bp", add)
    caps: Mapping[str, Decimal] | None = values.get("grade_caps")
    for grade, spread in _better_first(spreads):
        if spread < 0:
            add("grade_spreads_bp", f"{grade}级利率加点不能为负数")
        if caps is not None and grade not in caps:
            add("grade_spreads_bp", f"{grade}级没有额度上限（不授信），不应设置利率加点")
    for grade in caps or {}:
        if grade in GRADES and grade not in NO_CREDIT_GRADES and grade not in spreads:
            add("grade_spreads_bp", f"{grade}级设置了额度上限，但缺少利率加点")
    for (better, high), (worse, low) in itertools.pairwise(_better_first(spreads)):
        if high > low:
            add(
                "grade_spreads_bp",
                f"{better}级利率加点（{high}基点）高于{worse}级（{low}基点）："
                "评级越高，加点不能越多",
            )


def _entity_problems(
    values: Mapping[str, Any], add: Callable[[str, str], None], *, check_spreads: bool
) -> None:
    """The entity fields: all or none; caps like the households' (but not bound by the online
    maximum: entities borrow at the branch), each with a spread to price it; positive
    multiples; a margin in (0, 100%] for every kind of entity."""
    present = [name for name in ENTITY_FIELDS if values.get(name) is not None]
    if not present:
        return
    for name in ENTITY_FIELDS:
        if name not in present and name in values:
            add(name, f"缺少字段：{FIELD_LABELS[name]}（{name}）：经营主体的四项规则须同时设置")
    for name in ("entity_profit_multiple", "entity_asset_multiple"):
        if name in present and values[name] <= 0:
            add(name, f"{FIELD_LABELS[name]}必须大于0")
    if "entity_grade_caps" in present:
        caps: Mapping[str, Decimal] = values["entity_grade_caps"]
        name = "entity_grade_caps"
        if not caps:
            add(name, "至少要为一个等级设置经营主体额度上限")
        _known_grades(caps, name, add)
        spreads: Mapping[str, int] | None = (
            values.get("grade_spreads_bp") if check_spreads else None
        )
        for grade, cap in _better_first(caps):
            if grade in NO_CREDIT_GRADES:
                add(name, f"{grade}级为不授信等级，不能设置经营主体额度上限")
            elif cap <= 0:
                add(name, f"经营主体{grade}级额度上限必须大于0（不授信的等级请不要列出）")
            elif spreads is not None and grade not in spreads:
                add(name, f"经营主体{grade}级设置了额度上限，但等级利率加点中没有{grade}级")
        credit_grades = [g for g in GRADES if g not in NO_CREDIT_GRADES]
        for better, worse in itertools.pairwise(credit_grades):
            if worse in caps and better not in caps:
                add(
                    name,
                    f"经营主体{better}级没有额度上限，而更低的{worse}级有：评级越高，额度上限不能越低",
                )
        for (better, high), (worse, low) in itertools.pairwise(_better_first(caps)):
            if high < low:
                add(
                    name,
                    f"经营主体{better}级额度上限（{yuan(high)}）低于{worse}级（{yuan(low)}）："
                    "评级越高，额度上限不能越低",
                )
    if "entity_margins" in present:
        margins: Mapping[str, Decimal] = values["entity_margins"]
        name = "entity_margins"
        for kind in margins:
            if kind not in ENTITY_KINDS:
                allowed = "、".join(ENTITY_KINDS)
                add(name, f"经营主体利润率中的主体类型“{kind}”不存在，只能是{allowed}")
        for kind, label in ENTITY_KINDS.items():
            if kind not in margins:
                add(name, f"缺少{label}的利润率")
            elif not 0 < margins[kind] <= 1:
                add(
                    name,
                    f"{label}的利润率（{plain_number(margins[kind])}）必须大于0且不超过1"
                    "（即0%–100%）",
                )


def _tier_problems(tiers: DepositTiers, add: Callable[[str, str], None]) -> None:
    name = "deposit_discounts"
    for number, (share, bp) in enumerate(tiers, start=1):
        if not 0 < share <= 1:
            add(
                name,
                f"存款贡献优惠第{number}档的占比（{plain_number(share)}）必须大于0且不超过1"
                "（即0%–100%）",
            )
        if bp < 0:
            add(name, f"存款贡献优惠第{number}档的优惠基点不能为负数")
    for number, ((high, more), (low, less)) in enumerate(itertools.pairwise(tiers), start=2):
        if low >= high:
            add(
                name,
                f"存款贡献优惠档位须按占比从高到低排列：第{number}档（{share_percent(low)}）"
                f"不低于第{number - 1}档（{share_percent(high)}）",
            )
        elif less > more:
            add(
                name,
                f"存款贡献优惠第{number}档（占比{share_percent(low)}，{less}基点）优惠多于"
                f"第{number - 1}档（占比{share_percent(high)}，{more}基点）："
                "占比越高，优惠不能越少",
            )
