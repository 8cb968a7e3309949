"""How often staff may try to sign in. Counts live in Redis in production, so every server
process shares them (``RATELIMIT_STORAGE_URI``); respondent pages never reach the limiter
(``extensions._not_a_staff_page``).

- **Per account.** Passwords for one account: ``SURVEY_LOGIN_LIMIT_PER_ACCOUNT``, counted
  by the email address typed (lower-cased). Two-factor codes are counted per account too.
- **Known devices.** A browser that has signed in to the account before
  (``web.staff.devices``) is counted on its own, for that account, at the same rate: someone
  trying passwords from elsewhere cannot lock the owner out of their usual devices.
- **Per client address.** Password attempts from one address, for any accounts:
  ``SURVEY_LOGIN_LIMIT_PER_ADDRESS``. This stops one sender trying one password on many
  accounts, and, unlike a limit over all accounts together, a flood from one place does not
  stop people signing in from anywhere else. Attempts from a known device do not count here.

Staff are not anonymous, but no address is kept: the count's key is an HMAC of the address
with a key derived from ``SECRET_KEY``, and it expires with the count (an hour at most).
Typed email addresses and account ids are keyed the same way, so the store holds no address
and nothing typed (people sometimes type a password into the email box). An IPv6 address
counts as its /64, which one sender usually has all of. Behind ``SURVEY_PROXY_COUNT`` reverse
proxies, the address is the one the nearest proxy added to ``X-Forwarded-For``; anything a
sender puts there themselves is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app, g, request, session

from survey_app.extensions import get_db, limiter
from survey_app.services import accounts, staff_sessions
from survey_app.web.staff import access, devices

_KEY_LABEL = b"candour.staff-sign-in-limits"


def _digest(kind: str, value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    key = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()
    mac = hmac.new(key, f"{kind}\0{value}".encode(), hashlib.sha256)
    return f"{kind}:{mac.hexdigest()[:32]}"


def client_address() -> str:
    """Who sent this request, as far as the staff sign-in limits are concerned."""
    address = request.remote_addr or ""
    proxies = int(current_app.config["SURVEY_PROXY_COUNT"])
    if proxies:
        header = ",".join(request.headers.getlist("X-Forwarded-For"))
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return _network(address)


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]  # not an IP address (a Unix socket, a test client): as it is
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _typed_email() -> str:
    return accounts.normalise_email(request.form.get("email", ""))[:254]


def _typed_known_device() -> str | None:
    """The account whose address was typed and this browser's id for it, if this is one of
    that account's known devices (the account is looked up only when a note came along)."""
    if "_typed_device" not in g:
        found = None
        if devices.carries_note():
            account = accounts.find_account(get_db(), _typed_email())
            device = devices.device_for(account.id) if account is not None else None
            if account is not None and device is not None:
                found = f"{account.id}\0{device}"
        g._typed_device = found
    typed = g._typed_device
    return typed if isinstance(typed, str) else None


def _pending_account() -> str:
    # Limits are checked before the session is loaded: look up whose session this is.
    token = session.get(access.TOKEN)
    user_id = staff_sessions.user_id(get_db(), token) if isinstance(token, str) else None
    return user_id or ""


def _address_key() -> str:
    return _digest("address", client_address())


def _password_key() -> str:
    known = _typed_known_device()
    if known is not None:
        return _digest("device", known)
    return _digest("email", _typed_email())


def _code_key() -> str:
    user_id = _pending_account()
    device = devices.device_for(user_id) if user_id else None
    if device is not None:
        return _digest("device", f"{user_id}\0{device}")
    return _digest("account", user_id)


def _account_key() -> str:
    return _digest("account", _pending_account())


def _per_account() -> str:
    return str(current_app.config["SURVEY_LOGIN_LIMIT_PER_ACCOUNT"])


def _per_address() -> str:
    return str(current_app.config["SURVEY_LOGIN_LIMIT_PER_ADDRESS"])


def _from_known_device() -> bool:
    return _typed_known_device() is not None


address_limit = limiter.limit(
    _per_address,
    scope="staff-sign-in-address",
    key_func=_address_key,
    methods=["POST"],
    exempt_when=_from_known_device,
)
password_limit = limiter.limit(
    _per_account, scope="staff-password", key_func=_password_key, methods=["POST"]
)
code_limit = limiter.limit(_per_account, scope="staff-code", key_func=_code_key, methods=["POST"])
change_limit = limiter.limit(
    _per_account, scope="staff-change-password", key_func=_account_key, methods=["POST"]
)
