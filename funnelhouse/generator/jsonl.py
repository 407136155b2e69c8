"""Streaming JSON Lines writers: one file, or one file per received day (Hive-style `dt=` folders).

Lines are encoded with orjson when it is importable and with `json` otherwise; the generator only emits
strings, integers, booleans and nulls, for which both encoders produce the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:  # orjson ships with the environment (via Airflow); json is the fallback with the same output.
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

except ImportError:  # pragma: no cover - exercised only without orjson

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


dumps: Callable[[Any], bytes] = _dumps


class JsonlFile:
    """One JSON Lines file written as records arrive; counts its lines."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.count = 0
        self._fh = open(path, "wb", buffering=1 << 20)  # noqa: SIM115 - closed by close()

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(dumps(record) + b"\n")
        self.count += 1

    def close(self) -> None:
        self._fh.close()


class PartitionedJsonl:
    """Lines grouped by day into `<root>/dt=YYYY-MM-DD/part-0000.jsonl`, in bounded memory.

    Lines are buffered per day (one bytearray each: orjson's short-lived result buffers are larger
    than the line, so they must not be kept) and appended to their files when the buffers reach
    `flush_bytes`; each file holds its lines in the order they were written, whatever the flushes.
    """

    def __init__(self, root: Path, flush_bytes: int = 16 << 20):
        self.root = root
        self.flush_bytes = flush_bytes
        self.count = 0
        self._buffers: dict[str, bytearray] = {}
        self._buffered = 0
        self._started: set[str] = set()

    def write(self, day: str, record: dict[str, Any]) -> None:
        buffer = self._buffers.get(day)
        if buffer is None:
            buffer = self._buffers[day] = bytearray()
        line = dumps(record)
        buffer += line
        buffer += b"\n"
        self.count += 1
        self._buffered += len(line) + 1
        if self._buffered >= self.flush_bytes:
            self.flush()

    def flush(self) -> None:
        for day in sorted(self._buffers):
            folder = self.root / f"dt={day}"
            if day not in self._started:
                folder.mkdir(parents=True, exist_ok=True)
            with open(folder / "part-0000.jsonl", "ab" if day in self._started else "wb") as fh:
                fh.write(self._buffers[day])
            self._started.add(day)
        self._buffers.clear()
        self._buffered = 0

    def close(self) -> None:
        self.flush()

    @property
    def days(self) -> list[str]:
        return sorted(self._started)
