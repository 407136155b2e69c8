"""Anonymous visitors who never fill a form: most of the traffic, as on any B2B site."""

from __future__ import annotations

from funnelhouse.generator import catalog
from funnelhouse.generator.clock import DAY, HOUR
from funnelhouse.generator.rng import chance, derive
from funnelhouse.generator.state import WorldState
from funnelhouse.generator.web_events import Browser, Campaign

VISITORS_PER_CONTACT = 2


def simulate_visitors(world: WorldState, count: int) -> None:
    """`count` browsers, each with one to a few sessions spread over the window."""
    window = world.window
    sources = [s for s in catalog.SOURCES if s[0] != "OFFLINE"]
    for index in range(count):
        rng = derive(world.seed, "visitor", index)
        browser = Browser(world.web, rng)
        source = rng.choices([s[0] for s in sources], weights=[s[1] for s in sources])[0]
        utm = catalog.UTM.get(source)
        t = window.start_ms + int(rng.random() * window.span_ms)
        for session in range(1 + min(4, int(rng.expovariate(1.2)))):
            browser.start_session(
                catalog.REFERRERS[source] if session == 0 else "",
                Campaign(*utm) if utm and session == 0 else None,
            )
            pages = [rng.choice(catalog.BROWSE_PAGES) for _ in range(1 + min(5, int(rng.expovariate(0.6))))]
            if chance(rng, 0.04):
                pages.append(catalog.PRICING)
            browser.browse(t, pages)
            t += int(rng.uniform(2 * HOUR, 10 * DAY))
            if t > window.end_ms:
                break
