"""Scorecards as versioned, approved policy data. Batch runs and results come in a later slice."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import DecimalListField, IntegerListField, TextListField, staff_ref
from rating import engine


class SubjectKind(models.TextChoices):
    HOUSEHOLD = "household", _("农户")
    ENTERPRISE = "enterprise", _("小微企业/个体工商户")
    AGRICULTURAL = "agricultural", _("新型农业经营主体")


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准（生效中）")
    REJECTED = "rejected", _("已退回")
    RETIRED = "retired", _("已停用")


# An approved or retired card's definition is history: results point at it.
FROZEN_STATUSES = (ScorecardStatus.APPROVED, ScorecardStatus.RETIRED)


class Scorecard(models.Model):
    """One version of a scorecard (评分卡) for one subject kind, in the engine's JSON form.

    Life cycle: draft → submitted → approved (or rejected, which may be edited back into a
    draft) → retired. *Approved* means *in force*: at most one approved card per kind (a
    partial unique constraint); approving a new version retires the previous one. Approved and
    retired definitions never change (the services refuse; on PostgreSQL a trigger refuses
    too), so a rating result can always be explained by the card it was scored with.
    """

    kind = models.CharField(_("评级对象"), max_length=12, choices=SubjectKind.choices)
    version = models.CharField(
        _("版本号"),
        max_length=20,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z][0-9A-Za-z._-]*$", "版本号只能包含字母、数字、点、横线和下划线"
            )
        ],
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT
    )
    definition = models.JSONField(_("评分卡定义"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    created_by = staff_ref(_("起草人"))
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_by = staff_ref(_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = staff_ref(_("审批人"))
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    rejected_by = staff_ref(_("退回人"))
    rejected_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评分卡")
        verbose_name_plural = _("评分卡")
        ordering = ("kind", "-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"],
                name="scorecard_unique_kind_version",
                violation_error_message="该评级对象已有同一版本号的评分卡",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status="approved"),
                name="scorecard_one_approved_per_kind",
                violation_error_message="每类评级对象只能有一张生效的评分卡",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "retired"]) | Q(approved_at__isnull=False),
                name="scorecard_approved_has_approval_time",
            ),
            # Maker-checker at the database too. Seeded cards have neither (both NULL).
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(approved_by=models.F("submitted_by")),
                name="scorecard_approver_is_not_submitter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}评分卡 {self.version}（{self.get_status_display()}）"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    @property
    def card(self) -> engine.Scorecard:
        """The definition as the engine's card (structure checked, not re-validated)."""
        return engine.card_from_json(self.definition, validate=False)


# --- batch runs and results -------------------------------------------------------------------


class RunScope(models.TextChoices):
    COUNTY = "county", _("全县")
    TOWNSHIP = "township", _("乡镇")
    GRID = "grid", _("网格")
    VILLAGE = "village", _("村")
    SUBJECTS = "subjects", _("指定对象")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("评级中")
    PUBLISHING = "publishing", _("发布中")
    PUBLISHED = "published", _("已发布")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")
    SIMULATED = "simulated", _("模拟完成")


# A run in one of these statuses holds the single lane (see RatingRun.Meta.constraints).
ACTIVE_RUN_STATUSES = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.PUBLISHING)


class RatingRun(models.Model):
    """One batch rating (评级任务) over a scope, with the cards in force when it started.

    Work is split into one ``RatingChunk`` per village so that workers on several machines
    share a run. Results become *current* only at publish, in one transaction, once every
    chunk is done (``CurrentRating``): nobody sees a half-rated village.

    Two runs never overlap: every run sits in the same ``lane`` and a partial unique
    constraint allows at most one run of the lane in pending/running/publishing. A second
    start (or a single-household re-rating) while a run is active fails at the database,
    whatever the race between the two starters.
    """

    lane = models.CharField(max_length=10, default="rating", editable=False)
    # A what-if run (模拟测算): rated like any run, with the cards it names (drafts allowed for
    # head office), but never published — it ends "simulated" and nobody's current rating
    # changes.
    simulation = models.BooleanField(_("模拟测算"), default=False)
    scope = models.CharField(_("评级范围"), max_length=10, choices=RunScope.choices)
    scope_ids = models.JSONField(_("范围编号"), default=list, blank=True)
    household_ids = models.JSONField(_("指定农户"), default=list, blank=True)
    entity_ids = models.JSONField(_("指定经营主体"), default=list, blank=True)
    scope_label = models.CharField(_("范围"), max_length=200, blank=True)
    household_card = models.ForeignKey(
        Scorecard, verbose_name=_("农户评分卡"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise_card = models.ForeignKey(
        Scorecard, verbose_name=_("企业评分卡"), on_delete=models.PROTECT, related_name="+"
    )
    agricultural_card = models.ForeignKey(
        Scorecard,
        verbose_name=_("新型农业经营主体评分卡"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    as_of = models.DateField(_("评级基准日"))
    started_by = staff_ref(_("发起人"))
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    error = models.CharField(_("失败原因"), max_length=500, blank=True)

    chunks_total = models.PositiveIntegerField(_("分片数"), default=0)
    chunks_done = models.PositiveIntegerField(_("已完成分片"), default=0)
    subjects = models.PositiveIntegerField(_("评级对象数"), default=0)
    rated = models.PositiveIntegerField(_("已评级"), default=0)
    skipped = models.PositiveIntegerField(_("未评级（未授权/已销户）"), default=0)
    knocked_out = models.PositiveIntegerField(_("一票否决"), default=0)
    incomplete = models.PositiveIntegerField(_("档案不完整"), default=0)
    grade_counts = models.JSONField(_("等级分布"), default=dict, blank=True)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # when a worker's sweep last queued again what the run still needed (rating.runs.liveness)
    swept_at = models.DateTimeField(_("补发时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("评级任务")
        verbose_name_plural = _("评级任务")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["lane"],
                condition=Q(status__in=["pending", "running", "publishing"]),
                name="rating_run_one_active",
                violation_error_message="已有评级任务正在进行",
            ),
            models.CheckConstraint(
                condition=Q(chunks_done__lte=models.F("chunks_total")),
                name="rating_run_chunks_done_le_total",
            ),
        ]

    def __str__(self) -> str:
        label = self.scope_label or self.get_scope_display()
        return f"评级任务#{self.pk} {label} {self.as_of:%Y-%m-%d}（{self.get_status_display()}）"

    @property
    def progress(self) -> float:
        """Chunks done ÷ chunks (0–1)."""
        return self.chunks_done / self.chunks_total if self.chunks_total else 0.0

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def seconds(self) -> float | None:
        end = self.published_at or self.finished_at
        if self.started_at is None or end is None:
            return None
        return (end - self.started_at).total_seconds()


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RatingChunk(models.Model):
    """One village of a run: the unit a worker claims. ``claim`` identifies the current claim
    (worker, process and a random tag); a chunk still "running" with a claim older than the
    stale timeout belongs to a dead worker and may be claimed again."""

    run = models.ForeignKey(RatingRun, on_delete=models.CASCADE, related_name="chunks")
    village = models.ForeignKey(
        "households.Village", verbose_name=_("村"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=ChunkStatus.choices, default=ChunkStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    claim = models.CharField(_("领取者"), max_length=120, blank=True)
    subjects = models.PositiveIntegerField(_("评级对象数"), default=0)
    skipped = models.PositiveIntegerField(_("未评级"), default=0)
    seconds = models.FloatField(_("用时（秒）"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    # the chunk's results counted in its own transaction: [[kind, grade, n, knocked out,
    # incomplete], …] — the publish adds them up instead of reading 230,000 results again
    counts = models.JSONField(_("结果统计"), default=list, blank=True)
    # what the chunk's rating statements read (PostgreSQL): per part ("household",
    # "enterprise", "agricultural") [snapshot, own transaction id or null, clock time] taken
    # inside the very statement that read the archives — ``rating.replay`` rebuilds the
    # archive exactly as that statement saw it from the archive history
    archive_reads = models.JSONField(_("档案读取快照"), default=dict, blank=True)

    class Meta:
        verbose_name = _("评级分片")
        verbose_name_plural = _("评级分片")
        ordering = ("run", "id")
        constraints = [
            models.UniqueConstraint(fields=["run", "village"], name="rating_chunk_unique_village"),
        ]
        indexes = [models.Index(fields=["run", "status"], name="rating_chunk_run_status")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.village_id}（{self.get_status_display()}）"


class RatingChunkBeat(models.Model):
    """The heartbeat of a chunk's claim: renewed by the worker rating it (rating.runs.liveness).
    A row of its own, with no database foreign key: the chunk's row is locked by the chunk's
    transaction, and a beat must neither wait for it nor take a key lock on it."""

    chunk = models.OneToOneField(
        RatingChunk,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="beat",
        db_constraint=False,
    )
    claim = models.CharField(_("领取者"), max_length=120)
    beat_at = models.DateTimeField(_("心跳时间"))

    class Meta:
        verbose_name = _("评级分片心跳")
        verbose_name_plural = _("评级分片心跳")

    def __str__(self) -> str:
        return f"{self.chunk_id} {self.claim} {self.beat_at:%H:%M:%S}"


class RatingResult(models.Model):
    """One subject's rating in one run. ``breakdown`` is compact: the card version (and the
    feature values used, where ``feature_values`` does not keep them). ``points`` are the points
    of each indicator, then of each adjustment (in the card's order); ``codes`` each indicator's
    band — the bin or category it matched, by its place in the card, -1 when missing — then each
    indicator's hint target (the band that would earn more, -1 for none); with the knock-out and
    flag codes they are the reasons, and the explanation (factors, hints) is read from them and
    the card (``selectors.result_explain``), never scored again. ``engine_version`` names the
    scoring logic (``engine.ENGINE_VERSION``; NULL for results stored before points were, whose
    explanation is still scored again from the values).

    A county run writes ~230,000 rows, so the table carries only the indexes it needs: the
    two partial unique constraints (subject, run) — which also serve a subject's history —
    and (run, village) for a run's and a chunk's rows. ``run`` and ``village`` are written only
    by the chunk that owns them (itself constrained), so they carry no database foreign key
    check. Neither do the subjects: the rows are written by set-based statements that read the
    subjects they rate (so they exist), archives are never deleted (closed instead; the ORM
    protects them), and a deferred check per row at each chunk's commit cost a county run
    several seconds."""

    run = models.ForeignKey(
        RatingRun,
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    village = models.ForeignKey(
        "households.Village",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="rating_results",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    business_entity = models.ForeignKey(
        "households.BusinessEntity",
        on_delete=models.PROTECT,
        related_name="rating_results",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("评级对象"), max_length=12, choices=SubjectKind.choices)
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("等级"), max_length=8)
    knocked_out = models.BooleanField(_("一票否决"), default=False)
    knock_outs = models.JSONField(_("否决原因"), default=list, blank=True)
    incomplete = models.BooleanField(_("档案不完整"), default=False)
    missing = models.JSONField(_("缺失指标"), default=list, blank=True)
    flags = models.JSONField(_("标记"), default=list, blank=True)
    breakdown = models.JSONField(_("评分明细"), default=dict, blank=True)
    points = DecimalListField(_("各项得分"), null=True, blank=True)
    # the values used, as text in the card's order (``results_sql.breakdown_order``), written
    # by the compiled path (a text array costs a county run's statement a fifth of what the
    # same values cost as JSON); NULL where ``breakdown`` keeps them (the Python path, and
    # results stored before): ``results_sql.kept_values`` reads either
    feature_values = TextListField(_("取值"), null=True, blank=True)
    codes = IntegerListField(_("档位与提示代码"), null=True, blank=True)
    engine_version = models.PositiveSmallIntegerField(_("评分逻辑版本"), null=True, blank=True)

    class Meta:
        verbose_name = _("评级结果")
        verbose_name_plural = _("评级结果")
        ordering = ("run", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "run"],
                condition=Q(household__isnull=False),
                name="rating_result_household",
            ),
            models.UniqueConstraint(
                fields=["business_entity", "run"],
                condition=Q(business_entity__isnull=False),
                name="rating_result_entity",
            ),
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(business_entity__isnull=True))
                | (Q(household__isnull=True) & Q(business_entity__isnull=False)),
                name="rating_result_one_subject",
                violation_error_message="评级结果应属于一户农户或一个经营主体",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "village"], name="rating_result_run_village"),
            # a run's entities (a few thousand among a county's 230,000 results), by village
            # for its chunks' credit lines, all of them for the publish's switch
            models.Index(
                fields=["run", "village"],
                condition=Q(business_entity__isnull=False),
                name="rating_result_run_entities",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.grade} {self.score}"


class CurrentRating(models.Model):
    """The rating in force for each subject: one row per household or entity, pointing at the
    result of the last published run that rated it. Switched only by a run's publish, in the
    same transaction for the whole run."""

    # One row per subject: each column is unique where it is set (``current_rating_household``,
    # ``current_rating_entity``), an index that holds no entry for the rows of the other kind
    # (a plain unique column would index 230,000 nulls between the two).
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.CASCADE,
        related_name="current_rating",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,  # see the results: copied from them at publish
    )
    business_entity = models.ForeignKey(
        "households.BusinessEntity",
        on_delete=models.CASCADE,
        related_name="current_rating",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,  # see the results: copied from them at publish
    )
    # Written only by the publish statement, from the run's own results in the same
    # transaction: no database check per row (230,000 of them at a county publish).
    result = models.ForeignKey(
        RatingResult,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    run = models.ForeignKey(
        RatingRun, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    kind = models.CharField(_("评级对象"), max_length=12, choices=SubjectKind.choices)
    grade = models.CharField(_("等级"), max_length=8)
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    knocked_out = models.BooleanField(_("一票否决"), default=False)
    # The household's ``updated_at`` as the publish that switched this row read it (every
    # publish of a scope writes it again; an archive edit queues a re-rating, whose publish
    # moves it): the household list's grade filter walks a grade's households in the list's
    # order through ``current_rating_grade_order``, however deep the page. Null for entities.
    household_updated_at = models.DateTimeField(_("农户更新时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("当前评级")
        verbose_name_plural = _("当前评级")
        indexes = [
            models.Index(
                fields=["grade", "household_updated_at", "household"],
                name="current_rating_grade_order",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(household__isnull=False),
                name="current_rating_household",
            ),
            models.UniqueConstraint(
                fields=["business_entity"],
                condition=Q(business_entity__isnull=False),
                name="current_rating_entity",
            ),
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(business_entity__isnull=True))
                | (Q(household__isnull=True) & Q(business_entity__isnull=False)),
                name="current_rating_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.grade}"
