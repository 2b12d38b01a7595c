"""Safe spreadsheet output: every exported text cell that a spreadsheet would run as a formula
is escaped (CSV/formula injection).

django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading '='
(not '+', '-', '@') and turns every cell into text, so the portal escapes per cell instead.
"""

from __future__ import annotations

from typing import Any

from import_export import fields, resources

# Tab and carriage return too: spreadsheet apps strip them before looking for the formula sign.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class EscapedModelResource(resources.ModelResource):
    """A django-import-export resource whose exported text cells cannot run as formulae."""

    def export_field(self, field: fields.Field, instance: Any, **kwargs: Any) -> Any:
        return escape_formula(super().export_field(field, instance, **kwargs))
