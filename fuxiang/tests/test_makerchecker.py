"""The one maker-checker rule, without a database."""

from __future__ import annotations

import pytest

from fuxiang.errors import DomainError
from fuxiang.makerchecker import MakerCheckerRefused, Touch, checker_require, makers

TOUCHED = {Touch.CREATED: {1}, Touch.EDITED: {1, 2}, Touch.SUBMITTED: {3, None}}


@pytest.mark.parametrize(("checker", "verbs"), [(1, "起草、修改"), (2, "修改"), (3, "提交")])
def test_whoever_created_edited_or_submitted_a_version_may_not_review_it(checker, verbs):
    with pytest.raises(MakerCheckerRefused) as refused:
        checker_require(checker_id=checker, touched=TOUCHED, what="评分卡")
    assert refused.value.code == "maker_checker"
    assert refused.value.message.startswith(f"您{verbs}过该评分卡，不能再审批或退回（双人复核）")
    assert isinstance(refused.value, DomainError)


def test_someone_who_never_touched_it_may_review_it():
    checker_require(checker_id=4, touched=TOUCHED, what="评分卡")
    assert makers(TOUCHED) == {1, 2, 3}


def test_a_proposer_may_not_review_their_proposal_and_the_system_is_nobody():
    with pytest.raises(MakerCheckerRefused, match="您提议过该人工调整"):
        checker_require(checker_id=7, touched={Touch.PROPOSED: {7}}, what="人工调整")
    with pytest.raises(DomainError, match="须由一位登录的人员审批"):
        checker_require(checker_id=None, touched={Touch.PROPOSED: {None}}, what="人工调整")
