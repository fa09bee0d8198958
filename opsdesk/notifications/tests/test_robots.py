"""WeCom, DingTalk and Feishu robots against a real HTTP receiver: exact JSON and signatures.

The expected signatures are computed here from the vendors' documented algorithms, not with
opsdesk.notifications.signing.
"""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
import time_machine

from opsdesk.notifications.models import Endpoint
from opsdesk.notifications.services import deliveries_send_due, delivery_enqueue

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SECRET = "SECb6c1d1a4f0e6b2bd4e1c5a9b3c2d7e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def robot(receiver, kind: str, path: str, secret: str = "") -> Endpoint:
    return Endpoint.objects.create(kind=kind, url=receiver.url(path), secret=secret,
                                   name_zh="运维群", name_en="Ops group")


def send(endpoint, **kwargs):
    values = {"subject": "P1 INC202611250001 核心交换机宕机", "text": "影响: 全楼\n处理组: NET2",
              "language": "zh-hans", **kwargs}
    with time_machine.travel(NOW, tick=False):
        delivery = delivery_enqueue(key=f"evt:{endpoint.kind}:{endpoint.pk}",
                                    channel=endpoint.kind, recipient=endpoint, **values)
        report = deliveries_send_due()
    delivery.refresh_from_db()
    return report, delivery


# --- WeCom: developer.work.weixin.qq.com/document/path/91770 ------------------------------

def test_wecom_posts_markdown_and_errcode_0_is_sent(receiver):
    report, delivery = send(robot(receiver, "wecom", "/cgi-bin/webhook/send?key=abc-123"))
    assert report.sent == 1 and delivery.status == "sent"
    [request] = receiver.requests
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": ["abc-123"]}
    assert request.json == {"msgtype": "markdown", "markdown": {
        "content": "**P1 INC202611250001 核心交换机宕机**\n影响: 全楼\n处理组: NET2"}}


def test_wecom_sends_the_callers_own_message_as_is(receiver):
    message = {"msgtype": "text", "text": {"content": "P1 宕机", "mentioned_list": ["@all"]}}
    send(robot(receiver, "wecom", "/send?key=k"), payload=message)
    assert receiver.requests[0].json == message


def test_wecom_nonzero_errcode_is_a_failure_to_retry(receiver):
    receiver.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    report, delivery = send(robot(receiver, "wecom", "/send?key=k"))
    assert report.retrying == 1
    assert delivery.last_error == "WeCom errcode 93000: invalid webhook url"


# --- DingTalk: open.dingtalk.com/document/robots/customize-robot-security-settings --------

def test_dingtalk_signs_the_url_and_posts_markdown(receiver):
    endpoint = robot(receiver, "dingtalk", "/robot/send?access_token=tok", secret=SECRET)
    report, _delivery = send(endpoint)
    assert report.sent == 1
    [request] = receiver.requests
    timestamp = request.query["timestamp"][0]
    assert timestamp == str(int(NOW.timestamp() * 1000))  # milliseconds
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert request.query["sign"] == [expected]  # parse_qs undid the URL encoding
    assert request.query["access_token"] == ["tok"]
    assert request.json == {"msgtype": "markdown", "markdown": {
        "title": "P1 INC202611250001 核心交换机宕机",
        "text": "### P1 INC202611250001 核心交换机宕机\n\n影响: 全楼\n处理组: NET2"}}


def test_dingtalk_without_secret_is_not_signed_and_errcode_decides(receiver):
    receiver.answer = {"errcode": 310000, "errmsg": "sign not match"}
    report, delivery = send(robot(receiver, "dingtalk", "/robot/send?access_token=tok"))
    assert set(receiver.requests[0].query) == {"access_token"}
    assert report.retrying == 1 and "310000" in delivery.last_error


# --- Feishu: open.feishu.cn/document/client-docs/bot-v3/add-custom-bot --------------------

def test_feishu_signs_the_body_and_posts_rich_text(receiver):
    receiver.answer = {"code": 0, "msg": "success", "data": {}}
    report, _delivery = send(robot(receiver, "feishu", "/open-apis/bot/v2/hook/h00k",
                                   secret="fs-secret-42"))
    assert report.sent == 1
    body = receiver.requests[0].json
    timestamp = str(int(NOW.timestamp()))  # seconds
    key = f"{timestamp}\nfs-secret-42".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body == {"timestamp": timestamp, "sign": expected, "msg_type": "post", "content": {
        "post": {"zh_cn": {"title": "P1 INC202611250001 核心交换机宕机", "content": [
            [{"tag": "text", "text": "影响: 全楼"}], [{"tag": "text", "text": "处理组: NET2"}]]}}}}


def test_feishu_english_post_and_the_older_statuscode_answer(receiver):
    receiver.answer = {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}
    report, _delivery = send(robot(receiver, "feishu", "/hook/x"), language="en",
                             subject="P1 core switch down", text="Impact: building")
    assert report.sent == 1
    assert receiver.requests[0].json == {"msg_type": "post", "content": {"post": {"en_us": {
        "title": "P1 core switch down",
        "content": [[{"tag": "text", "text": "Impact: building"}]]}}}}


def test_feishu_nonzero_code_is_a_failure_to_retry(receiver):
    receiver.answer = {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    report, delivery = send(robot(receiver, "feishu", "/hook/x", secret="s"))
    assert report.retrying == 1 and delivery.last_error.startswith("Feishu code 19021")
