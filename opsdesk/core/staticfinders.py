"""Static files that come from installed packages rather than from our own folders.

Only the named files are exposed, so `collectstatic` copies the script a page needs and not the
rest of the package's data. Nothing is loaded from a CDN: the file ships in the PyPI wheel.
"""

import importlib.util
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path -> (package, path inside the package)
PACKAGE_FILES = {
    # plotly.js, the charting library of the dashboards; the plotly wheel bundles it for offline
    # use. The Python side of plotly is never imported.
    "vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


class PackageFileFinder(BaseFinder):
    """Finds the files of PACKAGE_FILES inside their installed packages."""

    def _source(self, path: str) -> Path | None:
        entry = PACKAGE_FILES.get(path)
        if entry is None:
            return None
        root = _package_dir(entry[0])
        if root is None:
            return None
        source = root / entry[1]
        return source if source.is_file() else None

    def check(self, **kwargs):
        from django.core.checks import Error

        return [Error(f"Static file {path} is missing: is {entry[0]} installed?",
                      id="opsdesk.E010")
                for path, entry in PACKAGE_FILES.items() if self._source(path) is None]

    def find(self, path, find_all=False, **kwargs):
        source = self._source(path)
        if source is None:
            return [] if find_all else None
        return [str(source)] if find_all else str(source)

    def list(self, ignore_patterns):
        for path in PACKAGE_FILES:
            source = self._source(path)
            if source is not None:
                storage = FileSystemStorage(location=str(source.parent))
                storage.prefix = str(Path(path).parent)
                yield source.name, storage
