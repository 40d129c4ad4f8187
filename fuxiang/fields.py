"""Model fields the apps declare again and again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


def staff_ref(verbose_name: Any = None) -> Any:
    """Who did something (drafted, submitted, approved, uploaded…): a user, kept while the
    record exists (an account is deactivated, never deleted), optional because the system
    acts too, and without a reverse accessor on the user."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
