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

        from core.audit_changes import audited_model_register
        from incidents.models import (
            Dataset,
            DataSharingAgreement,
            PriorityCrimeType,
            PriorityRule,
        )

        # Datasets, agreements and priorities decide who sees what and what counts: every
        # change is audited, old -> new (core.audit_changes).
        audited_model_register(Dataset, name="dataset", exclude=("created_at",))
        audited_model_register(
            DataSharingAgreement,
            name="agreement",
            exclude=("created_at",),
            m2m=("record_level_organisations",),
        )
        audited_model_register(PriorityCrimeType, name="priority")
        audited_model_register(
            PriorityRule, name="priority_rule", exclude=("updated_at",), m2m=("categories",)
        )
