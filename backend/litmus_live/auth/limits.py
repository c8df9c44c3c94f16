"""Per-client caps: open WebSocket connections, HTTP requests and WebSocket messages per second.

A client is its address as the server sees it (behind a proxy, the proxy's: raise the caps).
Buckets refill continuously; a burst of twice the rate is allowed.
"""

from __future__ import annotations

import time

_MAX_TRACKED = 10_000  # addresses remembered before the idle ones are forgotten


class Bucket:
    def __init__(self, rate: float) -> None:
        self.rate, self.burst = rate, max(2 * rate, 1.0)
        self.tokens, self.at = self.burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    @property
    def is_full(self) -> bool:
        return self.tokens + (time.monotonic() - self.at) * self.rate >= self.burst


class Limits:
    def __init__(self, *, max_connections: int, request_rate: float, message_rate: float) -> None:
        self.max_connections, self.request_rate, self.message_rate = max_connections, request_rate, message_rate
        self._open: dict[str, int] = {}
        self._requests: dict[str, Bucket] = {}
        self._messages: dict[str, Bucket] = {}

    def open(self, client: str) -> bool:
        """Count one more connection of `client`, unless it holds its maximum already."""
        if self._open.get(client, 0) >= self.max_connections:
            return False
        self._open[client] = self._open.get(client, 0) + 1
        return True

    def close(self, client: str) -> None:
        left = self._open.get(client, 0) - 1
        if left > 0:
            self._open[client] = left
        else:
            self._open.pop(client, None)

    def request(self, client: str) -> bool:
        return self._bucket(self._requests, client, self.request_rate).take()

    def message(self, client: str) -> bool:
        return self._bucket(self._messages, client, self.message_rate).take()

    @staticmethod
    def _bucket(buckets: dict[str, Bucket], client: str, rate: float) -> Bucket:
        bucket = buckets.get(client)
        if bucket is None:
            if len(buckets) >= _MAX_TRACKED:
                for idle in [c for c, b in buckets.items() if b.is_full]:
                    del buckets[idle]
            bucket = buckets[client] = Bucket(rate)
        return bucket
