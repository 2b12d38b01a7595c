from django.urls import path

from incidents.importing.urls import urlpatterns as upload_urlpatterns

from . import audit, views

app_name = "incidents"

urlpatterns: list = [
    *upload_urlpatterns,
    path("", views.data_home, name="home"),
    path("audit/", audit.audit_search, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    path("transparency/", audit.transparency, name="transparency"),
    path("<slug:slug>/records/", views.record_list, name="records"),
    path("<slug:slug>/records/export.csv", views.record_export, name="records_export"),
    path("<slug:slug>/records/<int:pk>/", views.record_detail, name="record"),
    path("<slug:slug>/aggregates/", views.aggregates, name="aggregates"),
]
