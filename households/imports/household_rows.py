"""Importing households with their members, one row per person, grouped by the head's ID.

A household and its rows are all-or-nothing: any error in any of its rows rejects the whole
household. Valid households are written in chunks of set-based statements (a few queries per
chunk, not per row), each chunk in one transaction, so a crash leaves no half-imported
household and a rerun picks up where the file says. Re-importing the same file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fuxiang import crypto
from fuxiang.accounts.models import User
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.masking import mask_name, mask_phone, mask_resident_id
from households import services
from households.identity import (
    IdentityError,
    is_foreign_resident_id,
    normalise_person_name,
    normalise_resident_id,
    parse_resident_id,
    validate_mobile,
)
from households.imports.columns import HOUSEHOLD_COLUMNS, HOUSEHOLD_KEY
from households.imports.common import (
    ImportResult,
    ParsedRow,
    Progress,
    VillageResolver,
    parse_row,
)
from households.imports.copying import copy_insert, copy_values
from households.models import (
    Household,
    ImportKind,
    Member,
    Relation,
    Village,
    VillageGroup,
)
from households.services import HOUSEHOLD_FIELDS, MEMBER_FIELDS, DuplicateRefusal
from households.signals import archives_changed_on_commit
from households.spreadsheets import Row

HOUSEHOLD_IMPORT_FIELDS = tuple(f for f in HOUSEHOLD_FIELDS if f != "village_group")
CHUNK_HOUSEHOLDS = 500
LOOKUP_CHUNK = 5000


@dataclass
class PersonRow:
    parsed: ParsedRow
    id_number: str = ""
    index: str = ""
    birth_date: date | None = None
    sex: str = ""
    phone: str = ""
    existing: Mapping[str, Any] | None = None  # the archived member with this ID, if any
    refused_as_archived: bool = False  # refused because ``existing`` is another household's


@dataclass
class HouseholdGroup:
    key: str
    rows: list[PersonRow] = field(default_factory=list)
    head: PersonRow | None = None
    village: Village | None = None
    target_id: int | None = None  # existing household to update

    @property
    def failed(self) -> bool:
        return any(p.parsed.errors for p in self.rows)

    def reject_all(self, reason: str) -> None:
        for person in self.rows:
            if not person.parsed.errors:
                person.parsed.fail("", reason)


def _parse_person(row: Row, as_of: date) -> PersonRow:
    person = PersonRow(parsed=parse_row(row, HOUSEHOLD_COLUMNS))
    values = person.parsed.values
    if values.get("id_number"):
        try:
            resident = parse_resident_id(values["id_number"], as_of=as_of)
        except IdentityError as exc:
            person.parsed.fail("身份证号码", f"身份证号码{exc}")
        else:
            person.id_number = resident.number
            person.index = services.resident_id_index(resident.number)
            person.birth_date, person.sex = resident.birth_date, resident.sex
    if values.get("name"):
        try:
            # (a parsed ID is normalised already: no need to normalise it again)
            foreign = (
                person.id_number.startswith("9")
                if person.id_number
                else is_foreign_resident_id(values.get("id_number", ""))
            )
            values["name"] = normalise_person_name(values["name"], foreign=foreign)
        except IdentityError as exc:
            person.parsed.fail("姓名", f"姓名{exc}")
    if values.get("phone"):
        try:
            person.phone = validate_mobile(values["phone"])
        except IdentityError as exc:
            person.parsed.fail("手机号码", f"手机号码{exc}")
    if values.get("household_key"):
        values["household_key"] = normalise_resident_id(values["household_key"])
    return person


def _group(people: Iterable[PersonRow], resolver: VillageResolver) -> list[HouseholdGroup]:
    groups: dict[str, HouseholdGroup] = {}
    first_row_of_id: dict[str, int] = {}
    for person in people:
        key = person.parsed.values.get("household_key") or f"#row{person.parsed.number}"
        group = groups.setdefault(key, HouseholdGroup(key=key))
        group.rows.append(person)
        if person.id_number:
            first = first_row_of_id.setdefault(person.id_number, person.parsed.number)
            if first != person.parsed.number:
                person.parsed.fail("身份证号码", f"与第{first}行的身份证号码重复")
    for group in groups.values():
        heads = [p for p in group.rows if p.parsed.values.get("relation") == Relation.HEAD]
        if len(heads) != 1:
            problem = "没有户主行" if not heads else "有多个户主行"
            rows = "、".join(str(p.parsed.number) for p in group.rows[:10])
            group.reject_all(f"第{rows}行同属一户，但这户{problem}（与户主关系填“户主”）")
            continue
        group.head = heads[0]
        if group.head.id_number and group.head.id_number != group.key:
            group.head.parsed.fail(HOUSEHOLD_KEY, "户主行的户主身份证号码应与本人身份证号码一致")
        group.village = resolver.resolve(group.head.parsed)
    return list(groups.values())


def _lookup_existing(groups: Sequence[HouseholdGroup]) -> None:
    """Attach the archived member to every row with their ID (a file may repeat an ID: each
    of those rows must know the person is archived, not only the last one)."""
    people: dict[str, list[PersonRow]] = {}
    for group in groups:
        for person in group.rows:
            if person.index:
                people.setdefault(person.index, []).append(person)
    indexes = list(people)
    for start in range(0, len(indexes), LOOKUP_CHUNK):
        for member in _archived_members(indexes[start : start + LOOKUP_CHUNK]):
            for person in people[member["id_number_index"]]:
                person.existing = member


# a member's place, and the values the unchanged check compares (``_unchanged``: read here
# once, not again for each chunk)
_ARCHIVED_COLUMNS = (
    "id",
    "id_number_index",
    "household_id",
    "village_id",
    *MEMBER_FIELDS,
    "phone_index",
)


def _archived_members(indexes: Sequence[str]) -> Iterable[dict[str, Any]]:
    """The archived members with these ID blind indexes (a member's village is its
    household's: the database keeps them equal). On PostgreSQL the indexes go as one array
    (``= ANY(%s)``): as an ``IN`` list, 5,000 placeholders per statement to write, parse and
    plan cost ~0.15 s of a chunk (a re-import's six lookups 1.0 s, against 0.2 s)."""
    if connection.vendor != "postgresql":
        return Member.objects.filter(id_number_index__in=indexes).values(*_ARCHIVED_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_ARCHIVED_COLUMNS)} FROM {Member._meta.db_table} "  # noqa: S608
            "WHERE id_number_index = ANY(%s)",
            [list(indexes)],
        )
        return [dict(zip(_ARCHIVED_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def _match_targets(groups: Sequence[HouseholdGroup], editable: set[int]) -> None:
    for group in groups:
        if group.failed or group.head is None:
            continue
        existing_head = group.head.existing
        if existing_head is not None:
            if existing_head["relation"] != Relation.HEAD:
                group.head.parsed.fail("身份证号码", "此人已作为其他户的成员建档，不能再作为户主")
                group.head.refused_as_archived = True
                continue
            if existing_head["village_id"] not in editable:
                group.head.parsed.fail("身份证号码", "该户已在其他网格建档，请联系该网格的客户经理")
                group.head.refused_as_archived = True
                continue
            group.target_id = existing_head["household_id"]
        for person in group.rows:
            other = person.existing
            if other is not None and other["household_id"] != group.target_id:
                person.parsed.fail("身份证号码", "此身份证号码已在另一户的档案中建档")
                person.refused_as_archived = True


def _refusals(
    groups: Sequence[HouseholdGroup], *, editable: set[int], where: dict[str, Any]
) -> list[DuplicateRefusal]:
    """The IDs refused because another household holds them (the refusal tells the importer
    so: each is audited)."""
    return [
        DuplicateRefusal(
            masked_id=mask_resident_id(person.id_number),
            target_type="households.household",
            target_id=person.existing["household_id"],
            outside_scope=person.existing["village_id"] not in editable,
            where={**where, "row": person.parsed.number},
        )
        for group in groups
        for person in group.rows
        if person.refused_as_archived and person.existing is not None
    ]


def plan_households(
    rows: Iterable[Row], *, resolver: VillageResolver, editable: set[int], as_of: date
) -> list[HouseholdGroup]:
    """Parse, group and check every row against the file and the archives (no writes)."""
    groups = _group((_parse_person(row, as_of) for row in rows), resolver)
    _lookup_existing(groups)
    _match_targets(groups, editable)
    for group in groups:
        if group.failed:
            group.reject_all("同一户的其他行有错误，整户未导入")
    return groups


# --- writing ----------------------------------------------------------------------------------


def _household_values(group: HouseholdGroup) -> dict[str, Any]:
    assert group.head is not None  # noqa: S101  (planned groups always have a head)
    values = group.head.parsed.values
    return {f: values[f] for f in HOUSEHOLD_IMPORT_FIELDS if f in values}


def _member_values(person: PersonRow) -> dict[str, Any]:
    values = person.parsed.values
    return {f: values[f] for f in MEMBER_FIELDS if f in values}


def _new_member(person: PersonRow, household: Household) -> dict[str, Any]:
    """A new member's row for the COPY (``copying.copy_values``: no model instance), with its
    household's village (``Member.village``)."""
    member = {
        "household_id": household.pk,
        "village_id": household.village_id,
        "id_number_encrypted": crypto.encrypt(person.id_number, column=services.ID_COLUMN),
        "id_number_index": person.index,
        "id_number_masked": mask_resident_id(person.id_number),
        "birth_date": person.birth_date,  # a valid resident ID gives it
        "sex": person.sex,
        **_member_values(person),
    }
    if person.phone:  # a blank cell: no phone
        member["phone_encrypted"] = crypto.encrypt(person.phone, column=services.PHONE_COLUMN)
        member["phone_index"] = services.phone_index(person.phone)
        member["phone_masked"] = mask_phone(person.phone)
    return member


def _set_phone(member: Member, phone: str) -> bool:
    """Set a phone given in the file; a blank cell keeps the archived one. True if changed."""
    if not phone:
        return False
    index = services.phone_index(phone)
    if index == member.phone_index:
        return False
    member.phone_encrypted = crypto.encrypt(phone, column=services.PHONE_COLUMN)
    member.phone_index = index
    member.phone_masked = mask_phone(phone)
    return True


class _GroupCache:
    """The village groups (村民小组) a chunk names, read — and the missing ones created — in
    one or two statements per chunk, not one ``get_or_create`` per household."""

    def __init__(self, known: Mapping[tuple[int, str], VillageGroup] | None = None) -> None:
        self.groups: dict[tuple[int, str], VillageGroup] = dict(known or {})

    def load(self, groups: Sequence[HouseholdGroup], *, create: bool = True) -> None:
        """Read the groups the households name; unless ``create`` is false, create the
        missing ones."""
        wanted = {
            (group.village.pk, name)
            for group in groups
            if group.village is not None
            and group.head is not None
            and (name := group.head.parsed.values.get("village_group_name", ""))
        } - self.groups.keys()
        if not wanted:
            return
        self._read(wanted)
        if not create:
            return
        missing = [key for key in wanted if key not in self.groups]
        if missing:
            # another import may create the same group meanwhile: theirs is as good as ours
            VillageGroup.objects.bulk_create(
                [VillageGroup(village_id=v, name=n) for v, n in sorted(missing)],
                ignore_conflicts=True,
            )
            self._read(set(missing))

    def _read(self, keys: set[tuple[int, str]]) -> None:
        found = VillageGroup.objects.filter(
            village_id__in={v for v, _ in keys}, name__in={n for _, n in keys}
        )
        for village_group in found:
            self.groups[(village_group.village_id, village_group.name)] = village_group

    def get(self, village: Village, name: str) -> VillageGroup | None:
        if not name:
            return None
        key = (village.pk, name)
        if key not in self.groups:
            self.groups[key], _ = VillageGroup.objects.get_or_create(village=village, name=name)
        return self.groups[key]


def _write_chunk(
    groups: Sequence[HouseholdGroup],
    *,
    actor: User | None,
    job_id: int | None,
    cache: _GroupCache,
    changed_ids: list[int],
) -> tuple[int, int, int]:
    """Write one chunk of planned households; returns (created, updated, unchanged) and adds
    the ids of the households created or updated to ``changed_ids``."""
    now = timezone.now()
    created: list[Household] = []
    updated: list[Household] = []
    moved: list[int] = []  # households moved to another village: their visits follow
    events: list[dict[str, Any]] = []
    new_members: list[dict[str, Any]] = []
    changed_members: list[Member] = []
    cache.load(groups)
    same = _unchanged(groups, cache)
    existing_ids = [g.target_id for g in groups if g.target_id and g.target_id not in same]
    households = Household.objects.select_for_update().in_bulk(existing_ids)
    members: dict[str, Member] = {
        m.id_number_index: m for m in Member.objects.filter(household_id__in=existing_ids)
    }
    unchanged = len(same)
    for group in groups:
        assert group.village is not None  # noqa: S101
        if group.target_id in same:
            continue
        values = _household_values(group)
        head = cast(PersonRow, group.head)  # groups without a head failed earlier
        village_group = cache.get(group.village, head.parsed.values.get("village_group_name", ""))
        if group.target_id is None:
            household = Household(
                village=group.village, village_group=village_group, created_by=actor, **values
            )
            if household.rating_consent:
                household.consent_recorded_at = now
            created.append(household)
            continue
        household = households[group.target_id]
        changed = [f for f, v in values.items() if getattr(household, f) != v]
        had_consent = household.rating_consent
        for name in changed:
            setattr(household, name, values[name])
        if household.village_id != group.village.pk:
            household.village = group.village
            changed.append("village")
            moved.append(household.pk)
        if village_group is not None and household.village_group_id != village_group.pk:
            household.village_group = village_group
            changed.append("village_group")
        if household.rating_consent and not had_consent:
            household.consent_recorded_at = now
        member_changes = 0
        for person in group.rows:
            member = members.get(person.index)
            if member is None:
                new_members.append(_new_member(person, household))
                member_changes += 1
                continue
            member_fields = _member_values(person)
            dirty = [f for f, v in member_fields.items() if getattr(member, f) != v]
            for name in dirty:
                setattr(member, name, member_fields[name])
            if _set_phone(member, person.phone) or dirty:
                member.updated_at = now
                changed_members.append(member)
                member_changes += 1
        if changed or member_changes:
            household.updated_at = now
            updated.append(household)
            events.append(
                _event(
                    AuditAction.HOUSEHOLD_UPDATE,
                    actor,
                    household,
                    group,
                    job_id,
                    sorted(changed) + (["members"] if member_changes else []),
                )
            )
        else:
            unchanged += 1
    copy_insert(Household, created, now=now, ids=True)  # the members need their ids
    for household, group in zip(created, (g for g in groups if g.target_id is None), strict=True):
        new_members.extend(_new_member(person, household) for person in group.rows)
        events.append(_event(AuditAction.HOUSEHOLD_CREATE, actor, household, group, job_id, []))
    if updated:
        Household.objects.bulk_update(
            updated,
            [
                *HOUSEHOLD_IMPORT_FIELDS,
                "village",
                "village_group",
                "consent_recorded_at",
                "updated_at",
            ],
        )
    if moved:
        services.members_follow_households(moved)
        services.visits_follow_subjects(household_ids=moved)
    _members_insert(new_members, now)
    if changed_members:
        Member.objects.bulk_update(
            changed_members,
            [*MEMBER_FIELDS, "phone_encrypted", "phone_index", "phone_masked", "updated_at"],
        )
    copy_values(AuditEvent, events, now=now)
    changed_ids.extend(h.pk for h in (*created, *updated))
    return len(created), len(updated), unchanged


def _unchanged(groups: Sequence[HouseholdGroup], cache: _GroupCache) -> set[int]:
    """The archived households of a chunk that the file would not change: the columns the
    file may set, of the households (read in one statement: no lock, no model instances) and
    of their members (read with the ID lookup), compared as ``_write_chunk`` compares them. A
    household is skipped only if every value the file gives equals the archived one; anything
    else — a new member, a changed phone, a village group not yet known — goes the full way
    (locked, compared again, written). Read without a lock: a household changed by someone
    else just after is as if the import had run just before that change (its members were
    read a moment earlier, with the ID lookup: the same holds)."""
    targets = {g.target_id: g for g in groups if g.target_id is not None}
    if not targets:
        return set()
    columns = (*HOUSEHOLD_IMPORT_FIELDS, "village_id", "village_group_id")
    stored = {
        row[0]: dict(zip(columns, row[1:], strict=True))
        for row in Household.objects.filter(pk__in=targets).values_list("pk", *columns)
    }
    same = set()
    for pk, group in targets.items():
        household, head = stored.get(pk), cast(PersonRow, group.head)
        if household is None or household["village_id"] != cast(Village, group.village).pk:
            continue
        if any(household[f] != v for f, v in _household_values(group).items()):
            continue
        if name := head.parsed.values.get("village_group_name", ""):
            village_group = cache.groups.get((household["village_id"], name))
            if village_group is None or household["village_group_id"] != village_group.pk:
                continue
        # (``existing``: the archived member with the person's ID, read by ``_lookup_existing``;
        # a planned group's are all of its target household)
        if all(_member_unchanged(person.existing, person) for person in group.rows):
            same.add(pk)
    return same


def _member_unchanged(stored: Mapping[str, Any] | None, person: PersonRow) -> bool:
    if stored is None:  # a new member of an archived household
        return False
    if any(stored[f] != v for f, v in _member_values(person).items()):
        return False
    return not person.phone or services.phone_index(person.phone) == stored["phone_index"]


def _members_insert(members: Sequence[dict[str, Any]], now: Any) -> None:
    """Insert new members with one ``COPY`` (``copying``; ``bulk_create`` elsewhere than on
    PostgreSQL). A member whose ID another transaction archived meanwhile raises
    ``IntegrityError`` either way (the chunk is then written household by household)."""
    copy_values(Member, members, now=now)


def _event(
    action: str,
    actor: User | None,
    household: Household,
    group: HouseholdGroup,
    job_id: int | None,
    fields: list[str],
) -> dict[str, Any]:
    """A household's audit event, as a row for the COPY (``copying.copy_values``)."""
    head_name = group.head.parsed.values.get("name", "") if group.head else ""
    details: dict[str, Any] = {"via": "import", "import_job": job_id}
    if fields:
        details["fields"] = fields
    return {
        "actor_id": cast(User, actor).pk if getattr(actor, "is_authenticated", False) else None,
        "actor_label": getattr(actor, "username", "") or "manage.py",
        "action": action,
        "target_type": "households.household",
        "target_id": str(household.pk),
        "target_label": f"{group.village.name if group.village else ''} {mask_name(head_name)}户",
        "details": details,
    }


def write_households(
    groups: Sequence[HouseholdGroup],
    result: ImportResult,
    *,
    actor: User | None,
    job_id: int | None,
    progress: Progress | None,
) -> None:
    """Write the valid households chunk by chunk; once done (or stopped by an error), announce
    every household created or updated as one ``archives_changed``."""
    valid = [g for g in groups if not g.failed]
    done_rows = result.total_rows - sum(len(g.rows) for g in valid)
    changed_ids: list[int] = []
    # the village groups the file names that exist already, read once (not once per chunk);
    # each chunk reads or creates the others in its own transaction
    known = _GroupCache()
    known.load(valid, create=False)
    try:
        for start in range(0, len(valid), CHUNK_HOUSEHOLDS):
            chunk = valid[start : start + CHUNK_HOUSEHOLDS]
            counts = _write_chunk_or_each(
                chunk,
                result,
                actor=actor,
                job_id=job_id,
                changed_ids=changed_ids,
                known_groups=known.groups,
            )
            result.created += counts[0]
            result.updated += counts[1]
            result.unchanged += counts[2]
            done_rows += sum(len(g.rows) for g in chunk)
            if progress:
                progress(done_rows, result.total_rows)
    finally:
        # the chunks written so far are committed (or, in a dry run, rolled back with this)
        archives_changed_on_commit(changed_ids, reason="import")


def _write_chunk_or_each(
    chunk: Sequence[HouseholdGroup],
    result: ImportResult,
    *,
    actor: User | None,
    job_id: int | None,
    changed_ids: list[int],
    known_groups: Mapping[tuple[int, str], VillageGroup] | None = None,
) -> tuple[int, int, int]:
    """Write a chunk in one transaction or, if it clashes, each household in its own."""
    written: list[int] = []
    try:
        with transaction.atomic():
            counts = _write_chunk(
                chunk,
                actor=actor,
                job_id=job_id,
                cache=_GroupCache(known_groups),
                changed_ids=written,
            )
    except IntegrityError:
        # Someone archived one of these people meanwhile: write one household at a time
        # so only the one that clashes is refused.
        counts, written = (0, 0, 0), []
        for group in chunk:
            one_written: list[int] = []
            try:
                # a fresh cache: village groups made in the rolled-back attempt are gone
                with transaction.atomic():
                    one = _write_chunk(
                        [group],
                        actor=actor,
                        job_id=job_id,
                        cache=_GroupCache(),
                        changed_ids=one_written,
                    )
            except IntegrityError:
                for person in group.rows:
                    person.parsed.fail(
                        "身份证号码",
                        "保存时发现本户某人的身份证号码刚被其他人建档（同时操作），请稍后重新导入本户",
                    )
                result.rejected.extend(p.parsed for p in group.rows)
                continue
            written.extend(one_written)
            counts = tuple(a + b for a, b in zip(counts, one, strict=True))  # type: ignore[assignment]
    changed_ids.extend(written)
    return counts


def import_households(
    rows: Iterable[Row],
    *,
    actor: User | None,
    resolver: VillageResolver,
    editable: set[int],
    dry_run: bool,
    job_id: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    # the rows are parsed as they come (a workbook's child is still sending the rest) and
    # counted once all are in; nothing is written before then
    groups = plan_households(rows, resolver=resolver, editable=editable, as_of=timezone.localdate())
    result = ImportResult(
        kind=ImportKind.HOUSEHOLDS,
        dry_run=dry_run,
        total_rows=sum(len(g.rows) for g in groups),
    )
    result.refusals = _refusals(
        groups, editable=editable, where={"via": "import", "import_job": job_id, "dry_run": dry_run}
    )
    result.rejected = sorted(
        (p.parsed for g in groups if g.failed for p in g.rows), key=lambda r: r.number
    )
    if progress:
        progress(len(result.rejected), result.total_rows)
    if dry_run:
        # Write everything, count exactly, then roll it all back.
        with transaction.atomic():
            write_households(groups, result, actor=actor, job_id=job_id, progress=None)
            transaction.set_rollback(True)
    else:
        write_households(groups, result, actor=actor, job_id=job_id, progress=progress)
    result.rejected.sort(key=lambda r: r.number)
    return result
