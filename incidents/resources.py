"""django-import-export resources: staff's small-file tool for reference data.

Large partner files go through the import pipeline (incidents/importing), never through these.
Every exported text cell that a spreadsheet would run as a formula is escaped.
"""

from __future__ import annotations

import re
from typing import Any

from import_export import fields, resources, widgets

from .models import CategoryMapping, CrimeCategory, District, Lsoa, PriorityCrimeType, Ward

# Tab and carriage return too: spreadsheet apps strip them before looking for the formula sign.
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def escape_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP advice)."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


class EscapedResource(resources.ModelResource):
    """A resource whose exported text cells cannot run as formulae."""

    def export_field(self, field: fields.Field, instance: Any, **kwargs: Any) -> Any:
        return escape_formula(super().export_field(field, instance, **kwargs))


class CrimeCategoryResource(EscapedResource):
    class Meta:
        model = CrimeCategory
        import_id_fields = ("slug",)
        fields = ("slug", "name", "group", "is_sensitive", "display_order")
        skip_unchanged = True
        report_skipped = False


class CategoryMappingResource(EscapedResource):
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


class PriorityCrimeTypeResource(EscapedResource):
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


class LsoaResource(EscapedResource):
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
