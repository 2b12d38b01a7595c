"""URLs of the upload flow; included into the incidents namespace by incidents/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
