from django.urls import path

from rating import views

app_name = "rating"

urlpatterns = [
    path("", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("scorecards/", views.scorecard_list, name="scorecards"),
    path("scorecards/import/", views.scorecard_import, name="scorecard_import"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard"),
    path("scorecards/<int:pk>/submit/", views.scorecard_submit, name="scorecard_submit"),
    path("scorecards/<int:pk>/approve/", views.scorecard_approve, name="scorecard_approve"),
    path("scorecards/<int:pk>/reject/", views.scorecard_reject, name="scorecard_reject"),
    path("scorecards/<int:pk>/export/", views.scorecard_export, name="scorecard_export"),
    path("households/<int:household_id>/", views.household_card, name="household_card"),
]
