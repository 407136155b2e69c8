"""The sandbox CRM: a local HTTP server that follows HubSpot's CRM v3 contract, so the official
`hubspot-api-client` (and any code written for HubSpot) runs against it unchanged.

It serves a world's `crm/` folder from a SQLite file, enforces HubSpot's rules (batch limits, 207 partial
failures, forward-only lifecycle stages, ten-second rate limit, 10,000-result search ceiling) and injects
seeded faults. Start it with `funnelhouse sandbox serve --world DIR`, or in tests with
`funnelhouse.sandbox.testing.running_sandbox`.
"""

from funnelhouse.sandbox.server import serve

__all__ = ["serve"]
