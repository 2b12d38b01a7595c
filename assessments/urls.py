from django.urls import path

from . import views

app_name = "assessments"

urlpatterns = [
    path("", views.edition_list, name="list"),
    path("new/", views.edition_new, name="new"),
    path("<int:pk>/", views.edition_detail, name="edition"),
    path("<int:pk>/edit/", views.edition_edit, name="edit"),
    path("<int:pk>/status.json", views.edition_status, name="status"),
    path("<int:pk>/generate/", views.edition_generate, name="generate"),
    path("<int:pk>/publish/", views.edition_publish, name="publish"),
    path("<int:pk>/recommendations/new/", views.recommendation_form, name="recommendation_new"),
    path(
        "<int:pk>/recommendations/<int:rec_pk>/",
        views.recommendation_form,
        name="recommendation_edit",
    ),
    path("<int:pk>/edition.pdf", views.edition_pdf, name="pdf"),
    path("<int:pk>/tables.zip", views.edition_tables, name="tables"),
    path("<int:pk>/read/", views.edition_web, name="web"),
    path("<int:pk>/pages/", views.edition_pages, name="pages"),
]
