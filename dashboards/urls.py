"""Mounted at /dashboards/ by ``fuxiang.urls`` (through ``include``: the project package
imports no app). The county has its own paths; every other scope is ``<kind>/<id>/``."""

from __future__ import annotations

from django.urls import path

from dashboards import dashboard_views, household_views, menu_views, report_views, trend_views

app_name = "dashboards"

urlpatterns = [
    path("menu/", menu_views.menu_badges, name="menu"),
    path("headline/", dashboard_views.headline_page, name="headline"),
    path("county/", dashboard_views.scope_page, name="county_page"),
    path("county/export.xlsx", dashboard_views.export, name="county_export"),
    path("county/trends/", trend_views.trends, name="county_trends"),
    path("county/trends.xlsx", trend_views.trends_export, name="county_trends_export"),
    path("county/households/", household_views.households, name="county_households"),
    path("county/report.pdf", report_views.report, name="county_report"),
    path("<str:kind>/<int:pk>/", dashboard_views.scope_page, name="page"),
    path("<str:kind>/<int:pk>/export.xlsx", dashboard_views.export, name="export"),
    path("<str:kind>/<int:pk>/trends/", trend_views.trends, name="trends"),
    path("<str:kind>/<int:pk>/trends.xlsx", trend_views.trends_export, name="trends_export"),
    path("<str:kind>/<int:pk>/households/", household_views.households, name="households"),
    path(
        "<str:kind>/<int:pk>/households.xlsx",
        household_views.households_export,
        name="households_export",
    ),
    path("<str:kind>/<int:pk>/report.pdf", report_views.report, name="report"),
]
