"""Funnelhouse: a lead-scoring warehouse (CRM + web + e-mail events -> dbt marts -> CRM)."""

from funnelhouse.telemetry import disable_telemetry

disable_telemetry()

__version__ = "0.1.0"
