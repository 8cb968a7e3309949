"""Known devices: a browser that has finished signing in to an account keeps a signed note
saying so, and its later sign-in attempts for that account are counted on their own
(``web.staff.throttling``). Someone trying passwords for the account from anywhere else uses
up only the count kept for browsers without the note, so they cannot lock its owner out of
the devices the owner usually signs in on.

The note is one cookie, ``candour_device``: for up to five accounts, the account's random id,
a random id for this browser and when it last signed in. It is signed with ``SECRET_KEY``
(itsdangerous, as Flask signs its session; a made-up or altered note is ignored), sent only to
``/staff/`` pages, hidden from scripts (HttpOnly), never sent from another site
(SameSite=Strict) and Secure wherever the session cookie is. An entry lasts
``SURVEY_KNOWN_DEVICE_DAYS`` after its last sign-in. It is no way in: a password (and a code,
for two-factor accounts) is still needed, and attempts from a known device have a limit too.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from flask import after_this_request, current_app, g, request
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE = "candour_device"
PATH = "/staff/"
MOST_ACCOUNTS = 5
_SALT = "candour.known-device"
# Longer than any note this module writes (five entries come to about 500 characters).
_LONGEST = 2048


def _serializer() -> URLSafeTimedSerializer:
    config = current_app.config
    # Oldest first, newest last: itsdangerous signs with the last and accepts any of them.
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})


def _lifetime() -> int:
    return int(current_app.config["SURVEY_KNOWN_DEVICE_DAYS"]) * 86400


def _entries() -> list[tuple[str, str, int]]:
    """This request's note: (account id, device id, signed in at), newest first."""
    cached = g.get("_known_devices")
    if cached is not None:
        return list(cached)
    found: list[tuple[str, str, int]] = []
    text = request.cookies.get(COOKIE, "")
    if text and len(text) <= _LONGEST:
        try:
            data: Any = _serializer().loads(text, max_age=_lifetime())
        except BadData:  # made up, altered, expired or unreadable
            data = None
        now = int(time.time())
        if isinstance(data, list):
            for item in data[:MOST_ACCOUNTS]:
                if _well_formed(item) and now - item[2] <= _lifetime():
                    found.append((item[0], item[1], item[2]))
    g._known_devices = found
    return list(found)


def _well_formed(item: Any) -> bool:
    return (
        isinstance(item, list)
        and len(item) == 3
        and all(isinstance(part, str) and 0 < len(part) <= 64 for part in item[:2])
        and type(item[2]) is int
    )


def carries_note() -> bool:
    """Whether this request came with a valid note for any account."""
    return bool(_entries())


def device_for(account_id: str) -> str | None:
    """This browser's id for ``account_id``, if it has signed in to that account before."""
    for account, device, _ in _entries():
        if account == account_id:
            return device
    return None


def remember(account_id: str) -> None:
    """Once this request is answered, this browser is a known device of ``account_id``
    (for another ``SURVEY_KNOWN_DEVICE_DAYS``). Call only when a sign-in has finished."""
    device = device_for(account_id) or secrets.token_urlsafe(12)
    others = [entry for entry in _entries() if entry[0] != account_id]
    entries = [(account_id, device, int(time.time())), *others][:MOST_ACCOUNTS]
    value = _serializer().dumps([list(entry) for entry in entries])
    secure = bool(current_app.config["SESSION_COOKIE_SECURE"])
    lifetime = _lifetime()

    @after_this_request
    def set_note(response: Response) -> Response:
        response.set_cookie(
            COOKIE,
            value,
            max_age=lifetime,
            path=PATH,
            secure=secure,
            httponly=True,
            samesite="Strict",
        )
        return response
