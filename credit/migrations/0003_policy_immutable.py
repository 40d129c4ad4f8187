"""On PostgreSQL, refuse at the database itself any change to an approved credit policy version
(its parameters, effective date, version label or status), and any approval by the version's
own drafter or submitter (maker-checker). The services refuse both first; this guards against
everything that bypasses them (``QuerySet.update``, the shell, raw SQL)."""

from django.db import migrations

CREATE_GUARD = """
CREATE OR REPLACE FUNCTION credit_policy_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'approved'
           AND (NEW.data IS DISTINCT FROM OLD.data
                OR NEW.effective_from IS DISTINCT FROM OLD.effective_from
                OR NEW.version IS DISTINCT FROM OLD.version
                OR NEW.status IS DISTINCT FROM OLD.status) THEN
            RAISE EXCEPTION 'credit_creditpolicyversion: an approved credit policy cannot change';
        END IF;
    END IF;
    IF NEW.status = 'approved' AND NEW.reviewed_by_id IS NOT NULL
       AND (NEW.reviewed_by_id = NEW.created_by_id
            OR NEW.reviewed_by_id = NEW.submitted_by_id) THEN
        RAISE EXCEPTION
            'credit_creditpolicyversion: the approver cannot be the drafter or the submitter';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_policy_frozen
    BEFORE INSERT OR UPDATE ON credit_creditpolicyversion
    FOR EACH ROW EXECUTE FUNCTION credit_policy_frozen();
"""

DROP_GUARD = """
DROP TRIGGER IF EXISTS credit_policy_frozen ON credit_creditpolicyversion;
DROP FUNCTION IF EXISTS credit_policy_frozen();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GUARD)


class Migration(migrations.Migration):
    dependencies = [("credit", "0002_default_policy")]

    operations = [migrations.RunPython(guard, unguard)]
