"""The repayment fields of an archive (近24个月逾期次数, 有未结清逾期, 有不良贷款余额) as the
loans app reports them: the bank's own repayment history flows back to rating as data that
households owns, never as an import from rating to loans."""

from __future__ import annotations

from django.db import transaction

from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound
from households.models import BusinessEntity, Household
from households.signals import archives_changed_on_commit

REPAYMENT_FIELDS = ("overdue_count_24m", "has_outstanding_overdue", "has_bad_loan")


@transaction.atomic
def household_repayment_record_update(
    *,
    household_id: int | None = None,
    entity_id: int | None = None,
    overdue_count_change: int = 0,
    has_outstanding_overdue: bool | None = None,
    has_bad_loan: bool | None = None,
    source: str,
) -> bool:
    """Change a household's (or a business entity's) repayment fields by what the system
    (``source``, e.g. ``"loans"``) saw: the overdue count moves by ``overdue_count_change``
    (never below 0); a flag given as ``True``/``False`` is set, ``None`` left as it is. The
    archive's row is locked while it changes. When something changed it is audited (the
    system as actor) and ``archives_changed`` is sent after the commit, so the subject is
    re-rated. Returns whether anything changed."""
    if (household_id is None) == (entity_id is None):
        raise DomainError("须指定一户农户或一个经营主体")
    model = Household if household_id is not None else BusinessEntity
    subject_id = int(household_id if household_id is not None else entity_id or 0)
    try:
        subject = model.objects.select_for_update().get(pk=subject_id)
    except model.DoesNotExist as exc:
        raise NotFound() from exc
    before = {f: getattr(subject, f) for f in REPAYMENT_FIELDS}
    subject.overdue_count_24m = max(0, subject.overdue_count_24m + overdue_count_change)
    if has_outstanding_overdue is not None:
        subject.has_outstanding_overdue = has_outstanding_overdue
    if has_bad_loan is not None:
        subject.has_bad_loan = has_bad_loan
    after = {f: getattr(subject, f) for f in REPAYMENT_FIELDS}
    changed = [f for f in REPAYMENT_FIELDS if before[f] != after[f]]
    if not changed:
        return False
    subject.save(update_fields=[*changed, "updated_at"])
    if household_id is not None:
        archives_changed_on_commit([subject.pk], reason="repayment_record")
    else:
        archives_changed_on_commit([], entity_ids=[subject.pk], reason="repayment_record")
    audit_record(
        action=AuditAction.HOUSEHOLD_REPAYMENT_RECORD,
        target=subject,
        target_label=f"{'农户' if household_id is not None else '经营主体'}#{subject.pk}",
        details={"source": source, "before": before, "after": after},
    )
    return True
