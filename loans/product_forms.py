"""The product version form (head office)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from households.forms import BootstrapMixin
from loans.engine.rules import SUBJECT_KIND_LABELS
from loans.models import ProductRule, RepaymentMethod

GRADE_CHOICES = [("AAA", "AAA"), ("AA", "AA"), ("A", "A")]


class ProductVersionForm(BootstrapMixin, forms.Form):
    min_amount = forms.DecimalField(label="最低金额（元）", max_digits=14, decimal_places=2)
    max_amount = forms.DecimalField(label="最高金额（元）", max_digits=14, decimal_places=2)
    grades = forms.MultipleChoiceField(
        label="准入评级", choices=GRADE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    subject_kinds = forms.MultipleChoiceField(
        label="准入主体",
        choices=list(SUBJECT_KIND_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    terms_months = forms.CharField(
        label="可选期限（月，逗号分隔）", help_text="例如：12,24,36", max_length=100
    )
    repayment_methods = forms.MultipleChoiceField(
        label="还款方式", choices=RepaymentMethod.choices, widget=forms.CheckboxSelectMultiple
    )
    online = forms.BooleanField(label="线上办理（秒批）", required=False)
    needs_review = forms.BooleanField(label="须客户经理审核", required=False)
    rule = forms.ChoiceField(label="准入规则", choices=ProductRule.choices, required=False)
    farming_income_share = forms.DecimalField(
        label="种养殖收入占比下限（0–1）", max_digits=4, decimal_places=2, initial="0.30"
    )
    farming_land_mu = forms.DecimalField(
        label="承包土地下限（亩）", max_digits=8, decimal_places=2, initial=3
    )
    collateral_ratio = forms.DecimalField(
        label="抵押率上限（0–1，抵押类产品）", max_digits=4, decimal_places=2, required=False
    )
    draw_within_days = forms.IntegerField(
        label="签约后放款期限（天）", min_value=1, max_value=365, initial=30, required=False
    )
    min_drawdown = forms.DecimalField(
        label="单笔最低放款（元，提取全部剩余金额不受限）",
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        initial=1000,
        required=False,
    )
    note = forms.CharField(label="版本说明", max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("draw_within_days", "min_drawdown"):  # left empty: the version in force's
            if data.get(name) is None:
                data.pop(name, None)
        return data

    def clean_terms_months(self) -> list[int]:
        raw = self.cleaned_data["terms_months"].replace("，", ",")
        try:
            terms = sorted({int(t) for t in raw.split(",") if t.strip()})
        except ValueError as exc:
            raise forms.ValidationError("可选期限须为整月数，用逗号分隔") from exc
        if not terms:
            raise forms.ValidationError("请至少填写一个期限")
        return terms

    @classmethod
    def initial_from(cls, version: Any) -> dict[str, Any]:
        if version is None:
            return {}
        return {
            "min_amount": version.min_amount,
            "max_amount": version.max_amount,
            "grades": version.grades,
            "subject_kinds": version.subject_kinds,
            "terms_months": ",".join(str(t) for t in version.terms_months),
            "repayment_methods": version.repayment_methods,
            "online": version.online,
            "needs_review": version.needs_review,
            "rule": version.rule,
            "farming_income_share": version.farming_income_share,
            "farming_land_mu": version.farming_land_mu,
            "collateral_ratio": version.collateral_ratio,
            "draw_within_days": version.draw_within_days,
            "min_drawdown": version.min_drawdown,
        }
