"""Each household's current rating takes a copy of the household's ``updated_at`` and an index
``(grade, household_updated_at, household)``: the household list's grade filter reads a grade's
households in the list's order from it, however deep the page (it read the households' grade
rows, which households 0022 removes). Every publish writes the copy from now on."""

from django.db import migrations, models

FILL = """
UPDATE rating_currentrating SET household_updated_at = (
    SELECT h.updated_at FROM households_household h
    WHERE h.id = rating_currentrating.household_id
) WHERE household_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0022_remove_household_grade_rows"),
        ("rating", "0012_result_feature_values"),
    ]

    operations = [
        migrations.AddField(
            model_name="currentrating",
            name="household_updated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="农户更新时间"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="currentrating",
            index=models.Index(
                fields=["grade", "household_updated_at", "household"],
                name="current_rating_grade_order",
            ),
        ),
    ]
