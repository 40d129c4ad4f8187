"""Every write to the archives. Each service checks the actor's scope, validates with the rules
of docs/design.md §4.3, saves all or nothing, and appends an audit event.

Services take already-parsed values (forms, serializers and imports do the parsing) and raise
``DomainError`` with Chinese messages keyed by field name. Those that change a household's
archive or members announce it, once committed, with ``households.signals.archives_changed``
(rating re-rates the household).

The services live in the modules of this package (``archives``, ``entities``, ``visits``,
``personal_data``, ``repayments``); every public name is re-exported here, so callers write
``from households import services`` and ``services.household_create(...)``.
"""

from __future__ import annotations

from households.services.archives import (
    HOUSEHOLD_FIELDS,
    MEMBER_FIELDS,
    household_create,
    household_update,
    member_create,
    member_update,
    members_follow_households,
)
from households.services.entities import (
    ENTITY_FIELDS,
    business_entity_create,
    business_entity_update,
)
from households.services.personal_data import (
    DUPLICATE_MESSAGE,
    ID_COLUMN,
    LEGAL_REP_ID_COLUMN,
    PHONE_COLUMN,
    PHONE_INDEX_KIND,
    RESIDENT_ID_INDEX_KIND,
    WATCHLIST_ENTRY_ID_COLUMN,
    DuplicateRefusal,
    DuplicateResidentId,
    ProtectedId,
    RevealedPerson,
    duplicate_refusals_record,
    legal_rep_reveal,
    member_reveal,
    personal_data_rotate_batch,
    personal_data_rotate_keys,
    phone_index,
    protect_resident_id,
    resident_id_index,
)
from households.services.repayments import REPAYMENT_FIELDS, household_repayment_record_update
from households.services.visits import VISIT_FIELDS, visit_create, visits_follow_subjects

__all__ = [
    "DUPLICATE_MESSAGE",
    "ENTITY_FIELDS",
    "HOUSEHOLD_FIELDS",
    "ID_COLUMN",
    "LEGAL_REP_ID_COLUMN",
    "MEMBER_FIELDS",
    "PHONE_COLUMN",
    "PHONE_INDEX_KIND",
    "REPAYMENT_FIELDS",
    "RESIDENT_ID_INDEX_KIND",
    "VISIT_FIELDS",
    "WATCHLIST_ENTRY_ID_COLUMN",
    "DuplicateRefusal",
    "DuplicateResidentId",
    "ProtectedId",
    "RevealedPerson",
    "business_entity_create",
    "business_entity_update",
    "duplicate_refusals_record",
    "household_create",
    "household_repayment_record_update",
    "household_update",
    "legal_rep_reveal",
    "member_create",
    "member_reveal",
    "member_update",
    "members_follow_households",
    "personal_data_rotate_batch",
    "personal_data_rotate_keys",
    "phone_index",
    "protect_resident_id",
    "resident_id_index",
    "visit_create",
    "visits_follow_subjects",
]
