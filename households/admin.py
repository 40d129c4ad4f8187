"""Django admin for head office: the organisation and geography are edited here; archives are
shown read-only (they change only through the back office's services, which encrypt, validate
and audit)."""

from __future__ import annotations

from django.contrib import admin

from fuxiang.admin import ReadOnlyAdmin
from households.models import (
    Branch,
    BusinessEntity,
    County,
    Grid,
    Household,
    ImportJob,
    Member,
    Township,
    Village,
    VillageGroup,
    Visit,
    WatchlistEntityMatch,
    WatchlistEntry,
    WatchlistMatch,
    WatchlistUpload,
)


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ("name", "code")


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "county")
    search_fields = ("name", "code")


class VillageGroupInline(admin.TabularInline):
    model = VillageGroup
    extra = 0


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "township", "grid", "registered_households")
    list_filter = ("township", "grid__branch")
    search_fields = ("name", "code")
    list_select_related = ("township", "grid")
    inlines = [VillageGroupInline]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    filter_horizontal = ("managers",)


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "branch")
    list_filter = ("branch",)
    search_fields = ("name", "code")
    filter_horizontal = ("officers",)


class MemberInline(admin.TabularInline):
    model = Member
    fields = ("relation", "masked_name", "id_number_masked", "phone_masked", "birth_date", "sex")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("id", "village", "status", "rating_consent", "updated_at")
    list_filter = ("status", "village__township", "rating_consent")
    list_select_related = ("village",)
    inlines = [MemberInline]
    exclude = ()


@admin.register(BusinessEntity)
class BusinessEntityAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "uscc", "village", "annual_revenue")
    list_filter = ("category", "kind")
    search_fields = ("name", "uscc")
    list_select_related = ("village",)
    exclude = ("legal_rep_id_encrypted", "legal_rep_id_index", "legal_rep_name")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("visited_at", "officer", "outcome", "household", "business_entity")
    list_filter = ("outcome",)
    list_select_related = ("officer", "household__village", "business_entity")


@admin.register(WatchlistUpload)
class WatchlistUploadAdmin(ReadOnlyAdmin):
    list_display = (
        "uploaded_at",
        "kind",
        "source",
        "original_name",
        "accepted_rows",
        "rejected_rows",
    )
    list_filter = ("kind",)


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(ReadOnlyAdmin):
    list_display = ("kind", "id_number_masked", "uscc", "source", "listed_on", "lifted_on")
    list_filter = ("kind",)
    exclude = ("id_number_encrypted", "id_number_index", "name")


@admin.register(WatchlistMatch)
class WatchlistMatchAdmin(ReadOnlyAdmin):
    list_display = ("kind", "member", "household", "matched_at", "cleared_at", "cleared_reason")
    list_filter = ("kind",)
    list_select_related = ("member", "household")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "original_name",
        "uploaded_by",
        "status",
        "rejected_count",
    )
    list_filter = ("kind", "status")
    exclude = ("rejected",)


@admin.register(WatchlistEntityMatch)
class WatchlistEntityMatchAdmin(ReadOnlyAdmin):
    list_display = ("kind", "business_entity", "matched_at", "cleared_at", "cleared_reason")
    list_filter = ("kind",)
    list_select_related = ("business_entity",)
