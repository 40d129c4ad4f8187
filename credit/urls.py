"""Credit pages: each part of the app keeps its own routes (lines, policies, overrides,
simulations) in its views module; this file only gathers them under one namespace."""

from credit import override_views, policy_views, simulation_views, views

app_name = "credit"

urlpatterns = [
    *views.urlpatterns,
    *policy_views.urlpatterns,
    *override_views.urlpatterns,
    *simulation_views.urlpatterns,
]
