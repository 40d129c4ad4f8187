"""Routes of the loans API, mounted at /api/v1/loans/."""

from __future__ import annotations

from django.urls import path

from loans import api
from loans.platform import api as platform_api

app_name = "loans_api"

urlpatterns = [
    path("products/", api.ProductListApi.as_view(), name="products"),
    path("applications/", api.ApplicationCreateApi.as_view(), name="applications"),
    path("applications/<int:pk>/", api.ApplicationDetailApi.as_view(), name="application"),
    path("applications/<int:pk>/sign-code/", api.SigningCodeApi.as_view(), name="sign_code"),
    path("applications/<int:pk>/sign/", api.ContractSignApi.as_view(), name="sign"),
    path("contracts/<int:pk>/drawdowns/", api.DrawdownCreateApi.as_view(), name="drawdowns"),
    path("loans/<int:pk>/", api.LoanDetailApi.as_view(), name="loan"),
    path("loans/<int:pk>/repayments/", api.RepaymentCreateApi.as_view(), name="repayments"),
    *platform_api.urlpatterns,
]
