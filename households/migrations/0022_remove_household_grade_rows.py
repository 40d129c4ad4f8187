"""The households' grade rows (``HouseholdGrade``, migration 0021) go: the household list's
grade filter reads the current ratings themselves (rating 0013 gives each a copy of its
household's ``updated_at`` and an index in the list's order). A county's first publish then
inserts its current ratings and writes nothing more, where it also rewrote 215,000 grade rows
(1.3–1.9 s on one core).

The triggers that kept one row per household go first: on PostgreSQL the two of 0021 and
their functions; on SQLite the two row triggers installed after each ``migrate`` (they name the
table, and a household inserted after it is dropped would fail on them)."""

from importlib import import_module

from django.db import migrations

GRADE_ROWS = import_module("households.migrations.0021_household_grade_rows")

SQLITE_TRIGGERS = ("households_grade_rows_added", "households_grade_rows_moved")

# (back: every household has its row again, not rated; the next publish of its scope writes
# its grade — 0021's publish wrote every row whose grade differed from its current rating's)
REFILL = """
INSERT INTO households_householdgrade (household_id, grade, updated_at)
SELECT id, '', updated_at FROM households_household
"""


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GRADE_ROWS.UNINSTALL)
    else:
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install_triggers(apps, schema_editor):
    # (SQLite: the code of that time installed its triggers after ``migrate``)
    schema_editor.execute(REFILL)
    GRADE_ROWS.install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0021_household_grade_rows"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, install_triggers),
        migrations.DeleteModel(name="HouseholdGrade"),
    ]
