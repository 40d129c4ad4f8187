"""Mounted at the site root by ``fuxiang.urls`` (through ``include``, so the project package
imports no app)."""

from django.urls import path

from households import home_views

urlpatterns = [path("", home_views.home, name="home")]
