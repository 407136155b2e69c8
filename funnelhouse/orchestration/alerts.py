"""Failure callback: always log; post to a chat webhook when the connection `funnelhouse_alerts` exists.

The connection is an HTTP connection whose host is the full webhook URL (Slack incoming webhook,
Teams, Mattermost, ...); the message is posted as `{"text": ...}`.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

ALERT_CONN_ID = "funnelhouse_alerts"


def _webhook_url() -> str | None:
    try:
        from airflow.sdk import Connection

        conn = Connection.get(ALERT_CONN_ID)
    except Exception:  # noqa: BLE001 - no connection configured: logging is enough
        return None
    host = (conn.host or "").strip()
    if not host:
        return None
    return host if "://" in host else f"https://{host}"


def failure_message(context: dict[str, Any]) -> str:
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", context.get("run_id", "?"))
    error = context.get("exception")
    first_line = str(error).strip().splitlines()[0] if error else "no exception recorded"
    return f":red_circle: Funnelhouse {dag_id}.{task_id} failed (run {run_id}): {first_line}"


def notify_failure(context: dict[str, Any]) -> None:
    """Airflow `on_failure_callback`."""
    message = failure_message(context)
    log.error("%s", message)
    url = _webhook_url()
    if not url:
        return
    import requests

    try:
        requests.post(url, json={"text": message}, timeout=10).raise_for_status()
    except requests.RequestException as exc:
        log.warning("Could not post the failure alert to %s: %s", ALERT_CONN_ID, exc)
