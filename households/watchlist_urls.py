from django.urls import path

from households import watchlist_views

app_name = "watchlists"

urlpatterns = [
    path("", watchlist_views.watchlist_list, name="list"),
]
