"""Credit in the Django admin."""

from __future__ import annotations

from django.contrib import admin

from credit.models import CreditPolicyVersion
from fuxiang.admin import ReadOnlyAdmin, json_block

# --- policy versions --------------------------------------------------------------------------


@admin.register(CreditPolicyVersion)
class CreditPolicyVersionAdmin(ReadOnlyAdmin):
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
        return json_block(obj.data)
