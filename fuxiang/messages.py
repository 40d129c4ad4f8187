"""Plain Chinese for the limits a field can hit (length, range, digits), in one place.

Django's and DRF's own wording ("确保该变量包含不超过 50 字符") reads like a programmer's note;
these say what to change. Three users share them: back-office forms (``form_messages``, set on
every field by ``households.forms.BootstrapMixin``), model validation inside the services
(``plain_validation_errors``), and the API's serializers (``api_messages``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

# Django's validator codes → message with Django's %-placeholders (the validators' params).
LIMITS = {
    "max_length": "最多填写%(limit_value)d个字（现在是%(show_value)d个字）",
    "min_length": "至少填写%(limit_value)d个字（现在是%(show_value)d个字）",
    "min_value": "不能小于%(limit_value)s",
    "max_value": "不能大于%(limit_value)s",
    "max_digits": "数字太大：最多%(max)s位数字",
    "max_decimal_places": "最多保留%(max)s位小数",
    "max_whole_digits": "数字太大：整数部分最多%(max)s位",
    "step_size": "应为%(limit_value)s的整数倍",
}
NON_NEGATIVE = "不能为负数"


def form_messages(field: forms.Field) -> dict[str, str]:
    """``error_messages`` for a form field: Django replaces a validator's message by the
    field's message of the same code, and fills in the validator's params."""
    messages = {
        code: template
        for code, template in LIMITS.items()
        if code not in _FORM_ATTRIBUTE or getattr(field, _FORM_ATTRIBUTE[code], None) is not None
    }
    if getattr(field, "min_value", None) == 0:
        messages["min_value"] = NON_NEGATIVE
    return messages


# A limit's message is set only on a form field that has the limit itself: a model's validator
# with its own wording ("房产估值不能为负数") must keep it when the ModelForm shows it.
_FORM_ATTRIBUTE = {
    "max_length": "max_length",
    "min_length": "min_length",
    "min_value": "min_value",
    "max_value": "max_value",
    "step_size": "step_size",
}


def plain_message(error: ValidationError, label: str = "") -> str:
    """One Django ``ValidationError`` in plain Chinese (a limit's wording replaced), prefixed
    with the field's label when given."""
    template = LIMITS.get(error.code or "")
    if template is None:
        return " ".join(error.messages)
    params = dict(error.params or {})
    if error.code == "min_value" and params.get("limit_value") == 0:
        template = NON_NEGATIVE
    try:
        text = template % params
    except (KeyError, TypeError, ValueError):
        return " ".join(error.messages)
    return f"{label}{text}"


def plain_validation_errors(
    exc: ValidationError, labels: Mapping[str, str]
) -> dict[str, list[str]]:
    """A model's ``full_clean`` errors, field by field, in plain Chinese; a limit's message
    names its field (``labels``: field name → verbose name)."""
    errors: dict[str, list[str]] = {}
    for field, items in exc.error_dict.items():
        label = "" if field == NON_FIELD_ERRORS else labels.get(field, "")
        for item in items:
            for one in item.error_list if hasattr(item, "error_list") else [item]:
                errors.setdefault(field, []).append(plain_message(one, label))
    return errors


def api_messages(label: str, *, min_value: Any = None) -> dict[str, str]:
    """DRF's ``error_messages`` for a serializer field, naming the field (``{...}`` are DRF's
    placeholders)."""
    return {
        "required": f"{label}为必填项",
        "null": f"{label}为必填项",
        "blank": f"{label}为必填项",
        "invalid": f"{label}格式不正确",
        "invalid_choice": f"{label}不能取值“{{input}}”",
        "max_length": f"{label}最多填写{{max_length}}个字",
        "min_length": f"{label}至少填写{{min_length}}个字",
        "min_value": (
            f"{label}{NON_NEGATIVE}" if min_value == 0 else f"{label}不能小于{{min_value}}"
        ),
        "max_value": f"{label}不能大于{{max_value}}",
        "max_digits": f"{label}数字太大：最多{{max_digits}}位数字",
        "max_decimal_places": f"{label}最多保留{{max_decimal_places}}位小数",
        "max_whole_digits": f"{label}数字太大：整数部分最多{{max_whole_digits}}位",
        "max_string_length": f"{label}数值过大",
        "does_not_exist": f"{label}不存在，或不在您负责的范围内",
        "incorrect_type": f"{label}应为编号（整数）",
        "not_a_list": f"{label}应为编号列表",
    }
