"""Names and texts of the demo company 示例科技有限公司 / Example Tech Co.

Plain data only; services.py and incidents.py turn it into records. Labels are bilingual data
(like the reference tables), not interface strings, so they are not marked for translation.
"""

EMAIL_DOMAIN = "example.cn"

# (code, Chinese, English)
COMPANY = ("EXTECH", "示例科技有限公司", "Example Tech Co.")
DEPARTMENTS = [
    ("EXT-MGMT", "总经理办公室", "Executive Office"),
    ("EXT-FIN", "财务部", "Finance"),
    ("EXT-HR", "人力资源部", "Human Resources"),
    ("EXT-SALES", "销售部", "Sales"),
    ("EXT-MKT", "市场部", "Marketing"),
    ("EXT-RND", "研发中心", "R&D Centre"),
    ("EXT-PROD", "生产制造部", "Manufacturing"),
    ("EXT-PURCH", "采购部", "Procurement"),
    ("EXT-LEGAL", "法务部", "Legal"),
    ("EXT-IT", "信息技术部", "IT Operations"),
]

# (code, Chinese, English, address)
LOCATIONS = [
    ("BJ-HQ", "北京总部", "Beijing headquarters", "北京市海淀区中关村大街1号"),
    ("BJ-HQ-3F", "北京总部3楼", "Beijing HQ, 3rd floor", "北京市海淀区中关村大街1号3层"),
    ("SH", "上海分公司", "Shanghai branch", "上海市浦东新区张江路88号"),
    ("SZ", "深圳研发中心", "Shenzhen R&D centre", "深圳市南山区科技园南区6栋"),
    ("GZ", "广州办事处", "Guangzhou office", "广州市天河区珠江新城华夏路10号"),
    ("CD-DC", "成都数据中心", "Chengdu data centre", "成都市高新区天府软件园D区"),
]

# (code, Chinese, English, line, escalates to, email)
SUPPORT_GROUPS = [
    ("NET-VENDOR", "网络厂商支持(华为)", "Network vendor support (Huawei)", 3, None,
     "support@huawei.example.cn"),
    ("ERP-VENDOR", "ERP厂商支持(金蝶)", "ERP vendor support (Kingdee)", 3, None,
     "erp-support@kingdee.example.cn"),
    ("DB-EXPERT", "数据库专家组", "Database experts", 3, None, "db-experts@example.cn"),
    ("INFRA-EXPERT", "系统架构专家组", "Infrastructure experts", 3, None, "infra@example.cn"),
    ("DESK", "服务台", "Service Desk", 1, None, "servicedesk@example.cn"),
    ("NET", "网络组", "Network", 2, "NET-VENDOR", "network@example.cn"),
    ("DESKTOP", "桌面支持", "Desktop support", 2, "INFRA-EXPERT", "desktop@example.cn"),
    ("APP", "应用支持", "Application support", 2, "ERP-VENDOR", "apps@example.cn"),
    ("DBA", "数据库", "Database administration", 2, "DB-EXPERT", "dba@example.cn"),
    ("SYS", "系统运维", "Servers and storage", 2, "INFRA-EXPERT", "sysops@example.cn"),
]

# Routing rules for new incidents: (Chinese, English, category path, location or None, group)
ROUTING_RULES = [
    ("网络故障派网络组", "Network faults to Network", "NET", None, "NET"),
    ("电脑与外设派桌面支持", "PCs to Desktop support", "HW.PC", None, "DESKTOP"),
    ("打印机派桌面支持", "Printers to Desktop support", "HW.PRINTER", None, "DESKTOP"),
    ("数据中心服务器派系统运维", "Data-centre servers to Sysops", "HW.SERVER", "CD-DC", "SYS"),
    ("数据库派DBA", "Databases to DBA", "DB", None, "DBA"),
    ("业务应用派应用支持", "Business applications to Apps", "SW.BIZAPP", None, "APP"),
]

# The six sign-in accounts whose passwords `opsdesk up --demo` prints:
# (username, role, display name, department, location, support groups)
ROLE_USERS = [
    ("user", "user", "王小明", "EXT-SALES", "BJ-HQ-3F", []),
    ("desk", "desk", "李娜", "EXT-IT", "BJ-HQ", ["DESK"]),
    ("engineer", "engineer", "张伟", "EXT-IT", "BJ-HQ", ["NET", "DESKTOP"]),
    ("manager", "manager", "陈静", "EXT-IT", "BJ-HQ", []),
    ("owner", "process_owner", "刘洋", "EXT-IT", "BJ-HQ", []),
    ("admin", "admin", "系统管理员", "EXT-IT", "CD-DC", []),
]
# Role -> the User flags it sets.
ROLE_FLAGS = {
    "user": {},
    "desk": {"is_service_desk": True},
    "engineer": {"is_engineer": True},
    "manager": {"is_incident_manager": True},
    "process_owner": {"is_process_owner": True},
    "admin": {"is_administrator": True, "is_superuser": True, "is_staff": True},
}

# Employees who report incidents: (username, display name, department, location, language)
EMPLOYEES = [
    ("wangfang", "王芳", "EXT-FIN", "BJ-HQ-3F", "zh-hans"),
    ("zhaolei", "赵磊", "EXT-FIN", "BJ-HQ-3F", "zh-hans"),
    ("sunli", "孙丽", "EXT-HR", "BJ-HQ", "zh-hans"),
    ("zhouqiang", "周强", "EXT-SALES", "SH", "zh-hans"),
    ("wujing", "吴静", "EXT-SALES", "SH", "zh-hans"),
    ("zhengkai", "郑凯", "EXT-SALES", "GZ", "zh-hans"),
    ("huangmin", "黄敏", "EXT-MKT", "SH", "zh-hans"),
    ("linyu", "林雨", "EXT-MKT", "BJ-HQ", "zh-hans"),
    ("heping", "何平", "EXT-RND", "SZ", "zh-hans"),
    ("guojun", "郭军", "EXT-RND", "SZ", "zh-hans"),
    ("mahui", "马慧", "EXT-RND", "SZ", "zh-hans"),
    ("luochao", "罗超", "EXT-PROD", "CD-DC", "zh-hans"),
    ("liangyan", "梁燕", "EXT-PROD", "CD-DC", "zh-hans"),
    ("songtao", "宋涛", "EXT-PURCH", "BJ-HQ", "zh-hans"),
    ("xiehong", "谢红", "EXT-LEGAL", "BJ-HQ", "zh-hans"),
    ("hanxue", "韩雪", "EXT-MGMT", "BJ-HQ", "zh-hans"),
    ("fengbo", "冯波", "EXT-FIN", "SH", "zh-hans"),
    ("caoyue", "曹悦", "EXT-HR", "SZ", "zh-hans"),
    ("david.chen", "David Chen", "EXT-SALES", "SH", "en"),
    ("emily.wang", "Emily Wang", "EXT-MKT", "SH", "en"),
    ("michael.brown", "Michael Brown", "EXT-RND", "SZ", "en"),
    ("sarah.li", "Sarah Li", "EXT-FIN", "BJ-HQ", "en"),
    ("james.wilson", "James Wilson", "EXT-MGMT", "BJ-HQ", "en"),
    ("olivia.zhang", "Olivia Zhang", "EXT-LEGAL", "BJ-HQ", "en"),
    ("daniel.kim", "Daniel Kim", "EXT-PURCH", "GZ", "en"),
    ("sophie.martin", "Sophie Martin", "EXT-MKT", "SH", "en"),
    ("kevin.liu", "Kevin Liu", "EXT-PROD", "CD-DC", "en"),
    ("anna.schmidt", "Anna Schmidt", "EXT-RND", "SZ", "en"),
]

# Support staff: (username, display name, role, support groups, location)
STAFF = [
    ("yangxue", "杨雪", "desk", ["DESK"], "BJ-HQ"),
    ("zhuming", "朱明", "desk", ["DESK"], "SH"),
    ("lisa.zhou", "Lisa Zhou", "desk", ["DESK"], "SZ"),
    ("xuhao", "徐浩", "engineer", ["NET"], "BJ-HQ"),
    ("gaofeng", "高峰", "engineer", ["NET"], "CD-DC"),
    ("linfeng", "林峰", "engineer", ["DESKTOP"], "BJ-HQ"),
    ("tom.wu", "Tom Wu", "engineer", ["DESKTOP"], "SH"),
    ("hujie", "胡杰", "engineer", ["APP"], "BJ-HQ"),
    ("jason.ma", "Jason Ma", "engineer", ["APP"], "SZ"),
    ("dengli", "邓莉", "engineer", ["DBA"], "CD-DC"),
    ("peter.zhao", "Peter Zhao", "engineer", ["DBA", "DB-EXPERT"], "CD-DC"),
    ("yeqing", "叶青", "engineer", ["SYS"], "CD-DC"),
    ("shenyi", "沈毅", "engineer", ["SYS", "INFRA-EXPERT"], "CD-DC"),
    ("huawei.li", "李工(华为)", "engineer", ["NET-VENDOR"], "CD-DC"),
    ("kingdee.chen", "陈工(金蝶)", "engineer", ["ERP-VENDOR"], "BJ-HQ"),
    ("richard.xu", "Richard Xu", "engineer", ["INFRA-EXPERT"], "SZ"),
]
# Group managers: group code -> username
GROUP_MANAGERS = {"DESK": "desk", "NET": "xuhao", "DESKTOP": "linfeng", "APP": "hujie",
                  "DBA": "dengli", "SYS": "shenyi"}

# (name, contact, phone, email, notes)
VENDORS = [
    ("华为技术有限公司 Huawei", "李工", "400-822-9999", "support@huawei.example.cn",
     "核心交换机与防火墙维保 / core switches and firewalls, 7x24"),
    ("金蝶软件(中国)有限公司 Kingdee", "陈工", "400-883-0830", "erp-support@kingdee.example.cn",
     "ERP 原厂支持 / ERP vendor support, 5x8"),
    ("联想(北京)有限公司 Lenovo", "Service line", "400-990-8888", "service@lenovo.example.cn",
     "台式机与笔记本保修 / desktop and laptop warranty"),
    ("中国电信 China Telecom", "政企客服", "10000", "ent@chinatelecom.example.cn",
     "互联网专线与 MPLS / internet and MPLS lines"),
    ("深信服科技 Sangfor", "技术支持", "400-630-6430", "support@sangfor.example.cn",
     "VPN 网关 / VPN gateways"),
    ("Microsoft", "Premier Support", "800-820-3800", "premier@microsoft.example.com",
     "Exchange and Windows Server"),
]

# (code, Chinese, English, owner group, description)
SERVICES = [
    ("EMAIL", "邮件", "Email", "SYS", "Exchange 邮件与日历 / Exchange mail and calendars"),
    ("ERP", "ERP 企业资源计划", "ERP", "APP", "金蝶 ERP: 财务、采购、库存 / finance, purchasing"),
    ("OA", "OA 办公自动化", "OA (office automation)", "APP", "审批流、公告 / approvals, notices"),
    ("VPN", "VPN 远程接入", "VPN remote access", "NET", "深信服 SSL VPN / Sangfor SSL VPN"),
    ("FILES", "文件共享", "File sharing", "SYS", "部门共享盘 / department shares"),
    ("HR", "人力资源系统", "HR system", "APP", "考勤、薪资、假期 / attendance, payroll, leave"),
    ("CRM", "客户关系管理", "CRM", "APP", "销售线索与合同 / leads and contracts"),
    ("NETWORK", "办公网络", "Office network", "NET", "有线、无线、互联网 / LAN, Wi-Fi, internet"),
    ("PRINT", "打印服务", "Printing", "DESKTOP", "网络打印与扫描 / network printing, scanning"),
    ("DESKTOP", "桌面终端", "Desktops and laptops", "DESKTOP", "办公电脑与软件 / office PCs"),
]

# (name, CI type, owner group, services, location, serial, description)
CONFIGURATION_ITEMS = [
    ("exch-mbx01", "vm", "SYS", ["EMAIL"], "CD-DC", "", "Exchange 2019 邮箱服务器"),
    ("exch-mbx02", "vm", "SYS", ["EMAIL"], "CD-DC", "", "Exchange 2019 邮箱服务器"),
    ("erp-app01", "application", "APP", ["ERP"], "CD-DC", "", "金蝶云星空应用服务"),
    ("erp-db01", "database", "DBA", ["ERP"], "CD-DC", "", "SQL Server 2019, ERP 主库"),
    ("oa-app01", "application", "APP", ["OA"], "CD-DC", "", "OA 应用服务器"),
    ("oa-db01", "database", "DBA", ["OA", "HR"], "CD-DC", "", "PostgreSQL 15 主库"),
    ("hr-app01", "application", "APP", ["HR"], "CD-DC", "", "HR SaaS 同步网关"),
    ("crm-app01", "application", "APP", ["CRM"], "CD-DC", "", "CRM 应用"),
    ("vpn-gw01", "network", "NET", ["VPN"], "BJ-HQ", "SF-VPN-2031", "深信服 SSL VPN 网关"),
    ("core-sw01", "network", "NET", ["NETWORK", "VPN", "FILES"], "BJ-HQ", "HW-CE6881-0001",
     "华为 CE6881 核心交换机"),
    ("fw01", "network", "NET", ["NETWORK", "VPN"], "BJ-HQ", "HW-USG6555-0007", "华为 USG 防火墙"),
    ("wlc-bj01", "network", "NET", ["NETWORK"], "BJ-HQ", "HW-AC6508-0012", "无线控制器"),
    ("sw-sh-acc01", "network", "NET", ["NETWORK"], "SH", "HW-S5735-0102", "上海接入交换机"),
    ("nas01", "storage", "SYS", ["FILES"], "CD-DC", "NTAP-FAS2750-01", "NetApp 文件存储"),
    ("esx-host03", "server", "SYS", ["EMAIL", "ERP", "OA"], "CD-DC", "DELL-R750-7731",
     "VMware ESXi 主机"),
    ("print-bj-3f", "printer", "DESKTOP", ["PRINT"], "BJ-HQ-3F", "HP-M479-3F01", "3楼彩色打印机"),
    ("print-sh-01", "printer", "DESKTOP", ["PRINT"], "SH", "RICOH-IMC3000-SH1", "上海复印打印机"),
    ("PC-BJ-0231", "pc", "DESKTOP", ["DESKTOP"], "BJ-HQ-3F", "LNV-T14-0231", "ThinkPad T14"),
    ("PC-SH-0087", "pc", "DESKTOP", ["DESKTOP"], "SH", "LNV-M70-0087", "ThinkCentre M70"),
    ("PC-SZ-0412", "pc", "DESKTOP", ["DESKTOP"], "SZ", "LNV-X1-0412", "ThinkPad X1 Carbon"),
]
