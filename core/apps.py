from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Connects the sign-in receiver that starts a session's absolute lifetime.
        from core import signals  # noqa: F401
