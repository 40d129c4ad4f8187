"""Pieces the apps' Django admins share."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through their app's services (checks, maker-checker, audit):
    the admin shows them and nothing more."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


def json_block(value: Any) -> str:
    """A JSON document shown as indented text."""
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2))
