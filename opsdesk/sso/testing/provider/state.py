"""What tests told the provider: users' claims, how to spoil ID tokens. One process, threads."""

import threading

_lock = threading.Lock()
_claims: dict[str, dict] = {}      # username → extra claims (name, email, groups, ...)
_tamper: dict = {}                 # {"claims": {...}, "exp_offset": int, "bad_signature": bool}


def claims_set(username: str, claims: dict) -> None:
    with _lock:
        _claims[username] = dict(claims)


def claims_for(username: str) -> dict:
    with _lock:
        return dict(_claims.get(username, {}))


def tamper_set(tamper: dict) -> None:
    with _lock:
        _tamper.clear()
        _tamper.update(tamper)


def tamper() -> dict:
    with _lock:
        return dict(_tamper)
