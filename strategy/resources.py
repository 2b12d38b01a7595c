"""django-import-export resources: the delivery plan as a spreadsheet."""

from __future__ import annotations

from import_export import fields

from core.exports import EscapedModelResource

from .models import Action


class ActionResource(EscapedModelResource):
    """One row per delivery-plan action, for export only (formula-escaped, see core.exports)."""

    reference = fields.Field(attribute="reference", column_name="Reference")
    title = fields.Field(attribute="title", column_name="Action")
    theme = fields.Field(attribute="theme__name", column_name="Theme")
    lead_organisation = fields.Field(
        attribute="lead_organisation__name", column_name="Lead organisation"
    )
    supporting_organisations = fields.Field(column_name="Supporting organisations")
    priorities = fields.Field(column_name="Priorities")
    drivers = fields.Field(column_name="Drivers")
    status = fields.Field(column_name="Status")
    start_date = fields.Field(attribute="start_date", column_name="Start date")
    due_date = fields.Field(attribute="due_date", column_name="Due date")
    overdue = fields.Field(column_name="Overdue")
    milestones = fields.Field(column_name="Milestones")
    funding_amount = fields.Field(attribute="funding_amount", column_name="Funding (£)")
    funding_source = fields.Field(attribute="funding_source", column_name="Funding source")
    evidence_strength = fields.Field(
        attribute="evidence_strength", column_name="Evidence strength (1–5)"
    )
    evidence_basis = fields.Field(attribute="evidence_basis", column_name="Evidence basis")
    expected_impact = fields.Field(attribute="expected_impact", column_name="Expected impact")
    sna_recommendation = fields.Field(
        attribute="sna_recommendation", column_name="SNA recommendation"
    )
    description = fields.Field(attribute="description", column_name="Description")

    class Meta:
        model = Action
        fields = (
            "reference",
            "title",
            "theme",
            "lead_organisation",
            "supporting_organisations",
            "priorities",
            "drivers",
            "status",
            "start_date",
            "due_date",
            "overdue",
            "milestones",
            "funding_amount",
            "funding_source",
            "evidence_strength",
            "evidence_basis",
            "expected_impact",
            "sna_recommendation",
            "description",
        )
        export_order = fields

    def dehydrate_supporting_organisations(self, action: Action) -> str:
        return "; ".join(o.name for o in action.supporting_organisations.all())

    def dehydrate_priorities(self, action: Action) -> str:
        return "; ".join(p.name for p in action.priorities.all())

    def dehydrate_drivers(self, action: Action) -> str:
        return "; ".join(d.name for d in action.drivers.all())

    def dehydrate_status(self, action: Action) -> str:
        return action.get_status_display()

    def dehydrate_overdue(self, action: Action) -> str:
        return "Yes" if action.is_overdue else "No"

    def dehydrate_milestones(self, action: Action) -> str:
        return "; ".join(
            f"{m.title} (due {m.due_date:%d/%m/%Y}"
            + (f", done {m.completed_on:%d/%m/%Y})" if m.completed_on else ")")
            for m in action.milestones.all()
        )
