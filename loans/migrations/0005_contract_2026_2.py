"""The contract template 2026.2 (its text frozen in ``seeds/contract_2026_2.txt``): interest by
actual days (÷ 360, rounded to the fen per instalment), prepayment charged to the day with a new
schedule, the window and minimum to draw, and the signing SMS code naming the terms. Contracts
signed under 2026.1 keep their text."""

from pathlib import Path

from django.db import migrations


def seed(apps, schema_editor):
    Template = apps.get_model("loans", "ContractTemplate")
    body = (Path(__file__).resolve().parent.parent / "seeds" / "contract_2026_2.txt").read_text(
        encoding="utf-8"
    )
    Template.objects.get_or_create(
        version="2026.2", defaults={"title": "个人借款合同", "body": body}
    )


def unseed(apps, schema_editor):
    apps.get_model("loans", "ContractTemplate").objects.filter(version="2026.2").delete()


class Migration(migrations.Migration):
    dependencies = [("loans", "0004_money_rules")]

    operations = [migrations.RunPython(seed, unseed)]
