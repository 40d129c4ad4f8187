"""Mounted at the site root by ``fuxiang.urls``: each role's home page is its dashboard."""

from django.urls import path

from dashboards import dashboard_views

urlpatterns = [path("", dashboard_views.home, name="home")]
