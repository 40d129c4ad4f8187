"""Credit in the Django admin."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from credit.models import CreditPolicyVersion

# --- policy versions --------------------------------------------------------------------------


@admin.register(CreditPolicyVersion)
class CreditPolicyVersionAdmin(admin.ModelAdmin):
    """Read-only, drafts included: versions change only through ``credit.policies`` (the
    engine's checks, effective dates, maker-checker, audit) and its pages under
    /credit/policies/; an approved version is history that credit lines point at."""

    list_display = (
        "version",
        "effective_from",
        "status",
        "created_by",
        "submitted_by",
        "reviewed_by",
        "reviewed_at",
    )
    list_filter = ("status",)
    search_fields = ("version", "note")
    ordering = ("-effective_from", "-id")
    exclude = ("data",)
    readonly_fields = ("data_json",)

    @admin.display(description="政策参数（JSON）")
    def data_json(self, obj: CreditPolicyVersion) -> str:
        text = json.dumps(obj.data, ensure_ascii=False, indent=2)
        return format_html("<pre>{}</pre>", text)

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
