"""The villager's loan forms (phone-first): apply, confirm with the SMS code, draw."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms

from loans.villager_selectors import ProductOffer


def _key() -> str:
    return uuid.uuid4().hex


class ApplyForm(forms.Form):
    """Amount, term and repayment method from the product's own choices; the hidden key makes
    a double tap (or a resent form) one application."""

    amount = forms.DecimalField(
        label="申请金额（元）",
        max_digits=12,
        decimal_places=2,
        error_messages={"required": "请填写申请金额", "invalid": "申请金额须为数字"},
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "class": "form-control"}),
    )
    term_months = forms.TypedChoiceField(
        label="贷款期限", coerce=int, widget=forms.Select(attrs={"class": "form-select"})
    )
    repayment_method = forms.ChoiceField(
        label="还款方式", widget=forms.Select(attrs={"class": "form-select"})
    )
    purpose = forms.CharField(
        label="贷款用途",
        error_messages={"required": "请填写贷款用途"},  # one line, ≤ 100: the service checks
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": "如：购买化肥种子", "maxlength": 100}
        ),
    )
    collateral_value = forms.DecimalField(
        label="抵押房产评估价值（元）",
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "class": "form-control"}),
    )
    collateral_description = forms.CharField(
        label="抵押房产（地址、房产证号）",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    key = forms.CharField(widget=forms.HiddenInput, initial=_key)

    def __init__(self, *args: Any, product: ProductOffer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["term_months"]).choices = [
            (t, f"{t}个月") for t in product.terms_months
        ]
        cast(forms.ChoiceField, self.fields["repayment_method"]).choices = list(product.methods)
        if not product.collateral:
            del self.fields["collateral_value"]
            del self.fields["collateral_description"]


class SignCodeForm(forms.Form):
    code = forms.RegexField(
        label="短信验证码",
        regex=r"^\d{6}$",
        error_messages={"required": "请输入6位验证码", "invalid": "请输入6位数字验证码"},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": 6,
                "class": "form-control form-control-lg",
            }
        ),
    )
    key = forms.CharField(widget=forms.HiddenInput, initial=_key)


class DrawForm(forms.Form):
    amount = forms.DecimalField(
        label="用款金额（元）",
        max_digits=12,
        decimal_places=2,
        error_messages={"required": "请填写用款金额", "invalid": "用款金额须为数字"},
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "class": "form-control"}),
    )
    key = forms.CharField(widget=forms.HiddenInput, initial=_key)
