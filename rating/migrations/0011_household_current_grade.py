"""Copy each household's current grade onto the household (``Household.current_grade``, the
list's grade filter); from now on the publish keeps it (``rating.results_sql``)."""

from django.db import migrations

FILL = (
    "UPDATE households_household SET current_grade = c.grade FROM rating_currentrating c "
    "WHERE c.household_id = households_household.id"
)
EMPTY = "UPDATE households_household SET current_grade = '' WHERE current_grade <> ''"


class Migration(migrations.Migration):
    dependencies = [
        ("rating", "0010_chunk_heartbeats"),
        ("households", "0014_household_current_grade"),
    ]

    # (the column it fills moved to a table of its own in households 0021)
    run_before = [("households", "0021_household_grade_rows")]

    operations = [migrations.RunSQL(FILL, EMPTY, elidable=True)]
