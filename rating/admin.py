"""Scorecards in the Django admin, read-only: cards change only through ``rating.services``
(validation, maker-checker, audit); the back-office editing pages come later."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from rating.models import Scorecard


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("kind", "version", "status", "created_by", "approved_by", "approved_at")
    list_filter = ("kind", "status")
    search_fields = ("version", "note")
    ordering = ("kind", "-created_at")
    exclude = ("definition",)
    readonly_fields = ("definition_json",)

    @admin.display(description="评分卡定义（JSON）")
    def definition_json(self, obj: Scorecard) -> str:
        text = json.dumps(obj.definition, ensure_ascii=False, indent=2)
        return format_html("<pre>{}</pre>", text)

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
