"""The legacy marketing-automation scoring that promotes leads to MQL in the demo CRM.

It follows the example contract of docs (newsletter +5, white paper +15, webinar attended +20, MQL
from 25 points, companies under 100 employees excluded): deliberately simpler than the versioned
contract in `models/`, as the CRM's old rule would be, so the warehouse has a legacy MQL to compare
with. Points restart from zero when sales recycles a lead.
"""

from __future__ import annotations

POINTS = {"Newsletter Subscribed": 5, "White Paper Downloaded": 15, "Webinar Attended": 20}
MQL_THRESHOLD = 25
INQUIRY_EVENTS = ("Demo Requested", "Contact Sales Requested")
LATE_SIGNAL_EVENTS = ("Competitive Analysis Downloaded", "Demo Requested", "Contact Sales Requested")


class Score:
    """Points of one lead in its current nurturing cycle; each asset counts once per cycle."""

    def __init__(self) -> None:
        self.points = 0
        self._counted: set[tuple[str, str]] = set()

    def add(self, event: str, asset_id: str) -> bool:
        """Count an event; True when this event makes the lead cross the threshold."""
        points = POINTS.get(event, 0)
        if not points or (event, asset_id) in self._counted:
            return False
        self._counted.add((event, asset_id))
        before = self.points
        self.points += points
        return before < MQL_THRESHOLD <= self.points

    def reset(self) -> None:
        self.points = 0
        self._counted.clear()
