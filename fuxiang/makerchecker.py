"""The maker-checker rule (双人复核), one for everything that needs two people.

Nobody who created, edited or submitted a version may review it: approve it, or send it back.
Scorecards (``rating/scorecards.py``), credit policies (``credit/policies.py``) and manual
overrides (``credit/overrides.py``) all ask this module.

Pure: no database, no Django. The caller says who touched the version — from its own columns
(drafter, submitter, proposer) and from its audit trail, since an edit leaves no column of its
own but each edit's audit event names who made it — and who would review it. A refusal is a
``MakerCheckerRefused`` (a ``DomainError`` with code ``maker_checker``) saying what the
reviewer did to the version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from fuxiang.errors import DomainError


class Touch(StrEnum):
    """What a maker did to a version (the Chinese verb names it in the refusal)."""

    CREATED = "起草"
    EDITED = "修改"
    SUBMITTED = "提交"
    PROPOSED = "提议"


Touched = Mapping[Touch, Iterable[int | None]]


class MakerCheckerRefused(DomainError):
    """The reviewer is one of the version's makers."""

    def __init__(self, what: str, touches: Iterable[Touch]) -> None:
        self.touches = tuple(touches)
        verbs = "、".join(str(t) for t in self.touches)
        super().__init__(
            f"您{verbs}过该{what}，不能再审批或退回（双人复核）：起草、修改、提交或提议过的人"
            "都不能审批，须由另一位人员审批",
            code="maker_checker",
        )


def makers(touched: Touched) -> set[int]:
    """Everyone who touched the version (ids; the system's ``None`` is nobody)."""
    return {user for users in touched.values() for user in users if user is not None}


def checker_require(*, checker_id: int | None, touched: Touched, what: str) -> None:
    """Refuse (``MakerCheckerRefused``) unless ``checker_id`` touched the version in none of
    the ways listed in ``touched``; ``what`` names the version in the message (评分卡,
    授信政策, 人工调整)."""
    if checker_id is None:
        raise DomainError(f"须由一位登录的人员审批该{what}", code="maker_checker")
    hits = [touch for touch, users in touched.items() if checker_id in set(users)]
    if hits:
        raise MakerCheckerRefused(what, hits)
