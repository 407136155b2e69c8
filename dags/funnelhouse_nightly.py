"""Airflow DAG funnelhouse_nightly: extract → raw gate → dbt build (Cosmos) → marts gate → CRM sync → publish. See funnelhouse.orchestration.dags."""

from funnelhouse.orchestration.dags import build_nightly_dag

dag = build_nightly_dag()
