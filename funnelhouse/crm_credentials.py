"""Where the CRM's base URL and token come from: an Airflow connection when one is configured, else settings.

The Airflow connection `funnelhouse_crm` (conn type http): host = base URL, password = private-app token.
Tokens are returned as plain strings only to the HTTP layer; never log them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from funnelhouse.settings import Settings, get_settings

AIRFLOW_CONN_ID = "funnelhouse_crm"


@dataclass(frozen=True)
class CrmCredentials:
    base_url: str
    token: str

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"CrmCredentials(base_url={self.base_url!r}, token='***')"


def _from_airflow_connection() -> CrmCredentials | None:
    if not (
        os.environ.get(f"AIRFLOW_CONN_{AIRFLOW_CONN_ID.upper()}") or os.environ.get("AIRFLOW_CTX_DAG_ID")
    ):
        return None
    try:
        from airflow.sdk import Connection

        conn = Connection.get(AIRFLOW_CONN_ID)
    except Exception:  # noqa: BLE001 - no such connection: fall back to settings
        return None
    if not conn or not conn.password:
        return None
    host = conn.host or ""
    if host and "://" not in host:
        host = f"{conn.schema or 'https'}://{host}" + (f":{conn.port}" if conn.port else "")
    return CrmCredentials(base_url=host.rstrip("/"), token=conn.password)


def crm_credentials(settings: Settings | None = None) -> CrmCredentials:
    """The CRM to talk to; fails with what to set when no token is configured."""
    settings = settings or get_settings()
    from_airflow = _from_airflow_connection()
    if from_airflow:
        return from_airflow
    if settings.crm_token is None:
        raise RuntimeError(
            "No CRM token: set FUNNELHOUSE_CRM_TOKEN (and FUNNELHOUSE_CRM_URL for a non-HubSpot host) "
            f"or an Airflow connection '{AIRFLOW_CONN_ID}'."
        )
    return CrmCredentials(base_url=settings.crm_url.rstrip("/"), token=settings.crm_token.get_secret_value())
