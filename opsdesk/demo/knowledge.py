"""The demo company's knowledge base: a few dozen real-looking articles in Chinese and English,
written, reviewed and published through the knowledge services (issue 6)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.knowledge import services
from opsdesk.knowledge.models import Article
from opsdesk.reference.models import Category

# (author, category path, service code, CIs, type, visibility, language, title, keywords,
#  body in Markdown, workaround) — every article is published unless named in IN_REVIEW.
ARTICLES = [
    ("desk", "HW.PRINTER", "PRINT", ["print-bj-3f"], "solution", "public", "zh-hans",
     "打印机卡纸怎么处理", "打印机 卡纸 夹纸 HP M479",
     "打印机面板提示“卡纸”或打印到一半停止时，请按以下步骤处理：\n\n"
     "1. 按电源键关闭打印机，等待 30 秒让定影器冷却（**定影器很烫，不要直接触摸**）。\n"
     "2. 打开前盖，取下硒鼓，沿出纸方向**慢慢**抽出卡住的纸张，不要撕碎。\n"
     "3. 打开后盖和纸盒，检查是否还有碎纸。\n"
     "4. 纸盒中的纸不要超过最大高度线，受潮或起皱的纸请更换。\n"
     "5. 重新开机，打印一张测试页。\n\n"
     "如果同一台打印机一天内多次卡纸，请报告事件，注明打印机位置（如 3 楼彩色打印机）。", ""),
    ("desk", "HW.PRINTER", "PRINT", [], "howto", "public", "zh-hans",
     "如何添加网络打印机", "添加打印机 网络打印 驱动",
     "1. 打开 **设置 → 蓝牙和其他设备 → 打印机和扫描仪**。\n"
     "2. 点击“添加设备”，等待列表出现 `print-bj-3f` 等打印机。\n"
     "3. 没有出现时，点击“我需要的打印机不在列表中”，输入 `\\\\print.example.cn\\BJ-3F-Color`。\n"
     "4. 系统会自动安装驱动；公司电脑无需管理员权限。\n\n"
     "上海办公室请选择 `SH-Ricoh-01`。", ""),
    ("desk", "HW.PRINTER", "PRINT", [], "solution", "public", "en",
     "Printer prints blank pages", "printer blank pages toner",
     "Blank pages usually mean the toner cartridge is empty or its seal was not removed.\n\n"
     "1. Open the front cover and take out the toner cartridge.\n"
     "2. Remove the orange sealing tape if it is still there.\n"
     "3. Gently rock the cartridge side to side to spread the toner.\n"
     "4. Put it back and print a test page.\n\n"
     "If the page is still blank, order a new cartridge from the service catalogue "
     "(**Printer toner**).", ""),
    ("desk", "NET.VPN", "VPN", ["vpn-gw01"], "solution", "public", "zh-hans",
     "VPN 无法连接（提示“连接超时”）", "VPN 连不上 超时 深信服 EasyConnect 远程办公",
     "在家或出差时 VPN 连不上，请依次检查：\n\n"
     "1. 先确认能打开任意外部网站（例如 www.baidu.com）。不能上网时先解决本地网络。\n"
     "2. EasyConnect 客户端版本需为 **7.6.7 及以上**，旧版本请从 https://vpn.example.cn 下载更新。\n"
     "3. 酒店、机场等公共 Wi-Fi 可能屏蔽 VPN，请改用手机热点再试。\n"
     "4. 连续输错密码 5 次账号会被锁定 30 分钟，可在门户自助解锁。\n\n"
     "仍无法连接时请报告事件，并附上客户端“诊断工具”的截图。", ""),
    ("engineer", "NET.VPN", "VPN", ["vpn-gw01"], "solution", "public", "en",
     "VPN connects but internal sites do not open", "vpn intranet dns split tunnel",
     "When the VPN shows *connected* but `oa.example.cn` or the ERP do not open:\n\n"
     "1. Disconnect and connect again: the DNS settings are pushed at connection time.\n"
     "2. Open a command prompt and run `ipconfig /flushdns`.\n"
     "3. Check that `nslookup oa.example.cn` answers with a `10.` address.\n"
     "4. Switch off other VPN or proxy software (e.g. a personal accelerator).\n\n"
     "If the name still resolves to a public address, report an incident with the output "
     "of step 3.", ""),
    ("desk", "ACCOUNT.PASSWORD", "", [], "howto", "public", "zh-hans",
     "忘记密码：如何自助重置域账号密码", "忘记密码 重置密码 账号锁定 解锁 域账号",
     "1. 打开 https://password.example.cn （公司网络或 VPN 下均可访问）。\n"
     "2. 输入工号和登记的手机号，获取短信验证码。\n"
     "3. 设置新密码：至少 **10 位**，包含大小写字母和数字，不能与最近 5 次相同。\n"
     "4. 修改后约 5 分钟同步到邮箱、VPN 和 Wi-Fi；手机上的邮箱需要重新输入新密码。\n\n"
     "手机号未登记或收不到验证码，请致电服务台 8000。", ""),
    ("desk", "ACCOUNT.PASSWORD", "", [], "howto", "public", "en",
     "Reset your Windows password yourself", "forgot password reset unlock account",
     "1. Go to https://password.example.cn (works in the office and over the VPN).\n"
     "2. Enter your employee number and the mobile number on file; you receive a code by SMS.\n"
     "3. Choose a new password: at least **10 characters**, upper and lower case and digits, "
     "none of your last 5.\n"
     "4. Allow 5 minutes for mail, VPN and Wi-Fi to take it; enter it again on your phone's "
     "mail app.\n\nLocked out after 5 wrong attempts? The lock lifts after 30 minutes, or "
     "unlock it on the same page.", ""),
    ("desk", "EMAIL", "EMAIL", ["exch-mbx01"], "solution", "public", "zh-hans",
     "Outlook 一直提示输入密码", "Outlook 邮箱 密码 弹窗 凭据",
     "修改域密码后，Outlook 可能反复弹出密码框：\n\n"
     "1. 关闭 Outlook。\n2. 打开 **控制面板 → 凭据管理器 → Windows 凭据**，删除所有包含 "
     "`outlook`、`office` 或 `exchange` 的条目。\n"
     "3. 重新打开 Outlook，输入新密码并勾选“记住我的凭据”。\n\n"
     "手机邮箱同样需要在设置中更新密码。", ""),
    ("engineer", "EMAIL", "EMAIL", ["exch-mbx01", "exch-mbx02"], "known_error", "internal",
     "zh-hans", "已知错误：Outlook 2016 打开共享日历时卡死", "Outlook 2016 共享日历 卡死 无响应",
     "## 现象\n\n使用 Outlook 2016（版本 16.0.4266）打开他人共享的日历时，Outlook 无响应，"
     "只能在任务管理器中结束。\n\n## 原因\n\nOffice 2016 的缓存模式与 Exchange 2019 共享日历"
     "同步存在缺陷，已提交问题管理。\n\n## 永久方案\n\n升级到 Microsoft 365 应用（计划 2027 年第一季度）。",
     "文件 → 账户设置 → 账户设置 → 双击邮箱 → 其他设置 → 高级 → 取消勾选“下载共享文件夹”，"
     "然后重启 Outlook。"),
    ("desk", "EMAIL", "EMAIL", [], "faq", "public", "en",
     "Mailbox full: how to free space", "mailbox full quota archive outlook",
     "Your mailbox holds **50 GB**. When Outlook warns that it is almost full:\n\n"
     "- Empty *Deleted Items* and *Junk Email*.\n"
     "- Sort by size (*View → Arrange by → Size*) and delete old mails with large attachments.\n"
     "- Use *File → Tools → Clean Up Old Items* to archive mail older than 12 months.\n\n"
     "Need more space for business reasons? Order **Mailbox quota increase** in the catalogue.", ""),
    ("desk", "NET.LAN", "NETWORK", ["wlc-bj01"], "howto", "public", "zh-hans",
     "如何连接公司 Wi-Fi（EXTECH-CORP）", "Wi-Fi 无线 连接 EXTECH-CORP 访客",
     "1. 选择无线网络 **EXTECH-CORP**。\n2. 用户名填写域账号（不带 @example.cn），密码为域密码。\n"
     "3. 提示证书时选择“连接”（证书颁发者为 EXTECH Root CA）。\n\n"
     "访客请连接 **EXTECH-GUEST**，前台可提供当日密码。私人手机请勿连接 CORP 网络。", ""),
    ("engineer", "NET.LAN", "NETWORK", [], "solution", "public", "en",
     "Wi-Fi connected but no internet", "wifi no internet limited connection",
     "1. Forget the network EXTECH-CORP and connect again with your domain account.\n"
     "2. If your password changed recently, Windows may still send the old one: forget the "
     "network first.\n"
     "3. Run `ipconfig /release` then `ipconfig /renew`.\n"
     "4. Try a cable in a meeting room: if the cable works, report an incident naming the "
     "floor and room where Wi-Fi fails.", ""),
    ("desk", "NET.INTERNET", "NETWORK", ["core-sw01", "fw01"], "solution", "public", "zh-hans",
     "网络无法访问：打不开网页", "网络 无法访问 上不了网 打不开网页 断网",
     "1. 看看同事是否也上不了网：多人同时断网请直接致电服务台 8000。\n"
     "2. 检查网线是否插好，右下角网络图标是否有黄色感叹号。\n"
     "3. 打开命令提示符，执行 `ipconfig`，确认获取到 `10.` 开头的地址。\n"
     "4. 执行 `ping 10.1.0.1`，能通说明内网正常，请清除浏览器代理设置后再试。\n"
     "5. 重启电脑。\n\n仍不能访问，请报告事件并附上第 3、4 步的截图。", ""),
    ("desk", "HW.PC", "DESKTOP", [], "solution", "public", "zh-hans",
     "电脑蓝屏怎么办", "蓝屏 死机 自动重启 BSOD 0x0000007e",
     "电脑突然蓝屏并重启时：\n\n1. 记下蓝屏上的**错误代码**（例如 `0x0000007E`），或拍照。\n"
     "2. 拔掉最近新接的外设（U 盘、扩展坞、打印机），重启。\n"
     "3. 开机后打开 **设置 → Windows 更新**，安装所有更新。\n"
     "4. 如果能正常进入系统，请保存工作并备份重要文件。\n\n"
     "同一天蓝屏两次以上，请报告事件并附上错误代码照片，桌面支持组会上门检查硬盘和内存。", ""),
    ("desk", "HW.PC", "DESKTOP", [], "solution", "public", "zh-hans",
     "电脑开不了机", "电脑 开不了机 无法开机 黑屏 电源",
     "1. 检查电源线和插排，笔记本请接上充电器等待 15 分钟。\n"
     "2. 长按电源键 15 秒放掉静电，再按一次开机。\n"
     "3. 显示器无信号时，检查显示器电源和视频线。\n"
     "4. 听到连续“嘀”声或指示灯闪烁，请拍下来报告事件。\n\n"
     "需要紧急用电脑时，可到服务台借用备用机。", ""),
    ("engineer", "HW.PC", "DESKTOP", [], "solution", "public", "en",
     "Laptop is very slow after start", "slow computer laptop performance startup",
     "1. Restart: a week of sleep without a restart slows Windows down.\n"
     "2. Open *Task Manager → Startup apps* and disable what you do not need.\n"
     "3. Let Windows Update finish: the first start after an update is slow.\n"
     "4. Keep at least 20 GB free on drive C:.\n\n"
     "Still slow? Report an incident: the desktop team checks the disk health remotely.", ""),
    ("desk", "SW.BIZAPP", "ERP", ["erp-app01"], "solution", "public", "zh-hans",
     "ERP 登录提示“用户名或密码错误”", "ERP 登录 金蝶 密码错误 无法登录",
     "ERP（金蝶云星空）使用独立账号，不是域密码：\n\n"
     "1. 用户名为工号，例如 `E10023`。\n"
     "2. 数据中心请选择“示例科技-正式账套”，不要选择“测试账套”。\n"
     "3. 忘记密码请在登录页点击“忘记密码”，验证码发送到企业微信。\n"
     "4. 连续 5 次错误会锁定账号，请联系财务部 ERP 管理员解锁。", ""),
    ("engineer", "SW.BIZAPP", "ERP", ["erp-app01", "erp-db01"], "known_error", "internal",
     "zh-hans", "已知错误：月结期间 ERP 凭证查询超时", "ERP 月结 超时 凭证 慢",
     "## 现象\n\n每月最后两个工作日 17:00–20:00，ERP 凭证查询经常超时（约 60 秒后报错）。\n\n"
     "## 原因\n\n月结批处理与在线查询争用 erp-db01 的 I/O，已作为问题跟踪。",
     "建议用户改用“凭证序时簿”并按日期范围（不超过 7 天）查询；紧急情况由 DBA 组暂停批处理 10 分钟。"),
    ("desk", "SW.OFFICE", "", [], "howto", "public", "zh-hans",
     "会议室投影仪无信号", "会议室 投影 投屏 无信号 HDMI 无线投屏",
     "1. 确认投影仪已开机，信号源选择 **HDMI 1**。\n"
     "2. 笔记本按 `Win + P`，选择“复制”。\n"
     "3. 使用 Type-C 转接头时，请先插转接头再接 HDMI 线。\n"
     "4. 无线投屏：连接会议室 Wi-Fi `EXTECH-MEETING`，打开“无线投屏”输入屏幕上的投屏码。\n\n"
     "会议即将开始仍无法投影，请致电服务台 8000，我们会远程协助或派人到场。", ""),
    ("desk", "SW.OFFICE", "", [], "howto", "public", "en",
     "Projector in a meeting room shows no signal", "projector meeting room hdmi screen",
     "1. Switch the projector to input **HDMI 1**.\n"
     "2. On the laptop press `Win + P` and choose *Duplicate*.\n"
     "3. With a USB-C adapter, plug in the adapter first, then the HDMI cable.\n"
     "4. Wireless: join Wi-Fi `EXTECH-MEETING` and enter the code shown on the screen.\n\n"
     "Meeting about to start? Call the service desk on 8000.", ""),
    ("desk", "SW.OFFICE", "", [], "faq", "public", "zh-hans",
     "如何申请安装软件", "安装软件 申请 管理员权限 正版",
     "公司电脑不开放管理员权限。需要安装软件时：\n\n"
     "- 常用软件（钉钉、企业微信、WPS、7-Zip 等）可在桌面“软件中心”自助安装。\n"
     "- 其他软件请在服务目录中选择 **新软件申请**，填写用途，经主管审批后由桌面支持组安装。\n"
     "- 禁止安装盗版或来源不明的软件。", ""),
    ("engineer", "SECURITY.VIRUS", "", [], "solution", "public", "zh-hans",
     "收到可疑邮件怎么办", "钓鱼邮件 可疑邮件 病毒 诈骗",
     "1. **不要**点击链接、不要打开附件、不要回复。\n"
     "2. 在 Outlook 中点击“报告钓鱼邮件”按钮，或转发到 security@example.cn。\n"
     "3. 已经点击链接或输入了密码：立即到 https://password.example.cn 修改密码，并致电服务台 8000。", ""),
    ("engineer", "SW.OS", "DESKTOP", [], "solution", "internal", "en",
     "Desk: reset a stuck print spooler remotely", "spooler print queue stuck remote",
     "For the desk and desktop engineers.\n\n"
     "```\nsc \\\\PC-NAME stop spooler\n"
     "del \\\\PC-NAME\\c$\\Windows\\System32\\spool\\PRINTERS\\*.* /q\n"
     "sc \\\\PC-NAME start spooler\n```\n\n"
     "Ask the user to print again. Log the incident with resolution code *Configuration change*.",
     ""),
    ("engineer", "NET.VPN", "VPN", ["vpn-gw01"], "solution", "internal", "zh-hans",
     "服务台：VPN 账号被锁定的解锁步骤", "VPN 锁定 解锁 深信服 管理台",
     "1. 登录 VPN 管理台 https://vpn-admin.example.cn （需堡垒机）。\n"
     "2. **用户管理 → 锁定用户**，搜索工号，点击“解锁”。\n"
     "3. 请用户 5 分钟后重试；频繁被锁定时检查手机上是否还保存着旧密码。\n\n"
     "解锁记录会自动写入审计日志，无需另行登记。", ""),
    ("desk", "OTHER", "HR", ["hr-app01"], "faq", "public", "zh-hans",
     "考勤打卡记录缺失怎么办", "考勤 打卡 缺卡 HR 系统",
     "1. 打卡数据每 30 分钟从门禁同步一次，请稍后再查看。\n"
     "2. 出差或外勤请在企业微信提交“补卡申请”，由主管审批。\n"
     "3. 连续两天以上所有人都没有记录，可能是同步故障，请报告事件。", ""),
    ("desk", "OTHER", "OA", ["oa-app01"], "faq", "public", "en",
     "OA approval is stuck with a person on leave", "oa approval workflow delegate leave",
     "Approvers on leave can delegate: *OA → My settings → Delegation*. If they cannot, "
     "their manager asks the OA administrator (APP group) to reassign the step. Report an "
     "incident with the form number.", ""),
]
# Titles left waiting for the process owner's review (the reviewer's queue is not empty).
IN_REVIEW = {"Laptop is very slow after start"}


def knowledge_seed(*, approver: str = "owner") -> int:
    """Write the demo articles (once: titles already there are skipped); returns how many."""
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in={row[0] for row in ARTICLES} | {approver})}
    existing = set(Article.objects.values_list("title", flat=True))
    created = 0
    with transaction.atomic():
        for row in ARTICLES:
            if row[7] in existing or row[0] not in users:
                continue
            _article_seed(row, users=users, approver=users.get(approver))
            created += 1
    return created


def _article_seed(row, *, users, approver) -> None:
    (author, category, service, cis, kind, visibility, language, title, keywords, body,
     workaround) = row
    by = users[author]
    article = services.article_create(by=by, data={
        "title": title, "body": body, "keywords": keywords, "type": kind,
        "visibility": visibility, "language": language, "workaround": workaround,
        "category": Category.objects.filter(path=category).first(),
        "service": Service.objects.filter(code=service).first() if service else None,
        "configuration_items": list(ConfigurationItem.objects.filter(name__in=cis))})
    article = services.article_submit(article=article, by=by)
    if approver is not None and title not in IN_REVIEW:
        services.article_approve(article=article, by=approver)
