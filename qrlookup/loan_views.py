"""The villager's loan pages (秒办, 一次都不跑): from the result page — apply for a product
the household's whitelist offers, sign with an SMS code, draw — by calling loans' services
with the household the lookup session verified. No URL carries personal data; an
application or contract of another household answers like a missing one.

    /q/me/loans/apply/<product>          the application form and its instant decision
    /q/me/loans/applications/<id>        approved: the contract to read, an SMS code to sign
    /q/me/loans/contracts/<id>           the contract, draw, the loan and its schedule
    /q/me/loans/contracts/<id>/pdf       the signed contract as a PDF
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError
from households.models import Household
from loans.applications import application_submit
from loans.contracts import contract_pdf, contract_preview, contract_sign
from loans.drawdowns import drawdown_create
from loans.models import Channel, Loan, LoanApplication, LoanContract, LoanProduct
from loans.signing import signing_code_confirm, signing_code_send
from loans.verification import Verification
from loans.villager_selectors import household_offer
from qrlookup.loan_forms import ApplyForm, DrawForm, SignCodeForm
from qrlookup.lookup_selectors import page_forget
from qrlookup.public_views import METHOD, UNTIL, _expired, _private, _verified

SIGN_CHALLENGE = "qrl_sign_challenge"


def _session_verification(request: HttpRequest, *, reference: str = "") -> Verification:
    """The lookup session as loans' evidence: the villager's channel, how and when they were
    verified (an SMS code, or a WeChat binding made with one)."""
    until = int(request.session.get(UNTIL, 0))
    verified_at = datetime.fromtimestamp(until - settings.QRLOOKUP_SESSION_SECONDS, tz=UTC)
    return Verification.from_request(
        request,
        channel=Channel.VILLAGER,
        method=request.session.get(METHOD, "sms"),
        verified_at=verified_at,
        reference=reference,
        member_id=int(request.session.get("qrl_member", 0)) or None,
    )


def _forget_page(request: HttpRequest, household_id: int) -> None:
    page_forget(
        household_id=household_id,
        member_id=int(request.session.get("qrl_member", 0)),
        as_of=timezone.localdate(),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, product_code: str) -> HttpResponse:
    verified = _verified(request)
    if verified is None:
        return _expired(request)
    household_id = verified[0]
    offer = household_offer(household_id, today=timezone.localdate())
    product = next((p for p in offer.products if p.code == product_code), None)
    if product is None:  # not offered to this household: back to its page, no reason given
        return redirect("qrlookup_public:result")
    form = ApplyForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = application_submit(
                subject=Household.objects.get(pk=household_id),
                product=LoanProduct.objects.get(code=product.code),
                amount=data["amount"],
                term_months=data["term_months"],
                repayment_method=data["repayment_method"],
                purpose=data["purpose"],
                collateral_value=data.get("collateral_value"),
                collateral_description=data.get("collateral_description", ""),
                verification=_session_verification(request),
                idempotency_key=data["key"],
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            for field, messages in error.errors.items():
                for text in messages:
                    form.add_error(field if field in form.fields else None, text)
        else:
            _forget_page(request, household_id)
            return redirect("qrlookup_public:loan_application", pk=application.pk)
    context = {"form": form, "product": product, "available": offer.available_text}
    return _private(render(request, "qrlookup/public_loan_apply.html", context))


def _own(queryset: Any, request: HttpRequest, pk: int) -> tuple[Any, int]:
    verified = _verified(request)
    if verified is None:
        raise _Expired
    found = queryset.filter(pk=pk, household_id=verified[0]).first()
    if found is None:
        raise Http404("未找到")
    return found, verified[0]


class _Expired(Exception):
    pass


@never_cache
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision; for an approval, the contract to read and the SMS code that signs it."""
    try:
        found, household_id = _own(
            LoanApplication.objects.select_related("product", "product_version__product"),
            request,
            pk,
        )
    except _Expired:
        return _expired(request)
    if found.status == "signed":
        return redirect("qrlookup_public:loan_contract", pk=found.contract.pk)
    form = SignCodeForm(request.POST or None)
    message, sent = "", bool(request.session.get(SIGN_CHALLENGE))
    if request.method == "POST" and found.status == "approved":
        if request.POST.get("action") == "send":
            try:
                request.session[SIGN_CHALLENGE] = signing_code_send(
                    application=found,
                    channel=Channel.VILLAGER,
                    member_id=int(request.session["qrl_member"]),
                ).pk
            except DomainError as error:
                message = error.message
            else:
                sent, form = True, SignCodeForm()
        elif form.is_valid():
            contract, message = _sign(request, found, form.cleaned_data)
            if contract is not None:
                _forget_page(request, household_id)
                return redirect("qrlookup_public:loan_contract", pk=contract.pk)
    context = {
        "application": found,
        "form": form,
        "sent": sent,
        "message": message,
        "preview": contract_preview(found) if found.status == "approved" else "",
        "minutes": max(1, settings.QRLOOKUP_CODE_SECONDS // 60),
    }
    return _private(render(request, "qrlookup/public_loan_sign.html", context))


def _sign(
    request: HttpRequest, application: LoanApplication, data: dict[str, Any]
) -> tuple[LoanContract | None, str]:
    challenge_id = request.session.get(SIGN_CHALLENGE, "")
    if not challenge_id:
        return None, "请先获取签约验证码"
    try:  # the code loans sent to the applicant's phone, naming amount, term and rate
        used = signing_code_confirm(
            application=application, code_id=challenge_id, code=data["code"]
        )
    except DomainError as error:
        return None, error.message
    request.session.pop(SIGN_CHALLENGE, None)
    try:
        contract = contract_sign(
            application=application,
            verification=Verification.from_request(
                request,
                channel=Channel.VILLAGER,
                method="sms",
                verified_at=timezone.now(),
                reference=challenge_id,
                member_id=used.member_id,
            ),
            idempotency_key=data["key"],
            audit=AuditContext.from_request(request),
        )
    except DomainError as error:
        return None, error.message
    return contract, ""


@never_cache
@require_http_methods(["GET", "POST"])
def contract(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        found, household_id = _own(
            LoanContract.objects.select_related("product_version__product"), request, pk
        )
    except _Expired:
        return _expired(request)
    form = DrawForm(request.POST or None)
    message = ""
    if request.method == "POST" and form.is_valid():
        try:
            drawdown_create(
                contract=found,
                amount=form.cleaned_data["amount"],
                verification=_session_verification(request),
                idempotency_key=form.cleaned_data["key"],
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            for field, messages in error.errors.items():
                for text in messages:
                    form.add_error(field if field in form.fields else None, text)
        else:
            _forget_page(request, household_id)
            request.session["qrl_flash"] = "放款成功，资金将转入您在本行的账户"
            return redirect("qrlookup_public:loan_contract", pk=pk)
    offer = household_offer(household_id, today=timezone.localdate())
    row = next((c for c in offer.contracts if c.id == found.pk), None)
    loans = list(Loan.objects.filter(contract=found).prefetch_related("instalments").order_by("pk"))
    context = {
        "contract": found,
        "drawable": row.drawable if row else 0,
        "loans": loans,
        "form": form,
        "message": message or request.session.pop("qrl_flash", ""),
    }
    return _private(render(request, "qrlookup/public_loan_contract.html", context))


@never_cache
@require_GET
def contract_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        found, _ = _own(
            LoanContract.objects.select_related("product_version__product"), request, pk
        )
    except _Expired:
        return _expired(request)
    response = HttpResponse(contract_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contract-{found.number}.pdf"'
    return _private(response)
