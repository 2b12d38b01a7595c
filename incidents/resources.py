"""django-import-export resources: staff's small-file tool for reference data.

Large partner files go through the import pipeline (incidents/importing), never through these.
Every exported text cell that a spreadsheet would run as a formula is escaped.
"""

from __future__ import annotations

from typing import Any

from import_export import fields, widgets

from core.exports import EscapedModelResource

from .models import CategoryMapping, CrimeCategory, District, Lsoa, PriorityCrimeType, Ward


class CrimeCategoryResource(EscapedModelResource):
    class Meta:
        model = CrimeCategory
        import_id_fields = ("slug",)
        fields = ("slug", "name", "group", "is_sensitive", "display_order")
        skip_unchanged = True
        report_skipped = False


class CategoryMappingResource(EscapedModelResource):
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=widgets.ForeignKeyWidget(CrimeCategory, field="slug"),
    )

    class Meta:
        model = CategoryMapping
        import_id_fields = ("source_format", "source_code")
        fields = ("source_format", "source_code", "category")
        skip_unchanged = True


class PriorityCrimeTypeResource(EscapedModelResource):
    """Priorities by slug. A saved row can switch a priority on or off, so its flags are
    recomputed once the import commits, as after an edit in the admin form."""

    def after_save_instance(self, instance: PriorityCrimeType, row: Any, **kwargs: Any) -> None:
        super().after_save_instance(instance, row, **kwargs)
        if not kwargs.get("dry_run"):
            from .services import priority_rules_changed

            priority_rules_changed(priority=instance, actor=kwargs.get("user"))

    class Meta:
        model = PriorityCrimeType
        import_id_fields = ("slug",)
        fields = (
            "slug",
            "name",
            "short_description",
            "display_order",
            "is_sensitive",
            "is_active",
        )
        skip_unchanged = True


class LsoaResource(EscapedModelResource):
    district = fields.Field(
        attribute="district",
        column_name="district",
        widget=widgets.ForeignKeyWidget(District, field="code"),
    )
    ward = fields.Field(
        attribute="ward",
        column_name="ward",
        widget=widgets.ForeignKeyWidget(Ward, field="code"),
    )

    class Meta:
        model = Lsoa
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "district",
            "ward",
            "in_area",
            "population_total",
            "population_year",
            "imd_score",
            "imd_rank",
            "imd_decile",
        )
        skip_unchanged = True
