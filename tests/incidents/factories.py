"""factory_boy factories for the incidents app (shared with the import pipeline's tests)."""

from __future__ import annotations

import datetime as dt
import hashlib

import factory
from django.utils import timezone

from incidents.models import (
    Authority,
    CategoryMapping,
    CrimeCategory,
    Dataset,
    DataSharingAgreement,
    District,
    IncidentRecord,
    Lsoa,
    PriorityCrimeType,
    Ward,
)
from tests.factories import OrganisationFactory


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E06{n:06d}")
    name = factory.Sequence(lambda n: f"Authority {n}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E07{n:06d}")
    name = factory.Sequence(lambda n: f"District {n}")
    authority = factory.SubFactory(AuthorityFactory)


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E05{n:06d}")
    name = factory.Sequence(lambda n: f"Ward {n}")
    district = factory.SubFactory(DistrictFactory)


class LsoaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lsoa
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E01{n:06d}")
    name = factory.Sequence(lambda n: f"Testtown {n:03d}A")
    district = factory.SubFactory(DistrictFactory)
    ward = None
    in_area = True
    population_total = 1500
    imd_decile = 5


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrimeCategory
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    group = "Violence"


class CategoryMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CategoryMapping

    source_format = "police_uk_street"
    source_code = factory.Sequence(lambda n: f"Source category {n}")
    category = factory.SubFactory(CategoryFactory)


class PriorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityCrimeType
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"priority-{n}")
    name = factory.Sequence(lambda n: f"Priority {n}")


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset
        django_get_or_create = ("slug",)

    owner = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Dataset {n}")
    slug = factory.Sequence(lambda n: f"dataset-{n}")
    source_system = "Test system"
    format = Dataset.Format.TEMPLATE


class AgreementFactory(factory.django.DjangoModelFactory):
    """A data-sharing agreement that is current today (override the dates for others)."""

    class Meta:
        model = DataSharingAgreement
        skip_postgeneration_save = True

    dataset = factory.SubFactory(DatasetFactory)
    title = factory.LazyAttribute(lambda o: f"Agreement for {o.dataset.name}")
    legal_basis = "PCSC Act 2022 s16; UK GDPR Art 6(1)(e) and Art 10 with DPA 2018 Sch 1 para 10."
    purpose = "Serious Violence Duty: strategic needs assessment and strategy."
    start_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    retention_months = 36
    hide_coordinates = True

    @factory.post_generation
    def record_level_organisations(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.record_level_organisations.set(extracted)


class RecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentRecord

    dataset = factory.SubFactory(DatasetFactory)
    source_ref = factory.Sequence(lambda n: f"REF-{n:07d}")
    occurred_on = dt.date(2022, 3, 1)
    date_precision = IncidentRecord.DatePrecision.MONTH
    category = factory.SubFactory(CategoryFactory)
    lsoa = factory.SubFactory(LsoaFactory)
    location_text = "On or near High Street"
    row_hash = factory.LazyAttribute(lambda o: hashlib.sha1(o.source_ref.encode()).hexdigest())  # noqa: S324


def priority_slugs(record: IncidentRecord) -> set[str]:
    """The slugs of the priorities a record counts towards, as stored now."""
    bits = IncidentRecord.objects.values_list("priority_bits", flat=True).get(pk=record.pk)
    return {p.slug for p in PriorityCrimeType.objects.all() if bits & p.mask}


def flag(record: IncidentRecord, *priorities: PriorityCrimeType) -> None:
    """Mark a record as counting towards priorities (as a recompute would have)."""
    bits = IncidentRecord.objects.values_list("priority_bits", flat=True).get(pk=record.pk)
    for priority in priorities:
        bits |= priority.mask
    IncidentRecord.objects.filter(pk=record.pk).update(priority_bits=bits)
    record.priority_bits = bits
