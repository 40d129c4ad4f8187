"""What-if pages: start a simulation, watch it run, read and export its report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET

from credit import simulation_exports, simulation_selectors, simulations
from credit.models import CreditSimulation
from credit.simulation_forms import SimulationForm
from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.errors import DomainError
from fuxiang.refusals import refusal_raise
from households.forms import apply_domain_error
from rating.models import RunStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _may_read(user: object) -> bool:
    return roles.can_simulate(user) or roles.sees_everything(user)


@login_required
def simulation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not _may_read(request.user):
        raise PermissionDenied("只有总行、审计和支行行长可以查看模拟测算")
    may_start = roles.can_simulate(request.user)
    form = SimulationForm(request.POST or None, user=request.user) if may_start else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("只有总行和支行行长可以进行模拟测算")
        if form.is_valid():
            data = form.cleaned_data
            try:
                simulation = simulations.simulation_start(
                    actor=request.user,
                    scope=data["scope"],
                    scope_ids=data["scope_ids"],
                    as_of=data["as_of"],
                    cards=form.cards(),
                    policy=data.get("policy"),
                )
            except DomainError as error:
                refusal_raise(error)
                apply_domain_error(form, error)
            else:
                return redirect("credit:simulation", pk=simulation.pk)
    recent = simulation_selectors.simulations_visible_to(request.user)[:30]
    return render(request, "credit/simulation_list.html", {"form": form, "recent": recent})


def _simulation(request: AuthenticatedHttpRequest, pk: int) -> CreditSimulation:
    if not _may_read(request.user):
        raise PermissionDenied("只有总行、审计和支行行长可以查看模拟测算")
    simulation = simulation_selectors.simulations_visible_to(request.user).filter(pk=pk).first()
    if simulation is None:
        raise Http404("未找到该模拟测算，或您无权访问")
    return simulation


@login_required
@require_GET
def simulation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    simulation = _simulation(request, pk)
    report = None
    if simulation.run.status == RunStatus.SIMULATED:
        report = simulation_selectors.simulation_report(simulation)
        if report:
            report = {
                **report,
                "gained": simulation_selectors.changes_named(report["gained"]),
                "lost": simulation_selectors.changes_named(report["lost"]),
            }
    chart = None
    if report:
        chart = {
            "names": [row["name"] for row in report["townships"]],
            "before": [round(float(row["limit_before"]) / 10000, 1) for row in report["townships"]],
            "after": [round(float(row["limit_after"]) / 10000, 1) for row in report["townships"]],
        }
    return render(
        request,
        "credit/simulation_detail.html",
        {"simulation": simulation, "run": simulation.run, "report": report, "chart": chart},
    )


@login_required
@require_GET
def simulation_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    simulation = _simulation(request, pk)
    try:
        book = simulation_exports.simulation_workbook(simulation)
    except DomainError as error:
        raise Http404(error.message) from error
    response = HttpResponse(content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response["Content-Disposition"] = f'attachment; filename="simulation-{pk}-{stamp}.xlsx"'
    book.save(response)
    return response


urlpatterns: list[URLPattern] = [
    path("simulations/", simulation_list, name="simulations"),
    path("simulations/<int:pk>/", simulation_detail, name="simulation"),
    path("simulations/<int:pk>/export/", simulation_export, name="simulation_export"),
]
