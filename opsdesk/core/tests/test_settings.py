"""Settings come from the environment, and production settings pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args, env=None):
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_production(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={
        "OPSDESK_PRODUCTION": "1", "OPSDESK_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "x8#kq2-a-long-random-production-secret-value-0123456789-abcdefghij",
        "ALLOWED_HOSTS": "opsdesk.example.com"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_follow_the_environment(tmp_path):
    code = ("from django.conf import settings as s; "
            "print(s.TIME_ZONE, s.LANGUAGE_CODE, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'],"
            " s.CACHES['default']['BACKEND'], s.DATA_DIR)")
    result = _manage("shell", "--no-imports", "-c", code, env={
        "OPSDESK_DATA_DIR": str(tmp_path), "TIME_ZONE": "UTC", "LANGUAGE_CODE": "en",
        "ALLOWED_HOSTS": "a.example,b.example", "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "UTC", "en", "['a.example',", "'b.example']", "django.db.backends.postgresql",
        "django.core.cache.backends.redis.RedisCache", str(tmp_path)]


def test_local_defaults(tmp_path):
    code = "from django.conf import settings as s; print(s.TIME_ZONE, s.LANGUAGE_CODE, s.DEBUG)"
    result = _manage("shell", "--no-imports", "-c", code, env={"OPSDESK_DATA_DIR": str(tmp_path)})
    assert result.stdout.split() == ["Asia/Shanghai", "zh-hans", "False"]
    assert (tmp_path / "secret_key").exists()
