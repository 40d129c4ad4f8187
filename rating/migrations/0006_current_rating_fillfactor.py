"""Free room in each page of the current ratings (PostgreSQL ``fillfactor``): a publish updates
every row of its scope in place, and with room on the page PostgreSQL rewrites the row there
without touching its indexes (a HOT update). Nothing to do on SQLite."""

from django.db import migrations


def room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE rating_currentrating SET (fillfactor = 50)")


def no_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE rating_currentrating RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("rating", "0005_bulk_tables_lean")]

    operations = [migrations.RunPython(room, no_room)]
