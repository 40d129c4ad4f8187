"""Loan product versions: head office drafts, submits; another head-office user approves
(two-person rule, design §4.6) or sends back. Approving a version puts it in force and retires
the one before; contracts keep the version they were signed under. Every step is audited."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.selectors import audit_actors
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from fuxiang.makerchecker import Touch, checker_require
from loans.engine.rules import SUBJECT_KIND_LABELS
from loans.models import LoanProduct, LoanProductVersion, RepaymentMethod, VersionStatus
from loans.whitelists import whitelists_rebuild_on_commit

GRADES = ("AAA", "AA", "A")
VERSION_FIELDS = (
    "min_amount",
    "max_amount",
    "grades",
    "subject_kinds",
    "terms_months",
    "repayment_methods",
    "online",
    "needs_review",
    "rule",
    "farming_income_share",
    "farming_land_mu",
    "collateral_ratio",
    "draw_within_days",
    "min_drawdown",
    "note",
)


def version_touched_by(version: LoanProductVersion) -> dict[Touch, set[int | None]]:
    """Who drafted, edited (audited edits) and submitted the version: none of them may review
    it (``fuxiang.makerchecker``)."""
    return {
        Touch.CREATED: {version.created_by_id},
        Touch.EDITED: audit_actors(
            target=version, action=AuditAction.LOAN_PRODUCT_CREATE, edit=True
        ),
        Touch.SUBMITTED: {version.submitted_by_id}
        | audit_actors(target=version, action=AuditAction.LOAN_PRODUCT_SUBMIT),
    }


def _check_head_office(actor: User | None) -> None:
    if not roles.can_approve_policy(actor):
        raise PermissionDenied("只有总行可以维护贷款产品")


def _validate(version: LoanProductVersion) -> None:
    errors: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not version.grades or any(g not in GRADES for g in version.grades):
        bad("grades", "准入评级须为AAA、AA、A中的一个或多个")
    if not version.subject_kinds or any(
        k not in SUBJECT_KIND_LABELS for k in version.subject_kinds
    ):
        bad("subject_kinds", "准入主体须为农户或经营主体类型中的一个或多个")
    terms = version.terms_months
    if not terms or any(not isinstance(t, int) or not 1 <= t <= 360 for t in terms):
        bad("terms_months", "可选期限须为1至360之间的整月数")
    if not version.repayment_methods or any(
        m not in RepaymentMethod.values for m in version.repayment_methods
    ):
        bad("repayment_methods", "还款方式须为等额本息、等额本金、按月付息到期还本或随借随还")
    if version.online and version.needs_review:
        bad("needs_review", "须客户经理审核的产品不能秒批（请取消“线上办理”）")
    if version.collateral_ratio is not None and version.online:
        bad("collateral_ratio", "抵押类产品须客户经理审核，不能线上秒批")
    if not Decimal(0) <= version.farming_income_share <= 1:
        bad("farming_income_share", "种养殖收入占比须在0至100%之间")
    try:
        version.full_clean(exclude=["product", "version"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                bad(field, message)
    if errors:
        raise DomainError(errors)


@transaction.atomic
def product_version_create(
    *,
    actor: User | None,
    product: LoanProduct,
    fields: Mapping[str, Any],
    audit: AuditContext | None = None,
) -> LoanProductVersion:
    """A new draft version of a product (the fields not given are copied from the version in
    force)."""
    _check_head_office(actor)
    product = LoanProduct.objects.select_for_update().get(pk=product.pk)
    base = product.versions.filter(status=VersionStatus.APPROVED).first()
    number = (product.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    version = LoanProductVersion(product=product, version=number, created_by=actor)
    for field in VERSION_FIELDS:
        if field in fields:
            setattr(version, field, fields[field])
        elif base is not None and field != "note":
            setattr(version, field, getattr(base, field))
    _validate(version)
    version.save()
    audit_record(
        action=AuditAction.LOAN_PRODUCT_CREATE,
        actor=actor,
        target=version,
        target_label=str(version),
        audit=audit,
        details={f: str(getattr(version, f)) for f in VERSION_FIELDS},
    )
    return version


def _locked(version: LoanProductVersion) -> LoanProductVersion:
    return (
        LoanProductVersion.objects.select_for_update().select_related("product").get(pk=version.pk)
    )


@transaction.atomic
def product_version_update(
    *,
    actor: User | None,
    version: LoanProductVersion,
    fields: Mapping[str, Any],
    audit: AuditContext | None = None,
) -> LoanProductVersion:
    _check_head_office(actor)
    version = _locked(version)
    if version.status not in (VersionStatus.DRAFT, VersionStatus.REJECTED):
        raise DomainError("只有草稿或已退回的版本可以修改")
    for field in VERSION_FIELDS:
        if field in fields:
            setattr(version, field, fields[field])
    version.status = VersionStatus.DRAFT
    _validate(version)
    version.save()
    audit_record(
        action=AuditAction.LOAN_PRODUCT_CREATE,
        actor=actor,
        target=version,
        target_label=str(version),
        audit=audit,
        details={"edit": True, "fields": sorted(set(fields) & set(VERSION_FIELDS))},
    )
    return version


@transaction.atomic
def product_version_submit(
    *, actor: User | None, version: LoanProductVersion, audit: AuditContext | None = None
) -> LoanProductVersion:
    _check_head_office(actor)
    version = _locked(version)
    if version.status != VersionStatus.DRAFT:
        raise DomainError("只有草稿可以提交审批")
    _validate(version)
    version.status, version.submitted_by, version.submitted_at = (
        VersionStatus.SUBMITTED,
        actor,
        timezone.now(),
    )
    version.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit_record(
        action=AuditAction.LOAN_PRODUCT_SUBMIT,
        actor=actor,
        target=version,
        target_label=str(version),
        audit=audit,
    )
    return version


@transaction.atomic
def product_version_review(
    *,
    actor: User | None,
    version: LoanProductVersion,
    approve: bool,
    note: str = "",
    audit: AuditContext | None = None,
) -> LoanProductVersion:
    """Approve (puts it in force, retires the version before) or send back (a note is
    required) — never by a user who drafted, edited or submitted it (two-person rule)."""
    _check_head_office(actor)
    version = _locked(version)
    if version.status != VersionStatus.SUBMITTED:
        raise DomainError("只有待审批的版本可以审批")
    checker_require(
        checker_id=getattr(actor, "pk", None),
        touched=version_touched_by(version),
        what="贷款产品版本",
    )
    note = (note or "").strip()
    if not approve and len(note) < 2:
        raise DomainError({"note": "退回须填写审批意见"})
    now = timezone.now()
    if approve:
        LoanProductVersion.objects.filter(
            product=version.product, status=VersionStatus.APPROVED
        ).update(status=VersionStatus.RETIRED)
        version.status = VersionStatus.APPROVED
    else:
        version.status = VersionStatus.REJECTED
    version.reviewed_by, version.reviewed_at, version.review_note = actor, now, note
    version.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        action=AuditAction.LOAN_PRODUCT_APPROVE if approve else AuditAction.LOAN_PRODUCT_REJECT,
        actor=actor,
        target=version,
        target_label=str(version),
        audit=audit,
        details={"note": note},
    )
    if approve:
        whitelists_rebuild_on_commit(everything=True, reason=f"{version}生效")
    return version
