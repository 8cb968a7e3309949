"""Where an unlocked review workspace key waits between review actions: memory or Redis.

A draft release's review workspace (comment texts and their themes) is sealed under its own
random key, and that key is kept only sealed to the survey's public key. A key holder unlocks
the review with their passphrase (in a short-lived job process, see ``survey_app.jobs``): the
workspace key is then kept here, and only here, for a limited time (8 hours by default) —
never on disk. With several server processes it must be Redis (``REDIS_URL``), which must run
without persistence (no RDB snapshots or append-only file), or the key would reach its disk.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

PREFIX = "candour:unlock:"


class UnlockStore(Protocol):
    """Keys by name, each forgotten after its time is up."""

    def put(self, name: str, key: bytes, seconds: int) -> None: ...

    def get(self, name: str) -> bytes | None: ...

    def expires_in(self, name: str) -> int | None:
        """Seconds left before ``name`` is forgotten (None when it is not held)."""
        ...

    def drop(self, name: str) -> None: ...


class MemoryUnlockStore:
    """This process's memory: for one server process (``make run``) and the command line."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._keys: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def put(self, name: str, key: bytes, seconds: int) -> None:
        with self._lock:
            self._keys[name] = (bytes(key), self._clock() + seconds)

    def get(self, name: str) -> bytes | None:
        with self._lock:
            found = self._keys.get(name)
            if found is None:
                return None
            if found[1] <= self._clock():
                del self._keys[name]
                return None
            return found[0]

    def expires_in(self, name: str) -> int | None:
        with self._lock:
            found = self._keys.get(name)
        if found is None:
            return None
        left = int(found[1] - self._clock())
        return left if left > 0 else None

    def drop(self, name: str) -> None:
        with self._lock:
            self._keys.pop(name, None)


class RedisUnlockStore:
    """Redis, shared by every server process; each key expires on Redis's own clock."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    def put(self, name: str, key: bytes, seconds: int) -> None:
        self._redis.set(PREFIX + name, key, ex=max(1, seconds))

    def get(self, name: str) -> bytes | None:
        found = self._redis.get(PREFIX + name)
        if found is None:
            return None
        return found if isinstance(found, bytes) else str(found).encode("latin-1")

    def expires_in(self, name: str) -> int | None:
        left = int(self._redis.ttl(PREFIX + name))
        return left if left > 0 else None

    def drop(self, name: str) -> None:
        self._redis.delete(PREFIX + name)


def unlock_store(redis_url: str | None) -> UnlockStore:
    """Redis when configured (several processes share it), otherwise this process's memory."""
    if redis_url:
        return RedisUnlockStore(redis_url)
    return MemoryUnlockStore()
