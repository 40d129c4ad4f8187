"""One head per household, in the database again.

``member_one_head_per_household`` (a unique index on a member's household where it is the
head) was made by 0001, but 0010's ``AlterField(household, db_index=False)`` dropped it on
PostgreSQL with the foreign key's own index (both are indexes on ``household_id`` alone), while
Django's migration state kept it. Since then only the services' check held the rule. This makes
the index again where it is missing; the state already has it. SQLite rebuilt its table from
the state at 0010, so it never lost it (``IF NOT EXISTS``).

No path since 0010 could make a second head (the services lock the household and check, the
import keeps one head per household); should a database have one anyway, the migration stops
before the index and names the households to correct, instead of PostgreSQL's bare
duplicate-key error."""

from django.db import migrations

RESTORE = """
CREATE UNIQUE INDEX IF NOT EXISTS member_one_head_per_household
    ON households_member (household_id) WHERE relation = 'head'
"""


def refuse_two_heads(apps, schema_editor):
    Member = apps.get_model("households", "Member")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT household_id FROM {Member._meta.db_table} WHERE relation = 'head' "  # noqa: S608
            "GROUP BY household_id HAVING COUNT(*) > 1 ORDER BY household_id LIMIT 20"
        )
        households = [row[0] for row in cursor.fetchall()]
    if households:
        raise RuntimeError(
            "以下农户档案有多位户主，请先在档案中改正（每户只能有一位户主）后再迁移 / "
            f"households with more than one head, correct them before migrating: {households}"
        )


class Migration(migrations.Migration):
    dependencies = [("households", "0017_member_village")]

    operations = [
        migrations.RunPython(refuse_two_heads, migrations.RunPython.noop),
        migrations.RunSQL(RESTORE, reverse_sql=migrations.RunSQL.noop),
    ]
