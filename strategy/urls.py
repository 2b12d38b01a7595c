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
]
