"""The default credit policy 2026.1 (docs/design.md §4.6), approved, in force from 1 January 2026.

The migration reads its own frozen copy (``default_policy_2026_1.json``) so that later changes
to ``credit.engine.DEFAULT_POLICY_JSON`` never rewrite history; a test checks the two agree."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

FROZEN = Path(__file__).with_name("default_policy_2026_1.json")


def seed(apps, schema_editor):
    Version = apps.get_model("credit", "CreditPolicyVersion")
    data = json.loads(FROZEN.read_text(encoding="utf-8"))
    Version.objects.get_or_create(
        version=data["version"],
        defaults={
            "effective_from": data["effective_from"],
            "status": "approved",
            "data": data,
            "note": "默认授信政策（系统初始化）",
            "reviewed_at": timezone.now(),
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("credit", "CreditPolicyVersion").objects.filter(
        version="2026.1", created_by__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
