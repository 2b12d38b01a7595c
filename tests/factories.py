"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from partners.models import Membership, Organisation, Partnership


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    name = "Testshire Serious Violence Prevention Partnership"
    short_name = "TSVPP"
    area_name = "Testshire"
    convenor = "Office of the Testshire Police, Fire and Crime Commissioner"
    contact_email = "partnership@example.org"
    about = "A partnership of public services in Testshire."


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    short_name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    kind = Organisation.Kind.POLICE
    specified_area = Organisation.SpecifiedArea.POLICE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.ANALYST


# The authenticator-app secret every test person enrolled by enrol_totp shares (base32).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_totp(user, *, secret: str = TOTP_SECRET):
    """Give the person an authenticator app (what allauth stores when they set one up)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return existing or TOTP.activate(user, secret).instance
