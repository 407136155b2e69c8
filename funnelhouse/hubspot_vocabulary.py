"""The vocabulary of the systems Funnelhouse reads, in one place: HubSpot CRM v3 objects and the values
of the properties it tracks, Segment call types and track events, SendGrid webhook events.

The generator writes these, the sandbox CRM validates them, ingestion extracts them and the raw gate
checks them; each imports them from here. See docs/world-format.md.
"""

from __future__ import annotations

OBJECT_TYPES = ("contacts", "companies", "deals", "calls", "emails", "tasks", "meetings")
ENGAGEMENT_TYPES = ("calls", "emails", "tasks", "meetings")
SINGULAR = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "calls": "call",
    "emails": "email",
    "tasks": "task",
    "meetings": "meeting",
}

# Properties whose history (`propertiesWithHistory`) is kept, per object type.
TRACKED_HISTORY = {
    "contacts": ("lifecyclestage", "hs_lead_status", "hubspot_owner_id"),
    "companies": ("hubspot_owner_id",),
    "deals": ("dealstage", "hubspot_owner_id"),
}

# HubSpot moves lifecycle stages forward only, in this order; `other` stands outside it.
LIFECYCLE_ORDER = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
)
LIFECYCLE_STAGES = (*LIFECYCLE_ORDER, "other")
LEAD_STATUSES = (
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "BAD_TIMING",
)
DEAL_STAGES = (
    "needs_analysis",
    "proposal",
    "pricing",
    "presentation",
    "negotiation",
    "closedwon",
    "closedlost",
    "lost_to_competitor",
    "no_decision",
)

SEGMENT_TYPES = ("page", "track", "identify")
TRACK_EVENTS = (
    "Newsletter Subscribed",
    "White Paper Downloaded",
    "Webinar Registered",
    "Webinar Attended",
    "Demo Requested",
    "Contact Sales Requested",
    "Form Submitted",
    "Competitive Analysis Downloaded",
)
SENDGRID_EVENTS = (
    "processed",
    "delivered",
    "open",
    "click",
    "bounce",
    "dropped",
    "deferred",
    "spamreport",
    "unsubscribe",
)
