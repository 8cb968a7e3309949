"""Where unlocked review keys wait: this process's memory, or Redis; each for a limited time."""

from __future__ import annotations

import secrets

import pytest

from survey_app.services.unlocking import PREFIX, MemoryUnlockStore, RedisUnlockStore, unlock_store

REDIS = "redis://127.0.0.1:6379/15"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_keeps_a_key_until_its_time_is_up() -> None:
    clock = Clock()
    store = MemoryUnlockStore(clock)
    key = secrets.token_bytes(32)
    store.put("release-a", key, 8 * 3600)
    assert store.get("release-a") == key
    assert store.expires_in("release-a") == 8 * 3600
    clock.now += 8 * 3600 - 1
    assert store.get("release-a") == key
    assert store.expires_in("release-a") == 1
    clock.now += 1
    assert store.get("release-a") is None
    assert store.expires_in("release-a") is None


def test_memory_forgets_a_dropped_key_and_keeps_others() -> None:
    store = MemoryUnlockStore()
    store.put("a", b"1" * 32, 60)
    store.put("b", b"2" * 32, 60)
    store.drop("a")
    store.drop("never-there")
    assert store.get("a") is None and store.get("b") == b"2" * 32


def test_without_redis_the_store_is_memory() -> None:
    assert isinstance(unlock_store(None), MemoryUnlockStore)
    assert isinstance(unlock_store(REDIS), RedisUnlockStore)


@pytest.fixture
def redis_store() -> RedisUnlockStore:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379 (CI starts one)")
    return RedisUnlockStore(REDIS)


def test_redis_keeps_a_key_with_an_expiry_on_redis_s_own_clock(
    redis_store: RedisUnlockStore,
) -> None:
    import redis

    name = f"test-{secrets.token_hex(8)}"
    key = secrets.token_bytes(32)
    redis_store.put(name, key, 3600)
    try:
        assert redis_store.get(name) == key
        left = redis_store.expires_in(name)
        assert left is not None and 3590 <= left <= 3600
        # Redis itself will forget it: the key has a time to live.
        assert redis.Redis.from_url(REDIS).ttl(PREFIX + name) > 0
    finally:
        redis_store.drop(name)
    assert redis_store.get(name) is None and redis_store.expires_in(name) is None
