"""A county's first publish inserts ~230,000 current ratings: each subject column is made unique
only where it is set (a unique column also indexed the other kind's nulls, one index entry more
per row), and the run's entities get an index of their own (their switch scanned all of the
run's results to find a few thousand)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0022_remove_household_grade_rows"),
        ("rating", "0013_current_rating_household_updated_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="currentrating",
            name="business_entity",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="current_rating",
                to="households.businessentity",
            ),
        ),
        migrations.AlterField(
            model_name="currentrating",
            name="household",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="current_rating",
                to="households.household",
            ),
        ),
        migrations.AddIndex(
            model_name="ratingresult",
            index=models.Index(
                condition=models.Q(("business_entity__isnull", False)),
                fields=["run", "village"],
                name="rating_result_run_entities",
            ),
        ),
        migrations.AddConstraint(
            model_name="currentrating",
            constraint=models.UniqueConstraint(
                condition=models.Q(("household__isnull", False)),
                fields=("household",),
                name="current_rating_household",
            ),
        ),
        migrations.AddConstraint(
            model_name="currentrating",
            constraint=models.UniqueConstraint(
                condition=models.Q(("business_entity__isnull", False)),
                fields=("business_entity",),
                name="current_rating_entity",
            ),
        ),
    ]
