"""Helpers shared by the services: validation into ``DomainError``, assignment, scope checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import models

from fuxiang.accounts.models import User
from fuxiang.errors import DomainError, PermissionDenied
from fuxiang.messages import plain_validation_errors
from households.identity import IdentityError, is_foreign_resident_id, normalise_person_name
from households.models import Village
from households.selectors import villages_editable_by

# Internal columns whose validation errors belong to the field the user typed.
_FIELD_ALIASES = {
    "id_number_index": "id_number",
    "id_number_encrypted": "id_number",
    "phone_index": "phone",
    "legal_rep_id_index": "legal_rep_id_number",
}


def _full_clean(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """``full_clean`` with Django's errors turned into a ``DomainError`` keyed by form field."""
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        labels = {f.name: str(f.verbose_name) for f in instance._meta.fields}
        errors: dict[str, list[str]] = {}
        for field, messages in plain_validation_errors(exc, labels).items():
            key = "__all__" if field == NON_FIELD_ERRORS else _FIELD_ALIASES.get(field, field)
            errors.setdefault(key, []).extend(messages)
        raise DomainError(errors) from exc


def _assign(instance: models.Model, values: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    """Copy allowed values onto the instance; return the names that changed."""
    changed = []
    for field in allowed:
        try:
            current = getattr(instance, field)
        except ObjectDoesNotExist:  # a required relation not set yet on a new row
            current = None
        if field in values and current != values[field]:
            setattr(instance, field, values[field])
            changed.append(field)
    return changed


def _check_editable_village(actor: User | None, village: Village, field: str = "village") -> None:
    if not villages_editable_by(actor).filter(pk=village.pk).exists():
        raise PermissionDenied({field: "只能在您负责的网格内的村建档"})


def _clean_person_name(instance: models.Model, field: str, label: str, *, id_masked: str) -> str:
    """Normalise a person's name on the instance (``households.identity.normalise_person_name``;
    Latin letters only with a foreigner's ID); return the refusal in Chinese, or ""."""
    try:
        setattr(
            instance,
            field,
            normalise_person_name(
                getattr(instance, field), foreign=is_foreign_resident_id(id_masked)
            ),
        )
    except IdentityError as exc:
        return f"{label}{exc}"
    return ""
