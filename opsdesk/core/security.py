"""Pieces of the Content-Security-Policy that are computed, not written (settings "Hardening").

plotly.js, which draws the dashboards, adds two <style> elements to a page when it loads:
an empty one that it fills with its own rules through the CSSOM (insertRule, which the policy
does not govern), and one holding the CSS of the map library it bundles. Rather than allowing
every inline style ('unsafe-inline'), the policy allows exactly these two texts by their
SHA-256 hashes: nothing an attacker injects can match them, and a plotly upgrade that changes
the bundled CSS gets its new hash here, read from the installed file itself. Without plotly
installed there is nothing to allow.
"""

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

# In plotly.min.js: var e=document.createElement("style");e.id="<hex>",e.textContent='<css>'
_STYLE_TEXT = re.compile(
    r'createElement\("style"\);\w+\.id="[0-9a-f]+",\w+\.textContent=\'([^\'\\]*)\'')


def csp_hash(text: str) -> str:
    """The CSP source expression that allows an inline element with exactly this text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def plotly_style_hashes() -> list[str]:
    """Hashes of the empty <style> plotly fills and of the style texts its bundle adds."""
    spec = importlib.util.find_spec("plotly")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return []
    bundle = Path(list(spec.submodule_search_locations)[0]) / "package_data" / "plotly.min.js"
    if not bundle.is_file():
        return []
    texts = _STYLE_TEXT.findall(bundle.read_text(encoding="utf-8"))
    return [csp_hash("")] + [csp_hash(text) for text in dict.fromkeys(texts)]
