"""Seed the default scorecards of docs/design.md §4.5 as approved version 2026.1, and on PostgreSQL
refuse, at the database itself, any change to an approved or retired card's definition (and
any step back from approved or retired).

The cards are read from a frozen JSON copy beside this file (not from rating.default_cards), so
this migration means the same thing forever; a test checks the copy matches the code."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

CARDS = Path(__file__).with_name("default_cards_2026_1.json")
NOTE = "系统默认评分卡（docs/design.md §4.5）"

CREATE_GUARD = """
CREATE OR REPLACE FUNCTION rating_scorecard_frozen() RETURNS trigger AS $$
BEGIN
    IF (OLD.status IN ('approved', 'retired')
        AND (NEW.definition IS DISTINCT FROM OLD.definition
             OR NEW.version IS DISTINCT FROM OLD.version
             OR NEW.kind IS DISTINCT FROM OLD.kind))
       OR (OLD.status = 'approved' AND NEW.status NOT IN ('approved', 'retired'))
       OR (OLD.status = 'retired' AND NEW.status <> 'retired') THEN
        RAISE EXCEPTION 'rating_scorecard: an approved or retired scorecard cannot change';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER rating_scorecard_frozen
    BEFORE UPDATE ON rating_scorecard
    FOR EACH ROW EXECUTE FUNCTION rating_scorecard_frozen();
"""

DROP_GUARD = """
DROP TRIGGER IF EXISTS rating_scorecard_frozen ON rating_scorecard;
DROP FUNCTION IF EXISTS rating_scorecard_frozen();
"""


def seed(apps, schema_editor):
    Scorecard = apps.get_model("rating", "Scorecard")
    now = timezone.now()
    for card in json.loads(CARDS.read_text(encoding="utf-8")):
        Scorecard.objects.create(
            kind=card["kind"],
            version=card["version"],
            status="approved",
            definition=card,
            note=NOTE,
            approved_at=now,
        )


def unseed(apps, schema_editor):
    Scorecard = apps.get_model("rating", "Scorecard")
    Scorecard.objects.filter(note=NOTE, version="2026.1", created_by__isnull=True).delete()


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GUARD)


class Migration(migrations.Migration):
    dependencies = [("rating", "0001_initial")]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(guard, unguard),
    ]
