"""Indexes nothing reads, dropped: every write of a row pays for each of its table's indexes.

- Households: the author's (an account is never deleted, and nothing looks households up by
  who archived them; nearly every key is the same, the system's NULL). The first publish of
  a county rewrites every household's row (its grade copy), and each index with it.
- Members: the ``LIKE`` twin (``varchar_pattern_ops``) Django makes beside a character
  field's index on PostgreSQL — the phone's blind index is a keyed digest, only ever compared
  whole. Its key is random: every member written touched a page of it somewhere. The
  phone's index itself stays, renamed for the model's ``Meta.indexes``.

Only indexes are dropped or renamed (no table rewrite); Django's own way would also drop and
re-add the households' foreign key, checking every row again under a lock."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

AUTHOR_INDEX = "households_household_created_by_id_0f6e88ad"
PHONE_INDEX = "households_member_phone_index_c6188b21"


def _phone_index_lean(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # (only PostgreSQL has the twin)
        schema_editor.execute(f"DROP INDEX IF EXISTS {PHONE_INDEX}_like")
        schema_editor.execute(f"ALTER INDEX {PHONE_INDEX} RENAME TO member_phone_index")
    else:  # (SQLite cannot rename an index)
        schema_editor.execute(f"DROP INDEX IF EXISTS {PHONE_INDEX}")
        schema_editor.execute('CREATE INDEX member_phone_index ON households_member ("phone_index")')


def _phone_index_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX member_phone_index RENAME TO {PHONE_INDEX}")
        schema_editor.execute(
            f'CREATE INDEX {PHONE_INDEX}_like ON households_member ("phone_index" '
            "varchar_pattern_ops)"
        )
    else:
        schema_editor.execute("DROP INDEX IF EXISTS member_phone_index")
        schema_editor.execute(f'CREATE INDEX {PHONE_INDEX} ON households_member ("phone_index")')


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0018_member_one_head_restored"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="household",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="建档人",
                    ),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="phone_index",
                    field=models.CharField(
                        blank=True, editable=False, max_length=64, verbose_name="手机号码索引"
                    ),
                ),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["phone_index"], name="member_phone_index"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {AUTHOR_INDEX}",
                    f'CREATE INDEX {AUTHOR_INDEX} ON households_household ("created_by_id")',
                ),
                migrations.RunPython(_phone_index_lean, _phone_index_back),
            ],
        ),
    ]
