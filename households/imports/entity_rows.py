"""Importing small businesses and agricultural entities, one row each, through the same
services the back office uses (entities are few: dozens per village). Each row is its own
transaction; upsert by USCC, or for a large grower without one by (operator's ID, kind)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from fuxiang.accounts.models import User
from fuxiang.errors import DomainError
from fuxiang.masking import mask_resident_id
from households import services
from households.identity import (
    IdentityError,
    is_foreign_resident_id,
    normalise_person_name,
    normalise_resident_id,
    normalise_uscc,
    parse_resident_id,
    validate_uscc,
)
from households.imports.columns import COLUMNS
from households.imports.common import ImportResult, ParsedRow, Progress, VillageResolver, parse_row
from households.models import BusinessEntity, Household, Member, Relation
from households.services import ENTITY_FIELDS, DuplicateRefusal
from households.signals import archives_changed_on_commit
from households.spreadsheets import Row

_HEADER_OF = {
    "uscc": "统一社会信用代码",
    "legal_rep_id_number": "法定代表人身份证号码",
    "village": "村/社区",
    "current_liabilities": "流动负债（元）",
    "owner_households": "所属农户户主身份证号码",
    "kind": "主体类型",
    "annual_costs": "年经营成本费用（元）",
}


def _owners(row: ParsedRow, scope: Any) -> list[Household] | None:
    raw = row.values.get("owner_head_ids", "")
    ids = [normalise_resident_id(p) for p in raw.replace("，", ",").split(",") if p.strip()]
    if not ids:
        return []
    indexes = {services.resident_id_index(i): i for i in ids}
    heads = Member.objects.filter(
        id_number_index__in=indexes, relation=Relation.HEAD, household__in=scope
    ).values_list("id_number_index", "household_id")
    found = dict(heads)
    missing = [str(n) for n, i in enumerate(indexes, start=1) if i not in found]
    if missing:
        row.fail(
            _HEADER_OF["owner_households"],
            f"所填的第{'、'.join(missing)}个号码不是您负责网格内已建档的户主",
        )
        return None
    return list(Household.objects.filter(pk__in=found.values()))


def _existing(values: dict[str, Any]) -> BusinessEntity | None:
    if values.get("uscc"):
        return BusinessEntity.objects.filter(uscc=normalise_uscc(values["uscc"])).first()
    try:
        number = parse_resident_id(
            values.get("legal_rep_id_number", ""), as_of=timezone.localdate()
        )
    except IdentityError:
        return None
    return BusinessEntity.objects.filter(
        uscc__isnull=True,
        kind=values.get("kind"),
        legal_rep_id_index=services.resident_id_index(number.number),
    ).first()


def import_entities(
    rows: Iterable[Row],
    *,
    kind: str,
    actor: User | None,
    resolver: VillageResolver,
    households_scope: Any,
    dry_run: bool,
    job_id: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    rows = list(rows)
    result = ImportResult(kind=kind, dry_run=dry_run, total_rows=len(rows))
    seen: dict[str, int] = {}
    changed: list[int] = []

    def run() -> None:
        for done, row in enumerate(rows, start=1):
            parsed = parse_row(row, COLUMNS[kind])
            _import_one(parsed, result, actor, resolver, households_scope, seen, job_id, changed)
            if progress and not dry_run and done % 50 == 0:
                progress(done, result.total_rows)

    if dry_run:  # everything written, counted exactly, then rolled back
        with transaction.atomic():
            run()
            transaction.set_rollback(True)
    else:  # each row is its own transaction (inside the service), so progress shows
        try:
            run()
        finally:  # the entities created or updated, re-rated together (even after a stop)
            if changed:
                archives_changed_on_commit((), entity_ids=changed, reason="import")
    if progress:
        progress(result.total_rows, result.total_rows)
    return result


def _import_one(
    parsed: ParsedRow,
    result: ImportResult,
    actor: User | None,
    resolver: VillageResolver,
    households_scope: Any,
    seen: dict[str, int],
    job_id: int | None,
    changed: list[int],
) -> None:
    values = parsed.values
    headers = {**{c.field: c.header for c in COLUMNS[result.kind]}, **_HEADER_OF}
    village = resolver.resolve(parsed) if values.get("kind") else None
    key = normalise_uscc(values.get("uscc", "")) or (
        f"{values.get('kind', '')}:{values.get('legal_rep_id_number', '')}"
    )
    if key.strip(":") and key in seen:
        parsed.fail(_HEADER_OF["uscc"], f"与第{seen[key]}行是同一个主体")
    elif key.strip(":"):
        seen[key] = parsed.number
    owners = _owners(parsed, households_scope)
    if parsed.errors or village is None or owners is None:
        _check_identities(parsed, headers)  # every error of the row, not only the first
        result.rejected.append(parsed)
        return
    fields = {f: values[f] for f in ENTITY_FIELDS if f in values and f != "village"}
    fields["village"] = village
    fields["legal_rep_id_number"] = values["legal_rep_id_number"]
    existing = _existing(values)
    if existing is not None and existing.village_id not in resolver.editable:
        parsed.fail(_HEADER_OF["uscc"], "该主体已在其他网格建档，请联系该网格的客户经理")
        result.rejected.append(parsed)
        key = values.get("uscc") or values.get("legal_rep_id_number", "")
        result.refusals.append(
            DuplicateRefusal(
                masked_id=mask_resident_id(normalise_uscc(key) if values.get("uscc") else key),
                target_type="households.businessentity",
                target_id=existing.pk,
                outside_scope=True,
                where={
                    "via": "import", "import_job": job_id, "dry_run": result.dry_run,
                    "row": parsed.number, "key": "uscc" if values.get("uscc") else "legal_rep_id",
                },
            )
        )  # fmt: skip
        return
    try:
        with transaction.atomic():
            if existing is None:
                entity = services.business_entity_create(
                    actor=actor, fields=fields, owner_households=owners, announce=False
                )
                result.created += 1
                changed.append(entity.pk)
            else:
                before = existing.updated_at
                entity = services.business_entity_update(
                    actor=actor,
                    entity=existing,
                    fields=fields,
                    owner_households=owners or None,
                    announce=False,
                )
                if entity.updated_at != before:
                    result.updated += 1
                    changed.append(entity.pk)
                else:
                    result.unchanged += 1
    except DomainError as error:
        for field, messages in error.errors.items():
            for message in messages:
                parsed.fail(headers.get(field, ""), message)
        result.rejected.append(parsed)


def _check_identities(parsed: ParsedRow, headers: dict[str, str]) -> None:
    """A row refused before it reaches the service still hears what the service would have
    said of its code, ID and name."""
    values = parsed.values
    failed = {error.column for error in parsed.errors}
    foreign = False
    if values.get("uscc") and headers["uscc"] not in failed:
        try:
            validate_uscc(values["uscc"])
        except IdentityError as exc:
            parsed.fail(headers["uscc"], f"统一社会信用代码{exc}")
    if values.get("legal_rep_id_number") and headers["legal_rep_id_number"] not in failed:
        try:
            parse_resident_id(values["legal_rep_id_number"], as_of=timezone.localdate())
        except IdentityError as exc:
            parsed.fail(headers["legal_rep_id_number"], f"法定代表人身份证号码{exc}")
        foreign = is_foreign_resident_id(values["legal_rep_id_number"])
    if values.get("legal_rep_name") and headers["legal_rep_name"] not in failed:
        try:
            normalise_person_name(values["legal_rep_name"], foreign=foreign)
        except IdentityError as exc:
            parsed.fail(headers["legal_rep_name"], f"法定代表人/经营者姓名{exc}")
