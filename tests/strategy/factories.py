"""factory_boy factories for the strategy app."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from incidents.models import PriorityCrimeType
from strategy.models import (
    Action,
    Driver,
    LocalDefinition,
    MeasureQuery,
    Milestone,
    OutcomeMeasure,
    Principle,
    ProgressUpdate,
    Strategy,
    Theme,
)
from tests.factories import OrganisationFactory


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy

    title = factory.Sequence(lambda n: f"Testshire Serious Violence Strategy {n}")
    period_start = 2023
    period_end = 2025
    status = Strategy.Status.DRAFT
    summary = "How we will prevent serious violence together."
    aims = "Reduce violence now\nUnderstand its causes"


class LocalDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalDefinition

    strategy = factory.SubFactory(StrategyFactory)
    version = factory.Sequence(lambda n: n + 1)
    text = "Violence that causes or risks serious harm."
    agreed_on = datetime.date(2023, 12, 1)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    strategy = factory.SubFactory(StrategyFactory)
    name = factory.Sequence(lambda n: f"Theme {n}")
    description = "What this theme is about."


class PrincipleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Principle

    strategy = factory.SubFactory(StrategyFactory)
    name = factory.Sequence(lambda n: f"Principle {n}")
    description = "How we work."


class DriverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Driver

    strategy = factory.SubFactory(StrategyFactory)
    name = factory.Sequence(lambda n: f"Driver {n}")


class PriorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityCrimeType
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"priority-{n}")
    name = factory.Sequence(lambda n: f"Priority {n}")


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    theme = factory.SubFactory(ThemeFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    description = "What will be done."
    lead_organisation = factory.SubFactory(OrganisationFactory)
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    status = Action.Status.ON_TRACK


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    action = factory.SubFactory(ActionFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=10))


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    action = factory.SubFactory(ActionFactory)
    author_name = "Lee Lead"
    previous_status = Action.Status.NOT_STARTED
    status = Action.Status.ON_TRACK
    narrative = "Work has started."


class OutcomeMeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeMeasure

    slug = factory.Sequence(lambda n: f"measure-{n}")
    name = factory.Sequence(lambda n: f"Measure {n}")
    definition = "What is counted."
    data_source = "Police recorded crime"
    unit = "offences"
    direction = OutcomeMeasure.Direction.LOWER_IS_BETTER


class MeasureQueryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeasureQuery
        skip_postgeneration_save = True

    measure = factory.SubFactory(OutcomeMeasureFactory)
    granularity = MeasureQuery.Granularity.MONTH

    @factory.post_generation
    def datasets(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.datasets.set(extracted)

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.categories.set(extracted)
