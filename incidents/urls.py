from django.urls import path  # noqa: F401

from incidents.importing.urls import urlpatterns as upload_urlpatterns

app_name = "incidents"

urlpatterns: list = [
    *upload_urlpatterns,
]
