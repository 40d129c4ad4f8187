"""Geography, the bank's organisation, and the archives (docs/design.md §4.1, §4.2).

Django loads the app's models from here; they live in the modules of this package and every
name is re-exported so that ``from households.models import Household`` keeps working."""

from __future__ import annotations

from households.models.archives import (
    ENTITY_KIND_CATEGORY,
    BusinessEntity,
    CommitteeAssessment,
    Education,
    EntityCategory,
    EntityKind,
    Health,
    Household,
    HouseholdStatus,
    HouseOwnership,
    LabourAbility,
    Member,
    Relation,
    Sex,
    Visit,
    VisitOutcome,
)
from households.models.fields import ZERO, count, money
from households.models.geography import Branch, County, Grid, Township, Village, VillageGroup
from households.models.history import (
    ARCHIVE_HISTORY,
    BusinessEntityHistory,
    HouseholdHistory,
    MemberHistory,
    WatchlistEntityMatchHistory,
    WatchlistMatchHistory,
)
from households.models.imports import ExportJob, ImportJob, ImportKind, ImportStatus
from households.models.watchlists import (
    WatchlistEntityMatch,
    WatchlistEntry,
    WatchlistKind,
    WatchlistMatch,
    WatchlistUpload,
)

__all__ = [
    "ARCHIVE_HISTORY",
    "ENTITY_KIND_CATEGORY",
    "ZERO",
    "Branch",
    "BusinessEntity",
    "BusinessEntityHistory",
    "CommitteeAssessment",
    "County",
    "Education",
    "EntityCategory",
    "EntityKind",
    "ExportJob",
    "Grid",
    "Health",
    "HouseOwnership",
    "Household",
    "HouseholdHistory",
    "HouseholdStatus",
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "LabourAbility",
    "Member",
    "MemberHistory",
    "Relation",
    "Sex",
    "Township",
    "Village",
    "VillageGroup",
    "Visit",
    "VisitOutcome",
    "WatchlistEntityMatch",
    "WatchlistEntityMatchHistory",
    "WatchlistEntry",
    "WatchlistKind",
    "WatchlistMatch",
    "WatchlistMatchHistory",
    "WatchlistUpload",
    "count",
    "money",
]
