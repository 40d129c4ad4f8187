from django.urls import path

from households import watchlist_views

app_name = "watchlists"

urlpatterns = [
    path("", watchlist_views.watchlist_list, name="list"),
    path("upload/", watchlist_views.watchlist_upload, name="upload"),
    path("template.xlsx", watchlist_views.watchlist_template, name="template"),
]
