"""URLs of the upload flow; included into the incidents namespace by incidents/urls.py."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("uploads/", views.upload_start, name="upload_start"),
    path(
        "uploads/template.csv",
        views.template_download,
        {"kind": "template.csv"},
        name="upload_template_csv",
    ),
    path(
        "uploads/template.xlsx",
        views.template_download,
        {"kind": "template.xlsx"},
        name="upload_template_xlsx",
    ),
    path(
        "uploads/data-dictionary.csv",
        views.template_download,
        {"kind": "data-dictionary.csv"},
        name="upload_dictionary_csv",
    ),
    path("uploads/<slug:slug>/new/", views.upload_new, name="upload_new"),
    path("uploads/<slug:slug>/history/", views.upload_history, name="upload_history"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("uploads/<int:pk>/status.json", views.upload_status, name="upload_status"),
    path("uploads/<int:pk>/confirm/", views.upload_confirm, name="upload_confirm"),
    path("uploads/<int:pk>/errors.csv", views.upload_error_report, name="upload_error_report"),
    path("uploads/<int:pk>/withdraw/", views.upload_withdraw, name="upload_withdraw"),
]
