"""The project's URLs plus /bench/bare: a view that does nothing, through the same middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from fuxiang.urls import urlpatterns as project_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("bench/bare", bare), *project_urlpatterns]
