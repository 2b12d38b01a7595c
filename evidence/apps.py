from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        # Keeps the aggregate tables in step with the incidents app's imports and withdrawals.
        from . import receivers  # noqa: F401
