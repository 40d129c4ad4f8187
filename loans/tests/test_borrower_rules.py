"""Who may borrow for a household, and what signing checks again.

- Only the head, or the head's spouse aged 18 or more, verified in person (their own SMS code
  and ID), may apply and sign; anyone else is refused with a plain Chinese reason, at applying
  and at signing, and nothing is stored.
- Signing re-checks everything the decision checked: the product still open, the line still
  the one approved, usable and with the amount available, the borrower still eligible and on
  the whitelist. A change between the two refuses, saying what changed.
- The loan purpose is one line of at most 100 characters.
"""

from __future__ import annotations

from datetime import date

import pytest

from credit import holds as credit_services
from credit.selectors import household_current_line
from fuxiang.errors import DomainError
from households.models import Member, Relation
from households.tests.factories import MemberFactory, next_resident_id
from loans.models import LoanApplication, LoanContract, LoanProductVersion, WhitelistEntry
from loans.tests.conftest import head_id, verified
from loans.tests.test_services import apply, sign

pytestmark = pytest.mark.django_db


def member(household, relation, born):
    return MemberFactory(
        household=household, relation=relation, id_number=next_resident_id(born), name="王小明"
    )


def test_the_heads_adult_spouse_may_apply_and_sign_and_the_contract_names_them(borrower, e_loan):
    spouse = member(borrower, Relation.SPOUSE, date(1985, 3, 1))
    application = apply(borrower, e_loan, verification=verified(member_id=spouse.pk))
    assert (application.status, application.applicant_member_id) == ("approved", spouse.pk)
    contract = sign(application, verification=verified(member_id=spouse.pk))
    assert contract.borrower_id_masked == spouse.id_number_masked
    assert spouse.id_number_masked in contract.rendered_text


@pytest.mark.parametrize(
    ("relation", "born", "code", "message"),
    [
        (Relation.CHILD, date(1998, 5, 1), "not_head_or_spouse", "只有户主或户主的配偶"),
        (Relation.PARENT, date(1950, 5, 1), "not_head_or_spouse", "其他家庭成员不能办理"),
        (Relation.SPOUSE, date(2010, 5, 1), "minor", "借款人须年满18周岁"),
        (Relation.CHILD, date(2012, 5, 1), "not_head_or_spouse", "只有户主或户主的配偶"),
    ],
)
def test_another_member_or_a_minor_is_refused_at_apply(
    borrower, e_loan, relation, born, code, message
):
    other = member(borrower, relation, born)
    with pytest.raises(DomainError, match=message) as refused:
        apply(borrower, e_loan, verification=verified(member_id=other.pk))
    assert refused.value.code == code
    assert not LoanApplication.objects.exists()


def test_the_villager_channel_must_name_who_verified(borrower, e_loan, make_borrower):
    with pytest.raises(DomainError, match="请本人先完成身份验证") as refused:
        apply(borrower, e_loan, verification=verified())
    assert refused.value.code == "not_verified"
    stranger = head_id(make_borrower())  # another household's head
    with pytest.raises(DomainError) as refused:
        apply(borrower, e_loan, verification=verified(member_id=stranger))
    assert refused.value.code == "not_verified"
    assert not LoanApplication.objects.exists()


def test_at_signing_only_the_applicant_still_head_or_spouse_signs(borrower, e_loan):
    spouse = member(borrower, Relation.SPOUSE, date(1985, 3, 1))
    application = apply(borrower, e_loan, verification=verified(member_id=spouse.pk))
    with pytest.raises(DomainError, match="须由申请人本人签约") as refused:
        sign(application, verification=verified(member_id=head_id(borrower)))
    assert refused.value.code == "not_applicant"
    with pytest.raises(DomainError) as refused:
        sign(application, verification=verified())  # the villager channel names the person
    assert refused.value.code == "not_verified"
    Member.objects.filter(pk=spouse.pk).update(relation=Relation.OTHER)  # no longer a spouse
    with pytest.raises(DomainError, match="只有户主或户主的配偶") as refused:
        sign(application, verification=verified(member_id=spouse.pk))
    assert refused.value.code == "not_head_or_spouse"
    assert not LoanContract.objects.exists()


# --- M1: signing checks again ------------------------------------------------------------------


def refused_at_signing(application, code, match):
    with pytest.raises(DomainError, match=match) as refused:
        sign(application)
    assert refused.value.code == code
    assert not LoanContract.objects.exists()
    application.refresh_from_db()
    assert application.status == "approved"


def test_a_product_suspended_after_approval_refuses_signing(borrower, e_loan):
    application = apply(borrower, e_loan)
    LoanProductVersion.objects.filter(product=e_loan, status="approved").update(status="retired")
    refused_at_signing(application, "product_unavailable", "福祥e贷暂停办理")


def test_a_line_frozen_after_approval_refuses_signing(borrower, e_loan, org):
    application = apply(borrower, e_loan)
    line = household_current_line(borrower.pk)
    credit_services.line_set_status(actor=org.manager, line=line, status="suspended", reason="核查")
    refused_at_signing(application, "line_suspended", "授信额度已冻结")


def test_a_borrower_off_the_whitelist_after_approval_cannot_sign(borrower, e_loan):
    application = apply(borrower, e_loan)
    WhitelistEntry.objects.filter(household=borrower, product=e_loan).update(valid_to=99)
    refused_at_signing(application, "not_on_whitelist", "已不在福祥e贷的白名单内")


def test_a_rerating_that_changes_grade_or_rate_refuses_signing(borrower, e_loan, rate_household):
    application = apply(borrower, e_loan)
    before = household_current_line(borrower.pk)
    borrower.committee_assessment = "poor"
    borrower.deposits = 0
    borrower.avg_daily_deposit_here = 0
    borrower.save()
    rate_household(borrower)
    after = household_current_line(borrower.pk)
    assert after.pk != before.pk
    assert (after.grade, after.rate_bp) != (before.grade, before.rate_bp)
    refused_at_signing(application, "line_changed", "授信已重新核定")


def test_a_rerating_with_the_same_terms_still_signs(borrower, e_loan, rate_household):
    application = apply(borrower, e_loan)
    rate_household(borrower)
    assert sign(application).amount == application.amount


def test_less_available_than_approved_refuses_signing(borrower, e_loan, products):
    first = apply(borrower, e_loan, amount=300000)
    second = apply(borrower, products["huinong_quick_loan"], amount=300000, method="revolving")
    sign(first)
    with pytest.raises(DomainError, match="超过可用授信额度200,000元") as refused:
        sign(second)
    assert refused.value.code == "above_available"


# --- M7: the purpose is one line ---------------------------------------------------------------


def test_the_purpose_is_one_line_of_at_most_100_characters(borrower, e_loan):
    application = apply(borrower, e_loan, purpose="购买化肥\r\n和种子\t（春耕）\x07")
    assert application.purpose == "购买化肥 和种子 （春耕）"
    with pytest.raises(DomainError) as refused:
        apply(borrower, e_loan, purpose="买" * 101, term=24)
    assert refused.value.errors == {"purpose": ["贷款用途最多100个字，请简要填写（现在101个字）"]}
