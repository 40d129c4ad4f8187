"""Back-office forms of manual overrides: proposing one, and the note of a review or withdrawal.
They only parse input; the rules are ``credit.overrides``'s, shown on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from credit import engine
from credit.lines import add_months
from credit.models import OverrideKind
from credit.overrides import MAX_NOTE, MAX_REASON, MAX_VALIDITY_MONTHS, MIN_REASON
from households.forms import BootstrapMixin

DEFAULT_VALIDITY_MONTHS = 6


class OverrideProposeForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label="调整类型",
        choices=OverrideKind.choices,
        error_messages={"required": "请选择调整类型", "invalid_choice": "请选择调整类型"},
    )
    grade = forms.ChoiceField(
        label="调整后等级",
        required=False,
        choices=[("", "—— 调整等级时选择 ——"), *((g, f"{g}级") for g in engine.GRADES)],
        help_text="等级决定额度上限和利率加点；B级不授信",
        error_messages={"invalid_choice": "调整后等级须是AAA、AA、A、B之一"},
    )
    amount = forms.DecimalField(
        label="调整后额度（元）",
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="调整额度时填写，须是1,000元的整数倍",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1000", "min": "0"}),
        error_messages={"invalid": "调整后额度须是数字（元）"},
    )
    reason = forms.CharField(
        label="调整理由",
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"至少{MIN_REASON}个字，说明机器评级为何不合适",
        error_messages={"required": "请填写调整理由"},
    )
    evidence = forms.CharField(
        label="依据材料",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如走访记录、收入证明、担保情况；额度超过等级上限时必填",
    )
    valid_until = forms.DateField(
        label="有效期至",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=f"最长{MAX_VALIDITY_MONTHS}个月；到期后恢复按评级结果授信",
        error_messages={"required": "请填写有效期", "invalid": "有效期须是日期，如2027-05-31"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_until"].initial = add_months(
            timezone.localdate(), DEFAULT_VALIDITY_MONTHS
        )


class OverrideNoteForm(BootstrapMixin, forms.Form):
    """The note of an approval (optional), a rejection or a manager's withdrawal (required by
    the service, which says so on this field)."""

    note = forms.CharField(
        label="意见",
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"意见不能超过{MAX_NOTE}个字"},
    )
