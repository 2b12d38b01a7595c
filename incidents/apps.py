from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    verbose_name = "Shared incident data"
    name = "incidents"
