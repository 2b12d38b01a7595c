from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("home/", views.home, name="home"),
    path("trend/", views.trend, name="trend"),
    path("where/", views.where, name="where"),
    path("when/", views.when, name="when"),
    path("who/", views.who, name="who"),
    path("deprivation/", views.deprivation, name="deprivation"),
    path("police-and-health/", views.police_health, name="police_health"),
    path("data-quality/", views.data_quality, name="data_quality"),
    path("alerts/", views.alerts, name="alerts"),
    path("methodology/", views.methodology, name="methodology"),
    path("<str:page>/<slug:table>.csv", views.table_csv, name="table_csv"),
]
