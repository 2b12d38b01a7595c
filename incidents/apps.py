from typing import Any

from django.apps import AppConfig


def _has_record_level_access(user: Any) -> bool:
    from incidents.access import datasets_with_records_visible

    return datasets_with_records_visible(user).exists()


class IncidentsConfig(AppConfig):
    verbose_name = "Shared incident data"
    name = "incidents"

    def ready(self) -> None:
        # Connects the receiver that drops a deleted dataset's partition (PostgreSQL).
        from incidents import partitions  # noqa: F401
        from partners.second_factor import record_access_check_register

        # Everyone with record-level access to any dataset needs a second factor.
        record_access_check_register(_has_record_level_access)
