"""The demo company's service catalogue. Safe to run again: types are matched by code and kept
as they are (their fields are only written when the type is new).

The demo account `user` (王小明, Sales) gets the demo account `manager` (陈静) as manager, so
the printed accounts can play the whole approval story; the Sales department's head (周强)
approves for the other salespeople.
"""

from django.db import transaction

from opsdesk.accounts.models import Organisation, SupportGroup, User
from opsdesk.catalog.models import FieldKind, RequestField, RequestType
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.reference.models import Category

# (code, icon, zh, en, description zh, description en, category path, service, group,
#  needs approval, urgency, instructions zh, instructions en, fields)
# field: (key, kind, zh, en, required, extra options)
TYPES = [
    ("password-reset", "🔑", "密码重置", "Password reset",
     "忘记域账号或邮箱密码,服务台核实身份后重置。",
     "Forgot your Windows or mail password: the desk checks who you are and resets it.",
     "ACCOUNT.PASSWORD", "EMAIL", "DESK", False, 2,
     "1. 回拨登记的手机号核实身份\n2. 在 AD 中重置密码并勾选“下次登录须更改”\n"
     "3. 电话告知临时密码,不得通过邮件发送\n4. 解决代码选“权限/账号处理”",
     "1. Call back the registered mobile number to check identity\n"
     "2. Reset the password in AD with “must change at next logon”\n"
     "3. Give the temporary password by phone, never by mail\n"
     "4. Resolve with code “Access or account fixed”",
     [("account", FieldKind.TEXT, "账号", "Account", True,
       {"max_length": 64, "regex": r"[A-Za-z][A-Za-z0-9._-]{1,63}", "in_summary": True,
        "regex_message_zh": "请输入域账号,例如 wangxm", "regex_message_en":
        "Enter the sign-in name, e.g. wangxm"}),
      ("system", FieldKind.CHOICE, "系统", "System", True,
       {"options": "ad | 域账号(电脑登录) | Windows sign-in\nmail | 邮箱 | Mail\n"
                   "erp | ERP | ERP\noa | OA | OA"})]),
    ("account-unlock", "🔓", "账号解锁", "Account unlock",
     "多次输错密码后账号被锁定。", "Your account is locked after too many wrong passwords.",
     "ACCOUNT.PASSWORD", None, "DESK", False, 2,
     "1. 核实身份\n2. 在 AD 中解锁账号\n3. 查看锁定来源(手机邮箱旧密码常见)并告知用户",
     "1. Check identity\n2. Unlock the account in AD\n"
     "3. Look up the lockout source (often a phone with an old password) and tell the user",
     [("account", FieldKind.TEXT, "账号", "Account", True, {"max_length": 64,
                                                          "in_summary": True})]),
    ("software", "💿", "软件安装", "New software",
     "安装公司已授权的软件,需经理审批。", "Install licensed software; your manager approves.",
     "SW.OFFICE", "DESKTOP", "DESKTOP", True, 3,
     "1. 核对许可证余量(资产台账)\n2. 远程或现场安装\n3. 登记许可证分配\n4. 请用户确认可用后解决",
     "1. Check the free licences in the asset register\n2. Install remotely or on site\n"
     "3. Record the licence assignment\n4. Resolve once the user confirms it works",
     [("software", FieldKind.CHOICE, "软件", "Software", True,
       {"options": "visio | Microsoft Visio | Microsoft Visio\n"
                   "project | Microsoft Project | Microsoft Project\n"
                   "acrobat | Adobe Acrobat Pro | Adobe Acrobat Pro\n"
                   "autocad | AutoCAD LT | AutoCAD LT\nxmind | XMind 思维导图 | XMind",
        "in_summary": True}),
      ("justification", FieldKind.LONG_TEXT, "申请理由", "Justification", True,
       {"max_length": 1000}),
      ("computer", FieldKind.TEXT, "电脑编号", "Computer tag", False,
       {"max_length": 40, "help_zh": "贴在电脑底部的资产标签", "help_en":
        "The asset tag under the laptop"})]),
    ("vpn-access", "🌐", "VPN 开通", "VPN access",
     "出差或居家办公需要远程接入公司网络,需经理审批。",
     "Remote access to the company network when travelling or working from home; your "
     "manager approves.", "NET.VPN", "VPN", "NET", True, 3,
     "1. 在深信服 VPN 控制台为用户开通账号,有效期按申请日期\n2. 绑定手机令牌\n"
     "3. 发送《VPN 使用指南》知识文章\n4. 到期自动失效,无需另行关闭",
     "1. Create the account on the Sangfor VPN console, valid for the requested dates\n"
     "2. Bind the mobile token\n3. Send the knowledge article “Using the VPN”\n"
     "4. Access ends by itself on the last day",
     [("date_from", FieldKind.DATE, "开始日期", "From", True, {}),
      ("date_to", FieldKind.DATE, "结束日期", "Until", True, {}),
      ("reason", FieldKind.LONG_TEXT, "用途", "What for", True, {"max_length": 500})]),
    ("printer-toner", "🖨️", "打印机墨粉", "Printer toner",
     "打印机缺墨粉或硒鼓,桌面支持送到现场。",
     "A printer is low on toner or needs a drum: Desktop support brings it over.",
     "HW.PRINTER", "PRINT", "DESKTOP", False, 3,
     "1. 从备件柜领取对应型号墨粉\n2. 送到打印机所在位置并更换\n3. 打印测试页\n4. 登记备件消耗",
     "1. Take the matching toner from the spares cabinet\n2. Replace it at the printer\n"
     "3. Print a test page\n4. Record the spare used",
     [("printer", FieldKind.CHOICE, "打印机", "Printer", True,
       {"options": "bj3f-hp | 北京3楼 HP M428 | Beijing 3F HP M428\n"
                   "bj2f-canon | 北京2楼 佳能 iR2625 | Beijing 2F Canon iR2625\n"
                   "sh-hp | 上海 HP M428 | Shanghai HP M428\n"
                   "sz-brother | 深圳 Brother L5100 | Shenzhen Brother L5100",
        "in_summary": True}),
      ("location", FieldKind.TEXT, "具体位置", "Where exactly", False, {"max_length": 100}),
      ("colour", FieldKind.CHOICE, "颜色", "Colour", False,
       {"options": "black | 黑色 | Black\ncolour | 彩色 | Colour"})]),
    ("new-joiner", "🧳", "新员工入职设备", "New joiner equipment",
     "为新同事准备电脑、账号和电话,需经理审批。",
     "A laptop, accounts and a phone for a new colleague; the manager approves.",
     "HW.PC", "DESKTOP", "DESKTOP", True, 3,
     "1. 入职日前 2 个工作日完成\n2. 领用标准笔记本并安装标准镜像\n3. 创建域账号与邮箱\n"
     "4. 分配分机号\n5. 入职当天上午到工位交付并讲解",
     "1. Done two working days before the start date\n"
     "2. Take a standard laptop and install the standard image\n"
     "3. Create the sign-in account and mailbox\n4. Assign an extension\n"
     "5. Hand it over at the desk on the first morning",
     [("start_date", FieldKind.DATE, "入职日期", "Start date", True, {"in_summary": True}),
      ("new_joiner_name", FieldKind.TEXT, "新员工姓名", "New joiner's name", True,
       {"max_length": 60, "in_summary": True}),
      ("buddy", FieldKind.USER, "入职引导人", "Buddy", False,
       {"help_zh": "填写用户名", "help_en": "Their username"}),
      ("laptop", FieldKind.CHOICE, "电脑", "Laptop", True,
       {"options": "standard | 标准办公本 | Standard laptop\n"
                   "developer | 研发高配 | Developer laptop"}),
      ("offer", FieldKind.ATTACHMENT, "入职通知(可选)", "Offer letter (optional)", False, {})]),
]
MANAGERS = {"user": "manager"}  # demo account -> their manager
DEPARTMENT_HEADS = {"EXT-SALES": "zhouqiang", "EXT-IT": "manager"}


@transaction.atomic
def catalog_seed() -> int:
    """Create the demo request types that are missing and set the approvers; return how many
    types were created."""
    created = 0
    for order, row in enumerate(TYPES):
        created += _type_create(order, *row)
    _approvers_set()
    return created


def _type_create(order, code, icon, zh, en, desc_zh, desc_en, category, service, group,
                 needs_approval, urgency, steps_zh, steps_en, fields) -> int:
    if RequestType.objects.filter(code=code).exists():
        return 0
    request_type = RequestType.objects.create(
        code=code, icon=icon, name_zh=zh, name_en=en, description_zh=desc_zh,
        description_en=desc_en, category=Category.objects.filter(path=category).first(),
        service=Service.objects.filter(code=service).first() if service else None,
        fulfilment_group=SupportGroup.objects.get(code=group), needs_approval=needs_approval,
        urgency_id=urgency, instructions_zh=steps_zh, instructions_en=steps_en,
        sort_order=order)
    for position, (key, kind, label_zh, label_en, required, extra) in enumerate(fields):
        RequestField.objects.create(request_type=request_type, key=key, kind=kind,
                                    label_zh=label_zh, label_en=label_en, required=required,
                                    sort_order=position, **extra)
    return 1


def _approvers_set() -> None:
    for username, manager in MANAGERS.items():
        User.objects.filter(username=username, manager__isnull=True).update(
            manager=User.objects.filter(username=manager).first())
    for code, username in DEPARTMENT_HEADS.items():
        Organisation.objects.filter(code=code, head__isnull=True).update(
            head=User.objects.filter(username=username).first())
    lookups.forget(Organisation)
