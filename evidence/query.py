"""The choices every evidence page shares (subject, period, area, datasets) and who reads them.

An ``EvidenceQuery`` is parsed from, and written back to, URL GET parameters so that every view
can be bookmarked and shared, and the same query drives every page. An ``Audience`` says which
datasets a reader sees exactly and which only through disclosure control.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlencode

from incidents import access
from incidents.models import Dataset

SubjectKind = Literal["priority", "categories", "definition"]
AreaLevel = Literal["partnership", "authority", "district"]
DEFAULT_MONTHS = 12


def month_add(month: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before, if negative) ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from start to end, both included."""
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    return [month_add(start, i) for i in range(max(count, 0))]


def month_label(month: dt.date) -> str:
    return f"{month:%b %Y}"


def period_label(start: dt.date, end: dt.date) -> str:
    if start == end:
        return f"{start:%B %Y}"
    return f"{start:%B %Y} to {end:%B %Y}"


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind = "definition"
    priority_slug: str | None = None
    category_slugs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Area:
    level: AreaLevel = "partnership"
    code: str | None = None

    @property
    def param(self) -> str:
        return "partnership" if self.level == "partnership" else f"{self.level}:{self.code}"


@dataclass(frozen=True)
class EvidenceQuery:
    subject: Subject
    start: dt.date
    end: dt.date
    area: Area = field(default_factory=Area)
    dataset_ids: tuple[int, ...] | None = None
    baseline: tuple[dt.date, dt.date] | None = None

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def previous(self) -> tuple[dt.date, dt.date]:
        """The equal period just before this one."""
        return month_add(self.start, -self.months), month_add(self.start, -1)

    @property
    def year_earlier(self) -> tuple[dt.date, dt.date]:
        """The same months a year earlier."""
        return month_add(self.start, -12), month_add(self.end, -12)

    @property
    def period_label(self) -> str:
        return period_label(self.start, self.end)

    def with_subject(self, subject: Subject) -> EvidenceQuery:
        return replace(self, subject=subject)

    def params(self, *, dataset_slugs: Mapping[int, str] | None = None) -> list[tuple[str, str]]:
        """The query as GET parameters (datasets by slug when the map is given)."""
        pairs: list[tuple[str, str]] = [("subject", self.subject.kind)]
        if self.subject.kind == "priority" and self.subject.priority_slug:
            pairs.append(("priority", self.subject.priority_slug))
        if self.subject.kind == "categories":
            pairs += [("category", slug) for slug in self.subject.category_slugs]
        pairs += [("start", f"{self.start:%Y-%m}"), ("end", f"{self.end:%Y-%m}")]
        pairs.append(("area", self.area.param))
        if self.dataset_ids is not None:
            slugs = dataset_slugs or {}
            pairs += [("dataset", slugs.get(i, str(i))) for i in self.dataset_ids]
        if self.baseline:
            pairs += [
                ("baseline_from", f"{self.baseline[0]:%Y-%m}"),
                ("baseline_to", f"{self.baseline[1]:%Y-%m}"),
            ]
        return pairs

    def urlencode(self, *, dataset_slugs: Mapping[int, str] | None = None) -> str:
        return urlencode(self.params(dataset_slugs=dataset_slugs))


@dataclass(frozen=True)
class Audience:
    """Which datasets a reader may see in aggregate, and which of those exactly."""

    visible_ids: frozenset[int]
    exact_ids: frozenset[int]
    is_public: bool = False
    label: str = ""

    @classmethod
    def for_user(cls, user: Any) -> Audience:
        """Every signed-in partner sees every dataset's aggregates; exact where record level."""
        if not getattr(user, "is_authenticated", False):
            return cls(visible_ids=frozenset(), exact_ids=frozenset(), label="nobody")
        rows = access.datasets_for_user(user).values_list("pk", "record_level")
        visible = frozenset(pk for pk, _ in rows)
        exact = frozenset(pk for pk, record_level in rows if record_level)
        return cls(visible_ids=visible, exact_ids=exact, label="signed-in partner")

    @classmethod
    def restricted(cls, dataset_ids: Iterable[int]) -> Audience:
        """The SNA's restricted edition: every figure exact."""
        ids = frozenset(dataset_ids)
        return cls(visible_ids=ids, exact_ids=ids, label="restricted edition")

    @classmethod
    def public(cls, dataset_ids: Iterable[int]) -> Audience:
        """The SNA's public summary: every figure through disclosure control."""
        return cls(
            visible_ids=frozenset(dataset_ids),
            exact_ids=frozenset(),
            is_public=True,
            label="public summary",
        )

    def is_exact(self, dataset_ids: Iterable[int]) -> bool:
        """A figure combining these datasets is exact only if each of them is."""
        ids = set(dataset_ids)
        return bool(ids) and ids <= self.exact_ids

    def chosen(self, query: EvidenceQuery) -> tuple[int, ...]:
        """The query's datasets that this audience may see (all it may see when none chosen)."""
        if query.dataset_ids is None:
            return tuple(sorted(self.visible_ids))
        return tuple(i for i in query.dataset_ids if i in self.visible_ids)


def dataset_slugs() -> dict[int, str]:
    return dict(Dataset.objects.values_list("pk", "slug"))
