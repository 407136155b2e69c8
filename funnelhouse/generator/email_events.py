"""Marketing e-mail: the campaign calendar and the SendGrid Event Webhook events each send produces.

Every campaign goes to every marketable contact created before it; how a contact reacts (open, click,
unsubscribe) depends on their appetite. A click is returned to the caller, which turns it into a visit.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from funnelhouse.generator import catalog
from funnelhouse.generator.catalog import Asset
from funnelhouse.generator.clock import DAY, HOUR, MINUTE, SECOND, Window, day_string, weekday
from funnelhouse.generator.jsonl import PartitionedJsonl
from funnelhouse.generator.rng import between, derive, token_from

DUPLICATE_SHARE = 0.003


@dataclass(frozen=True)
class EmailCampaign:
    name: str
    kind: str  # newsletter, white_paper, webinar, competitive, product_update
    send_ms: int
    subject: str
    category: str | tuple[str, ...]
    asset: Asset | None
    url: str

    def link_utm(self) -> tuple[str, str, str]:
        return ("sendgrid", "email", self.name)


def campaign_calendar(seed: int, window: Window) -> list[EmailCampaign]:
    """The world's sends: a weekly newsletter (Tuesdays) and a promotion every three or four days."""
    rng = derive(seed, "campaigns")
    campaigns: list[EmailCampaign] = []
    promo_cycle = ("white_paper", "webinar", "product_update", "white_paper", "competitive", "webinar")
    promo_index = 0
    next_promo = window.start_ms + between(rng, 1, 3) * DAY
    day_ms = window.start_ms
    while day_ms <= window.end_ms:
        at = day_ms + 9 * HOUR + between(rng, 0, 59) * MINUTE
        label = day_string(day_ms)
        if weekday(day_ms) == 1:
            campaigns.append(
                EmailCampaign(
                    f"newsletter-{label}",
                    "newsletter",
                    at,
                    f"The Funnel Letter, {label}",
                    "newsletter",
                    None,
                    catalog.SITE + "/blog/funnel-metrics",
                )
            )
        elif day_ms >= next_promo:
            kind = promo_cycle[promo_index % len(promo_cycle)]
            campaigns.append(_promotion(kind, promo_index, at, label))
            promo_index += 1
            next_promo = day_ms + between(rng, 3, 4) * DAY
        day_ms += DAY
    if not campaigns:  # a world shorter than a week still sends one e-mail
        at = window.start_ms + min(10 * HOUR, window.span_ms // 2)
        campaigns.append(_promotion("white_paper", 0, at, day_string(at)))
    return campaigns


def _promotion(kind: str, index: int, at: int, label: str) -> EmailCampaign:
    if kind == "white_paper":
        asset = catalog.WHITE_PAPERS[index % len(catalog.WHITE_PAPERS)]
        category: str | tuple[str, ...] = ("content", "white_paper")
        subject = f"New guide: {asset.title}"
    elif kind == "webinar":
        asset = catalog.WEBINARS[index % len(catalog.WEBINARS)]
        category = ("events", "webinar")
        subject = f"Live webinar: {asset.title}"
    elif kind == "competitive":
        asset = catalog.COMPETITIVE_ANALYSES[index % len(catalog.COMPETITIVE_ANALYSES)]
        category = "comparison"
        subject = asset.title
    else:
        asset = None
        category = "product"
        subject = "What's new in Funnelhouse Demo"
    slug = asset.asset_id if asset else "product-update"
    url = asset.page.url if asset else catalog.SITE + "/product"
    return EmailCampaign(f"{slug}-{label}", kind, at, subject, category, asset, url)


class EmailSink:
    """The partitioned SendGrid files and their counters."""

    def __init__(self, out: PartitionedJsonl, window: Window):
        self.out = out
        self.window = window
        self.events = 0
        self.duplicates = 0
        self.unknown_address_events = 0

    def post(self, event: dict[str, Any], rng: random.Random) -> bool:
        """Write one webhook event into the partition of the day SendGrid posted it (False: after the end)."""
        posted = event["timestamp"] * SECOND + between(rng, 1, 90) * SECOND
        if posted > self.window.end_ms:
            return False
        day = day_string(posted)
        self.out.write(day, event)
        self.events += 1
        if rng.random() < DUPLICATE_SHARE:
            self.out.write(day, event)
            self.duplicates += 1
        return True


@dataclass
class SendResult:
    delivered: bool
    clicked_ms: int | None
    unsubscribed: bool
    bounced: bool


def send(
    sink: EmailSink,
    rng: random.Random,
    campaign: EmailCampaign,
    address: str,
    open_rate: float,
    click_rate: float,
    offset_ms: int,
    on_event: Callable[[int, str, str | None], None] | None = None,
) -> SendResult:
    """One campaign e-mail to one address: processed, delivered (or bounced), then reactions.

    `on_event(time, event, url)` is told of every event written (the contact's journey scores them)."""
    at = campaign.send_ms + offset_ms
    message_id = f"{token_from(rng, 12)}.filterdrecv-{between(rng, 100, 999)}-{between(rng, 1000, 9999)}-0"
    base = {"email": address, "sg_message_id": message_id, "category": _category(campaign)}
    custom = {"campaign": campaign.name}
    if campaign.asset is not None:
        custom["asset"] = campaign.asset.asset_id

    def event(name: str, when_ms: int, **extra: Any) -> None:
        if when_ms > sink.window.end_ms:
            return
        body = {
            **base,
            "timestamp": when_ms // SECOND,
            "event": name,
            "sg_event_id": token_from(rng),
            **extra,
            **custom,
        }
        if sink.post(body, rng) and on_event is not None:
            on_event(when_ms, name, extra.get("url"))

    event("processed", at)
    roll = rng.random()
    if roll < 0.012:
        event(
            "bounce",
            at + between(rng, 2, 60) * SECOND,
            reason="550 5.1.1 The email account does not exist",
            type="bounce",
            status="5.1.1",
        )
        return SendResult(False, None, False, True)
    if roll < 0.02:
        event("deferred", at + between(rng, 2, 60) * SECOND, response="421 try again later", attempt="1")
        at += between(rng, 5, 120) * MINUTE
    delivered_at = at + between(rng, 1, 30) * SECOND
    event("delivered", delivered_at, response="250 OK")
    clicked = None
    unsubscribed = False
    if rng.random() < open_rate:
        opened = delivered_at + int(rng.expovariate(1 / (6 * HOUR)))
        agent = rng.choice(catalog.EMAIL_USER_AGENTS)
        ip = f"{between(rng, 2, 223)}.{between(rng, 0, 255)}.{between(rng, 0, 255)}.{between(rng, 1, 254)}"
        event("open", opened, useragent=agent, ip=ip)
        if rng.random() < 0.3:
            event("open", opened + between(rng, 1, 48) * HOUR, useragent=agent, ip=ip)
        if rng.random() < click_rate:
            clicked = opened + between(rng, 5, 300) * SECOND
            event("click", clicked, url=campaign.url, useragent=agent, ip=ip)
            if clicked > sink.window.end_ms:
                clicked = None
        elif rng.random() < 0.01:
            event("unsubscribe", opened + between(rng, 5, 120) * SECOND, useragent=agent, ip=ip)
            unsubscribed = True
        elif rng.random() < 0.002:
            event("spamreport", opened + between(rng, 5, 120) * SECOND)
            unsubscribed = True
    return SendResult(True, clicked, unsubscribed, False)


def _category(campaign: EmailCampaign) -> str | list[str]:
    return list(campaign.category) if isinstance(campaign.category, tuple) else campaign.category


def mail_unknown_address(sink: EmailSink, seed: int, campaigns: list[EmailCampaign]) -> None:
    """The legacy-list address SendGrid still mails: dropped after the first bounce, like real lists."""
    rng = derive(seed, "unknown-address")
    for index, campaign in enumerate(campaigns[:3]):
        message_id = (
            f"{token_from(rng, 12)}.filterdrecv-{between(rng, 100, 999)}-{between(rng, 1000, 9999)}-0"
        )
        at = campaign.send_ms + between(rng, 1, 600) * SECOND
        if at > sink.window.end_ms:
            continue
        common = {
            "email": catalog.UNKNOWN_EMAIL,
            "sg_message_id": message_id,
            "category": _category(campaign),
        }
        custom = {"campaign": campaign.name}
        events = [
            {
                **common,
                "timestamp": at // SECOND,
                "event": "processed",
                "sg_event_id": token_from(rng),
                **custom,
            }
        ]
        if index == 0:
            events.append(
                {
                    **common,
                    "timestamp": at // SECOND + 3,
                    "event": "bounce",
                    "sg_event_id": token_from(rng),
                    "reason": "550 5.1.1 The email account does not exist",
                    "type": "bounce",
                    "status": "5.1.1",
                    **custom,
                }
            )
        else:
            events.append(
                {
                    **common,
                    "timestamp": at // SECOND + 1,
                    "event": "dropped",
                    "sg_event_id": token_from(rng),
                    "reason": "Bounced Address",
                    **custom,
                }
            )
        for body in events:
            if sink.post(body, rng):
                sink.unknown_address_events += 1
