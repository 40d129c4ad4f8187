"""How every page writes money and durations: one set of template filters, built into the
template engine (``TEMPLATES.OPTIONS.builtins``), so no page formats an amount its own way.

- ``rmb``: an exact amount, ``¥136,000`` (cents only when there are any: ``¥1,234.50``);
- ``wan``: a compact amount for cards and tables on a phone, ``13.6万`` (below 1万: ``¥8,000``);
- ``duration_zh``: a ``timedelta`` in words, ``30分钟``, ``1小时30分钟``, ``2天``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()
EMPTY = "—"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_rmb(value: Any) -> str:
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    digits = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{sign}¥{digits}"


def format_wan(value: Any) -> str:
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    if abs(amount) < 10000:
        return format_rmb(amount)
    wan = (amount / 10000).quantize(Decimal("0.1"))
    text = f"{wan:,.1f}".removesuffix(".0")
    return f"{text}万"


def format_duration(value: Any) -> str:
    if not isinstance(value, timedelta):
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else ""]
    parts.append(f"{minutes}分钟" if minutes else "")
    return "".join(parts)


def format_count(value: Any) -> str:
    """12,345 — humanize's ``intcomma`` without its locale lookups (a list of the county's 250
    villages formats 750 counts)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


register.filter("count", format_count)
register.filter("rmb", format_rmb)
register.filter("wan", format_wan)
register.filter("duration_zh", format_duration)


@register.simple_tag
def error_summary(*forms: Any) -> list[dict[str, str]]:
    """Every field error of the forms, in the order the page shows the fields (a form with
    ``sections()`` is read section by section), each with the id to link to and its text led
    by the field's label (unless the message names the field already)."""
    items: list[dict[str, str]] = []
    for form in forms:
        if form is None or not getattr(form, "errors", None):
            continue
        if hasattr(form, "sections"):
            fields = [field for _, section in form.sections() for field in section]
            fields += [form[name] for name in form.fields if name not in {f.name for f in fields}]
        else:
            fields = list(form)
        for field in fields:
            label = str(field.label or "")
            for error in field.errors:
                text = str(error)
                items.append(
                    {
                        "id": field.id_for_label or "",
                        "text": text if text.startswith(label) else f"{label}：{text}",
                    }
                )
    return items


# Grades told apart at a glance: the two that grant the larger lines in greens, A in amber,
# B (no line) in grey (static/css/fuxiang.css: .grade-*, .bg-grade-*).
GRADE_CLASSES = {"AAA": "grade-aaa", "AA": "grade-aa", "A": "grade-a", "B": "grade-b"}


@register.filter
def grade_class(grade: Any) -> str:
    return GRADE_CLASSES.get(str(grade or "").upper(), "grade-none")
