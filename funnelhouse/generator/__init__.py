"""The demo world generator: a B2B company's last days as CRM objects, web and e-mail events.

`generate_world(out, contacts, days, seed, end)` writes the files `docs/world-format.md` describes;
the same arguments always give byte-identical files.
"""

from funnelhouse.generator.summary import WorldSummary
from funnelhouse.generator.world import generate_world

__all__ = ["WorldSummary", "generate_world"]
