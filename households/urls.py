from django.urls import path

from households import import_views, views

app_name = "households"

urlpatterns = [
    path("", views.household_list, name="list"),
    path("new/", views.household_create, name="create"),
    path("village-groups/", views.village_groups, name="village_groups"),
    path("missing/", views.households_missing, name="missing"),
    path("export/", import_views.household_export, name="export"),
    path("export/<int:pk>/", import_views.export_job, name="export_job"),
    path("export/<int:pk>/progress/", import_views.export_job_progress, name="export_progress"),
    path("export/<int:pk>/download/", import_views.export_download, name="export_download"),
    path("import/", import_views.import_start, name="import"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/progress/", import_views.import_job_progress, name="import_progress"),
    path("import/<int:pk>/report/", import_views.import_report, name="import_report"),
    path("import/template/<str:kind>/", import_views.import_template, name="import_template"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_update, name="update"),
    path("<int:household_pk>/members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/edit/", views.member_update, name="member_update"),
    path("members/<int:pk>/reveal/", views.member_reveal, name="member_reveal"),
    path("entities/", views.entity_list, name="entity_list"),
    path("entities/new/", views.entity_create, name="entity_create"),
    path("entities/<int:pk>/", views.entity_detail, name="entity_detail"),
    path("entities/<int:pk>/edit/", views.entity_update, name="entity_update"),
    path("entities/<int:pk>/reveal/", views.entity_reveal, name="entity_reveal"),
    path("visits/<int:pk>/photo/", views.visit_photo, name="visit_photo"),
    path(
        "<int:pk>/visits/new/",
        views.visit_create,
        {"kind": "household"},
        name="household_visit_create",
    ),
    path(
        "entities/<int:pk>/visits/new/",
        views.visit_create,
        {"kind": "entity"},
        name="entity_visit_create",
    ),
]
