"""Every tool in the pipeline phones home unless told not to; machines running it may be offline."""

import os

TELEMETRY_OFF = {
    # dbt
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    # astronomer-cosmos
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    # Great Expectations
    "GX_ANALYTICS_ENABLED": "false",
    # dlt
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    # Airflow's own usage data
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
}


def disable_telemetry() -> None:
    """Switch analytics off for dbt, Cosmos, GX, dlt and Airflow (an explicit setting wins)."""
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)
