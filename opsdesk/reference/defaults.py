"""SPEC §2's default code tables, labelled in Simplified Chinese and English."""

URGENCIES = [
    (1, "十分紧急", "Critical", "需立即处理", "Act at once"),
    (2, "紧急", "High", "2小时内处理", "Within 2 hours"),
    (3, "一般", "Medium", "24小时内处理", "Within 24 hours"),
    (4, "低", "Low", "可超过24小时", "May take longer than 24 hours"),
]
IMPACTS = [
    (1, "全企业/关键业务系统", "Enterprise-wide", "全企业或关键业务系统受影响",
     "The whole enterprise or a key business system"),
    (2, "部门/服务", "Department or service", "一个部门或一项服务受影响",
     "A department or a service"),
    (3, "用户组", "Group of users", "一组用户受影响", "A group of users"),
    (4, "单个用户", "Single user", "一个用户受影响", "One user"),
]
PRIORITIES = [
    (1, "一级", "P1 Critical", "重大故障", "Major fault"),
    (2, "二级", "P2 High", "", ""),
    (3, "三级", "P3 Medium", "", ""),
    (4, "四级", "P4 Low", "", ""),
]
SOURCES = [
    ("01", "电话", "Phone"),
    ("02", "电子邮件", "Email"),
    ("03", "自助门户", "Self-service portal"),
    ("04", "监控告警", "Monitoring alert"),
    ("05", "现场/走访", "Walk-in / on-site"),
    ("06", "即时通讯(企业微信/钉钉/飞书)", "Instant messaging (WeCom/DingTalk/Feishu)"),
    ("07", "API/其他系统", "API / other system"),
]
NATURES = [
    ("01", "故障", "Incident", "INC"),
    ("02", "服务请求", "Service request", "SR"),
    ("03", "咨询", "Consultation", "INC"),
]
CLOSURE_CODES = [
    ("01", "永久解决", "Permanently fixed"),
    ("02", "变通解决", "Workaround"),
    ("03", "用户自行解决", "Resolved by the user"),
    ("04", "重复事件", "Duplicate (linked to master)"),
    ("05", "无法重现", "Cannot reproduce"),
    ("06", "非事件/转服务请求", "Not an incident / converted to request"),
    ("07", "用户撤销", "Withdrawn by the user"),
    ("08", "转问题管理", "Passed to problem management"),
    ("09", "用户未确认自动关闭", "Auto-closed, user did not confirm"),
]
RESOLUTION_CODES = [
    ("01", "配置调整", "Configuration changed"),
    ("02", "软件修复/补丁", "Software fix or patch"),
    ("03", "硬件更换/维修", "Hardware replaced or repaired"),
    ("04", "重启/恢复服务", "Restarted or restored the service"),
    ("05", "权限/账号处理", "Access or account fixed"),
    ("06", "用户指导/培训", "User advised or trained"),
    ("07", "第三方处理", "Fixed by the vendor"),
    ("08", "网络修复", "Network repaired"),
    ("09", "数据修复", "Data corrected"),
    ("99", "其他", "Other"),
]
PENDING_REASONS = [
    ("01", "等待用户信息", "Awaiting the user", True),
    ("02", "等待第三方", "Awaiting the vendor", True),
    ("03", "等待变更实施", "Awaiting a change", True),
    ("04", "等待备件", "Awaiting parts", True),
    ("05", "计划维护窗口", "Scheduled for a maintenance window", False),
    # A service request waits for the requester's manager (catalog): its clocks start at approval.
    ("06", "等待审批", "Awaiting approval", False),
]
CI_TYPES = [
    ("server", "服务器", "Server"),
    ("vm", "虚拟机", "Virtual machine"),
    ("database", "数据库", "Database"),
    ("network", "网络设备", "Network device"),
    ("storage", "存储", "Storage"),
    ("application", "应用系统", "Application"),
    ("pc", "终端/PC", "Desktop / laptop"),
    ("printer", "打印机", "Printer"),
    ("phone", "电话/移动设备", "Phone / mobile device"),
]
# (code, parent code or None, Chinese, English)
CATEGORIES = [
    ("HW", None, "硬件", "Hardware"),
    ("PC", "HW", "台式机/笔记本", "Desktop / laptop"),
    ("PRINTER", "HW", "打印机/外设", "Printer / peripheral"),
    ("SERVER", "HW", "服务器硬件", "Server hardware"),
    ("SW", None, "软件", "Software"),
    ("OFFICE", "SW", "办公软件", "Office software"),
    ("OS", "SW", "操作系统", "Operating system"),
    ("BIZAPP", "SW", "业务应用", "Business application"),
    ("NET", None, "网络", "Network"),
    ("LAN", "NET", "局域网/无线", "LAN / Wi-Fi"),
    ("VPN", "NET", "VPN/远程接入", "VPN / remote access"),
    ("INTERNET", "NET", "互联网访问", "Internet access"),
    ("ACCOUNT", None, "账号与权限", "Accounts and access"),
    ("PASSWORD", "ACCOUNT", "密码重置/解锁", "Password reset / unlock"),
    ("PERMISSION", "ACCOUNT", "权限申请", "Access request"),
    ("EMAIL", None, "邮件与协作", "Email and collaboration"),
    ("DB", None, "数据库", "Database"),
    ("SECURITY", None, "信息安全", "Information security"),
    ("VIRUS", "SECURITY", "病毒/恶意软件", "Virus / malware"),
    ("OTHER", None, "其他", "Other"),
]


def itss_priority(impact: int, urgency: int) -> int:
    """The ITSS default: priority = floor((impact + urgency) / 2), at least 1."""
    return max(1, (impact + urgency) // 2)
