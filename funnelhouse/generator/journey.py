"""One contact's life in the world: anonymous visits, the form that creates them in the CRM, e-mail
and web engagement scored toward MQL, and hand-offs to sales (which may recycle them back).

The contact's marketing events are played in time order from a small heap; sales follow-up is played
forward by `sales.work_lead` at the moment of each MQL or inquiry. Every web and e-mail event the
contact's browser and inbox emit is scored as the qualification contract says (`scoring.Score`); page
views seen before the browser identified count from the identify on, as the warehouse stitches them.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from typing import Any

from funnelhouse.generator import catalog
from funnelhouse.generator.catalog import Asset, Page
from funnelhouse.generator.clock import DAY, HOUR, MINUTE, SECOND, iso
from funnelhouse.generator.crm_records import CrmRecord, Source
from funnelhouse.generator.email_events import EmailCampaign, send
from funnelhouse.generator.firmographics import Person
from funnelhouse.generator.rng import between, chance, token_from
from funnelhouse.generator.sales import CompanyState, Outcome, work_lead
from funnelhouse.generator.scoring import Event, Score
from funnelhouse.generator.state import WorldState
from funnelhouse.generator.web_events import Browser, Campaign

SCORING_APP = Source("INTEGRATION", "app:legacy-lead-scoring")


@dataclass(frozen=True)
class Appetite:
    """How keen a person is: e-mail reactions, visit rate, and the chance of each conversion."""

    name: str
    open_rate: float
    click_rate: float
    visits_per_week: float
    download: float  # white paper download when offered
    signal: float  # pricing page / competitive analysis on a visit
    inquire: float  # demo or contact-sales request on a visit
    attend: float  # attends a webinar they registered for


APPETITES = (
    (Appetite("cold", 0.14, 0.10, 0.4, 0.25, 0.02, 0.002, 0.4), 50),
    (Appetite("warm", 0.32, 0.22, 1.0, 0.45, 0.08, 0.008, 0.6), 33),
    (Appetite("hot", 0.50, 0.35, 2.2, 0.65, 0.2, 0.03, 0.75), 17),
)
# The form that turned a visitor into a contact, with weights.
FIRST_FORMS = (("newsletter", 35), ("white_paper", 40), ("webinar", 19), ("demo", 4), ("contact_sales", 2))


def _weighted(rng: random.Random, pairs: tuple) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class Journey:
    def __init__(
        self,
        world: WorldState,
        rng: random.Random,
        company: CompanyState,
        person: Person,
        contact_id: str,
        source: str,
        created_ms: int,
    ):
        self.world = world
        self.rng = rng
        self.company = company
        self.person = person
        self.appetite: Appetite = _weighted(rng, APPETITES)
        self.source = source
        self.browser = Browser(world.web, rng)
        self.browser.on_page_view = self._page_viewed
        self.in_sales = False
        self.handoff_since = 0  # sales holds the lead until then (a recycle moves it)
        self._unidentified: list[Event] = []  # page views before the browser identified
        self.subscribed = False
        self.reachable = True
        self.mqls = 0
        self.created_ms = created_ms
        self.contact = CrmRecord("contacts", contact_id, created_ms)
        self.contact.properties = {
            "email": person.email,
            "firstname": person.first,
            "lastname": person.last,
            "jobtitle": person.jobtitle,
            "phone": person.phone,
            "country": person.country,
            "company": company.company.name,
            "hs_analytics_source": self.source,
            "lifecyclestage": None,
            "hs_lead_status": None,
            "hubspot_owner_id": None,
            "createdate": iso(created_ms),
        }
        fit_properties = {f"contact.{k}": v for k, v in self.contact.properties.items()}
        fit_properties.update({f"company.{k}": v for k, v in company.record.properties.items()})
        self.score = Score(world.scoring, *world.scoring.fit(fit_properties))
        self._heap: list[tuple[int, int, str, Any]] = []
        self._seq = 0

    @property
    def name(self) -> str:
        return f"{self.person.first} {self.person.last}"

    def schedule(self, at_ms: int, kind: str, payload: Any = None) -> None:
        if at_ms <= self.world.window.end_ms:
            self._seq += 1
            heapq.heappush(self._heap, (at_ms, self._seq, kind, payload))

    # -- the life -----------------------------------------------------------------------------------
    def run(self) -> CrmRecord:
        rng, window = self.rng, self.world.window
        created = self.created_ms
        if self.source == "OFFLINE":  # a trade-show badge scan imported into the CRM
            self._create_in_crm("lead", Source("IMPORT", "import:trade-show-badges"))
            if chance(rng, 0.5):  # asked for a demo at the booth: an inquiry, straight to sales
                self.world.tally.inquiries += 1
                self._hand_to_sales(created + int(rng.uniform(2 * HOUR, 1 * DAY)), inquiry=True)
        else:
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                self._landing_visit(max(window.start_ms, created - int(rng.uniform(30 * MINUTE, 14 * DAY))))
            self._first_conversion(created)
        for campaign in self.world.campaigns:
            if campaign.send_ms > created:
                self.schedule(campaign.send_ms, "mail", campaign)
        week = 7 * DAY
        t = created + int(rng.expovariate(self.appetite.visits_per_week / week))
        while t <= window.end_ms:
            self.schedule(t, "visit")
            t += int(rng.expovariate(self.appetite.visits_per_week / week)) + HOUR
        while self._heap:
            at, _, kind, payload = heapq.heappop(self._heap)
            getattr(self, f"_on_{kind}")(at, payload)
        return self.contact

    def _create_in_crm(self, stage: str, source: Source) -> None:
        self.contact.set("lifecyclestage", stage, self.created_ms, source)
        self.contact.set("hs_lead_status", "NEW", self.created_ms, source)

    def _landing_visit(self, at_ms: int) -> None:
        rng = self.rng
        utm = catalog.UTM.get(self.source)
        campaign = Campaign(*utm) if utm else None
        self.browser.start_session(catalog.REFERRERS[self.source], campaign)
        pages = [rng.choice(catalog.BROWSE_PAGES) for _ in range(between(rng, 1, 4))]
        self.browser.browse(at_ms, pages)

    def _first_conversion(self, created: int) -> None:
        rng = self.rng
        kind = _weighted(rng, FIRST_FORMS)
        at = created - between(rng, 3, 20) * SECOND
        self._landing_visit(at - between(rng, 12, 25) * MINUTE)
        if kind == "newsletter":
            self._create_in_crm("subscriber", Source("FORM", catalog.NEWSLETTER_FORM))
            self._subscribe(at)
        elif kind == "white_paper":
            asset = rng.choice(catalog.WHITE_PAPERS)
            self._create_in_crm("lead", Source("FORM", asset.form_id))
            self._submit(at, "White Paper Downloaded", asset.page, asset)
        elif kind == "webinar":
            asset = rng.choice(catalog.WEBINARS)
            self._create_in_crm("lead", Source("FORM", asset.form_id))
            self._register(at, asset)
        else:
            page, form = (
                (catalog.DEMO, catalog.DEMO_FORM)
                if kind == "demo"
                else (catalog.CONTACT_SALES, catalog.CONTACT_SALES_FORM)
            )
            self._create_in_crm("lead", Source("FORM", form))
            event = "Demo Requested" if kind == "demo" else "Contact Sales Requested"
            self._submit(at, event, page, None, form)

    # -- web behaviour --------------------------------------------------------------------------------
    def _submit(
        self, at: int, event: str, page: Page, asset: Asset | None, form_id: str | None = None
    ) -> None:
        """A form: its page, identify (the first time), `Form Submitted`, then the specific event."""
        browser = self.browser
        form_id = form_id or (asset.form_id if asset else "form-generic")
        browser.view(at - between(self.rng, 20, 90) * SECOND, page)
        if browser.user_id is None:
            p = self.person
            browser.identify(
                at,
                f"usr_{token_from(self.rng, 9)}",
                {
                    "email": p.email,
                    "firstName": p.first,
                    "lastName": p.last,
                    "company": self.company.company.name,
                },
            )
        browser.track(at + 150, "Form Submitted", {"form_id": form_id, "title": page.title})
        properties = {"form_id": form_id}
        if asset is not None:
            properties = {"asset_id": asset.asset_id, "title": asset.title, "form_id": form_id}
        browser.track(at + 300, event, properties)
        self._engaged(at + 300, event, form_id)

    def _subscribe(self, at: int) -> None:
        if not self.subscribed:
            self.subscribed = True
            self._submit(at, "Newsletter Subscribed", catalog.NEWSLETTER, None, catalog.NEWSLETTER_FORM)

    def _register(self, at: int, webinar: Asset) -> None:
        self._submit(at, "Webinar Registered", webinar.page, webinar)
        starts = at - at % DAY + between(self.rng, 3, 9) * DAY + 16 * HOUR
        if chance(self.rng, self.appetite.attend):
            self.schedule(starts + between(self.rng, 0, 10) * MINUTE, "attend", webinar)

    def _on_attend(self, at: int, webinar: Asset) -> None:
        self.browser.start_session("https://webinars.funnelhouse-demo.example/", None)
        self.browser.track(
            at,
            "Webinar Attended",
            {"asset_id": webinar.asset_id, "title": webinar.title, "form_id": webinar.form_id},
        )
        self._engaged(at, "Webinar Attended", "app:webinar-platform")

    def _on_visit(self, at: int, _: Any) -> None:
        rng, app = self.rng, self.appetite
        self.browser.start_session(rng.choice(("", "https://www.google.com/", "")), None)
        pages = [rng.choice(catalog.BROWSE_PAGES) for _ in range(between(rng, 1, 4))]
        if chance(rng, app.signal):
            pages.append(catalog.PRICING)  # a late buying signal
        t = self.browser.browse(at, pages)
        roll = rng.random()
        if roll < app.download * 0.3:
            self._submit(
                t + MINUTE, "White Paper Downloaded", (asset := rng.choice(catalog.WHITE_PAPERS)).page, asset
            )
        elif roll < app.download * 0.3 + app.signal * 0.4:
            asset = rng.choice(catalog.COMPETITIVE_ANALYSES)
            self._submit(t + MINUTE, "Competitive Analysis Downloaded", asset.page, asset)
        elif roll < app.download * 0.3 + app.signal * 0.4 + 0.04 and not self.subscribed:
            self._subscribe(t + MINUTE)
        elif roll < app.download * 0.3 + app.signal * 0.4 + 0.08:
            self._register(t + MINUTE, rng.choice(catalog.WEBINARS))
        if chance(rng, app.inquire):
            page, form, event = rng.choice(
                (
                    (catalog.DEMO, catalog.DEMO_FORM, "Demo Requested"),
                    (catalog.CONTACT_SALES, catalog.CONTACT_SALES_FORM, "Contact Sales Requested"),
                )
            )
            self._submit(t + 3 * MINUTE, event, page, None, form)

    # -- e-mail ---------------------------------------------------------------------------------------
    def _on_mail(self, at: int, campaign: EmailCampaign) -> None:
        if not self.reachable:
            return
        rng, app = self.rng, self.appetite
        offset = between(rng, 0, 900) * SECOND
        result = send(
            self.world.email,
            rng,
            campaign,
            self.person.email,
            app.open_rate,
            app.click_rate,
            offset,
            on_event=self._mail_event,
        )
        if result.bounced or result.unsubscribed:
            self.reachable = False
        if result.clicked_ms is not None:
            self._click(result.clicked_ms + between(rng, 1, 4) * SECOND, campaign)

    def _click(self, at: int, campaign: EmailCampaign) -> None:
        rng, app = self.rng, self.appetite
        self.browser.start_session("", Campaign(*campaign.link_utm(), content=campaign.kind))
        asset = campaign.asset
        landing = (
            asset.page if asset else (catalog.PRICING if chance(rng, app.signal) else catalog.BROWSE_PAGES[1])
        )
        t = self.browser.browse(at, [landing])
        if asset is None:
            if chance(rng, app.signal):
                self.browser.browse(t, [catalog.PRICING])
        elif asset.kind == "white_paper" and chance(rng, app.download):
            self._submit(t + 30 * SECOND, "White Paper Downloaded", asset.page, asset)
        elif asset.kind == "webinar" and chance(rng, 0.55):
            self._register(t + 30 * SECOND, asset)
        elif asset.kind == "competitive_analysis" and chance(rng, 0.4):
            self._submit(t + 30 * SECOND, "Competitive Analysis Downloaded", asset.page, asset)

    # -- scoring and hand-offs ------------------------------------------------------------------------
    def _scored(self, at: int, source: str, text: str, url: str | None) -> tuple[set[str], bool]:
        """Score one event (with the page views waiting for an identified browser, once it is)."""
        events: list[Event] = [(at, source, text, url)]
        if self._unidentified and self.browser.user_id is not None:
            events, self._unidentified = [*self._unidentified, *events], []
        return self.score.add(events)

    def _page_viewed(self, at: int, path: str, url: str) -> None:
        if self.browser.user_id is None:
            self._unidentified.append((at, "web_page", path, url))
        elif self._scored(at, "web_page", path, url)[1]:
            self._qualified(at)

    def _mail_event(self, at: int, name: str, url: str | None) -> None:
        if self._scored(at, "email", name, url)[1]:
            self._qualified(at)

    def _engaged(self, at: int, event: str, form_id: str) -> None:
        """Score a track event; promote to MQL on crossing, or hand an inquiry straight to sales."""
        kinds, crossed = self._scored(at, "web_track", event, self.browser.page.url)
        if self.in_sales or at < self.handoff_since:
            return
        if kinds & self.world.scoring.inquiry_kinds:
            self._promote_lifecycle(at, form_id)
            self.world.tally.inquiries += 1
            self._hand_to_sales(at, inquiry=True)
            return
        if event != "Newsletter Subscribed":
            self._promote_lifecycle(at, form_id)
        if crossed:
            self._qualified(at)

    def _qualified(self, at: int) -> None:
        """The score crossed into MQL: the automation promotes the contact and hands it to sales."""
        if self.in_sales or at < self.handoff_since:
            return
        mql_at = at + between(self.rng, 1, 15) * MINUTE
        if mql_at > self.world.window.end_ms:
            return
        self.contact.set("lifecyclestage", "marketingqualifiedlead", mql_at, SCORING_APP)
        tally = self.world.tally
        tally.mql_events += 1
        if self.mqls == 0:
            tally.mql_contacts += 1
        else:
            tally.re_mqls += 1
        self.mqls += 1
        self._hand_to_sales(mql_at, inquiry=False)

    def _promote_lifecycle(self, at: int, form_id: str) -> None:
        if self.contact.properties["lifecyclestage"] == "subscriber" and at > self.created_ms:
            self.contact.set(
                "lifecyclestage",
                "lead",
                at,
                Source("INTEGRATION", form_id) if form_id.startswith("app:") else Source("FORM", form_id),
            )

    def _hand_to_sales(self, at: int, inquiry: bool) -> None:
        self.in_sales = True
        outcome: Outcome = work_lead(self.world, self.rng, self.contact, self.company, at, inquiry, self.name)
        if outcome.recycled_ms is not None:
            # Back to nurturing. The score is not reset: as in the warehouse, the lead qualifies again
            # once its decayed score has dropped under the bar and new engagement carries it over.
            self.in_sales = False
            self.handoff_since = outcome.recycled_ms
            if chance(self.rng, 0.7):  # nurturing works: engagement resumes weeks later
                self.schedule(outcome.recycled_ms + int(self.rng.uniform(7 * DAY, 30 * DAY)), "resume")

    def _on_resume(self, at: int, _: Any) -> None:
        rng = self.rng
        self.browser.start_session("", None)
        t = self.browser.browse(at, [catalog.HOME, rng.choice(catalog.BROWSE_PAGES)])
        first, second = rng.sample(catalog.WHITE_PAPERS, 2)
        self._submit(t + MINUTE, "White Paper Downloaded", first.page, first)
        later = t + int(rng.uniform(1 * DAY, 10 * DAY))
        self.browser.start_session("https://www.google.com/", None)
        self._submit(later, "White Paper Downloaded", second.page, second)
