"""Back office of the QR lookup, mounted at /qrlookup/ by ``fuxiang.urls``."""

from django.urls import path

from qrlookup import officer_request_views, qrcode_views

app_name = "qrlookup"

urlpatterns = [
    path("", qrcode_views.code_list, name="codes"),
    path("codes/new", qrcode_views.code_create, name="code_create"),
    path("codes/<int:pk>/revoke", qrcode_views.code_revoke, name="code_revoke"),
    path("codes/<int:pk>.png", qrcode_views.code_png, name="code_png"),
    path("codes/<int:pk>.svg", qrcode_views.code_svg, name="code_svg"),
    path("codes/<int:pk>/poster", qrcode_views.code_poster, name="code_poster"),
    path("codes/<int:pk>/poster.svg", qrcode_views.code_poster_image, name="code_poster_image"),
    path("codes/<int:pk>/poster.pdf", qrcode_views.code_poster_pdf, name="code_poster_pdf"),
    path("posters/", qrcode_views.poster_batch_start, name="poster_batch_start"),
    path("posters/<int:pk>/", qrcode_views.poster_batch, name="poster_batch"),
    path("posters/<int:pk>/progress", qrcode_views.poster_batch_progress, name="poster_progress"),
    path("posters/<int:pk>/download", qrcode_views.poster_batch_download, name="poster_download"),
    path("contact", qrcode_views.contact_set, name="contact_set"),
    path("outbox/", qrcode_views.outbox, name="outbox"),
    path("stats/", qrcode_views.stats, name="stats"),
    path("requests/", officer_request_views.request_inbox, name="requests"),
    path("requests/badge", officer_request_views.request_badge, name="request_badge"),
    path("requests/<int:pk>/", officer_request_views.request_detail, name="request"),
    path("requests/<int:pk>/close", officer_request_views.request_close, name="request_close"),
    path("requests/<int:pk>/phone", officer_request_views.request_phone, name="request_phone"),
]
