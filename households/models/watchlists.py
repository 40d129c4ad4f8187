"""Official watch lists: uploaded list files, their entries, and matches to archived people."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from fuxiang.masking import mask_name
from households.models.archives import Household, Member
from households.models.fields import count


class WatchlistKind(models.TextChoices):
    DISHONEST_DEBTOR = "dishonest_debtor", _("失信被执行人")
    CRIMINAL_RECORD = "criminal_record", _("犯罪记录")
    DRUG_GAMBLING = "drug_gambling", _("涉毒涉赌")
    SUBSISTENCE_ALLOWANCE = "dibao", _("低保")  # the list files' and stored code
    POVERTY_ALLEVIATED = "poverty_alleviated", _("脱贫户")


class WatchlistUpload(models.Model):
    """One official list file as received (the evidence behind its entries)."""

    kind = models.CharField(_("名单类型"), max_length=20, choices=WatchlistKind.choices)
    source = models.CharField(_("来源"), max_length=100)
    original_name = models.CharField(_("原文件名"), max_length=200)
    uploaded_by = staff_ref()
    uploaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    total_rows = count(_("总行数"))
    accepted_rows = count(_("有效行数"))
    rejected_rows = count(_("拒绝行数"))

    class Meta:
        verbose_name = _("名单文件")
        verbose_name_plural = _("名单文件")
        ordering = ("-uploaded_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source} {self.original_name}"


class WatchlistEntry(models.Model):
    """A person — or, on 失信被执行人 lists, a company — on an official list. A person's ID is
    stored like members' (encrypted, blind index, masked) and matching joins on the blind
    index; a company is identified by its USCC (统一社会信用代码, public, stored as is) and
    matched to the business entity with that code. Exactly one of the two is set."""

    kind = models.CharField(_("名单类型"), max_length=20, choices=WatchlistKind.choices)
    upload = models.ForeignKey(
        WatchlistUpload,
        on_delete=models.PROTECT,
        related_name="entries",
        null=True,
        blank=True,
    )
    row_number = models.PositiveIntegerField(_("文件行号"), null=True, blank=True)
    name = models.CharField(_("姓名/名称"), max_length=100)
    id_number_encrypted = models.TextField(editable=False, blank=True)
    id_number_index = models.CharField(max_length=64, db_index=True, editable=False, blank=True)
    id_number_masked = models.CharField(_("身份证号码"), max_length=18, editable=False, blank=True)
    # NULL for a person (the unique constraints below ignore NULLs)
    uscc = models.CharField(  # noqa: DJ001
        _("统一社会信用代码"), max_length=18, null=True, blank=True, editable=False
    )
    source = models.CharField(_("来源"), max_length=100)
    listed_on = models.DateField(_("列入日期"))
    lifted_on = models.DateField(_("移出日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("名单条目")
        verbose_name_plural = _("名单条目")
        ordering = ("-listed_on", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "id_number_index", "listed_on"],
                condition=Q(uscc__isnull=True),
                name="watchlist_entry_unique_listing",
            ),
            models.UniqueConstraint(
                fields=["kind", "uscc", "listed_on"],
                condition=Q(uscc__isnull=False),
                name="watchlist_entry_unique_company_listing",
            ),
            models.CheckConstraint(
                condition=(Q(uscc__isnull=True) & ~Q(id_number_index=""))
                | (Q(uscc__isnull=False) & Q(id_number_index="")),
                name="watchlist_entry_person_or_company",
                violation_error_message="名单条目须填写身份证号码或统一社会信用代码之一",
            ),
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=models.F("listed_on")),
                name="watchlist_entry_lifted_after_listed",
                violation_error_message="移出日期不能早于列入日期",
            ),
        ]

    def __str__(self) -> str:
        if self.uscc:
            return f"{self.get_kind_display()} {self.name} {self.uscc}"
        return f"{self.get_kind_display()} {mask_name(self.name)} {self.id_number_masked}"

    @property
    def is_company(self) -> bool:
        return bool(self.uscc)


class WatchlistMatch(models.Model):
    """Evidence that an archived person is on a list: which entry, when it was matched, and
    when (and why) the match was cleared. Rating reads the uncleared ones."""

    entry = models.ForeignKey(WatchlistEntry, on_delete=models.PROTECT, related_name="matches")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="watchlist_matches")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="watchlist_matches"
    )
    kind = models.CharField(_("名单类型"), max_length=20, choices=WatchlistKind.choices)
    matched_at = models.DateTimeField(_("匹配时间"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    cleared_reason = models.CharField(_("解除原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("名单匹配")
        verbose_name_plural = _("名单匹配")
        ordering = ("-matched_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["entry", "member"], name="watchlist_match_unique"),
        ]
        indexes = [
            models.Index(
                fields=["household", "kind"],
                condition=Q(cleared_at__isnull=True),
                name="watchlist_match_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.member}"

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None


class WatchlistEntityMatch(models.Model):
    """Evidence that a business entity is on a list — by its own USCC (the entry is a
    company's) or by its legal representative/operator's ID (a person's). The entity's own
    rating card reads these, as a household's reads ``WatchlistMatch``."""

    entry = models.ForeignKey(
        WatchlistEntry, on_delete=models.PROTECT, related_name="entity_matches"
    )
    business_entity = models.ForeignKey(
        "households.BusinessEntity", on_delete=models.PROTECT, related_name="watchlist_matches"
    )
    kind = models.CharField(_("名单类型"), max_length=20, choices=WatchlistKind.choices)
    matched_at = models.DateTimeField(_("匹配时间"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    cleared_reason = models.CharField(_("解除原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("经营主体名单匹配")
        verbose_name_plural = _("经营主体名单匹配")
        ordering = ("-matched_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "business_entity"], name="watchlist_entity_match_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["business_entity", "kind"],
                condition=Q(cleared_at__isnull=True),
                name="watchlist_entity_match_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.business_entity}"
