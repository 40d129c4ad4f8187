"""The money path through the services: apply → sign → draw → repay, every refusal of the
issue's "Bad input" list (clear Chinese, nothing half-written, no money moved), and
idempotency (a retried request returns the first result)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from credit import holds as credit_holds
from credit.models import CreditLine
from credit.selectors import household_current_line
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from loans.applications import application_review, application_submit
from loans.contracts import amount_in_words, contract_sign
from loans.drawdowns import drawdown_create
from loans.models import (
    CreditExposure,
    Drawdown,
    IdempotencyRecord,
    Loan,
    LoanApplication,
    LoanContract,
    Repayment,
)
from loans.repayments import repayment_record
from loans.tests.conftest import head_id, key, money, verified

pytestmark = pytest.mark.django_db


def apply(borrower, product, amount=100000, term=12, method="revolving", **kwargs):
    return application_submit(
        subject=borrower,
        product=product,
        amount=amount,
        term_months=term,
        repayment_method=method,
        purpose=kwargs.pop("purpose", "购买化肥种子"),
        verification=kwargs.pop("verification", verified(member_id=head_id(borrower))),
        idempotency_key=kwargs.pop("idempotency_key", key()),
        **kwargs,
    )


def sign(application, **kwargs):
    return contract_sign(
        application=application,
        verification=kwargs.pop(
            "verification", verified(member_id=application.applicant_member_id)
        ),
        idempotency_key=kwargs.pop("idempotency_key", key()),
    )


def draw(contract, amount, **kwargs):
    return drawdown_create(
        contract=contract,
        amount=amount,
        verification=kwargs.pop("verification", verified()),
        idempotency_key=kwargs.pop("idempotency_key", key()),
    )


def exposure(household):
    row = CreditExposure.objects.filter(household=household).first()
    return (row.in_use, row.outstanding) if row else (Decimal(0), Decimal(0))


def nothing_moved(household, before_counts):
    assert exposure(household) == before_counts[0]
    assert (LoanContract.objects.count(), Drawdown.objects.count(), Repayment.objects.count()) == (
        before_counts[1]
    )


def snapshot(household):
    return (
        exposure(household),
        (LoanContract.objects.count(), Drawdown.objects.count(), Repayment.objects.count()),
    )


# --- the happy path ---------------------------------------------------------------------------


def test_apply_sign_draw_repay_on_a_revolving_line(borrower, e_loan):
    application = apply(borrower, e_loan, amount=200000)
    assert application.status == "approved"
    line = household_current_line(borrower.pk)
    assert (application.rate_bp, application.credit_line_id) == (line.rate_bp, line.pk)
    assert application.whitelist_version == 1
    assert application.expires_at > timezone.now()

    contract = sign(application)
    application.refresh_from_db()
    assert application.status == "signed"
    assert contract.rate_bp == line.rate_bp
    assert contract.occupied == money(200000)
    assert len(contract.text_sha256) == 64
    assert "福祥e贷" in contract.rendered_text
    assert "贰拾万元整" in contract.rendered_text
    assert contract.borrower_id_masked in contract.rendered_text
    assert "*" in contract.borrower_name_masked
    assert exposure(borrower) == (money(200000), money(0))

    drawdown = draw(contract, 80000)
    loan = drawdown.loan
    assert (loan.principal_outstanding, loan.repayment_method) == (money(80000), "revolving")
    assert exposure(borrower) == (money(200000), money(80000))
    draw(contract, 50000)
    loan.refresh_from_db()
    assert loan.principal_outstanding == money(130000)

    repayment = repayment_record(loan=loan, amount=30000, channel="staff", idempotency_key=key())
    assert (repayment.principal_part, repayment.interest_part) == (money(30000), money(0))
    assert exposure(borrower) == (money(200000), money(100000))
    contract.refresh_from_db()
    assert contract.status == "active"
    assert contract.drawn_total == money(130000)
    # repaid principal may be drawn again: 200,000 − 100,000 outstanding
    draw(contract, 100000)
    with pytest.raises(DomainError, match="超过合同可用金额0元"):
        draw(contract, 1)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.LOAN_APPLY, AuditAction.LOAN_SIGN, AuditAction.LOAN_DRAWDOWN,
            AuditAction.LOAN_REPAYMENT} <= actions  # fmt: skip


def test_an_instalment_loan_gets_its_schedule_and_releases_principal_as_repaid(borrower, e_loan):
    contract = sign(apply(borrower, e_loan, amount=120000, method="equal_instalment"))
    loan = draw(contract, 100000).loan  # 20,000 not drawn goes back to the line
    assert exposure(borrower) == (money(100000), money(100000))
    rows = list(loan.instalments.order_by("number"))
    assert len(rows) == 12
    assert sum(r.principal for r in rows) == money(100000)
    assert rows[0].due_date > loan.start_date
    with pytest.raises(DomainError, match="只能放款一次"):
        draw(contract, 1000)
    # prepay 10,000 on the drawdown's day: nothing is due and no interest has accrued (0 days),
    # so all of it is principal; the remaining instalments are re-scheduled
    repayment_record(loan=loan, amount=10000, channel="staff", idempotency_key=key())
    assert exposure(borrower) == (money(90000), money(90000))
    loan.refresh_from_db()
    assert loan.principal_outstanding == money(90000)
    # pay off the same day: the rest of the principal, no interest (test_money has the days)
    repayment_record(loan=loan, amount=90000, channel="staff", idempotency_key=key())
    loan.refresh_from_db()
    contract.refresh_from_db()
    assert (loan.status, contract.status) == ("closed", "closed")
    assert exposure(borrower) == (money(0), money(0))
    assert not loan.instalments.exclude(status="paid").exists()


def test_amount_in_words():
    assert amount_in_words(Decimal(200000)) == "贰拾万元整"
    assert amount_in_words(Decimal("100500.30")) == "壹拾万零伍佰元叁角"
    assert amount_in_words(Decimal("50000.05")) == "伍万元零伍分"


# --- bad input: each refused, nothing half-written, no money moved ----------------------------


def test_an_amount_outside_the_products_range_or_a_term_it_does_not_offer(borrower, e_loan):
    with pytest.raises(DomainError) as caught:
        apply(borrower, e_loan, amount=600000, term=7)
    errors = caught.value.errors
    assert "须在50,000元至500,000元之间" in errors["amount"][0]
    assert "12、24、36个月" in errors["term_months"][0]
    assert not LoanApplication.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_an_amount_above_the_available_limit_is_declined_with_its_reason(borrower, e_loan):
    sign(apply(borrower, e_loan, amount=450000))
    before = snapshot(borrower)
    application = apply(borrower, e_loan, amount=100000, method="equal_instalment")
    assert application.status == "declined"
    assert application.reason_messages == ["申请金额100,000元超过可用授信额度50,000元"]
    nothing_moved(borrower, before)


def test_gongxin_from_a_household_without_a_public_employee(borrower, make_borrower, products):
    application = apply(borrower, products["gongxin_loan"], method="equal_instalment")
    assert application.status == "declined"
    assert "公信贷仅限家庭成员中有公职人员的农户申请" in application.reason_messages
    teacher = make_borrower(public_employee=True)
    assert apply(teacher, products["gongxin_loan"], method="equal_instalment").status == "approved"


def test_a_suspended_or_expired_line(borrower, e_loan, org):
    line = household_current_line(borrower.pk)
    credit_holds.line_set_status(actor=org.manager, line=line, status="suspended", reason="核查")
    application = apply(borrower, e_loan)
    assert application.reason_messages == ["授信额度已冻结，暂不能申请贷款，请联系您的客户经理"]
    credit_holds.line_set_status(actor=org.manager, line=line, status="active", reason="完毕")
    CreditLine.objects.filter(pk=line.pk).update(valid_to=timezone.localdate() - timedelta(days=1))
    application = apply(borrower, e_loan, idempotency_key=key())
    assert application.reason_messages == ["授信额度已到期，请联系您的客户经理重新评级授信"]
    assert not LoanContract.objects.exists()


def test_a_line_suspended_after_approval_refuses_signing_and_drawing(borrower, e_loan, org):
    contract = sign(apply(borrower, e_loan))
    line = household_current_line(borrower.pk)
    credit_holds.line_set_status(actor=org.manager, line=line, status="suspended", reason="核查")
    before = snapshot(borrower)
    with pytest.raises(DomainError, match="授信额度已冻结"):
        draw(contract, 1000)
    nothing_moved(borrower, before)


def test_an_application_without_a_verified_session(borrower, e_loan):
    with pytest.raises(DomainError) as caught:
        apply(borrower, e_loan, verification=None)
    assert caught.value.code == "not_verified"
    assert caught.value.errors == {"verification": ["请先完成身份验证（短信验证码）后再办理"]}
    stale = verified(verified_at=timezone.now() - timedelta(hours=2))
    with pytest.raises(DomainError, match="身份验证已超过30分钟"):
        apply(borrower, e_loan, verification=stale)
    assert not LoanApplication.objects.exists()


def test_a_replayed_sms_code_cannot_sign_twice(borrower, e_loan):
    first = apply(borrower, e_loan, amount=100000)
    code = verified(member_id=first.applicant_member_id)
    sign(first, verification=code)
    second = apply(borrower, e_loan, amount=100000, term=24)
    before = snapshot(borrower)
    with pytest.raises(DomainError, match="该验证码已用于签约") as caught:
        sign(second, verification=code)
    assert caught.value.code == "verification_replayed"
    nothing_moved(borrower, before)
    second.refresh_from_db()
    assert second.status == "approved"  # it may still be signed with a fresh code


def test_a_repayment_larger_than_the_balance(borrower, e_loan):
    loan = draw(sign(apply(borrower, e_loan)), 20000).loan
    before = snapshot(borrower)
    with pytest.raises(DomainError) as caught:
        repayment_record(loan=loan, amount="20000.01", channel="staff", idempotency_key=key())
    assert caught.value.errors["amount"] == ["还款金额20,000.01元超过应还余额20,000元"]
    nothing_moved(borrower, before)


def test_a_drawdown_on_a_matured_contract(borrower, e_loan, monkeypatch):
    contract = sign(apply(borrower, e_loan))
    # a year on: the contract's maturity day (the line, valid 3 years, still is)
    monkeypatch.setattr(timezone, "localdate", lambda *a: contract.maturity_date)
    before = snapshot(borrower)
    with pytest.raises(DomainError, match=r"合同已于.*到期，不能再放款") as caught:
        draw(contract, 1000)
    assert caught.value.code == "matured"
    nothing_moved(borrower, before)


def test_a_drawdown_above_the_contract(borrower, e_loan):
    contract = sign(apply(borrower, e_loan, amount=100000))
    with pytest.raises(DomainError, match=r"放款金额100,000\.01元超过合同可用金额100,000元"):
        draw(contract, "100000.01")
    assert not Drawdown.objects.exists()


# --- idempotency ------------------------------------------------------------------------------


def test_a_replayed_key_returns_the_first_result_and_moves_nothing_again(borrower, e_loan):
    k = key()
    first = apply(borrower, e_loan, idempotency_key=k)
    again = apply(borrower, e_loan, idempotency_key=k)
    assert again.pk == first.pk
    assert getattr(again, "replayed", False)
    code = verified(member_id=first.applicant_member_id)
    contract = sign(first, idempotency_key=k, verification=code)
    assert sign(first, idempotency_key=k, verification=code).pk == contract.pk
    d1 = draw(contract, 30000, idempotency_key=k)
    d2 = draw(contract, 30000, idempotency_key=k)
    assert d1.pk == d2.pk
    assert Drawdown.objects.count() == 1
    assert exposure(borrower) == (money(100000), money(30000))
    r1 = repayment_record(loan=d1.loan, amount=5000, channel="staff", idempotency_key=k)
    r2 = repayment_record(loan=d1.loan, amount=5000, channel="staff", idempotency_key=k)
    assert r1.pk == r2.pk
    assert Repayment.objects.count() == 1
    assert exposure(borrower) == (money(100000), money(25000))


def test_the_same_key_with_another_payload_is_refused(borrower, e_loan):
    contract = sign(apply(borrower, e_loan))
    k = key()
    draw(contract, 30000, idempotency_key=k)
    with pytest.raises(DomainError) as caught:
        draw(contract, 40000, idempotency_key=k)
    assert caught.value.code == "idempotency_key_reused"
    assert exposure(borrower)[1] == money(30000)


def test_a_key_must_look_like_one(borrower, e_loan):
    with pytest.raises(DomainError) as caught:
        apply(borrower, e_loan, idempotency_key="x")
    assert "idempotency_key" in caught.value.errors


# --- review (房抵贷), scope, the database's own guards ------------------------------------------


def test_mortgage_goes_to_the_officers_queue_never_instant(borrower, products, org):
    mortgage = products["mortgage_loan"]
    with pytest.raises(DomainError) as caught:
        apply(borrower, mortgage, method="equal_instalment")
    assert "collateral_value" in caught.value.errors
    application = apply(
        borrower, mortgage, method="equal_instalment", collateral_value=400000,
        collateral_description="罗家坪村二组自建房",
    )  # fmt: skip
    assert application.status == "under_review"
    assert application.decided_at is None
    with pytest.raises(NotFound):
        application_review(actor=org.officer_b, application=application, approve=True, note="同意")
    with pytest.raises(PermissionDenied):
        application_review(actor=org.auditor, application=application, approve=True, note="同意")
    reviewed = application_review(
        actor=org.officer_a, application=application, approve=True, note="房产核实无误"
    )
    assert (reviewed.status, reviewed.decided_by) == ("approved", org.officer_a)
    assert sign(reviewed).amount == money(100000)


def test_an_officer_applies_in_person_only_for_their_grids(borrower, e_loan, org):
    with pytest.raises(NotFound):
        apply(
            borrower,
            e_loan,
            verification=verified("branch", staff=org.officer_b),
            actor=org.officer_b,
        )
    application = apply(
        borrower, e_loan, verification=verified("branch", staff=org.officer_a), actor=org.officer_a
    )
    assert application.channel == "branch"
    assert application.submitted_by == org.officer_a
    # maker-checker: what an officer entered waits for a second person, never its maker
    assert (application.status, application.decided_at) == ("under_review", None)
    with pytest.raises(DomainError, match="您起草过该贷款申请，不能再审批或退回") as refused:
        application_review(actor=org.officer_a, application=application, approve=True, note="同意")
    assert refused.value.code == "maker_checker"
    approved = application_review(
        actor=org.manager, application=application, approve=True, note="核实无误"
    )
    assert (approved.status, approved.decided_by) == ("approved", org.manager)
    assert approved.applicant_member_id == head_id(borrower)  # the head, met in person
    # and the officer signs only with the borrower's code (loans.signing), not in person
    with pytest.raises(DomainError, match="网点签约须由借款人提供本人手机收到的签约验证码"):
        sign(approved, verification=verified("branch", staff=org.officer_a))


def test_statuses_move_only_along_the_machine_in_the_database(borrower, e_loan, postgres):
    application = apply(borrower, e_loan)
    sign(application)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanApplication.objects.filter(pk=application.pk).update(status="approved")


def test_a_signed_contracts_text_never_changes(borrower, e_loan, postgres):
    contract = sign(apply(borrower, e_loan))
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanContract.objects.filter(pk=contract.pk).update(rendered_text="改过的合同")
    LoanContract.objects.filter(pk=contract.pk).update(drawn_total=0)  # its ledger columns move


def test_one_open_application_per_product(borrower, e_loan):
    apply(borrower, e_loan)
    with pytest.raises(DomainError, match="已有一笔办理中的申请"):
        apply(borrower, e_loan)


def test_loan_rows_are_consistent(borrower, e_loan):
    loan = draw(sign(apply(borrower, e_loan)), 1000).loan
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(principal_outstanding=2000)
