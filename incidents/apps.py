from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    verbose_name = "Shared incident data"
    name = "incidents"

    def ready(self) -> None:
        # Connects the receiver that drops a deleted dataset's partition (PostgreSQL).
        from incidents import partitions  # noqa: F401
