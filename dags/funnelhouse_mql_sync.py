"""Airflow DAG funnelhouse_mql_sync, every 15 minutes: fresh events → scoring and status → marts gate → MQLs to the CRM. See funnelhouse.orchestration.dags."""

from funnelhouse.orchestration.dags import build_mql_sync_dag

dag = build_mql_sync_dag()
