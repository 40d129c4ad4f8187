from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fuxiang import monitoring, views
from fuxiang.audit import views as audit_views

handler404 = "fuxiang.api.not_found"

admin.site.site_header = "福祥码上贷 · 总行管理"
admin.site.site_title = "福祥码上贷"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", include("dashboards.home_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("health/", monitoring.health, name="health"),
    path("metrics", monitoring.metrics, name="metrics"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("households/", include("households.urls")),
    path("watchlists/", include("households.watchlist_urls")),
    path("rating/", include("rating.urls")),
    path("credit/", include("credit.urls")),
    path("loans/", include("loans.urls")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export/", audit_views.audit_log_export, name="audit_log_export"),
    path("q/", include("qrlookup.public_urls")),
    path("qrlookup/", include("qrlookup.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/", include("fuxiang.accounts.api_urls")),
    path("api/v1/", include("households.api_urls")),
    path("api/v1/loans/", include("loans.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # staff only (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); the page sends anonymous
    # visitors to the login page, the schema answers them 401
    path(
        "api/docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", template_name="api_docs/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
]

# A service outage (database or cache down) answers 503 "请稍后再试", not a server error.
handler500 = "fuxiang.views.server_error"
