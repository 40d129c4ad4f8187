# DRF's plaintext, never-expiring tokens (rest_framework.authtoken) are replaced by
# django-rest-knox's hashed, expiring ones; the old app is no longer installed, so its tables
# and its migration history go. Every old token stops working (users obtain a new one).

from django.db import migrations

DROP = [
    "DROP TABLE IF EXISTS authtoken_token",
    # rest_framework.authtoken's proxy model has no table of its own; its history rows do
    "DELETE FROM django_migrations WHERE app = 'authtoken'",
]


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunSQL(sql=DROP, reverse_sql=migrations.RunSQL.noop)]
