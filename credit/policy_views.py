"""Pages: see credit/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
