from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    # Public: residents (core.logging withholds request details for everything under /surveys/).
    path("", views.index, name="index"),
    path("events/", views.events, name="events"),
    # Signed-in partners: results. Listed before the slug patterns so "results" is never a slug.
    path("results/", views.results_index, name="results_index"),
    path("results/<slug:slug>/", views.results, name="results"),
    path("results/<slug:slug>/cross-tab/", views.crosstab, name="crosstab"),
    path("results/<slug:slug>/free-text/", views.free_text, name="free_text"),
    path(
        "results/<slug:slug>/free-text/<int:answer_id>/themes/",
        views.tag_answer,
        name="tag_answer",
    ),
    path("results/<slug:slug>/export/", views.export, name="export"),
    # Staff.
    path("manage/<int:pk>/preview/", views.preview, name="preview"),
    # Public: the resident journey.
    path("<slug:slug>/", views.start, name="start"),
    path("<slug:slug>/page/<int:position>/", views.question, name="question"),
    path("<slug:slug>/contact/", views.contact, name="contact"),
    path("<slug:slug>/check-your-answers/", views.check, name="check"),
    path("<slug:slug>/confirmation/", views.confirmation, name="confirmation"),
]
