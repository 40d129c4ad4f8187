"""Back-office pages of the loan ledger: the household page's loans card, applications (with
the officer's 房抵贷 review queue), contracts and their PDF, loans with their schedules and
staff repayment entry, the core-banking repayment file. Scoped like everything else: outside
one's grids or branch a row does not exist (404)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError
from fuxiang.pagination import BoundedPaginator
from households.forms import apply_domain_error
from households.selectors import households_visible_to, newest_first
from loans import contracts
from loans import ledger_selectors as selectors
from loans.applications import application_review
from loans.borrowers import Borrower
from loans.engine import states
from loans.ledger_forms import RepaymentForm, RepaymentImportForm, ReviewForm
from loans.models import LoanProduct, RepaymentChannel, WhitelistEntry
from loans.repayments import loan_balance, repayment_record, repayments_import

PAGE_SIZE = 50


def _page(request: AuthenticatedHttpRequest, queryset: Any) -> Any:
    return BoundedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_GET
def household_card(request: AuthenticatedHttpRequest, household_id: int) -> HttpResponse:
    """The household page's 贷款 card: the line in use and available, the products it is on
    the whitelist of, its applications, contracts, loans and schedules."""
    if not households_visible_to(request.user).filter(pk=household_id).exists():
        raise Http404("未找到该农户，或您无权访问")
    borrower = Borrower(household_id=household_id)
    listed = set(
        WhitelistEntry.objects.filter(household_id=household_id, valid_to__isnull=True).values_list(
            "product_id", flat=True
        )
    )
    return render(
        request,
        "loans/_household_card.html",
        {
            "household_id": household_id,
            "position": selectors.borrower_position(borrower, timezone.localdate()),
            "products": [(p, p.pk in listed) for p in LoanProduct.objects.order_by("pk")],
            **selectors.household_loans(household_id),
        },
    )


@login_required
@require_GET
def application_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    applications = selectors.applications_visible_to(request.user)
    status = request.GET.get("status", "")
    queue = request.GET.get("queue") == "review"
    if queue:
        applications = selectors.review_queue(request.user)
    elif status in states.MACHINES[states.APPLICATION]:
        applications = applications.filter(status=status)
    else:
        status = ""
    page = _page(request, applications.order_by(*newest_first(request.user, "submitted_at")))
    page.object_list = selectors.borrowers_named(page.object_list)
    return render(
        request,
        "loans/application_list.html",
        {
            "page": page,
            "status": status,
            "queue": queue,
            "statuses": list(states.LABELS[states.APPLICATION].items()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.applications_visible_to(request.user).filter(pk=pk).first()
    if application is None:
        raise Http404("未找到该申请，或您无权访问")
    can_review = (
        application.status == "under_review"
        and (
            roles.can_serve_borrowers(request.user)
            or getattr(request.user, "role", "") == "branch_manager"
        )
        and application.submitted_by_id != request.user.pk  # maker-checker: not the maker
    )
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not can_review:
            return HttpResponse(
                "只有客户经理或支行行长可以审核待审核的申请，录入人不能审核自己录入的申请",
                status=403,
            )
        if form.is_valid():
            try:
                application_review(
                    actor=request.user,
                    application=application,
                    approve=form.cleaned_data["decision"] == "approve",
                    note=form.cleaned_data["note"],
                    audit=AuditContext.from_request(request),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "审核结果已保存")
                return redirect("loans:application", pk=pk)
    return render(
        request,
        "loans/application_detail.html",
        {
            "application": selectors.borrowers_named([application])[0],
            "form": form,
            "can_review": can_review,
        },
    )


@login_required
@require_GET
def contract_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contracts_visible_to(request.user).filter(pk=pk).first()
    if contract is None:
        raise Http404("未找到该合同，或您无权访问")
    return render(
        request,
        "loans/contract_detail.html",
        {"contract": contract, "loans": contract.loans.order_by("pk")},
    )


@login_required
@require_GET
def contract_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contracts_visible_to(request.user).filter(pk=pk).first()
    if contract is None:
        raise Http404("未找到该合同，或您无权访问")
    response = HttpResponse(contracts.contract_pdf(contract), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contract-{contract.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def loan_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    loans = selectors.loans_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in states.MACHINES[states.LOAN]:
        loans = loans.filter(status=status)
    else:
        status = ""
    page = _page(request, loans.order_by(*newest_first(request.user, "start_date")))
    page.object_list = selectors.borrowers_named(page.object_list)
    return render(
        request,
        "loans/loan_list.html",
        {
            "page": page,
            "status": status,
            "statuses": list(states.LABELS[states.LOAN].items()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def loan_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    loan = selectors.loans_visible_to(request.user).filter(pk=pk).first()
    if loan is None:
        raise Http404("未找到该借据，或您无权访问")
    can_repay = roles.can_record_repayment(request.user) and loan.status != "closed"
    form = RepaymentForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST":
        if not can_repay:
            return HttpResponse("您的角色不能录入还款", status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                repayment_record(
                    loan=loan,
                    amount=data["amount"],
                    paid_on=data["paid_on"],
                    channel=RepaymentChannel.STAFF,
                    reference=data["reference"],
                    idempotency_key=data["idempotency_key"],
                    actor=request.user,
                    audit=AuditContext.from_request(request),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "还款已入账")
                return redirect("loans:loan", pk=pk)
    instalments = list(loan.instalments.order_by("number"))
    return render(
        request,
        "loans/loan_detail.html",
        {
            "loan": selectors.borrowers_named([loan])[0],
            "instalments": instalments,
            "balance": loan_balance(loan, timezone.localdate(), instalments),
            "repayments": loan.repayments.order_by("-paid_on", "-id"),
            "drawdowns": loan.drawdowns.order_by("-drawn_at"),
            "form": form,
            "can_repay": can_repay,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def repayment_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not roles.can_import_repayments(request.user):
        return HttpResponse("只有总行可以导入核心系统还款文件", status=403)
    form = RepaymentImportForm(request.POST or None, request.FILES or None)
    batch = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = repayments_import(
                actor=request.user, content=upload.read(), file_name=upload.name
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render(request, "loans/repayment_import.html", {"form": form, "batch": batch})


urlpatterns: list[URLPattern] = [
    path("households/<int:household_id>/", household_card, name="household_card"),
    path("applications/", application_list, name="applications"),
    path("applications/<int:pk>/", application_detail, name="application"),
    path("contracts/<int:pk>/", contract_detail, name="contract"),
    path("contracts/<int:pk>/pdf/", contract_pdf, name="contract_pdf"),
    path("loans/", loan_list, name="loans"),
    path("loans/<int:pk>/", loan_detail, name="loan"),
    path("repayments/import/", repayment_import, name="repayment_import"),
]
