"""Sales reps and their habits: the people whose follow-up the SLA and pipeline-health marts judge.

Each habit is a small set of numbers the sales simulation reads; a world always has at least one rep
of every habit so each SLA and pipeline-health rule has something to find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from funnelhouse.generator import catalog
from funnelhouse.generator.clock import DAY, HOUR, MINUTE, iso
from funnelhouse.generator.firmographics import _ascii_slug


@dataclass(frozen=True)
class Habit:
    name: str
    first_touch_ms: tuple[int, int] | None  # (low, high) delay from assignment; None: never follows up
    stage_speed: tuple[float, float]  # multiplier on the standard time at each deal stage
    holds_dead_deals: bool  # keeps deals that should close lost open far beyond the standard


FAST = Habit("fast_responder", (2 * MINUTE, 25 * MINUTE), (0.4, 1.0), False)
STANDARD = Habit("standard", (40 * MINUTE, 10 * HOUR), (0.45, 1.3), False)
SLOW = Habit("slow_responder", (6 * HOUR, 4 * DAY), (0.8, 1.7), False)
NEVER = Habit("never_follows_up", None, (1.0, 1.0), False)
RUSHER = Habit("stage_rusher", (10 * MINUTE, 2 * HOUR), (0.03, 0.15), False)
HOLDER = Habit("dead_deal_holder", (1 * HOUR, 20 * HOUR), (0.8, 1.5), True)

# Order of the first reps: one of each habit, then a realistic mix.
HABIT_ROTATION = (FAST, STANDARD, SLOW, NEVER, RUSHER, HOLDER, STANDARD, FAST, STANDARD, SLOW, STANDARD, FAST)


@dataclass(frozen=True)
class Owner:
    id: str
    user_id: int
    first: str
    last: str
    email: str
    habit: Habit

    def record(self, created_ms: int) -> dict:
        """The owner as `GET /crm/v3/owners` returns it."""
        stamp = iso(created_ms)
        return {
            "id": self.id,
            "email": self.email,
            "type": "PERSON",
            "firstName": self.first,
            "lastName": self.last,
            "userId": self.user_id,
            "userIdIncludingInactive": self.user_id,
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
            "teams": [{"id": "1", "name": "Sales", "primary": True}],
        }


def owner_count(contacts: int) -> int:
    """6 reps for a small world, up to 12 as the world grows."""
    return max(6, min(12, 6 + contacts // 2_000))


def make_owners(rng: random.Random, contacts: int) -> list[Owner]:
    owners: list[Owner] = []
    for i in range(owner_count(contacts)):
        first = rng.choice(catalog.FIRST_NAMES)
        last = rng.choice(catalog.LAST_NAMES)
        email = f"{_ascii_slug(first)}.{_ascii_slug(last)}@funnelhouse-demo.example"
        if any(o.email == email for o in owners):
            email = email.replace("@", f"{i}@")
        owners.append(Owner(str(101 + i), 9001 + i, first, last, email, HABIT_ROTATION[i]))
    return owners
