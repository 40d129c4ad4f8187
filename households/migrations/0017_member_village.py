"""A member carries its household's village (``Member.village``) for a scope's name search
(``member_village_names``, docs/lists.md). On PostgreSQL the two foreign keys of a member —
Django's to the household, and none to the village — become one, (household, village) →
Household (id, village) ON UPDATE CASCADE: a member inserted with another village than its
household's is refused, a household's move rewrites its members' village in the same
statement, and an insert checks one key, as before. Elsewhere (SQLite) no foreign key:
``Member.save`` and the writers set the village, ``members_follow_households`` moves it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL = """
UPDATE households_member SET village_id = (
    SELECT h.village_id FROM households_household h WHERE h.id = households_member.household_id
)
"""

FOREIGN_KEY = """
ALTER TABLE households_member ADD CONSTRAINT member_household_village_fk
    FOREIGN KEY (household_id, village_id) REFERENCES households_household (id, village_id)
    ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
"""


def fill(apps, schema_editor):
    schema_editor.execute(FILL)


def add_foreign_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FOREIGN_KEY)


def drop_foreign_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE households_member DROP CONSTRAINT IF EXISTS member_household_village_fk"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0016_household_member_names_withdrawn'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='member',
            name='village',
            field=models.ForeignKey(db_constraint=False, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.village'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='member',
            name='village',
            field=models.ForeignKey(db_constraint=False, db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.village'),
        ),
        migrations.AddConstraint(
            model_name='household',
            constraint=models.UniqueConstraint(fields=('id', 'village'), name='household_village_key'),
        ),
        migrations.AlterField(
            model_name='member',
            name='household',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='members', to='households.household'),
        ),
        migrations.RunPython(add_foreign_key, drop_foreign_key),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['village'], include=('household', 'name'), name='member_village_names'),
        ),
    ]
