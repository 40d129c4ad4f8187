"""What changed between two versions of a credit policy, in the words of the policy page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from credit.engine.formatting import (
    plain_number,
    rate_percent,
    share_percent,
    yuan,
)
from credit.engine.policy import (
    ENTITY_KINDS,
    FIELD_LABELS,
    GRADES,
    MONEY_FIELDS,
    MULTIPLE_FIELDS,
    CreditPolicy,
)

# --- diff between versions ------------------------------------------------------------------


def policy_diff(old: CreditPolicy, new: CreditPolicy) -> list[tuple[str, str, str]]:
    """What changed from ``old`` to ``new``: (Chinese label, old value, new value), in field
    order; per grade for caps and spreads ("—" where a grade is not listed)."""
    rows: list[tuple[str, str, str]] = []
    for name, label in FIELD_LABELS.items():
        before, after = getattr(old, name), getattr(new, name)
        if name in ("grade_caps", "grade_spreads_bp", "entity_grade_caps", "entity_margins"):
            before, after = before or {}, after or {}  # an entity map may be absent (None)
            keys: Iterable[str] = ENTITY_KINDS if name == "entity_margins" else GRADES
            listed = [g for g in keys if g in before or g in after]
            listed += sorted((set(before) | set(after)) - set(keys))
            for grade in listed:
                was, now = before.get(grade), after.get(grade)
                if was != now:
                    key = ENTITY_KINDS.get(grade, grade)
                    rows.append((f"{label}（{key}）", _shown(name, was), _shown(name, now)))
        elif before != after:
            rows.append((label, _shown(name, before), _shown(name, after)))
    return rows


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if name in ("grade_caps", "entity_grade_caps", *MONEY_FIELDS):
        return yuan(value)
    if name in (*MULTIPLE_FIELDS, "entity_profit_multiple", "entity_asset_multiple"):
        return f"{plain_number(value)}倍"
    if name == "entity_margins":
        return share_percent(value)
    if name == "validity_months":
        return f"{value}个月"
    if name == "effective_from":
        return str(value.isoformat())
    if name in ("lpr_bp", "floor_bp"):
        return f"{value}基点（{rate_percent(value)}）"
    if name == "deposit_discounts":
        tiers = [f"占比≥{share_percent(share)}优惠{bp}基点" for share, bp in value]
        return "；".join(tiers) or "无"
    if name.endswith("_bp"):
        return f"{value}基点"
    return str(value)
