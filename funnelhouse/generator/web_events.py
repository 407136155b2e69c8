"""Segment events (page, track, identify) of one browser, with the dirt real collection has.

A `Browser` is one anonymousId. It emits events into the web partition of the day they were *received*;
a small share are retried (same messageId twice) or arrive days late, as mobile and flaky networks do.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from funnelhouse.generator import catalog
from funnelhouse.generator.catalog import Page
from funnelhouse.generator.clock import DAY, SECOND, Window, day_string, iso
from funnelhouse.generator.jsonl import PartitionedJsonl
from funnelhouse.generator.rng import between, uuid4_from

DUPLICATE_SHARE = 0.004
LATE_SHARE = 0.002


@dataclass
class Campaign:
    """UTM tags of the link that started a visit (Segment's `context.campaign`)."""

    source: str
    medium: str
    name: str
    term: str = ""
    content: str = ""

    def as_context(self) -> dict[str, str]:
        return {
            "source": self.source,
            "medium": self.medium,
            "name": self.name,
            "term": self.term,
            "content": self.content,
        }


class WebSink:
    """Where every browser writes: the partitioned files plus the world's dirt counters."""

    def __init__(self, out: PartitionedJsonl, window: Window):
        self.out = out
        self.window = window
        self.duplicates = 0
        self.late = 0
        self.events = 0
        self.visitors = 0
        self.identifies = 0


class Browser:
    """One visitor's browser: an anonymousId, an IP and a user agent, identified once a form is sent."""

    def __init__(self, sink: WebSink, rng: random.Random):
        self.sink = sink
        self.rng = rng
        self.anonymous_id = uuid4_from(rng)
        self.user_id: str | None = None
        self.ip = (
            f"{between(rng, 2, 223)}.{between(rng, 0, 255)}.{between(rng, 0, 255)}.{between(rng, 1, 254)}"
        )
        self.user_agent = rng.choice(catalog.USER_AGENTS)
        self.page: Page = catalog.HOME
        self.referrer = ""
        self.campaign: Campaign | None = None
        self.seen = False
        self._landing = True
        # Told of every page view written (time, path, URL): the contact's journey scores them.
        self.on_page_view: Callable[[int, str, str], None] | None = None

    # -- sessions ---------------------------------------------------------------------------------
    def start_session(self, referrer: str = "", campaign: Campaign | None = None) -> None:
        """A new visit: its first page carries the external referrer and the link's UTM tags."""
        self.referrer = referrer
        self.campaign = campaign
        self._landing = True

    def _context(self) -> dict[str, Any]:
        page = self.page
        context: dict[str, Any] = {
            "page": {"url": page.url, "path": page.path, "referrer": self.referrer, "title": page.title}
        }
        if self.campaign is not None:
            context["campaign"] = self.campaign.as_context()
        context["ip"] = self.ip
        context["userAgent"] = self.user_agent
        context["library"] = catalog.LIBRARY
        return context

    def _emit(self, at_ms: int, body: dict[str, Any]) -> bool:
        """Stamp and write one event; False when it would be received after the world ends."""
        rng = self.rng
        sent = at_ms + between(rng, 5, 400)
        received = sent + between(rng, 20, 900)
        if received > self.sink.window.end_ms or at_ms < self.sink.window.start_ms:
            return False
        late = rng.random() < LATE_SHARE
        if late:
            delayed = received + between(rng, 1, 3) * DAY + between(rng, 0, 3_600) * SECOND
            if delayed <= self.sink.window.end_ms:
                sent, received = delayed - between(rng, 20, 900), delayed
                self.sink.late += 1
        event = {
            "messageId": uuid4_from(rng),
            "type": body.pop("type"),
            "anonymousId": self.anonymous_id,
            "userId": self.user_id,
            **body,
            "context": self._context(),
            "timestamp": iso(at_ms),
            "sentAt": iso(sent),
            "receivedAt": iso(received),
        }
        sink = self.sink
        sink.out.write(day_string(received), event)
        sink.events += 1
        if not self.seen:
            self.seen = True
            sink.visitors += 1
        if rng.random() < DUPLICATE_SHARE:
            retry = received + between(rng, 1, 30) * SECOND
            if retry <= sink.window.end_ms:
                sink.out.write(day_string(retry), {**event, "receivedAt": iso(retry)})
                sink.duplicates += 1
        return True

    def view(self, at_ms: int, page: Page) -> bool:
        """A `page` call; the previous page becomes the referrer of the next one."""
        if not self._landing and self.page is not page:
            self.referrer = self.page.url
        self._landing = False
        self.page = page
        properties = {"url": page.url, "path": page.path, "title": page.title, "referrer": self.referrer}
        written = self._emit(at_ms, {"type": "page", "name": page.title, "properties": properties})
        if written and self.on_page_view is not None:
            self.on_page_view(at_ms, page.path, page.url)
        return written

    def track(self, at_ms: int, event: str, properties: dict[str, str]) -> bool:
        return self._emit(at_ms, {"type": "track", "event": event, "properties": properties})

    def identify(self, at_ms: int, user_id: str, traits: dict[str, str]) -> bool:
        """From now on this browser carries the userId (its earlier events keep only the anonymousId)."""
        self.user_id = user_id
        written = self._emit(at_ms, {"type": "identify", "traits": traits})
        if written:
            self.sink.identifies += 1
        return written

    def browse(self, at_ms: int, pages: list[Page]) -> int:
        """View pages one after another (10 s to 3 min apart); returns the time after the last one."""
        t = at_ms
        for page in pages:
            self.view(t, page)
            t += between(self.rng, 10, 180) * SECOND
        return t
