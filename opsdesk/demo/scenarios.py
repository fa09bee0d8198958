"""What goes wrong at the demo company: incident templates and the words people use about them."""

from typing import NamedTuple


class Text(NamedTuple):
    """One incident's words in one language."""

    short: str
    description: str
    resolution: str


class Scenario(NamedTuple):
    """A kind of incident: where it belongs, how bad it usually is, and how it ends."""

    category: str  # category path
    service: str
    group: str  # 2nd-line group that works it
    cis: tuple[str, ...]
    impact: int
    urgency: int
    resolution_code: str
    vendor: str | None  # vendor name prefix, when the vendor is involved
    zh: Text
    en: Text


S = Scenario
T = Text

SCENARIOS = [
    S("NET.VPN", "VPN", "NET", ("vpn-gw01",), 3, 2, "01", "深信服", T(
        "VPN 无法连接，提示证书错误", "在家办公时 VPN 客户端连接到 90% 后报“证书校验失败”，"
        "已重启电脑仍然不行。", "网关证书已过期，已更换新证书并通知用户重新连接。"), T(
        "VPN fails with a certificate error", "Working from home, the VPN client stops at 90% "
        "with 'certificate verification failed'. Rebooting did not help.",
        "The gateway certificate had expired; installed the renewed certificate.")),
    S("NET.LAN", "NETWORK", "NET", ("wlc-bj01",), 3, 3, "08", None, T(
        "3楼无线网络频繁掉线", "3楼东区会议室附近 Wi-Fi 每隔几分钟断一次，视频会议受影响。",
        "AP 信道干扰，已调整信道并升级 AP 固件。"), T(
        "Wi-Fi keeps dropping on the 3rd floor", "Near the east meeting rooms the Wi-Fi drops "
        "every few minutes, video calls freeze.", "Channel interference; moved the access "
        "points to other channels and updated their firmware.")),
    S("NET.INTERNET", "NETWORK", "NET", ("fw01", "core-sw01"), 2, 2, "07", "中国电信", T(
        "上海分公司无法访问互联网", "上海办公室所有人上午10点起无法打开外部网站，内网正常。",
        "电信专线光缆被施工挖断，运营商已抢修恢复。"), T(
        "Shanghai branch has no internet access", "Since 10:00 nobody in the Shanghai office "
        "can open external websites; internal systems work.",
        "The carrier's fibre was cut by road works; China Telecom repaired it.")),
    S("EMAIL", "EMAIL", "SYS", ("exch-mbx01",), 4, 3, "01", None, T(
        "Outlook 无法接收新邮件", "Outlook 显示“已断开连接”，从昨天下午开始收不到新邮件，"
        "网页版邮箱正常。", "重建 Outlook 配置文件后恢复正常。"), T(
        "Outlook does not receive new mail", "Outlook says 'Disconnected' and no new mail "
        "arrives since yesterday afternoon. Webmail works.",
        "Recreated the Outlook profile; mail arrives again.")),
    S("EMAIL", "EMAIL", "SYS", ("exch-mbx01", "exch-mbx02"), 1, 1, "04", "Microsoft", T(
        "全公司邮件发送延迟超过1小时", "多个部门反馈外发邮件长时间停留在发件箱，"
        "队列监控告警。", "传输服务队列堵塞，重启传输服务并清理异常队列。"), T(
        "Company-wide outgoing mail delayed over an hour", "Several departments report mail "
        "stuck in the outbox; the queue monitor raised an alert.",
        "The transport queue was stuck; restarted the transport service and cleared it.")),
    S("SW.BIZAPP", "ERP", "APP", ("erp-app01",), 2, 2, "02", "金蝶", T(
        "ERP 月结时凭证过账报错", "财务月结，批量过账凭证时报“单据状态异常”，影响本月结账。",
        "应用厂商提供补丁修复过账逻辑，已安装并重新过账成功。"), T(
        "ERP posting fails during month-end close", "At month-end, batch posting of vouchers "
        "fails with 'invalid document status'. The close is blocked.",
        "The vendor supplied a patch for the posting logic; installed it and posted again.")),
    S("SW.BIZAPP", "ERP", "APP", ("erp-app01", "erp-db01"), 2, 3, "09", None, T(
        "ERP 采购订单金额显示错误", "采购订单 PO-2381 的含税金额与明细合计不一致。",
        "汇率表数据错误，已修正数据并重新计算订单金额。"), T(
        "ERP purchase order shows the wrong total", "Purchase order PO-2381 shows a total "
        "that does not match the sum of its lines.",
        "The exchange-rate table held a wrong rate; corrected it and recalculated the order.")),
    S("DB", "ERP", "DBA", ("erp-db01",), 2, 2, "01", None, T(
        "ERP 查询报表非常慢", "库存报表以前几秒出结果，现在要5分钟以上。",
        "统计信息过期导致执行计划变差，已更新统计信息并增加索引。"), T(
        "ERP reports are very slow", "The stock report used to take seconds and now takes "
        "more than five minutes.",
        "Stale statistics caused a bad plan; updated statistics and added an index.")),
    S("SW.BIZAPP", "OA", "APP", ("oa-app01",), 3, 3, "01", None, T(
        "OA 审批流程卡在部门经理节点", "报销单提交后一直停在“部门经理审批”，经理看不到待办。",
        "审批人配置缺失，已补充部门经理映射。"), T(
        "OA approval stuck at the manager step", "An expense claim stays at 'department "
        "manager approval' and the manager has no task.",
        "The approver mapping was missing; added the department manager.")),
    S("SW.BIZAPP", "HR", "APP", ("hr-app01",), 3, 3, "09", None, T(
        "考勤记录缺失", "HR 系统里本周二、三的打卡记录是空的，但我每天都打卡了。",
        "考勤机数据同步任务失败，已重新同步。"), T(
        "Attendance records missing", "The HR system shows no clock-ins for Tuesday and "
        "Wednesday, though I clocked in every day.",
        "The time-clock sync job had failed; ran the sync again.")),
    S("SW.BIZAPP", "CRM", "APP", ("crm-app01",), 3, 2, "04", None, T(
        "CRM 打开客户页面报500错误", "销售同事打开任何客户详情页都报“服务器内部错误”。",
        "应用内存溢出，已重启服务并调整内存参数。"), T(
        "CRM customer page returns error 500", "Sales colleagues get 'internal server "
        "error' on every customer page.",
        "The application ran out of memory; restarted it and raised its heap.")),
    S("HW.PRINTER", "PRINT", "DESKTOP", ("print-bj-3f",), 3, 3, "03", None, T(
        "3楼打印机卡纸无法打印", "3楼彩色打印机提示卡纸，取出纸后仍然报错。",
        "更换定影组件后恢复。"), T(
        "3rd-floor printer jams", "The colour printer on the 3rd floor reports a paper jam "
        "even after the paper was removed.", "Replaced the fuser unit.")),
    S("HW.PRINTER", "PRINT", "DESKTOP", ("print-sh-01",), 4, 4, "06", None, T(
        "无法添加网络打印机", "新电脑上找不到上海办公室的复印打印机。",
        "已远程指导用户安装驱动并添加打印机。"), T(
        "Cannot add the network printer", "My new laptop cannot find the Shanghai office "
        "printer.", "Walked the user through installing the driver and adding the printer.")),
    S("HW.PC", "DESKTOP", "DESKTOP", ("PC-BJ-0231",), 4, 2, "03", "联想", T(
        "笔记本开机黑屏", "ThinkPad 按电源键后指示灯亮，但屏幕一直黑屏。",
        "主板故障，联想保修上门更换主板。"), T(
        "Laptop screen stays black", "The ThinkPad's power light comes on but the screen "
        "stays black.", "Faulty mainboard; Lenovo replaced it under warranty.")),
    S("SW.OS", "DESKTOP", "DESKTOP", ("PC-SZ-0412",), 4, 3, "02", None, T(
        "Windows 更新后电脑很慢", "昨天自动更新后，开机要十分钟，软件打开很慢。",
        "回滚有问题的驱动更新并清理启动项。"), T(
        "PC very slow after a Windows update", "Since yesterday's update the PC takes ten "
        "minutes to start and programs open slowly.",
        "Rolled back the faulty driver update and trimmed the startup items.")),
    S("SW.OFFICE", "DESKTOP", "DESKTOP", ("PC-SH-0087",), 4, 3, "06", None, T(
        "Excel 打开大文件崩溃", "打开超过50MB的销售数据表时 Excel 直接关闭。",
        "安装64位 Office 并指导用户使用数据透视表。"), T(
        "Excel crashes on large workbooks", "Excel closes when I open the sales workbook "
        "(over 50 MB).", "Installed 64-bit Office and showed the user pivot tables.")),
    S("ACCOUNT.PASSWORD", "DESKTOP", "DESK", (), 4, 2, "05", None, T(
        "域账号被锁定", "输错几次密码后账号被锁，无法登录电脑。",
        "已解锁账号并重置密码，提醒用户更新手机邮箱中的旧密码。"), T(
        "Domain account locked out", "After a few wrong passwords my account is locked and "
        "I cannot sign in.", "Unlocked the account, reset the password and reminded the user "
        "to update it on their phone.")),
    S("ACCOUNT.PERMISSION", "FILES", "SYS", ("nas01",), 4, 3, "05", None, T(
        "无法访问财务共享盘", "提示“拒绝访问”，需要访问 \\\\nas01\\finance 目录。",
        "经部门经理审批后已加入财务共享组。"), T(
        "No access to the finance share", "I get 'access denied' on \\\\nas01\\finance and "
        "need it for my work.", "Added the user to the finance share group after the "
        "manager approved.")),
    S("HW.SERVER", "FILES", "SYS", ("nas01", "esx-host03"), 2, 2, "03", None, T(
        "文件共享盘访问非常慢", "多个部门反映打开共享盘文件要等很久。",
        "存储控制器一块磁盘故障导致重建，已更换磁盘。"), T(
        "File shares very slow", "Several departments say files on the shares take ages "
        "to open.", "A failed disk made the storage rebuild; replaced the disk.")),
    S("SECURITY.VIRUS", "DESKTOP", "DESKTOP", ("PC-SZ-0412",), 3, 1, "09", None, T(
        "电脑疑似中病毒，文件被加密", "桌面文件后缀变成 .locked，出现勒索提示。",
        "隔离终端，重装系统并从备份恢复文件，已通知安全团队。"), T(
        "Suspected ransomware on a PC", "Files on the desktop now end in .locked and a "
        "ransom note appeared.", "Isolated the PC, reinstalled it and restored the files "
        "from backup; security was informed.")),
    S("NET.LAN", "NETWORK", "NET", ("sw-sh-acc01",), 3, 2, "03", "华为", T(
        "上海办公室部分工位断网", "上海办公室 B 区十几个工位网口没有信号。",
        "接入交换机电源模块故障，厂商已更换。"), T(
        "Part of the Shanghai office offline", "A dozen desks in zone B of the Shanghai "
        "office have no network.", "The access switch's power module failed; the vendor "
        "replaced it.")),
    S("OTHER", "OA", "DESK", (), 4, 4, "06", None, T(
        "咨询：如何申请会议室视频设备", "下周有客户来访，想知道怎么预约视频会议设备。",
        "已告知在 OA 中提交会议室预约并勾选视频设备。"), T(
        "Question: how to book video equipment", "A customer visits next week; how do I "
        "book the video-conference kit?", "Explained how to book it with the meeting room "
        "in OA.")),
]

# Words people add while working (Chinese, English).
DESK_REPLIES = [
    ("您好，已收到您的反馈，正在为您处理。", "Hello, we have your report and are on it."),
    ("已转交专业组处理，请保持电话畅通。", "Passed to the specialist team; please stay reachable."),
]
WORK_NOTES = [
    ("已远程查看日志，初步判断为配置问题。", "Read the logs remotely: looks like a setting."),
    ("已联系厂商，等待回复。", "Contacted the vendor, waiting for their answer."),
    ("复现成功，正在排查根因。", "Reproduced it; looking for the cause."),
]
PENDING_QUESTIONS = [
    ("请提供报错截图和发生时间。", "Please send a screenshot of the error and when it happened."),
    ("请确认是否方便明天上午远程协助。", "Is a remote session tomorrow morning convenient?"),
]
HAND_BACK_REASONS = [
    ("不属于本组负责范围，请重新分派。", "Not ours: please assign to the right group."),
    ("信息不完整，缺少设备编号。", "Information missing: no asset number given."),
]
REJECT_REASONS = [
    ("问题依旧存在，今天早上又出现了。", "Still broken: it happened again this morning."),
]
CANCEL_REASONS = [
    ("用户已自行解决，撤销申请。", "The user solved it themselves and withdrew it."),
    ("重复提交，撤销。", "Submitted twice by mistake."),
]
