"""The households' current grades move from a column of the household (``current_grade``) to a
narrow table beside it (``HouseholdGrade``): a county's first publish gives every household a
grade, and as a column it rewrote every wide archive row, every index of the archive and the
history trigger's transition tables with it.

The rows are the database's to keep: on PostgreSQL a statement trigger adds one for each
household inserted (a COPY of a county in one ``INSERT … SELECT``) and a row trigger moves its
``updated_at`` (the list's order) with the household's. On SQLite ``households.grade_rows``
installs the same two triggers row by row after every ``migrate`` (Django rebuilds a SQLite
table to alter it, which drops its triggers)."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
INSERT INTO households_householdgrade (household_id, grade, updated_at)
SELECT id, current_grade, updated_at FROM households_household
"""
# (back: the field is added again, empty, before this runs)
EMPTY = """
UPDATE households_household SET current_grade = g.grade
FROM households_householdgrade g WHERE g.household_id = households_household.id
"""

INSTALL = """
CREATE OR REPLACE FUNCTION households_grade_rows_added() RETURNS trigger AS $$
BEGIN
    INSERT INTO households_householdgrade (household_id, grade, updated_at)
    SELECT id, '', updated_at FROM added_households;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION households_grade_rows_moved() RETURNS trigger AS $$
BEGIN
    UPDATE households_householdgrade SET updated_at = NEW.updated_at
    WHERE household_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER households_grade_rows_added AFTER INSERT ON households_household
    REFERENCING NEW TABLE AS added_households
    FOR EACH STATEMENT EXECUTE FUNCTION households_grade_rows_added();
CREATE TRIGGER households_grade_rows_moved AFTER UPDATE OF updated_at ON households_household
    FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at)
    EXECUTE FUNCTION households_grade_rows_moved();
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS households_grade_rows_added ON households_household;
DROP TRIGGER IF EXISTS households_grade_rows_moved ON households_household;
DROP FUNCTION IF EXISTS households_grade_rows_added();
DROP FUNCTION IF EXISTS households_grade_rows_moved();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL)
    else:  # (SQLite: installed by ``households.grade_rows`` after migrate)
        for name in ("households_grade_rows_added", "households_grade_rows_moved"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0020_member_order_by_household_id"),
    ]

    operations = [
        migrations.CreateModel(
            name="HouseholdGrade",
            fields=[
                (
                    "household",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="list_grade",
                        serialize=False,
                        to="households.household",
                        verbose_name="农户档案",
                    ),
                ),
                (
                    "grade",
                    models.CharField(
                        blank=True, db_default="", default="", max_length=8, verbose_name="当前等级"
                    ),
                ),
                ("updated_at", models.DateTimeField(verbose_name="更新时间")),
            ],
            options={
                "verbose_name": "农户当前等级",
                "verbose_name_plural": "农户当前等级",
            },
        ),
        migrations.RunSQL(FILL, EMPTY),
        migrations.RemoveIndex(
            model_name="household",
            name="household_grade_order",
        ),
        migrations.RemoveField(
            model_name="household",
            name="current_grade",
        ),
        migrations.AddIndex(
            model_name="householdgrade",
            index=models.Index(
                fields=["grade", "updated_at", "household"], name="household_grade_list_order"
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
