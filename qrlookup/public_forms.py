"""Forms of the public lookup pages. Every message speaks of the text typed, never of the
archive."""

from __future__ import annotations

from typing import Any

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms

from qrlookup.engine import inputs


def _clean(function: Any, value: str) -> str:
    try:
        return str(function(value))
    except inputs.InputError as exc:
        raise forms.ValidationError(str(exc)) from exc


class Captcha(CaptchaTextInput):
    template_name = "qrlookup/_captcha.html"


def captcha_field() -> CaptchaField:
    return CaptchaField(
        label="图形验证码",
        widget=Captcha(attrs={"inputmode": "numeric", "maxlength": 4, "class": "form-control"}),
        error_messages={"invalid": "图形验证码不正确，请看清新图片后重新输入"},
    )


NAME_ERRORS = {"required": "请填写姓名", "max_length": f"姓名不能超过{inputs.NAME_MAX}个字"}


class IdentityForm(forms.Form):
    name = forms.CharField(
        label="姓名",
        max_length=80,
        error_messages=NAME_ERRORS,
        widget=forms.TextInput(attrs={"autocomplete": "name", "class": "form-control"}),
    )
    id_number = forms.CharField(
        label="身份证号码",
        max_length=40,
        error_messages={"required": "请填写身份证号码", "max_length": "身份证号码应为18位"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "maxlength": 18, "class": "form-control"}
        ),
    )
    captcha = captcha_field()

    def clean_name(self) -> str:
        return _clean(inputs.normalise_name, self.cleaned_data["name"])

    def clean_id_number(self) -> str:
        return _clean(inputs.normalise_resident_id, self.cleaned_data["id_number"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label="短信验证码",
        max_length=40,
        error_messages={"required": "请输入短信验证码", "max_length": "验证码应为6位数字"},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": 6,
                "class": "form-control form-control-lg",
            }
        ),
    )

    def clean_code(self) -> str:
        return _clean(inputs.normalise_code, self.cleaned_data["code"])


class ContactForm(forms.Form):
    """Ask the officer to call back (申请建档 / 无法收到短信)."""

    name = forms.CharField(
        label="姓名",
        max_length=80,
        error_messages=NAME_ERRORS,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    phone = forms.CharField(
        label="联系电话",
        max_length=20,
        error_messages={"required": "请填写联系电话", "max_length": "联系电话应为11位手机号"},
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "maxlength": 11, "class": "form-control"}
        ),
    )
    note = forms.CharField(
        label="想办理的事（可不填）",
        max_length=200,
        error_messages={"max_length": "请把说明控制在200字以内"},
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    captcha = captcha_field()

    def clean_name(self) -> str:
        return _clean(inputs.normalise_name, self.cleaned_data["name"])


class CorrectionForm(forms.Form):
    note = forms.CharField(
        label="哪里有误？",
        max_length=200,
        error_messages={"required": "请说明哪里有误", "max_length": "请把说明控制在200字以内"},
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "class": "form-control",
                "placeholder": "例如：家里新盖了房子、收入有变化、家庭成员有变动",
            }
        ),
    )
