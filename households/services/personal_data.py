"""Personal data: encryption column names, protected IDs, blind indexes, reveal, key rotation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models, transaction

from fuxiang import crypto
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from fuxiang.masking import mask_name, mask_resident_id
from households.identity import IdentityError, parse_resident_id
from households.models import BusinessEntity, Member, WatchlistEntry
from households.selectors import (
    business_entities_visible_to,
    households_editable_by,
    members_visible_to,
)

ID_COLUMN = "member.id_number"
PHONE_COLUMN = "member.phone"
LEGAL_REP_ID_COLUMN = "business_entity.legal_rep_id"
WATCHLIST_ENTRY_ID_COLUMN = "watchlist_entry.id_number"


@dataclass(frozen=True)
class ProtectedId:
    """A resident ID number, checked and ready for storage: never the plaintext alone."""

    encrypted: str
    index: str
    masked: str
    birth_date: date
    sex: str


DUPLICATE_MESSAGE = "身份证号码已登记在另一位成员名下，同一身份证号只能建档一次"


@dataclass(frozen=True)
class DuplicateRefusal:
    """An ID refused because it is archived already: the masked ID, the archive that holds it
    (``target_type``/``target_id``), whether that archive is outside the actor's grids (then
    the refusal told the actor something they may not see), and where it was tried
    (``where``: the form or the import job and row)."""

    masked_id: str
    target_type: str
    target_id: int
    outside_scope: bool
    where: dict[str, Any]


class DuplicateResidentId(DomainError):
    """A person's ID is archived already, in ``household_id``."""

    def __init__(self, *, masked_id: str, household_id: int | None) -> None:
        super().__init__({"id_number": DUPLICATE_MESSAGE}, code="duplicate")
        self.masked_id = masked_id
        self.household_id = household_id

    def refusal(self, actor: User | None, **where: Any) -> DuplicateRefusal:
        editable = (
            self.household_id is not None
            and households_editable_by(actor).filter(pk=self.household_id).exists()
        )
        return DuplicateRefusal(
            masked_id=self.masked_id,
            target_type="households.household",
            target_id=self.household_id or 0,
            outside_scope=not editable,
            where=where,
        )


def duplicate_refusals_record(
    *, actor: User | None, refusals: Sequence[DuplicateRefusal], audit: AuditContext | None = None
) -> int:
    """Append one ``pii.duplicate_refused`` audit event per refusal: who, when, the masked ID,
    where it was tried, which archive holds it and whether that is outside the actor's grids.

    The refusal itself stands (it keeps every ID archived once); the events let auditors see an
    officer using it to learn which IDs are archived elsewhere. Callers write them outside the
    transaction the refusal rolls back (after it, or for a dry run after its rollback)."""
    if not refusals:
        return 0
    address = audit.ip if audit is not None else None
    agent = audit.user_agent if audit is not None else ""
    user = actor if getattr(actor, "is_authenticated", False) else None
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=user,
            actor_label=str(getattr(actor, "username", "") or "manage.py"),
            action=AuditAction.DUPLICATE_REFUSED,
            target_type=refusal.target_type,
            target_id=str(refusal.target_id or ""),
            target_label=refusal.masked_id,
            ip_address=address,
            user_agent=agent,
            details={**refusal.where, "outside_scope": refusal.outside_scope},
        )
        for refusal in refusals
    )
    return len(refusals)


RESIDENT_ID_INDEX_KIND, PHONE_INDEX_KIND = "resident_id", "phone"


def resident_id_index(id_number: str) -> str:
    """The blind index under which an ID number is stored (for lookups by ID)."""
    return crypto.blind_index(id_number.strip().upper(), kind=RESIDENT_ID_INDEX_KIND)


def phone_index(phone: str) -> str:
    return crypto.blind_index(phone, kind=PHONE_INDEX_KIND)


def protect_resident_id(
    value: str, *, field: str, label: str, column: str, as_of: date
) -> ProtectedId:
    try:
        parsed = parse_resident_id(value, as_of=as_of)
    except IdentityError as exc:
        raise DomainError({field: f"{label}{exc}"}) from exc
    return ProtectedId(
        encrypted=crypto.encrypt(parsed.number, column=column),
        index=resident_id_index(parsed.number),
        masked=mask_resident_id(parsed.number),
        birth_date=parsed.birth_date,
        sex=parsed.sex,
    )


# --- reveal -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevealedPerson:
    name: str
    id_number: str
    phone: str


def member_reveal(
    *, actor: User | None, member_id: int, audit: AuditContext | None = None
) -> RevealedPerson:
    """Decrypt one member's name, ID and phone for a permitted user, and audit that they did."""
    if not roles.can_reveal_personal_data(actor):
        raise PermissionDenied("您的角色无权查看完整个人信息")
    try:
        member = members_visible_to(actor).get(pk=member_id)
    except Member.DoesNotExist as exc:
        raise NotFound() from exc
    revealed = RevealedPerson(
        name=member.name,
        id_number=crypto.decrypt(member.id_number_encrypted, column=ID_COLUMN),
        phone=(
            crypto.decrypt(member.phone_encrypted, column=PHONE_COLUMN)
            if member.phone_encrypted
            else ""
        ),
    )
    audit_record(
        action=AuditAction.REVEAL,
        actor=actor,
        target=member,
        target_label=f"{member.masked_name} {member.id_number_masked}",
        audit=audit,
        details={"fields": ["name", "id_number", "phone"]},
    )
    return revealed


def legal_rep_reveal(
    *, actor: User | None, entity_id: int, audit: AuditContext | None = None
) -> RevealedPerson:
    if not roles.can_reveal_personal_data(actor):
        raise PermissionDenied("您的角色无权查看完整个人信息")
    try:
        entity = business_entities_visible_to(actor).get(pk=entity_id)
    except BusinessEntity.DoesNotExist as exc:
        raise NotFound() from exc
    revealed = RevealedPerson(
        name=entity.legal_rep_name,
        id_number=crypto.decrypt(entity.legal_rep_id_encrypted, column=LEGAL_REP_ID_COLUMN),
        phone="",
    )
    audit_record(
        action=AuditAction.REVEAL,
        actor=actor,
        target=entity,
        target_label=f"{entity.name} {mask_name(entity.legal_rep_name)}",
        audit=audit,
        details={"fields": ["legal_rep_name", "legal_rep_id_number"]},
    )
    return revealed


# --- key rotation -----------------------------------------------------------------------------

_ENCRYPTED_COLUMNS: tuple[tuple[type[models.Model], str, str], ...] = (
    (Member, "id_number_encrypted", ID_COLUMN),
    (Member, "phone_encrypted", PHONE_COLUMN),
    (BusinessEntity, "legal_rep_id_encrypted", LEGAL_REP_ID_COLUMN),
    (WatchlistEntry, "id_number_encrypted", WATCHLIST_ENTRY_ID_COLUMN),
)


def personal_data_rotate_batch(*, after: dict[str, int], limit: int = 2000) -> tuple[int, int]:
    """Re-encrypt up to ``limit`` stored values per column that were written with a key other
    than the active one. ``after`` holds, per column, the last primary key already visited and
    is advanced in place. Returns (rows visited, values re-encrypted); (0, 0) means done.

    Idempotent: a value already under the active key is left alone, so a crashed run can
    simply start again."""
    active = crypto.keyring().active_id
    visited = rotated = 0
    for model, field, column in _ENCRYPTED_COLUMNS:
        key = f"{model._meta.label_lower}.{field}"
        with transaction.atomic():
            rows = list(
                model._default_manager.select_for_update()
                .filter(pk__gt=after.get(key, 0))
                .order_by("pk")
                .values_list("pk", field)[:limit]
            )
            changed = []
            for pk, stored in rows:
                if stored and crypto.key_id_of(stored) != active:
                    plain = crypto.decrypt(stored, column=column)
                    changed.append(model(pk=pk, **{field: crypto.encrypt(plain, column=column)}))
            model._default_manager.bulk_update(changed, [field], batch_size=limit)
        if rows:
            after[key] = rows[-1][0]
        visited += len(rows)
        rotated += len(changed)
    return visited, rotated


def personal_data_rotate_keys(
    *, actor: User | None = None, progress: Any = None, limit: int = 2000
) -> int:
    """Re-encrypt every stored ID and phone number with the active key; returns how many
    values changed. ``progress(visited_so_far)`` is called after each batch."""
    after: dict[str, int] = {}
    total_visited = total_rotated = 0
    while True:
        visited, rotated = personal_data_rotate_batch(after=after, limit=limit)
        if not visited:
            break
        total_visited += visited
        total_rotated += rotated
        if progress:
            progress(total_visited)
    audit_record(
        action=AuditAction.KEY_ROTATION,
        actor=actor,
        details={"active_key": crypto.keyring().active_id, "re_encrypted": total_rotated},
    )
    return total_rotated
