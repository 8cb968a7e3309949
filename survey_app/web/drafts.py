"""Unfinished answers live only in the respondent's browser, encrypted.

The draft (answers so far, and the respondent's single-use token) is compressed, encrypted
with the application data key and bound to the survey, then split across a few cookies scoped
to the survey's path. The server keeps no copy. The cookies are session cookies: closing the
browser, submitting, or "Exit this page" removes them.

The token is made when the respondent starts (in a codes survey, in exchange for the code,
which is then used up). It is the only thing that lets this draft be sent, once. A draft
without a token, or one sealed for another survey, is no draft at all.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Request
from werkzeug.wrappers import Response

from survey_app.crypto import DecryptError, Keyring

COOKIE_PREFIX = "candour_draft_"
DONE_COOKIE = "candour_answered"
CHUNK = 3500
MAX_CHUNKS = 8


class DraftTooLarge(Exception):
    """The answers no longer fit in the browser's cookies."""


TOKEN_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass
class Draft:
    token: bytes
    answers: dict[str, Any] = field(default_factory=dict)
    started_on: str = field(default_factory=lambda: dt.date.today().isoformat())
    # In a series: the session these answers are for.
    session: str | None = None

    def is_stale(self, max_age_days: int, today: dt.date | None = None) -> bool:
        try:
            started = dt.date.fromisoformat(self.started_on)
        except ValueError:
            return True
        return ((today or dt.date.today()) - started).days > max_age_days


def _name(survey_id: str, index: int) -> str:
    return f"{COOKIE_PREFIX}{survey_id[:12]}_{index}"


def _aad(survey_id: str) -> bytes:
    return b"candour/draft/" + survey_id.encode("ascii")


def load_draft(request: Request, keyring: Keyring, survey_id: str) -> Draft | None:
    """The draft in this request's cookies, or None if there is none, it cannot be read (for
    instance it was sealed for another survey), or it holds no token."""
    parts: list[str] = []
    for index in range(MAX_CHUNKS):
        part = request.cookies.get(_name(survey_id, index))
        if part is None:
            break
        parts.append(part)
    if not parts:
        return None
    try:
        sealed = base64.urlsafe_b64decode("".join(parts).encode("ascii"))
        data = json.loads(zlib.decompress(keyring.decrypt(sealed, aad=_aad(survey_id))))
        respondent_token = data["t"]
        if not isinstance(respondent_token, str) or not TOKEN_HEX.fullmatch(respondent_token):
            return None
        return Draft(
            token=bytes.fromhex(respondent_token),
            answers=dict(data["a"]),
            started_on=str(data["d"]),
            session=str(data["s"]) if data.get("s") else None,
        )
    except (ValueError, KeyError, TypeError, zlib.error, DecryptError):
        return None


def save_draft(
    response: Response,
    keyring: Keyring,
    survey_id: str,
    path: str,
    draft: Draft,
    secure: bool,
    sent: Mapping[str, str] | None = None,
) -> None:
    """Seal ``draft`` into the response's cookies, expiring chunks it no longer needs: those
    in ``sent`` (the cookies of a request under ``path``, which carries every chunk the
    browser holds), or all that could exist when the request was elsewhere."""
    fields = {"a": draft.answers, "t": draft.token.hex(), "d": draft.started_on}
    if draft.session:
        fields["s"] = draft.session
    payload = json.dumps(
        fields,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    sealed = keyring.encrypt(zlib.compress(payload, 6), aad=_aad(survey_id))
    text = base64.urlsafe_b64encode(sealed).decode("ascii")
    chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]
    if len(chunks) > MAX_CHUNKS:
        raise DraftTooLarge()
    for index, chunk in enumerate(chunks):
        response.set_cookie(
            _name(survey_id, index), chunk, path=path, httponly=True, samesite="Lax", secure=secure
        )
    _expire_chunks(response, survey_id, path, range(len(chunks), MAX_CHUNKS), sent)


def clear_draft(
    response: Response, survey_id: str, path: str, sent: Mapping[str, str] | None = None
) -> None:
    """Expire the survey's draft: the chunks in ``sent`` (see `save_draft`), or every chunk
    there could be."""
    _expire_chunks(response, survey_id, path, range(MAX_CHUNKS), sent)


def _expire_chunks(
    response: Response,
    survey_id: str,
    path: str,
    indexes: range,
    sent: Mapping[str, str] | None,
) -> None:
    for index in indexes:
        name = _name(survey_id, index)
        if sent is None or name in sent:
            response.delete_cookie(name, path=path)


def clear_sent_drafts(request: Request, response: Response) -> None:
    """Expire any draft cookie this request carried (stray ones set for a wider path)."""
    for name in request.cookies:
        if name.startswith(COOKIE_PREFIX):
            response.delete_cookie(name, path="/")


_DONE_AAD = b"candour/answered"


def _answered(request: Request, keyring: Keyring) -> dict[str, str]:
    """The open surveys this browser has answered: survey id -> the day the marker ends."""
    text = request.cookies.get(DONE_COOKIE)
    if not text:
        return {}
    try:
        sealed = base64.urlsafe_b64decode(text.encode("ascii"))
        found = json.loads(keyring.decrypt(sealed, aad=_DONE_AAD))
    except (ValueError, TypeError, DecryptError):
        return {}
    today = dt.date.today().isoformat()
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items() if isinstance(v, str) and v >= today}


def _write_answered(
    response: Response, keyring: Keyring, answered: dict[str, str], secure: bool
) -> None:
    if not answered:
        response.delete_cookie(DONE_COOKIE, path="/")
        return
    sealed = keyring.encrypt(json.dumps(answered, separators=(",", ":")).encode(), aad=_DONE_AAD)
    last = max(dt.date.fromisoformat(day) for day in answered.values())
    response.set_cookie(
        DONE_COOKIE,
        base64.urlsafe_b64encode(sealed).decode("ascii"),
        max_age=max(1, ((last - dt.date.today()).days + 1) * 24 * 3600),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def mark_done(
    request: Request,
    response: Response,
    keyring: Keyring,
    survey_id: str,
    *,
    days: int,
    secure: bool,
) -> None:
    """Best effort: remember in this browser, for ``days``, that it has answered an open
    survey. One cookie for every survey, encrypted: it names none of them."""
    answered = _answered(request, keyring)
    answered[survey_id] = (dt.date.today() + dt.timedelta(days=days)).isoformat()
    _write_answered(response, keyring, answered, secure)


def forget_done(
    request: Request, response: Response, keyring: Keyring, survey_id: str, *, secure: bool
) -> None:
    """ "Someone else on this computer": forget that this browser answered ``survey_id``."""
    answered = _answered(request, keyring)
    answered.pop(survey_id, None)
    _write_answered(response, keyring, answered, secure)


def is_done(request: Request, keyring: Keyring, survey_id: str) -> bool:
    return survey_id in _answered(request, keyring)
