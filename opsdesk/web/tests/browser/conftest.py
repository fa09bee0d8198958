"""Browser fixtures: one Chromium for the browser tests, a page signed in as each person.

- `chromium_browser`: Playwright's sync API and Debian's /usr/bin/chromium (Playwright never
  downloads a browser here), started once for the browser tests of a run (of an xdist worker).
  The sync API keeps an asyncio loop running in the main thread, and Django refuses ORM calls
  under a running loop (SynchronousOnlyOperation), so the fixture sets
  DJANGO_ALLOW_ASYNC_UNSAFE=true for as long as the browser lives. Its scope is this package, not
  the whole session: the browser, the running loop and the variable end with the last browser
  test, so that tests run after them see neither (`manage.py check --deploy` in a subprocess
  warns about the variable; asyncio.run() refuses to start under a running loop).
- `page_for(user, language)`: a fresh browser context in locale en-US or zh-CN (language "en" or
  "zh", or the locale itself; Accept-Language follows the locale), signed in through the real
  /login/ form, not force_login.
- Every test here runs against `live_server`, so its database is transactional: the code tables
  are loaded again (`reference_data`) and attachments go to a temporary MEDIA_ROOT.
- `shoot(page, name)`: a full-page PNG in $OPSDESK_SCREENSHOTS (default: <repo>/screenshots).
"""

import os
from pathlib import Path

import pytest
from django.test.utils import override_settings
from django.utils import translation

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery staple"  # the password of factory users
LOCALES = {"en": "en-US", "zh": "zh-CN"}
LANGUAGE_OF_LOCALE = {locale: language for language, locale in LOCALES.items()}
DJANGO_LANGUAGES = {"en": "en", "zh": "zh-hans"}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
REPO = Path(__file__).resolve().parents[4]

# Status labels as the page must show them, written out (not taken from the catalogue) so that a
# missing or wrong translation fails the tests.
STATUS_LABELS = {
    "en": {"logged": "Logged", "assigned": "Assigned", "in_progress": "In progress",
           "pending": "Pending", "resolved": "Resolved", "closed": "Closed",
           "cancelled": "Cancelled"},
    "zh": {"logged": "已登记", "assigned": "已分派", "in_progress": "处理中", "pending": "挂起",
           "resolved": "已解决", "closed": "已关闭", "cancelled": "已取消"},
}


def language_key(language: str) -> str:
    """'en' or 'zh' for a language key or a locale ('en-US', 'zh-CN')."""
    return LANGUAGE_OF_LOCALE.get(language, language)


def screenshot_dir() -> Path:
    return Path(os.environ.get("OPSDESK_SCREENSHOTS") or REPO / "screenshots")


@pytest.fixture(scope="package")
def chromium_browser():
    """One headless Chromium for the browser tests; ORM calls stay allowed while it runs."""
    from playwright.sync_api import sync_playwright

    env = pytest.MonkeyPatch()
    env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        env.undo()


@pytest.fixture(scope="session")
def _media_url_for_live_server():
    """A MEDIA_URL while the live server starts: its media handler parses MEDIA_URL once, and the
    project's MEDIA_URL = None (files are only served by a permission-checked view) makes that
    handler fail every request ("startswith first arg must be str or a tuple of str, not bytes").
    Returns the function that restores the setting."""
    override = override_settings(MEDIA_URL="/test-media-not-served/")
    override.enable()
    state = {"enabled": True}

    def restore():
        if state["enabled"]:
            state["enabled"] = False
            override.disable()

    yield restore
    restore()


@pytest.fixture(scope="session")
def live_server(_media_url_for_live_server, live_server):
    """pytest-django's live server, started with a MEDIA_URL; the setting is restored at once."""
    _media_url_for_live_server()
    return live_server


@pytest.fixture(autouse=True)
def _live_database(reference_data, settings, tmp_path):
    """Code tables in the transactional database; uploaded files in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def new_page(chromium_browser, live_server):
    """new_page(language, phone=False): an anonymous page in a fresh context on the live server."""
    contexts = []

    def open_page(language: str = "en", *, phone: bool = False):
        options = {"base_url": live_server.url, "locale": LOCALES[language_key(language)],
                   "timezone_id": "Asia/Shanghai"}
        if phone:
            options.update(viewport=PHONE, is_mobile=True, has_touch=True)
        context = chromium_browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page_for(new_page):
    """page_for(user, language, phone=False): a page signed in as `user` through /login/."""
    from playwright.sync_api import expect

    def sign_in(user, language: str = "en", *, phone: bool = False):
        page = new_page(language, phone=phone)
        page.goto("/login/")
        # The server chose the page language from the browser's Accept-Language.
        expect(page.locator("html")).to_have_attribute(
            "lang", DJANGO_LANGUAGES[language_key(language)])
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return sign_in


@pytest.fixture
def tr():
    """tr(language, text): the UI text (a msgid or a lazy label) in that language."""

    def translate(language: str, text) -> str:
        with translation.override(DJANGO_LANGUAGES[language_key(language)]):
            return translation.gettext(text) if isinstance(text, str) else str(text)

    return translate


@pytest.fixture
def status_label():
    """status_label(language, key): the status label the page must show."""
    return lambda language, key: STATUS_LABELS[language_key(language)][key]


@pytest.fixture(scope="session")
def shoot():
    """shoot(page, name): save a full-page screenshot as <name>.png in the screenshots folder."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
        return path

    return take
