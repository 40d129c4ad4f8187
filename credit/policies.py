"""Every write to credit policy versions (授信政策): drafting (from the structured form, from an
exported JSON file, or as a copy of the policy in force), editing, and maker-checker approval.

Rules (docs/design.md §4.6; issue 5):

- Head office drafts and approves (``roles.can_approve_policy``); the approver (or the one who
  sends a version back) neither drafted, edited nor submitted it (``fuxiang.makerchecker``).
- Every stored version is a usable policy: the engine's checks (``engine.policy_from_json``)
  run on every save, submit and approval, and their messages come back per field.
- Versions follow each other in time. A version takes effect on its ``effective_from``, which
  may not be in the past (no back-dating: lines already granted keep the policy they were
  granted under) and must come after the latest approved version's date (no overlap). The one
  in force on a day is the approved version with the latest date on or before it
  (``credit.policy_selectors.policy_in_force``).
- Approved versions never change: the services refuse, and on PostgreSQL a trigger refuses too
  (migration ``0003_policy_immutable``).

Each service raises ``DomainError`` with Chinese messages keyed by the engine's field names (the
form's, where they match) and appends an audit event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from credit import engine
from credit.models import CreditPolicyVersion, PolicyStatus
from credit.policy_selectors import (
    approved_policies,
    policy_in_force,
    policy_latest_approved,
    policy_previous_approved,
    policy_touched_by,
)
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from fuxiang.jsondata import json_object
from fuxiang.makerchecker import checker_require

EDITABLE_STATUSES = (PolicyStatus.DRAFT, PolicyStatus.REJECTED)
VERSION_MAX_LENGTH = 20
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")


@transaction.atomic
def policy_draft_create(
    *,
    actor: User | None,
    version: str,
    effective_from: date,
    data: Mapping[str, Any] | None = None,
    note: str = "",
) -> CreditPolicyVersion:
    """Start draft ``version`` taking effect on ``effective_from``, with the parameters in
    ``data`` (the engine's JSON form, as the structured form builds it) or, without ``data``,
    as a copy of the policy in force today. Refused unless the result is a usable policy."""
    _require_policy_role(actor)
    source = None
    if data is None:
        source = policy_in_force(timezone.localdate()) or policy_latest_approved()
        if source is None:
            raise DomainError("还没有已批准的授信政策可供复制，请填写各项参数或导入JSON")
        data = source.data
    policy = _checked({**data, "version": version.strip(), "effective_from": effective_from})
    row = _create(actor=actor, policy=policy, note=note)
    details: dict[str, Any] = {
        "version": row.version,
        "effective_from": row.effective_from.isoformat(),
    }
    if source is not None:
        details["from"] = source.version
    _audit(AuditAction.CREDIT_POLICY_CREATE, actor, row, details)
    return row


@transaction.atomic
def policy_import_json(
    *,
    actor: User | None,
    data: str | bytes | Mapping[str, Any],
    version: str | None = None,
    effective_from: date | None = None,
    note: str = "",
) -> CreditPolicyVersion:
    """Import an exported version (``engine.policy_to_json``) as a new draft. ``version`` and
    ``effective_from`` override the file's own."""
    _require_policy_role(actor)
    data = json_object(data, field="file", what="授信政策")
    overrides: dict[str, Any] = {}
    if version:
        overrides["version"] = version.strip()
    if effective_from is not None:
        overrides["effective_from"] = effective_from
    policy = _checked({**data, **overrides})
    row = _create(actor=actor, policy=policy, note=note)
    details = {
        "version": row.version,
        "effective_from": row.effective_from.isoformat(),
        "source": "json",
    }
    _audit(AuditAction.CREDIT_POLICY_CREATE, actor, row, details)
    return row


@transaction.atomic
def policy_update_draft(
    *,
    actor: User | None,
    policy: CreditPolicyVersion,
    data: Mapping[str, Any] | None = None,
    version: str | None = None,
    effective_from: date | None = None,
    note: str | None = None,
) -> CreditPolicyVersion:
    """Change a draft's parameters, version label, date or note. A rejected version edited
    this way becomes a draft again. Submitted and approved versions cannot be edited: an
    approved policy is changed by drafting a new version."""
    _require_policy_role(actor)
    row = _locked(policy)
    if row.status not in EDITABLE_STATUSES:
        raise DomainError(
            f"授信政策{row.version}当前状态为“{row.get_status_display()}”，不能修改；"
            "如需调整请起草新版本",
            code="frozen",
        )
    before = _policy_or_none(row)
    merged = {
        **(row.data if data is None else data),
        "version": row.version if version is None else version.strip(),
        "effective_from": row.effective_from if effective_from is None else effective_from,
    }
    checked = _checked(merged, exclude_pk=row.pk)
    row.version = checked.version
    row.effective_from = checked.effective_from
    row.data = engine.policy_to_json(checked)
    if note is not None:
        row.note = note
    row.status = PolicyStatus.DRAFT
    _save(row, ["version", "effective_from", "data", "note", "status"])
    # No separate "update" action exists: editing is part of drafting (起草), marked as an edit.
    changes = [list(c) for c in engine.policy_diff(before, checked)] if before else []
    _audit(AuditAction.CREDIT_POLICY_CREATE, actor, row, {"edit": True, "changes": changes})
    return row


@transaction.atomic
def policy_submit(*, actor: User | None, policy: CreditPolicyVersion) -> CreditPolicyVersion:
    """Send a draft for approval by another head-office user; checked again in full."""
    _require_policy_role(actor)
    row = _locked(policy)
    if row.status not in EDITABLE_STATUSES:
        raise DomainError(f"只有草稿可以提交审批，该授信政策为“{row.get_status_display()}”")
    _checked(row.data, exclude_pk=row.pk)
    row.status = PolicyStatus.SUBMITTED
    row.submitted_by = actor
    row.submitted_at = timezone.now()
    # a new round of review: the previous rejection stays in the audit log
    row.reviewed_by = None
    row.reviewed_at = None
    row.review_note = ""
    _save(
        row,
        ["status", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at", "review_note"],
    )
    details = {"version": row.version, "effective_from": row.effective_from.isoformat()}
    _audit(AuditAction.CREDIT_POLICY_SUBMIT, actor, row, details)
    return row


@transaction.atomic
def policy_approve(
    *, actor: User | None, policy: CreditPolicyVersion, note: str = ""
) -> CreditPolicyVersion:
    """Approve a submitted version (a second head-office user, neither its drafter nor its
    submitter). It takes effect on its date, which must still be today or later and after
    every approved version's date; from then on it never changes."""
    _require_policy_role(actor, "只有总行可以审批授信政策")
    row = _locked(policy)
    if row.status != PolicyStatus.SUBMITTED:
        raise DomainError(f"只有待审批的授信政策可以批准，该版本为“{row.get_status_display()}”")
    _require_checker(actor, row)
    # Serialise approvals: a concurrent one waits here, then the checks below (new statements)
    # see the version it approved.
    list(approved_policies().select_for_update().values_list("pk", flat=True))
    checked = _checked(row.data, exclude_pk=row.pk)
    previous = policy_previous_approved(row)
    row.status = PolicyStatus.APPROVED
    row.reviewed_by = actor
    row.reviewed_at = timezone.now()
    row.review_note = note.strip()
    _save(row, ["status", "reviewed_by", "reviewed_at", "review_note"])
    details: dict[str, Any] = {
        "version": row.version,
        "effective_from": row.effective_from.isoformat(),
        "follows": previous.version if previous is not None else None,
    }
    if previous is not None:
        details["changes"] = [list(c) for c in engine.policy_diff(previous.policy, checked)]
    _audit(AuditAction.CREDIT_POLICY_APPROVE, actor, row, details)
    return row


@transaction.atomic
def policy_reject(
    *, actor: User | None, policy: CreditPolicyVersion, note: str
) -> CreditPolicyVersion:
    """Send a submitted version back with a reason (not by its drafter or submitter); the
    drafter may edit it, which makes it a draft again."""
    _require_policy_role(actor, "只有总行可以审批授信政策")
    note = note.strip()
    if not note:
        raise DomainError({"review_note": "退回授信政策必须填写原因"})
    row = _locked(policy)
    if row.status != PolicyStatus.SUBMITTED:
        raise DomainError(f"只有待审批的授信政策可以退回，该版本为“{row.get_status_display()}”")
    _require_checker(actor, row)
    row.status = PolicyStatus.REJECTED
    row.reviewed_by = actor
    row.reviewed_at = timezone.now()
    row.review_note = note
    _save(row, ["status", "reviewed_by", "reviewed_at", "review_note"])
    _audit(AuditAction.CREDIT_POLICY_REJECT, actor, row, {"version": row.version, "note": note})
    return row


def policy_require_in_force(*, as_of: date) -> CreditPolicyVersion:
    """The approved version in force on ``as_of``; refused (``no_policy``) when there is none —
    a real rating run dated then would publish its scope's ratings without a single credit
    line (rating asks this before it creates the run: a start check, ``credit/receivers.py``).
    """
    version = policy_in_force(as_of)
    if version is None:
        raise DomainError(
            {
                "as_of": f"{as_of:%Y-%m-%d}没有生效的已批准授信政策，不能发起正式评级"
                "（评级发布后范围内将没有授信额度）：请选择已有授信政策生效的日期，"
                "或先批准授信政策；其他日期只能用于模拟测算"
            },
            code="no_policy",
        )
    return version


# --- helpers ----------------------------------------------------------------------------------


def _require_policy_role(actor: User | None, message: str = "只有总行可以维护授信政策") -> None:
    if not roles.can_approve_policy(actor):
        raise PermissionDenied(message)


def _require_checker(actor: User | None, row: CreditPolicyVersion) -> None:
    """The checker wrote no part of the version: not its drafter, not anyone who edited the
    draft, not anyone who submitted it (``fuxiang.makerchecker``)."""
    checker_require(
        checker_id=getattr(actor, "pk", None), touched=policy_touched_by(row), what="授信政策"
    )


def _checked(data: Mapping[str, Any], *, exclude_pk: int | None = None) -> engine.CreditPolicy:
    """``data`` as a policy that may be stored: the engine's checks, the version label and the
    effective date, every problem at once, keyed by field."""
    errors: dict[str, list[str]] = {}
    policy = None
    try:
        policy = engine.policy_from_json(data)
    except engine.PolicyError as exc:
        errors = exc.errors
    version = data.get("version")
    if isinstance(version, str) and version.strip():
        for message in _version_problems(version, exclude_pk=exclude_pk):
            errors.setdefault("version", []).append(message)
    effective_from = policy.effective_from if policy else _date_or_none(data.get("effective_from"))
    if effective_from is not None:
        for message in _date_problems(effective_from, exclude_pk=exclude_pk):
            errors.setdefault("effective_from", []).append(message)
    if errors or policy is None:
        raise DomainError(errors)
    return policy


def _date_or_none(value: Any) -> date | None:
    """The date when the engine could not read the whole policy (so its date is still
    checked and reported alongside the other problems)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _other_than(
    versions: QuerySet[CreditPolicyVersion], pk: int | None
) -> QuerySet[CreditPolicyVersion]:
    return versions if pk is None else versions.exclude(pk=pk)


def _version_problems(version: str, *, exclude_pk: int | None) -> list[str]:
    if len(version) > VERSION_MAX_LENGTH:
        return [f"版本号最多{VERSION_MAX_LENGTH}个字符"]
    if not _VERSION.match(version):
        return ["版本号只能包含字母、数字、点、横线和下划线，例如2027.1"]
    taken = _other_than(CreditPolicyVersion.objects.filter(version=version), exclude_pk)
    if taken.exists():
        return [f"版本号“{version}”已被使用，请换一个"]
    return []


def _date_problems(effective_from: date, *, exclude_pk: int | None) -> list[str]:
    problems = []
    today = timezone.localdate()
    if effective_from < today:
        problems.append(
            f"生效日期{effective_from:%Y-%m-%d}早于今天（{today:%Y-%m-%d}）：授信政策不能追溯"
            "生效，已发放的授信额度仍按发放时的政策执行"
        )
    latest = _other_than(approved_policies(), exclude_pk).order_by("-effective_from").first()
    if latest is not None and effective_from <= latest.effective_from:
        problems.append(
            f"生效日期须晚于最新已批准版本{latest.version}的生效日期"
            f"（{latest.effective_from:%Y-%m-%d}）：各版本依次生效，日期不能重叠"
        )
    return problems


def _create(*, actor: User | None, policy: engine.CreditPolicy, note: str) -> CreditPolicyVersion:
    row = CreditPolicyVersion(
        version=policy.version,
        effective_from=policy.effective_from,
        status=PolicyStatus.DRAFT,
        data=engine.policy_to_json(policy),
        note=note.strip(),
        created_by=actor,
    )
    _clean(row)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError as exc:  # the same label saved meanwhile by someone else
        raise DomainError({"version": f"版本号“{row.version}”已被使用，请换一个"}) from exc
    return row


def _locked(policy: CreditPolicyVersion) -> CreditPolicyVersion:
    return CreditPolicyVersion.objects.select_for_update().get(pk=policy.pk)


def _clean(row: CreditPolicyVersion) -> None:
    try:
        row.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict) from exc


def _save(row: CreditPolicyVersion, fields: list[str]) -> None:
    _clean(row)
    try:
        with transaction.atomic():
            row.save(update_fields=fields)
    except IntegrityError as exc:  # a concurrent change took the label or the date
        raise DomainError("该版本号或生效日期刚被另一版本占用，请刷新页面后重试") from exc


def _policy_or_none(row: CreditPolicyVersion) -> engine.CreditPolicy | None:
    try:
        return row.policy
    except engine.PolicyError:  # stored under older rules; the diff is then left out
        return None


def _audit(
    action: AuditAction, actor: User | None, row: CreditPolicyVersion, details: dict[str, Any]
) -> None:
    audit_record(action=action, actor=actor, target=row, target_label=str(row), details=details)
