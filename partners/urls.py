from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("who-we-are/", views.who_we_are, name="who_we_are"),
    path("partners/", views.directory, name="directory"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
