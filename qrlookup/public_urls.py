"""The villagers' pages, mounted at /q/ by ``fuxiang.urls``."""

from django.urls import path

from qrlookup import loan_views, public_views

app_name = "qrlookup_public"

urlpatterns = [
    path("me/", public_views.result, name="result"),
    path("me/request", public_views.household_request, name="request"),
    path("me/correction", public_views.correction, name="correction"),
    path("me/leave", public_views.leave, name="leave"),
    path("me/unbind", public_views.unbind, name="unbind"),
    path("me/loans/apply/<slug:product_code>", loan_views.apply, name="loan_apply"),
    path("me/loans/applications/<int:pk>", loan_views.application, name="loan_application"),
    path("me/loans/contracts/<int:pk>", loan_views.contract, name="loan_contract"),
    path("me/loans/contracts/<int:pk>/pdf", loan_views.contract_pdf_view, name="loan_pdf"),
    path("expired", public_views.expired, name="expired"),
    path("wechat/callback", public_views.wechat_callback, name="wechat_callback"),
    path("<str:token>", public_views.landing, name="landing"),
    path("<str:token>/start", public_views.start, name="start"),
    path("<str:token>/check", public_views.check, name="check"),
    path("<str:token>/code", public_views.code, name="code"),
    path("<str:token>/contact", public_views.contact, name="contact"),
]
