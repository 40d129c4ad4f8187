"""Model fields the apps declare again and again."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models


def staff_ref(verbose_name: Any = None, *, db_index: bool = True) -> Any:
    """Who did something (drafted, submitted, approved, uploaded…): a user, kept while the
    record exists (an account is deactivated, never deleted), optional because the system
    acts too, and without a reverse accessor on the user. ``db_index=False`` for a big table
    never searched by its author: the index would only serve the deletion of an account,
    which does not happen, and every row written pays for it."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=db_index,
    )


class _NumberListField(models.Field):
    """A short list of numbers in one column: a PostgreSQL array, which a set-based statement
    builds from its own values without converting them (``ARRAY[…]``; a JSON array of the same
    numbers cost five times as much in a county run's statement), and JSON text elsewhere
    (SQLite). Read back as a Python list either way."""

    array_type = ""

    def db_type(self, connection: Any) -> str:
        return f"{self.array_type}[]" if connection.vendor == "postgresql" else "text"

    def convert(self, value: Any) -> Any:
        raise NotImplementedError

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if connection.vendor == "postgresql":
            return [self.convert(v) for v in value]
        return json.dumps([str(v) if isinstance(v, Decimal) else v for v in value])

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = json.loads(value)
        return [self.convert(v) for v in value]

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        return self.from_db_value(value, None, None)


class DecimalListField(_NumberListField):
    """Decimals (``numeric[]`` on PostgreSQL)."""

    array_type = "numeric"

    def convert(self, value: Any) -> Decimal:
        return value if isinstance(value, Decimal) else Decimal(str(value))


class IntegerListField(_NumberListField):
    """Whole numbers (``integer[]`` on PostgreSQL)."""

    array_type = "integer"

    def convert(self, value: Any) -> int:
        return int(value)


class TextListField(_NumberListField):
    """Texts, some of them NULL (``text[]`` on PostgreSQL; JSON text elsewhere)."""

    array_type = "text"

    def convert(self, value: Any) -> str | None:
        return None if value is None else str(value)
