"""Routes of the archive API, mounted at /api/v1/ (schema at /api/schema/, docs at /api/docs/;
signing in with a token is ``fuxiang.accounts.api_urls`` at /api/v1/auth/)."""

from __future__ import annotations

from django.urls import path

from households import api

app_name = "api"

urlpatterns = [
    path("households/", api.HouseholdListCreateApi.as_view(), name="households"),
    path("households/<int:pk>/", api.HouseholdDetailApi.as_view(), name="household"),
    path(
        "households/<int:pk>/members/",
        api.HouseholdMemberCreateApi.as_view(),
        name="household_members",
    ),
    path("members/<int:pk>/", api.MemberUpdateApi.as_view(), name="member"),
    path("members/<int:pk>/reveal/", api.MemberRevealApi.as_view(), name="member_reveal"),
    path("entities/", api.BusinessEntityListCreateApi.as_view(), name="entities"),
    path("entities/<int:pk>/", api.BusinessEntityDetailApi.as_view(), name="entity"),
    path("entities/<int:pk>/reveal/", api.BusinessEntityRevealApi.as_view(), name="entity_reveal"),
    path("visits/", api.VisitListCreateApi.as_view(), name="visits"),
    path("villages/", api.VillageListApi.as_view(), name="villages"),
    path("grids/", api.GridListApi.as_view(), name="grids"),
]
