"""The members' names on their household (``Household.member_names``, the name search), kept
on PostgreSQL by triggers on the members' table: an insert (a statement: a service's row, an
import's or the synthetic county's COPY) appends the new members' names to their households;
a change of a member's name or household, or its deletion, writes its household's names
again (row by row: rare). Key rotations and other member updates leave them alone. Elsewhere
(SQLite) there are no triggers: the column stays empty and the search reads the members."""

from django.conf import settings
from django.db import migrations, models

INSTALL = r"""
CREATE OR REPLACE FUNCTION households_member_names_write(ids bigint[]) RETURNS void AS $$
    UPDATE households_household h
    SET member_names = COALESCE((SELECT string_agg(m.name, E'\x1f' ORDER BY m.id)
                                 FROM households_member m WHERE m.household_id = h.id), '')
    WHERE h.id = ANY(ids);
$$ LANGUAGE sql;

CREATE OR REPLACE FUNCTION households_member_names_added() RETURNS trigger AS $$
BEGIN
    UPDATE households_household h
    SET member_names = CASE WHEN h.member_names = '' THEN n.names
                            ELSE h.member_names || E'\x1f' || n.names END
    FROM (SELECT household_id, string_agg(name, E'\x1f' ORDER BY id) AS names
          FROM added_members GROUP BY household_id) n
    WHERE h.id = n.household_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION households_member_names_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM households_member_names_write(ARRAY[OLD.household_id]);
    ELSE
        PERFORM households_member_names_write(ARRAY[OLD.household_id, NEW.household_id]);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER households_member_names_added AFTER INSERT ON households_member
    REFERENCING NEW TABLE AS added_members
    FOR EACH STATEMENT EXECUTE FUNCTION households_member_names_added();
CREATE TRIGGER households_member_names_changed AFTER UPDATE OF name, household_id
    ON households_member FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.household_id IS DISTINCT FROM NEW.household_id)
    EXECUTE FUNCTION households_member_names_changed();
CREATE TRIGGER households_member_names_deleted AFTER DELETE ON households_member
    FOR EACH ROW EXECUTE FUNCTION households_member_names_changed();

UPDATE households_household h SET member_names = n.names
FROM (SELECT household_id, string_agg(name, E'\x1f' ORDER BY id) AS names
      FROM households_member GROUP BY household_id) n
WHERE h.id = n.household_id;
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS households_member_names_added ON households_member;
DROP TRIGGER IF EXISTS households_member_names_changed ON households_member;
DROP TRIGGER IF EXISTS households_member_names_deleted ON households_member;
DROP FUNCTION IF EXISTS households_member_names_added();
DROP FUNCTION IF EXISTS households_member_names_changed();
DROP FUNCTION IF EXISTS households_member_names_write(bigint[]);
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL)


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0014_household_current_grade'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='household',
            name='household_list_order',
        ),
        migrations.AddField(
            model_name='household',
            name='member_names',
            field=models.TextField(blank=True, db_default='', default='', editable=False, verbose_name='成员姓名'),
        ),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['updated_at', 'id'], include=('member_names',), name='household_list_order'),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['village', 'updated_at', 'id'], include=('member_names',), name='household_scope_order'),
        ),
    ]
