from django.urls import path

from . import views

app_name = "strategy"

urlpatterns = [
    path("", views.public, name="public"),
    path("plan/", views.plan, name="plan"),
    path("plan/export.<str:file_format>", views.plan_export, name="plan_export"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("actions/<int:pk>/update/", views.action_update, name="action_update"),
    path("updates/<int:pk>/evidence/", views.update_evidence, name="update_evidence"),
    path("measures/", views.measures, name="measures"),
    path("measures/<slug:slug>/", views.measure_detail, name="measure"),
    path("measures/<slug:slug>/refresh/", views.measure_refresh, name="measure_refresh"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("consultations/", views.consultations, name="consultations"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation"),
]
