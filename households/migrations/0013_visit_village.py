"""A visit carries its subject's village (docs/lists.md): the visits of a grid or a branch are
read by village, in the list's order, through ``visit_scope_order``."""

import django.db.models.deletion
from django.db import migrations, models

FILL = [
    "UPDATE households_visit SET village_id = (SELECT h.village_id FROM households_household h "
    "WHERE h.id = households_visit.household_id) WHERE household_id IS NOT NULL",
    "UPDATE households_visit SET village_id = (SELECT e.village_id FROM households_businessentity e "
    "WHERE e.id = households_visit.business_entity_id) WHERE business_entity_id IS NOT NULL",
]


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0012_member_subsistence_allowance"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="village",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="households.village",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=True),
        migrations.AlterField(
            model_name="visit",
            name="village",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="households.village",
            ),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["village", "visited_at", "id"], name="visit_scope_order"),
        ),
    ]
