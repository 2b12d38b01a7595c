from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and people"

    def ready(self) -> None:
        # Connects the receivers that keep each session's second-factor status.
        from partners import second_factor  # noqa: F401
