"""Scorecards in the Django admin, read-only: cards change only through ``rating.scorecards``
(validation, maker-checker, audit); the back-office editing pages come later."""

from __future__ import annotations

from django.contrib import admin

from fuxiang.admin import ReadOnlyAdmin, json_block
from rating.models import RatingChunk, RatingRun, Scorecard


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ("kind", "version", "status", "created_by", "approved_by", "approved_at")
    list_filter = ("kind", "status")
    search_fields = ("version", "note")
    ordering = ("kind", "-created_at")
    exclude = ("definition",)
    readonly_fields = ("definition_json",)

    @admin.display(description="评分卡定义（JSON）")
    def definition_json(self, obj: Scorecard) -> str:
        return json_block(obj.definition)


class RatingChunkInline(admin.TabularInline):
    model = RatingChunk
    fields = ("village", "status", "attempts", "claim", "claimed_at", "subjects", "skipped")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0


@admin.register(RatingRun)
class RatingRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "scope_label",
        "as_of",
        "status",
        "chunks_done",
        "chunks_total",
        "rated",
        "skipped",
        "knocked_out",
        "incomplete",
        "started_by",
        "created_at",
        "published_at",
    )
    list_filter = ("status", "scope")
    ordering = ("-created_at",)
    inlines = [RatingChunkInline]
