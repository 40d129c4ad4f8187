"""Every index and constraint the models declare exists in the migrated PostgreSQL database.

Django's migration state can keep an index that an operation dropped from the database (0010
dropped ``member_one_head_per_household`` with a foreign key's index; households 0018 makes it
again): the state then says a rule holds that only Python checks."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def test_every_declared_index_and_constraint_is_in_the_database(postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'i' "
            "UNION SELECT conname FROM pg_constraint"
        )
        present = {name for (name,) in cursor.fetchall()}
    declared = {
        (model._meta.label, item.name)
        for model in apps.get_models()
        for item in (*model._meta.indexes, *model._meta.constraints)
    }
    assert declared, "the models declare indexes and constraints"
    assert sorted(pair for pair in declared if pair[1] not in present) == []


@pytest.mark.django_db(transaction=True)
def test_restoring_one_head_names_the_households_with_two(postgres):
    """Migrating to households 0018 where a household has two heads stops before the index
    and names the household; once corrected, the migration makes the index."""
    from django.core.management import call_command

    from households.models import Relation
    from households.tests.factories import HouseholdFactory, MemberFactory

    household = HouseholdFactory()
    call_command("migrate", "households", "0017", verbosity=0)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS member_one_head_per_household")
        second = MemberFactory(household=household, relation=Relation.HEAD)
        with pytest.raises(RuntimeError, match=str(household.pk)):
            call_command("migrate", "households", "0018", verbosity=0)
        second.delete()
    finally:
        call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_class WHERE relname = 'member_one_head_per_household'")
        assert cursor.fetchone() == (1,)
