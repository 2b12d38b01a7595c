"""Who may do what with a dataset: the one place that scopes dataset and record fetches.

Rules (DOMAIN.md, "Disclosure control" and "People and their jobs"). Least privilege: record
level comes only from a membership, never from ``is_staff`` or ``is_superuser`` (those open the
admin, where groups decide what may be changed; the admin's record and upload lists are scoped
through this module too).

- Record level:
  - every member of the owning organisation (the records are theirs);
  - **analysts** of an organisation named in the dataset's *current* agreement
    (``record_level_organisations``). Partner leads and viewers of a named organisation see
    aggregates only: they keep actions up to date and read the plan, they do not analyse records.
  - The convenor (``Partnership.convenor_organisation``, the OPFCC) is no exception: its analysts
    see a dataset's records when the agreement names the convenor, and not otherwise; its other
    members, and staff, see aggregates.
- Aggregates only: every other signed-in person.
- Upload: analysts of the owning organisation while the dataset is active. Whether the
  agreement is current is a separate question (``agreement_problem``) so that the upload page can
  say *why* an upload is refused.
- Coordinates: shown to the owning organisation; to others with record-level access only when
  the current agreement does not hide them.

HTTP answers, used consistently by the ``*_or_404`` helpers:

- a dataset that does not exist, or whose records the person may not see → **404**, so that a
  slug never confirms what another partner holds at record level;
- a dataset whose records the person may see but may not upload to → **403** (they know it exists).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from partners.selectors import user_has_role, user_memberships, user_organisation_ids

from .models import Dataset, DataSharingAgreement, IncidentRecord

RECORD_LEVEL = "record"
AGGREGATES_ONLY = "aggregates"
ACCESS_LABELS = {RECORD_LEVEL: "Record level", AGGREGATES_ONLY: "Aggregates only"}
UPLOAD_ROLES = {"analyst"}
# Roles that a named organisation's members need for record level (the owner's members need none).
NAMED_ORGANISATION_ROLES = {"analyst"}


def _today(on: date | None) -> date:
    return on or timezone.localdate()


def _organisation_ids_with_role(user: Any, roles: set[str]) -> set[int]:
    return {m.organisation_id for m in user_memberships(user) if m.role in roles}


def _current_agreements(on: date) -> QuerySet[DataSharingAgreement]:
    return DataSharingAgreement.objects.filter(start_date__lte=on, end_date__gte=on)


def agreement_current(dataset: Dataset, *, on: date | None = None) -> DataSharingAgreement | None:
    """The agreement covering the date (today by default); the latest start wins."""
    on = _today(on)
    return (
        _current_agreements(on)
        .filter(dataset=dataset)
        .order_by("-start_date", "-end_date", "-pk")
        .first()
    )


def agreement_problem(dataset: Dataset, *, on: date | None = None) -> str | None:
    """Why uploads to the dataset are refused on the date, in plain English; else None."""
    on = _today(on)
    if not dataset.is_active:
        return f"{dataset.name} is closed to new uploads."
    if agreement_current(dataset, on=on) is not None:
        return None
    agreements = list(dataset.agreements.order_by("-end_date", "-start_date"))
    if not agreements:
        return (
            f"{dataset.name} has no data-sharing agreement, so nothing can be uploaded to it. "
            "Ask the partnership team to record the agreement first."
        )
    future = [a for a in agreements if a.start_date > on]
    if future:
        first = min(future, key=lambda a: a.start_date)
        return (
            f"The data-sharing agreement for {dataset.name} has not started yet: it starts on "
            f"{first.start_date:%-d %B %Y}. Uploads are accepted from that date."
        )
    lapsed = agreements[0]
    return (
        f"The data-sharing agreement for {dataset.name} lapsed on {lapsed.end_date:%-d %B %Y}. "
        "Uploads are refused until the partnership team records a renewed agreement."
    )


def can_upload(user: Any, dataset: Dataset) -> bool:
    """Analysts of the owning organisation, while the dataset is active."""
    if not getattr(user, "is_authenticated", False) or not dataset.is_active:
        return False
    return user_has_role(user, organisation_id=dataset.owner_id, roles=UPLOAD_ROLES)


def can_see_records(user: Any, dataset: Dataset, *, on: date | None = None) -> bool:
    """Members of the owning organisation, and analysts of organisations the current agreement
    names."""
    if not getattr(user, "is_authenticated", False):
        return False
    if dataset.owner_id in user_organisation_ids(user):
        return True
    mine = _organisation_ids_with_role(user, NAMED_ORGANISATION_ROLES)
    if not mine:
        return False
    agreement = agreement_current(dataset, on=on)
    if agreement is None:
        return False
    named = {o.pk for o in agreement.record_level_organisations.all()}
    return bool(named & mine)


def can_see_coordinates(user: Any, dataset: Dataset, *, on: date | None = None) -> bool:
    """The owner always; others with record-level access unless the agreement hides them."""
    if not can_see_records(user, dataset, on=on):
        return False
    if dataset.owner_id in user_organisation_ids(user):
        return True
    agreement = agreement_current(dataset, on=on)
    return agreement is not None and not agreement.hide_coordinates


def _record_level_q(user: Any, on: date) -> Q:
    """A filter on Dataset: the datasets whose records the person may see."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    org_ids = user_organisation_ids(user)
    named = _current_agreements(on).filter(
        dataset=OuterRef("pk"),
        record_level_organisations__in=_organisation_ids_with_role(user, NAMED_ORGANISATION_ROLES),
    )
    return Q(owner_id__in=org_ids) | Q(Exists(named))


def datasets_for_user(user: Any, *, on: date | None = None) -> QuerySet[Dataset]:
    """Every dataset, annotated with ``record_level`` (bool) and ``access`` (record/aggregates).

    Every signed-in person sees every dataset's aggregates; ``record_level`` says whether they
    may also open its records.
    """
    on = _today(on)
    if not getattr(user, "is_authenticated", False):
        return Dataset.objects.none()
    record_level = _record_level_q(user, on)
    has_current = _current_agreements(on).filter(dataset=OuterRef("pk"))
    return (
        Dataset.objects.select_related("owner")
        .annotate(
            record_level=Case(
                When(record_level, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            agreement_is_current=Exists(has_current),
        )
        .annotate(
            access=Case(
                When(record_level=True, then=Value(RECORD_LEVEL)),
                default=Value(AGGREGATES_ONLY),
            )
        )
        .order_by("owner__name", "name")
    )


def datasets_with_records_visible(user: Any, *, on: date | None = None) -> QuerySet[Dataset]:
    """The datasets whose records the person may see."""
    on = _today(on)
    if not getattr(user, "is_authenticated", False):
        return Dataset.objects.none()
    return Dataset.objects.filter(_record_level_q(user, on))


def dataset_for_records_or_404(user: Any, slug: str) -> Dataset:
    """The dataset, if the person may see its records; otherwise 404 (never confirm it exists)."""
    dataset = Dataset.objects.select_related("owner").filter(slug=slug).first()
    if dataset is None or not can_see_records(user, dataset):
        raise Http404("No dataset found.")
    return dataset


def dataset_for_aggregates_or_404(user: Any, slug: str) -> Dataset:
    """Any dataset, for its aggregates: every signed-in person may see those (404 if unknown)."""
    dataset = Dataset.objects.select_related("owner").filter(slug=slug).first()
    if dataset is None or not getattr(user, "is_authenticated", False):
        raise Http404("No dataset found.")
    return dataset


def dataset_for_upload_or_404(user: Any, slug: str) -> Dataset:
    """The dataset, if the person may upload to it.

    404 when it does not exist or its records are hidden from them; 403 when they can see its
    records but may not upload (e.g. a viewer of the owner, or a named organisation).
    """
    dataset = dataset_for_records_or_404(user, slug)
    if not can_upload(user, dataset):
        raise PermissionDenied("Only the owning organisation's analysts can upload here.")
    return dataset


def records_visible(user: Any, *, on: date | None = None) -> QuerySet[IncidentRecord]:
    """The records the person may see at record level, across datasets."""
    return IncidentRecord.objects.filter(
        dataset__in=datasets_with_records_visible(user, on=on).values("pk")
    )
