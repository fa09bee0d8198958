"""The demo vendors' contacts, underpinning contracts and a few engagements on demo incidents.

Run after the demo company and its incidents exist (`vendors_seed()`); safe to run again:
contacts and contracts are matched by name and number, and engagements are only made while there are
none.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.accounts.models import User
from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.incidents.choices import FINAL_STATUSES
from opsdesk.incidents.models import Incident
from opsdesk.vendors.models import Vendor, VendorContact, VendorContract, VendorEngagement
from opsdesk.vendors.services import vendor_engagement_create, vendor_engagement_update

HOUR, WORKING_DAY = 3600, 8 * 3600
ENGAGEMENTS = 12  # at most this many demo incidents get a vendor engagement
# vendor name prefix -> contacts (name, role, phone, email, escalation level or 0)
CONTACTS = {
    "华为": [("华为 TAC 热线", "技术支持中心 TAC", "400-822-9999", "tac@huawei.example.cn", 0),
             ("王经理", "客户服务经理 / Service manager", "138-0000-1001",
              "wang.sm@huawei.example.cn", 1),
             ("赵总监", "服务总监 / Service director", "138-0000-1002",
              "zhao.dir@huawei.example.cn", 2)],
    "金蝶": [("金蝶 400 热线", "ERP 支持 / ERP support", "400-883-0830",
              "erp-support@kingdee.example.cn", 0),
             ("陈工", "驻场顾问 / On-site consultant", "139-0000-2001",
              "chen@kingdee.example.cn", 1)],
    "联想": [("联想服务热线", "保修 / Warranty", "400-990-8888", "service@lenovo.example.cn", 0)],
    "中国电信": [("政企客服", "10000 政企 / Enterprise line", "10000",
                  "ent@chinatelecom.example.cn", 0),
                 ("刘经理", "客户经理 / Account manager", "189-0000-3001",
                  "liu@chinatelecom.example.cn", 1)],
    "深信服": [("深信服技术支持", "400 支持 / Support", "400-630-6430",
                "support@sangfor.example.cn", 0)],
    "Microsoft": [("Premier Support", "Support engineer", "800-820-3800",
                   "premier@microsoft.example.com", 0),
                  ("TAM", "Technical account manager", "800-820-3801",
                   "tam@microsoft.example.com", 1)],
}
# vendor name prefix -> (number, title, calendar, response s, resolution s, services, CIs)
CONTRACTS = {
    "华为": ("HW-MA-2026", "核心网络设备维保 7×24 / Core network maintenance", "7x24",
             HOUR // 2, 4 * HOUR, ["NETWORK"], ["core-sw01", "fw01", "wlc-bj01", "sw-sh-acc01"]),
    "金蝶": ("KD-ERP-2026", "ERP 原厂支持 5×8 / ERP vendor support", "5x8", 2 * HOUR,
             WORKING_DAY, ["ERP"], ["erp-app01"]),
    "联想": ("LN-WTY-2026", "台式机与笔记本保修 / Desktop and laptop warranty", "5x8",
             WORKING_DAY, 3 * WORKING_DAY, ["DESKTOP"], []),
    "中国电信": ("CT-LINE-2026", "互联网专线与 MPLS / Internet and MPLS lines", "7x24",
                 HOUR // 2, 4 * HOUR, ["NETWORK"], []),
    "深信服": ("SF-VPN-2026", "VPN 网关维保 / VPN gateway maintenance", "5x8", HOUR,
               WORKING_DAY, ["VPN"], ["vpn-gw01"]),
    "Microsoft": ("MS-PREM-2026", "Premier Support for Exchange and Windows Server", "7x24",
                  HOUR, 24 * HOUR, ["EMAIL"], ["exch-mbx01", "exch-mbx02"]),
}


@transaction.atomic
def vendors_seed() -> int:
    """Contacts and contracts for the demo vendors, then engagements; return engagements made."""
    for vendor in Vendor.objects.all():
        prefix = _prefix(vendor)
        if prefix is None:
            continue
        _contacts_create(vendor, CONTACTS[prefix])
        _contract_create(vendor, *CONTRACTS[prefix])
    return _engagements_create()


def _prefix(vendor: Vendor) -> str | None:
    return next((p for p in CONTACTS if vendor.name.startswith(p)), None)


def _contacts_create(vendor: Vendor, rows) -> None:
    for order, (name, role, phone, email, level) in enumerate(rows):
        VendorContact.objects.get_or_create(vendor=vendor, name=name, defaults={
            "role": role, "phone": phone, "email": email, "is_escalation": level > 0,
            "escalation_level": level, "sort_order": order})


def _contract_create(vendor, number, title, calendar, response, resolution, services,
                     cis) -> None:
    today = timezone.localdate()
    contract, created = VendorContract.objects.get_or_create(vendor=vendor, number=number,
                                                             defaults={
        "title": title, "calendar_id": calendar, "response_seconds": response,
        "resolution_seconds": resolution, "starts_on": date(today.year - 1, 1, 1),
        "ends_on": date(today.year + 1, 12, 31)})
    if created:
        contract.services.set(Service.objects.filter(code__in=services))
        contract.configuration_items.set(ConfigurationItem.objects.filter(name__in=cis))


def _engagements_create() -> int:
    """Vendor work behind demo incidents still being worked: those that name a vendor, else
    those on a service a demo contract covers (that contract's vendor is contacted)."""
    manager = User.objects.filter(username="manager").first()
    if manager is None or VendorEngagement.objects.exists():  # seeded once
        return 0
    vendor_by_service = dict(VendorContract.objects.filter(is_active=True).values_list(
        "services", "vendor"))
    candidates = (Incident.objects.filter(vendor_engagements__isnull=True)
                  .filter(Q(vendor__isnull=False) | Q(service__in=[
                      s for s in vendor_by_service if s is not None]))
                  .exclude(status__in=FINAL_STATUSES).order_by("registered_at")[:ENGAGEMENTS])
    vendors = {v.pk: v for v in Vendor.objects.all()}
    made = 0
    for n, incident in enumerate(candidates):
        vendor = vendors[incident.vendor_id or vendor_by_service[incident.service_id]]
        made += _engage(incident, vendor, manager, n)
    return made


def _engage(incident: Incident, vendor: Vendor, by, n: int) -> int:
    now = timezone.now()
    contacted = incident.registered_at + timedelta(minutes=20 + 5 * n)
    if contacted >= now:
        return 0
    engagement = vendor_engagement_create(
        incident=incident, by=by, vendor=vendor, data={
            "reference": incident.vendor_reference or f"VR-{incident.pk:05d}",
            "contacted_at": contacted,
            "contacted_via": ("phone", "email", "portal")[n % 3]})
    # A realistic spread: most answer within the hour, some late; half of them fixed.
    responded = contacted + timedelta(minutes=(15, 40, 95, 300)[n % 4])
    if responded < now:
        data = {"responded_at": responded}
        resolved = responded + timedelta(hours=(1, 3, 7, 30)[n % 4])
        if n % 2 == 0 and resolved < now:
            data["resolved_at"] = resolved
        vendor_engagement_update(engagement=engagement, by=by, data=data)
    return 1
