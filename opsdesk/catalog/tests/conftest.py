"""A small catalogue for the tests: a request without approval, one with, and one with every
kind of field; the requester's manager approves."""

from datetime import date

import pytest

from opsdesk.catalog.models import FieldKind, RequestField, RequestType
from opsdesk.core.testing.factories import UserFactory
from opsdesk.sla.models import SlaPolicy
from opsdesk.sla.policies import policies_load_defaults


def field(request_type, key, kind, zh, en, **options):
    return RequestField.objects.create(request_type=request_type, key=key, kind=kind,
                                       label_zh=zh, label_en=en, **options)


@pytest.fixture
def catalog(org):
    """Types `reset` (no approval, own SLA policy), `software` (approval) and `vpn` (every kind
    of field, approval); `boss` is the requester's manager."""
    policies_load_defaults()
    fast = SlaPolicy.objects.get(code="P2")
    boss = UserFactory(username="boss", email="boss@example.com", language="en")
    org.requester.manager = boss
    org.requester.save(update_fields=["manager"])
    reset = RequestType.objects.create(
        code="password-reset", name_zh="密码重置", name_en="Password reset",
        description_en="Forgot your password", fulfilment_group=org.groups["DESK"],
        sla_policy=fast, instructions_en="1. Check the caller's identity\n2. Reset",
        instructions_zh="1. 核实身份\n2. 重置")
    field(reset, "account", FieldKind.TEXT, "账号", "Account", required=True, max_length=20,
          regex=r"[a-z][a-z0-9.]+", regex_message_zh="账号只含小写字母和数字",
          regex_message_en="Lower-case letters and digits only", in_summary=True)
    software = RequestType.objects.create(
        code="software", name_zh="软件安装", name_en="New software", needs_approval=True,
        fulfilment_group=org.groups["APP2"])
    field(software, "software", FieldKind.CHOICE, "软件", "Software", required=True,
          options="visio | Visio 绘图 | Visio\nproject | Project 项目 | Project", in_summary=True)
    field(software, "why", FieldKind.LONG_TEXT, "理由", "Justification", required=True)
    vpn = RequestType.objects.create(
        code="vpn", name_zh="VPN 开通", name_en="VPN access", needs_approval=True,
        fulfilment_group=org.groups["NET2"], sla_policy=fast)
    field(vpn, "start", FieldKind.DATE, "开始日期", "From", required=True,
          min_date=date(2026, 1, 1), max_date=date(2027, 12, 31))
    field(vpn, "deputy", FieldKind.USER, "代理人", "Deputy")
    field(vpn, "form", FieldKind.ATTACHMENT, "申请表", "Signed form")
    return type("Catalog", (), {"reset": reset, "software": software, "vpn": vpn,
                                "boss": boss, "policy": fast})
