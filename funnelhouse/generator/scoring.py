"""The marketing automation's lead scoring, which promotes contacts to MQL in the demo CRM.

It plays the qualification contract (`models/qualification_contract.yml`, read with funnelhouse.contract)
as far as the world's marketing automation sees a lead, so that the reps work (nearly) the MQL moments the
warehouse computes from the same contract:

- fit: the points of the contract's fit rules on the contact's and its company's CRM properties, and its
  exclusions (a lead a rule excludes never becomes MQL);
- engagement: the web page views, Segment track events and SendGrid events the world emits, each given
  its kind by the contract's `event_kinds` and scored by the rules of that kind, with the contract's step
  decay and each rule's cap;
- MQL when, not excluded, fit + engagement reaches `mql_threshold` and engagement reaches
  `mql_min_engagement`, coming from below (as of the event's day and the day before, as the warehouse's
  daily scores compare).

What the automation does not see: sales activity logged in the CRM (calls, e-mails, meetings), and the
passage of time between two events (decay is applied when the next event is scored). The contract's
inquiry kinds (demo and contact-sales requests) are scored too, but go straight to sales as inquiries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from funnelhouse.contract import Contract, EngagementRule, FitRule, load_contract
from funnelhouse.generator.clock import DAY
from funnelhouse.settings import PROJECT_ROOT

DEFAULT_CONTRACT_DIR = PROJECT_ROOT / "models"

# One scored event: (time in ms, contract source, the text its kind is matched on, URL or None).
Event = tuple[int, str, str, str | None]


def _like(pattern: str) -> re.Pattern[str]:
    """A SQL LIKE pattern (`%` any run, `_` one character) as a regex; case ignored, as the warehouse does."""
    body = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def _numeric(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _fit_rule_matches(rule: FitRule, text: str | None) -> bool:
    """The warehouse's fit operators (int_scoring__fit): text compared without case, unknown never matches."""
    if rule.operator == "is_null":
        return text is None
    if rule.operator == "not_null":
        return text is not None
    if text is None:
        return False
    values = rule.value if isinstance(rule.value, list) else [rule.value]
    lowered = text.lower()
    if rule.operator in ("eq", "in"):
        return any(lowered == str(v).lower() for v in values)
    if rule.operator == "not_in":
        return all(lowered != str(v).lower() for v in values)
    if rule.operator == "neq":
        return lowered != str(values[0]).lower()
    if rule.operator in ("contains", "contains_any"):
        return any(str(v).lower() in lowered for v in values)
    number = _numeric(text)
    if number is None:
        return False
    limit = float(values[0])
    return {
        "lt": number < limit,
        "lte": number <= limit,
        "gt": number > limit,
        "gte": number >= limit,
    }[rule.operator]


class ScoringRules:
    """The contract as the marketing automation applies it: event kinds, rules per kind, fit, MQL bar."""

    def __init__(self, contract: Contract):
        engagement = contract.engagement
        self.contract_version = contract.version
        self.threshold = contract.mql_threshold
        self.min_engagement = contract.mql_min_engagement
        self.decay_factor = 1 - engagement.decay.percent / 100
        self.decay_days = engagement.decay.every_days
        self.inquiry_kinds = frozenset(engagement.inquiry_event_kinds)
        self._mappings = [(m.source, _like(m.pattern), m.kind) for m in engagement.event_kinds]
        self._rules: dict[str, list[tuple[EngagementRule, re.Pattern[str] | None]]] = {}
        for rule in engagement.rules:
            narrowed = _like(rule.pattern) if rule.pattern else None
            self._rules.setdefault(rule.event_kind, []).append((rule, narrowed))
        self.rules = {rule.id: rule for rule in engagement.rules}
        self._fit_rules = contract.fit.rules
        self._kinds: dict[tuple[str, str], str | None] = {}
        self._classified: dict[tuple[str, str], tuple[str | None, list[EngagementRule]]] = {}

    def kind(self, source: str, text: str) -> str | None:
        """The first mapping of the source whose pattern matches the text (None: not engagement)."""
        key = (source, text)
        if key not in self._kinds:
            self._kinds[key] = next(
                (kind for src, pattern, kind in self._mappings if src == source and pattern.fullmatch(text)),
                None,
            )
        return self._kinds[key]

    def scoring_rules(self, kind: str | None, text: str, url: str | None) -> list[EngagementRule]:
        """The rules of the kind that score this event (a rule's optional pattern narrows it)."""
        matched = []
        for rule, narrowed in self._rules.get(kind or "", ()):
            if narrowed is None or narrowed.fullmatch(url or text) or narrowed.fullmatch(text):
                matched.append(rule)
        return matched

    def classify(self, source: str, text: str, url: str | None) -> tuple[str | None, list[EngagementRule]]:
        """The event's kind and scoring rules (remembered per source and text unless a rule reads the URL)."""
        key = (source, text)
        known = self._classified.get(key)
        if known is not None:
            return known
        kind = self.kind(source, text)
        rules = self.scoring_rules(kind, text, url)
        if not any(narrowed is not None for _, narrowed in self._rules.get(kind or "", ())):
            self._classified[key] = (kind, rules)
        return kind, rules

    def fit(self, properties: dict[str, str | None]) -> tuple[int, bool]:
        """Fit points and exclusion for CRM properties named as the contract names them (`contact.jobtitle`)."""
        points, excluded = 0, False
        for rule in self._fit_rules:
            value = properties.get(rule.property)
            if _fit_rule_matches(rule, value if value not in ("", None) else None):
                excluded = excluded or rule.exclude
                points += 0 if rule.exclude else rule.points
        return points, excluded

    def points_example(self, source: str, names: Iterable[str]) -> dict[str, int]:
        """Points per event name of one source (what world.json records as the rule the CRM plays)."""
        example = {}
        for name in names:
            rules = self.scoring_rules(self.kind(source, name), name, None)
            if rules:
                example[name] = sum(rule.points for rule in rules)
        return example


@lru_cache(maxsize=4)
def default_rules(contract_dir: Path = DEFAULT_CONTRACT_DIR) -> ScoringRules:
    """The rules of the contract shipped in `models/` (so the same arguments always give the same world)."""
    return ScoringRules(load_contract(contract_dir))


class Score:
    """One lead's score as the warehouse computes it from the events the automation has seen so far."""

    def __init__(self, rules: ScoringRules, fit_points: int, excluded: bool):
        self.rules = rules
        self.fit_points = fit_points
        self.excluded = excluded
        self._points: dict[str, dict[int, int]] = {}  # rule id -> day -> raw points that day

    def engagement(self, day: int) -> float:
        """The decayed, capped engagement score at the end of a day (events of later days not counted)."""
        rules, total = self.rules, 0.0
        for rule_id, by_day in self._points.items():
            rule = rules.rules[rule_id]
            points = 0.0
            for event_day, raw in by_day.items():
                if event_day <= day:
                    steps = (day - event_day) // rules.decay_days if rule.decays else 0
                    points += raw * rules.decay_factor**steps
            if rule.cap is not None:
                points = min(points, rule.cap) if rule.points >= 0 else max(points, -rule.cap)
            total += points
        return total

    def qualified(self, day: int) -> bool:
        """An MQL at the end of that day: not excluded, over the threshold and over the engagement floor."""
        if self.excluded:
            return False
        engagement = self.engagement(day)
        return (
            self.fit_points + engagement >= self.rules.threshold and engagement >= self.rules.min_engagement
        )

    def add(self, events: list[Event]) -> tuple[set[str], bool]:
        """Score events (the last one is the newest seen); returns their kinds and whether they carried
        the lead into MQL: qualified on the last event's day and neither before them nor the day before."""
        rules = self.rules
        kinds: set[str] = set()
        scored = []
        for at_ms, source, text, url in events:
            kind, matched = rules.classify(source, text, url)
            if kind is None:
                continue
            kinds.add(kind)
            scored.extend((at_ms // DAY, rule) for rule in matched)
        if not scored:
            return kinds, False
        day = events[-1][0] // DAY
        rising = not self.excluded and any(rule.points > 0 for _, rule in scored)
        before = rising and (self.qualified(day) or self.qualified(day - 1))
        for event_day, rule in scored:
            by_day = self._points.setdefault(rule.id, {})
            by_day[event_day] = by_day.get(event_day, 0) + rule.points
        return kinds, rising and not before and self.qualified(day)
