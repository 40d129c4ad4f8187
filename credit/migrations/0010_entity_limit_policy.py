"""Entities get their own limit basis (issue 11): a new approved policy version with the entity
rules, instead of a change to an approved one.

Approved versions never change (migration ``0003_policy_immutable``), and 2026.1 was approved
without entity rules — under it an entity was limited on its revenue, which was wrong. So this
migration does not touch it: it seeds a NEW version, "2026.2", that is the latest approved
version's numbers unchanged plus the entity rules of its frozen copy
(``default_entity_rules_2026_2.json``), approved by the system like the seeded 2026.1.

In force from the day the migration runs (or the day after the latest approved version, if that
is later: versions never overlap), so nothing already granted is back-dated: lines keep the
version they were granted under, and an entity gets its new limit at its next rating on or
after that day. A fresh install — no line ever granted — has no history to protect: there
2026.2 follows the latest approved version the next day (2026-01-02 after the seeded 2026.1).
Either way a run started before the migration never sees it (``credit.lines.policy_for`` only
counts versions approved before the run started). Under a version without entity rules an
entity gets no line (``credit.engine``).

Nothing is seeded when no version is approved yet, or when the latest already has entity
rules. Grades the base version gives no spread get no entity cap (the version must validate).
"""

import json
from datetime import date, timedelta
from pathlib import Path

from django.db import migrations
from django.utils import timezone

FROZEN = Path(__file__).with_name("default_entity_rules_2026_2.json")
NOTE = "系统升级：新增经营主体授信规则（年净利润、净资产、主体额度上限），其余参数沿用{base}"


def seed(apps, schema_editor):
    Version = apps.get_model("credit", "CreditPolicyVersion")
    rules = json.loads(FROZEN.read_text(encoding="utf-8"))
    latest = Version.objects.filter(status="approved").order_by("-effective_from").first()
    if latest is None or any(name in latest.data for name in rules):
        return
    spreads = latest.data.get("grade_spreads_bp", {})
    caps = {g: cap for g, cap in rules["entity_grade_caps"].items() if g in spreads}
    if not caps:
        return
    first_free = latest.effective_from + timedelta(days=1)
    granted = apps.get_model("credit", "CreditLine").objects.exists()
    effective = max(timezone.localdate(), first_free) if granted else first_free
    label, n = "2026.2", 1
    while Version.objects.filter(version=label).exists():
        n += 1
        label = f"2026.2-{n}"
    data = {
        **latest.data,
        **rules,
        "entity_grade_caps": caps,
        "version": label,
        "effective_from": date.isoformat(effective),
    }
    Version.objects.create(
        version=label,
        effective_from=effective,
        status="approved",
        data=data,
        note=NOTE.format(base=latest.version),
        reviewed_at=timezone.now(),
    )


def unseed(apps, schema_editor):
    Version = apps.get_model("credit", "CreditPolicyVersion")
    Version.objects.filter(note__startswith=NOTE.split("{")[0], created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("credit", "0009_override_needs_review")]

    operations = [migrations.RunPython(seed, unseed)]
