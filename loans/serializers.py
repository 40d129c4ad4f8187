"""API serializers of loans: inputs parse (Chinese messages naming the field) and never save
— the views pass them to the services; outputs show the borrower masked only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from fuxiang.api import JsonTypesMixin
from loans.models import (
    Drawdown,
    Instalment,
    Loan,
    LoanApplication,
    LoanContract,
    LoanProductVersion,
    Repayment,
    RepaymentMethod,
)


def _messages(label: str) -> dict[str, str]:
    return {
        "required": f"{label}为必填项",
        "invalid": f"{label}格式不正确",
        "null": f"{label}不能为空",
        "blank": f"{label}不能为空",
        "max_digits": f"{label}位数过多",
        "max_decimal_places": f"{label}最多两位小数",
        "min_value": f"{label}须大于0",
        "invalid_choice": f"{label}不在可选范围内",
    }


class ProductSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="product.code")
    name = serializers.CharField(source="product.name")

    class Meta:
        model = LoanProductVersion
        fields = [
            "code", "name", "version", "min_amount", "max_amount", "grades", "subject_kinds",
            "terms_months", "repayment_methods", "online", "needs_review", "rule",
            "collateral_ratio",
        ]  # fmt: skip


class ApplicationInputSerializer(JsonTypesMixin, serializers.Serializer):
    household = serializers.IntegerField(
        required=False, min_value=1, error_messages=_messages("农户编号")
    )
    entity = serializers.IntegerField(
        required=False, min_value=1, error_messages=_messages("经营主体编号")
    )
    product = serializers.SlugField(error_messages=_messages("产品代码"))
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=1, error_messages=_messages("申请金额")
    )
    term_months = serializers.IntegerField(min_value=1, error_messages=_messages("贷款期限"))
    repayment_method = serializers.ChoiceField(
        choices=RepaymentMethod.choices, error_messages=_messages("还款方式")
    )
    purpose = serializers.CharField(error_messages=_messages("贷款用途"))  # the service checks
    collateral_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, error_messages=_messages("抵押物评估价值")
    )
    collateral_description = serializers.CharField(max_length=200, required=False, default="")

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("household")) == bool(attrs.get("entity")):
            raise serializers.ValidationError({"household": ["请指定一户农户或一个经营主体"]})
        return attrs


class ApplicationSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code")
    reasons = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = LoanApplication
        fields = [
            "id", "household", "business_entity", "product", "product_version", "amount",
            "term_months", "repayment_method", "purpose", "channel", "status", "reasons",
            "grade", "line_amount", "available", "rate_bp", "whitelist_version", "submitted_at",
            "decided_at", "expires_at",
        ]  # fmt: skip


class ContractSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product_version.product.code")

    class Meta:
        model = LoanContract
        fields = [
            "id", "number", "application", "product", "amount", "rate_bp", "term_months",
            "repayment_method", "start_date", "maturity_date", "status", "occupied",
            "drawn_total", "text_sha256", "borrower_name_masked", "borrower_id_masked",
            "signed_at", "signing_channel", "signing_method",
        ]  # fmt: skip


class SigningCodeSerializer(serializers.Serializer):
    code_id = serializers.CharField(source="pk")
    expires_at = serializers.DateTimeField()
    sent_to = serializers.CharField(source="member.phone_masked")


class SignInputSerializer(JsonTypesMixin, serializers.Serializer):
    code_id = serializers.CharField(max_length=32, error_messages=_messages("验证码编号"))
    code = serializers.RegexField(
        r"^\d{6}$",
        error_messages={**_messages("签约验证码"), "invalid": "签约验证码须为6位数字"},
    )


class DrawdownInputSerializer(JsonTypesMixin, serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=1, error_messages=_messages("放款金额")
    )


class DrawdownSerializer(serializers.ModelSerializer):
    loan_number = serializers.CharField(source="loan.number")

    class Meta:
        model = Drawdown
        fields = ["id", "contract", "loan", "loan_number", "amount", "value_date", "drawn_at"]


class RepaymentInputSerializer(JsonTypesMixin, serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, error_messages=_messages("还款金额")
    )
    paid_on = serializers.DateField(required=False, error_messages=_messages("还款日期"))
    reference = serializers.CharField(max_length=64, required=False, default="")


class RepaymentSerializer(serializers.ModelSerializer):
    schedule = serializers.SerializerMethodField(
        help_text="The loan's schedule after this repayment (re-scheduled after a prepayment)"
    )

    class Meta:
        model = Repayment
        fields = [
            "id",
            "loan",
            "amount",
            "principal_part",
            "interest_part",
            "paid_on",
            "channel",
            "schedule",
        ]

    def get_schedule(self, obj: Repayment) -> list[dict[str, Any]]:
        rows = obj.loan.instalments.order_by("number")
        return list(InstalmentSerializer(rows, many=True).data)


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instalment
        fields = [
            "number", "due_date", "principal", "interest", "principal_paid", "interest_paid",
            "interest_waived", "status", "days_past_due",
        ]  # fmt: skip


class LoanSerializer(serializers.ModelSerializer):
    instalments = InstalmentSerializer(many=True, read_only=True)

    class Meta:
        model = Loan
        fields = [
            "id", "number", "contract", "household", "business_entity", "repayment_method",
            "rate_bp", "principal", "principal_outstanding", "interest_accrued", "accrued_to",
            "start_date", "maturity_date", "status", "days_past_due", "instalments",
        ]  # fmt: skip
