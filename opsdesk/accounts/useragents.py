"""Browser, operating system and device of a user agent string (ua-parser's rules).

Parsed once, when a session is recorded, and kept on the row: the list page never parses.
Product names ("Chrome", "Windows", "iPhone") are not translated; the sentence around them is
(usersessions.user_session_device).
"""

from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse


@dataclass(frozen=True)
class Agent:
    browser: str = ""
    os: str = ""
    device: str = ""


@lru_cache(maxsize=512)
def user_agent_parse(agent: str) -> Agent:
    """"Chrome 126", "Windows 10", "iPhone" (blank where the string does not say)."""
    if not agent:
        return Agent()
    result = parse(agent)
    browser = _named(result.user_agent)
    system = _named(result.os)
    device = result.device.family if result.device and result.device.family != "Other" else ""
    return Agent(browser=browser[:80], os=system[:80], device=device[:80])


def _named(part) -> str:
    """Family and major version ("Firefox 128"); blank for ua-parser's "Other"."""
    if part is None or part.family == "Other":
        return ""
    return f"{part.family} {part.major}" if part.major else part.family
