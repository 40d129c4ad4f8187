"""The lookup's records in the admin: read-only (they change through the services)."""

from __future__ import annotations

from django.contrib import admin

from fuxiang.admin import ReadOnlyAdmin
from qrlookup.models import OfficerRequest, PosterBatch, QrCode


@admin.register(QrCode)
class QrCodeAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "grid", "officer", "created_at", "revoked_at")
    list_filter = ("kind",)
    exclude = ("token",)  # the token is the code: not shown to whoever opens the admin


@admin.register(OfficerRequest)
class OfficerRequestAdmin(ReadOnlyAdmin):
    list_display = ("kind", "household", "grid", "status", "outcome", "created_at", "due_at")
    list_filter = ("kind", "status")
    exclude = ("contact_phone_encrypted",)


@admin.register(PosterBatch)
class PosterBatchAdmin(ReadOnlyAdmin):
    list_display = ("township", "requested_by", "status", "total", "created_at")
