"""One head per household, in the database again.

``member_one_head_per_household`` (a unique index on a member's household where it is the
head) was made by 0001, but 0010's ``AlterField(household, db_index=False)`` dropped it on
PostgreSQL with the foreign key's own index (both are indexes on ``household_id`` alone), while
Django's migration state kept it. Since then only the services' check held the rule. This makes
the index again where it is missing; the state already has it. SQLite rebuilt its table from
the state at 0010, so it never lost it (``IF NOT EXISTS``)."""

from django.db import migrations

RESTORE = """
CREATE UNIQUE INDEX IF NOT EXISTS member_one_head_per_household
    ON households_member (household_id) WHERE relation = 'head'
"""


class Migration(migrations.Migration):
    dependencies = [("households", "0017_member_village")]

    operations = [migrations.RunSQL(RESTORE, reverse_sql=migrations.RunSQL.noop)]
