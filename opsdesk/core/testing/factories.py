"""factory_boy factories for the core records."""

import factory
from django.utils import timezone

from opsdesk.accounts.models import Location, Organisation, SupportGroup, User
from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.vendors.models import Vendor


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"DEPT{n:03d}")
    name_zh = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"LOC{n:03d}")
    name_zh = factory.Sequence(lambda n: f"地点{n}")
    name_en = factory.Sequence(lambda n: f"Site {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    department = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password("correct horse battery staple")


class SupportGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportGroup
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"G{n:03d}")
    name_zh = factory.Sequence(lambda n: f"支持组{n}")
    name_en = factory.Sequence(lambda n: f"Support group {n}")
    line = 2

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"SVC{n:03d}")
    name_zh = factory.Sequence(lambda n: f"服务{n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")


class ConfigurationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    name = factory.Sequence(lambda n: f"srv-{n:04d}")
    ci_type_id = "server"


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")


def incident_factory(*, by, **data):
    """Log an incident through the real service, as the given person."""
    from opsdesk.incidents.choices import Channel
    from opsdesk.incidents.services import incident_create

    data.setdefault("short_description", "Printer on floor 3 does not print")
    incident, _created = incident_create(by=by, data=data, channel=data.pop("channel", Channel.WEB))
    return incident


def now():
    return timezone.now()
