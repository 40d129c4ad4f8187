"""The four seeded products (design §4.7), version 1 each, approved by the system; and the
first contract template (its text frozen in ``seeds/contract_2026_1.txt``)."""

from decimal import Decimal
from pathlib import Path

from django.db import migrations

ALL_KINDS = [
    "household", "micro_enterprise", "individual_business", "family_farm", "cooperative",
    "large_grower",
]  # fmt: skip
PRODUCTS = [
    {
        "code": "fuxiang_e_loan",
        "name": "福祥e贷",
        "description": "线上信用贷款：凭预授信额度手机申请、签约、随借随还",
        "version": {
            "min_amount": Decimal(50000),
            "max_amount": Decimal(500000),
            "grades": ["AAA", "AA", "A"],
            "subject_kinds": ALL_KINDS,
            "terms_months": [12, 24, 36],
            "repayment_methods": ["revolving", "equal_instalment", "interest_only"],
            "online": True,
        },
    },
    {
        "code": "huinong_quick_loan",
        "name": "惠农快贷",
        "description": "面向种养殖农户和新型农业经营主体的线上信用贷款",
        "version": {
            "min_amount": Decimal(50000),
            "max_amount": Decimal(300000),
            "grades": ["AAA", "AA", "A"],
            "subject_kinds": ["household", "family_farm", "cooperative", "large_grower"],
            "terms_months": [6, 12, 24],
            "repayment_methods": ["interest_only", "equal_principal", "revolving"],
            "online": True,
            "rule": "farming",
        },
    },
    {
        "code": "gongxin_loan",
        "name": "公信贷",
        "description": "面向家庭成员中有公职人员的农户的线上信用贷款",
        "version": {
            "min_amount": Decimal(50000),
            "max_amount": Decimal(500000),
            "grades": ["AAA", "AA"],
            "subject_kinds": ["household"],
            "terms_months": [12, 24, 36],
            "repayment_methods": ["equal_instalment", "equal_principal", "revolving"],
            "online": True,
            "rule": "public_employee",
        },
    },
    {
        "code": "mortgage_loan",
        "name": "房抵贷",
        "description": "以房产抵押的贷款：须提供抵押物并经客户经理审核，不能秒批",
        "version": {
            "min_amount": Decimal(50000),
            "max_amount": Decimal(500000),
            "grades": ["AAA", "AA", "A"],
            "subject_kinds": ALL_KINDS,
            "terms_months": [12, 24, 36, 60],
            "repayment_methods": ["equal_instalment", "equal_principal", "interest_only"],
            "online": False,
            "needs_review": True,
            "collateral_ratio": Decimal("0.70"),
        },
    },
]


def seed(apps, schema_editor):
    Product = apps.get_model("loans", "LoanProduct")
    Version = apps.get_model("loans", "LoanProductVersion")
    Template = apps.get_model("loans", "ContractTemplate")
    for spec in PRODUCTS:
        product, created = Product.objects.get_or_create(
            code=spec["code"], defaults={"name": spec["name"], "description": spec["description"]}
        )
        if created:
            Version.objects.create(
                product=product,
                version=1,
                status="approved",
                note="系统初始产品",
                review_note="系统初始产品",
                **spec["version"],
            )
    body = (Path(__file__).resolve().parent.parent / "seeds" / "contract_2026_1.txt").read_text(
        encoding="utf-8"
    )
    Template.objects.get_or_create(
        version="2026.1", defaults={"title": "个人借款合同", "body": body}
    )


class Migration(migrations.Migration):
    dependencies = [("loans", "0002_state_and_signature_triggers")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
