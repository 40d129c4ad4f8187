"""PostgreSQL triggers: statuses move only along the state machines (a frozen copy of
``loans.engine.states.MACHINES`` as it was when this migration was written), and a signed
contract's text and signature evidence never change."""

from django.db import migrations

MACHINES = {
    "loans_loanapplication": {
        "submitted": ["approved", "declined", "under_review"],
        "under_review": ["approved", "declined", "withdrawn"],
        "approved": ["signed", "expired", "withdrawn"],
    },
    "loans_loancontract": {"signed": ["active", "terminated"], "active": ["closed"]},
    "loans_loan": {
        "active": ["overdue", "closed"],
        "overdue": ["active", "bad", "closed"],
        "bad": ["closed"],
    },
    "loans_instalment": {"pending": ["paid", "overdue"], "overdue": ["paid"]},
}
CONTRACT_IMMUTABLE = (
    "number", "application_id", "amount", "rate_bp", "term_months", "repayment_method",
    "start_date", "maturity_date", "template_id", "rendered_text", "text_sha256", "signed_at",
    "signing_channel", "signing_method", "verification_ref", "verified_at", "signed_ip",
    "signed_user_agent",
)  # fmt: skip


def _transition_sql(table, machine):
    pairs = ", ".join(f"('{a}','{b}')" for a, targets in machine.items() for b in targets)
    function = f"{table}_status_transition"
    return f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status
     AND (OLD.status, NEW.status) NOT IN (VALUES {pairs}) THEN
    RAISE EXCEPTION '{table}: status % -> % is not allowed', OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER {function} BEFORE UPDATE OF status ON {table}
  FOR EACH ROW EXECUTE FUNCTION {function}();
"""


def _immutable_sql():
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTRACT_IMMUTABLE)
    return f"""
CREATE OR REPLACE FUNCTION loans_contract_signed_immutable() RETURNS trigger AS $$
BEGIN
  IF {changed} THEN
    RAISE EXCEPTION 'a signed contract''s text and signature never change'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER loans_contract_signed_immutable BEFORE UPDATE ON loans_loancontract
  FOR EACH ROW EXECUTE FUNCTION loans_contract_signed_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, machine in MACHINES.items():
        schema_editor.execute(_transition_sql(table, machine), None)
    schema_editor.execute(_immutable_sql(), None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in MACHINES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_status_transition ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_status_transition()")
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS loans_contract_signed_immutable ON loans_loancontract"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS loans_contract_signed_immutable()")


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
