"""GOV.UK Design System rendering for Django forms.

Forms that inherit GovukFormMixin render each field as a govuk-form-group (label, hint, error
message, input with the right govuk-* class and aria-describedby) and choices as govuk-radios /
govuk-checkboxes inside a fieldset. Templates live in templates/govuk/.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundField

_INPUT_CLASSES: dict[str, str] = {
    "text": "govuk-input",
    "email": "govuk-input",
    "password": "govuk-input",
    "number": "govuk-input govuk-input--width-10",
    "url": "govuk-input",
    "date": "govuk-input govuk-input--width-10",
    "datetime": "govuk-input govuk-input--width-20",
    "dateinput": "govuk-input govuk-input--width-10",
    "datetimeinput": "govuk-input govuk-input--width-20",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "selectmultiple": "govuk-select",
    "nullbooleanselect": "govuk-select",
    "file": "govuk-file-upload",
    "clearablefile": "govuk-file-upload",
    "checkbox": "govuk-checkboxes__input",
}
_ERROR_CLASSES: dict[str, str] = {
    "govuk-input": "govuk-input--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-select": "govuk-select--error",
    "govuk-file-upload": "govuk-file-upload--error",
}
_FIELDSET_WIDGETS = {"radioselect", "checkboxselectmultiple"}


class GovukBoundField(BoundField):
    @property
    def is_fieldset(self) -> bool:
        return self.widget_type in _FIELDSET_WIDGETS

    @property
    def hint_id(self) -> str:
        return f"{self.auto_id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.auto_id}-error"

    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        classes = attrs.get("class", "")
        base = _INPUT_CLASSES.get(self.widget_type, "")
        if base and base.split()[0] not in classes:
            classes = f"{base} {classes}".strip()
        if self.errors:
            for plain, error in _ERROR_CLASSES.items():
                if plain in classes.split() and error not in classes:
                    classes = f"{classes} {error}"
        if classes:
            attrs["class"] = classes
        if not self.is_fieldset:
            described = [attrs.get("aria-describedby", "")]
            if self.help_text:
                described.append(self.hint_id)
            if self.errors:
                described.append(self.error_id)
            described_by = " ".join(d for d in described if d)
            if described_by:
                attrs["aria-describedby"] = described_by
        return attrs


class GovukFormMixin:
    """Render with GOV.UK Design System markup; see templates/govuk/."""

    bound_field_class = GovukBoundField
    template_name_div = "govuk/form.html"
    template_name = "govuk/form.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):
                widget.template_name = "govuk/widgets/radios.html"
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                widget.template_name = "govuk/widgets/checkboxes.html"

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs for the error summary, in field order."""
        items: list[tuple[str, str]] = []
        for error in self.non_field_errors():  # type: ignore[attr-defined]
            items.append(("", str(error)))
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            bound = self[name]  # type: ignore[index]
            for error in bound.errors:
                anchor = bound.auto_id
                if bound.is_fieldset and field.choices:
                    anchor = f"{bound.auto_id}_0"
                items.append((anchor, str(error)))
        return items


class GovukForm(GovukFormMixin, forms.Form):
    pass


class GovukModelForm(GovukFormMixin, forms.ModelForm):
    pass
