"""Seed the default scorecards again as version 2026.1.1: the cards of 2026.1 stating their
feature rules (a member with partial labour ability counts 0.5; with neither assets nor debt
the debt ratio is ∞, the 0-point bin) — rules the code applied, and the card did not say.

An approved card never changes (the services refuse, and the trigger of migration 0002
refuses at the database), so 2026.1 is not edited: it stays as it was approved, and is read
with the implicit rules, which are exactly these (``rating.features.IMPLICIT_*_RULES``), so
every result scored with it is explained and rebuilt as before. 2026.1.1 scores every archive
as 2026.1 did (a test proves it); like 2026.1 it is the system's seed, approved by this
migration, and it retires 2026.1 — but only for a kind whose card in force is still the seeded
2026.1: a card head office approved since is left in force (it is read with the implicit
rules until head office approves a version that states them).

The cards come from a frozen JSON copy beside this file, so this migration means the same
thing forever; a test checks the copy matches ``rating.default_cards``."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

CARDS = Path(__file__).with_name("default_cards_2026_1_1.json")
SEED_NOTE = "系统默认评分卡（docs/design.md §4.5）"  # migration 0002's
NOTE = "系统默认评分卡（docs/design.md §4.5），写明评级特征规则；评分与2026.1相同"


def seed(apps, schema_editor):
    Scorecard = apps.get_model("rating", "Scorecard")
    now = timezone.now()
    for card in json.loads(CARDS.read_text(encoding="utf-8")):
        kind = card["kind"]
        in_force = Scorecard.objects.filter(kind=kind, status="approved").first()
        seeded = (
            in_force is not None
            and in_force.version == "2026.1"
            and in_force.note == SEED_NOTE
            and in_force.created_by_id is None
        )
        if not seeded or Scorecard.objects.filter(kind=kind, version=card["version"]).exists():
            continue
        Scorecard.objects.filter(pk=in_force.pk).update(status="retired", retired_at=now)
        Scorecard.objects.create(
            kind=kind,
            version=card["version"],
            status="approved",
            definition=card,
            note=NOTE,
            approved_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [("rating", "0007_chunk_counts")]

    # Not reversible: the trigger refuses to bring a retired card back into force.
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
