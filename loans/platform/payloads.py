"""The rows a platform receives: a whitelist entry with who it is (the blind index, masked
name and ID; the plaintext resident ID only when asked for, for the signed payloads) and the
line's figures. Read in chunks (``iterator``) so a county snapshot never sits in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from fuxiang import crypto
from fuxiang.masking import mask_name
from households.models import BusinessEntity, Member, Village
from households.services.personal_data import ID_COLUMN, LEGAL_REP_ID_COLUMN
from loans.models import WhitelistEntry, WhitelistVersion
from loans.whitelist_selectors import whitelist_delta, whitelist_snapshot

CHUNK = 2000

# The columns of a row, in file order (files never carry the plaintext ID).
COLUMNS = (
    "change",
    "subject_type",
    "subject_ref",
    "name_masked",
    "id_masked",
    "uscc",
    "village_code",
    "village_name",
    "grade",
    "amount",
    "rate_bp",
    "line_valid_to",
)


def latest_version(product_id: int) -> WhitelistVersion | None:
    return WhitelistVersion.objects.filter(product_id=product_id).order_by("-number").first()


def _annotated(entries: QuerySet[WhitelistEntry], include_ids: bool) -> QuerySet[Any]:
    head = Member.objects.filter(household_id=OuterRef("household_id"), relation="head")
    entity = BusinessEntity.objects.filter(pk=OuterRef("business_entity_id"))
    annotations: dict[str, Any] = {
        "head_index": Subquery(head.values("id_number_index")[:1]),
        "head_name": Subquery(head.values("name")[:1]),
        "head_masked": Subquery(head.values("id_number_masked")[:1]),
        "entity_index": Subquery(entity.values("legal_rep_id_index")[:1]),
        "entity_name": Subquery(entity.values("name")[:1]),
        "entity_masked": Subquery(entity.values("legal_rep_id_masked")[:1]),
        "entity_uscc": Subquery(entity.values("uscc")[:1]),
    }
    if include_ids:
        annotations["head_encrypted"] = Subquery(head.values("id_number_encrypted")[:1])
        annotations["entity_encrypted"] = Subquery(entity.values("legal_rep_id_encrypted")[:1])
    return entries.annotate(**annotations).values(
        "pk",
        "household_id",
        "business_entity_id",
        "village_id",
        "grade",
        "amount",
        "rate_bp",
        "line_valid_to",
        *annotations.keys(),
    )


class Villages:
    """Village code and name by id, read once."""

    def __init__(self) -> None:
        self._by_id: dict[int, dict[str, str]] = {
            v["pk"]: {"code": v["code"], "name": v["name"]}
            for v in Village.objects.values("pk", "code", "name")
        }

    def get(self, pk: int) -> dict[str, str]:
        return self._by_id.get(pk, {"code": "", "name": ""})


def _row(values: dict[str, Any], villages: Villages, include_ids: bool, change: str) -> dict:
    village = villages.get(values["village_id"])
    household = values["household_id"] is not None
    row: dict[str, Any] = {
        "change": change,
        "subject_type": "household" if household else "entity",
        "subject_ref": (values["head_index"] if household else values["entity_index"]) or "",
        "name_masked": mask_name(
            (values["head_name"] if household else values["entity_name"]) or ""
        ),
        "id_masked": (values["head_masked"] if household else values["entity_masked"]) or "",
        "uscc": "" if household else (values["entity_uscc"] or ""),
        "village_code": village["code"],
        "village_name": village["name"],
        "grade": values["grade"],
        "amount": f"{values['amount']:.2f}",
        "rate_bp": values["rate_bp"],
        "line_valid_to": values["line_valid_to"].isoformat(),
    }
    if include_ids:
        stored = values["head_encrypted"] if household else values["entity_encrypted"]
        column = ID_COLUMN if household else LEGAL_REP_ID_COLUMN
        row["id_number"] = crypto.decrypt(stored, column=column) if stored else ""
    return row


def snapshot_rows(
    product_id: int,
    version: int,
    *,
    include_ids: bool = False,
    after_id: int = 0,
    limit: int | None = None,
    villages: Villages | None = None,
) -> Iterator[dict[str, Any]]:
    """The rows of the snapshot at ``version`` in entry order (``after_id``: a cursor)."""
    villages = villages or Villages()
    entries = whitelist_snapshot(product_id, version).filter(pk__gt=after_id).order_by("pk")
    query = _annotated(entries, include_ids)
    if limit is not None:
        query = query[:limit]
    for values in query.iterator(chunk_size=CHUNK):
        row = _row(values, villages, include_ids, "snapshot")
        row["_id"] = values["pk"]
        yield row


def delta_rows(
    product_id: int, since: int, until: int, *, include_ids: bool = False
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rows that changed from ``since`` to ``until`` (``change``: added, changed,
    removed — a removed row carries the figures it had at ``since``) and their counts."""
    delta = whitelist_delta(product_id, since, until)
    change_of: dict[int, str] = {}
    for change, entries in (
        ("added", delta.added),
        ("changed", delta.changed),
        ("removed", delta.removed),
    ):
        for entry in entries:
            change_of[entry.pk] = change
    villages = Villages()
    rows: list[dict[str, Any]] = []
    ids = sorted(change_of)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = _annotated(WhitelistEntry.objects.filter(pk__in=chunk).order_by("pk"), include_ids)
        rows.extend(_row(v, villages, include_ids, change_of[v["pk"]]) for v in query)
    return rows, delta.counts()


def without_ids(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield {k: v for k, v in row.items() if k != "id_number" and not k.startswith("_")}


def snapshot_count(product_id: int, version: int) -> int:
    return whitelist_snapshot(product_id, version).count()
