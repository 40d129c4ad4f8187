"""Loans pages: each part keeps its routes in its views module; this file gathers them."""

from loans import ledger_views, product_views
from loans.platform import views as platform_views

app_name = "loans"

urlpatterns = [
    *product_views.urlpatterns,
    *ledger_views.urlpatterns,
    *platform_views.urlpatterns,
]
