# Funnelhouse on the official Airflow image: the project's locked dependencies installed with uv.
FROM apache/airflow:3.3.2-python3.11

USER root
RUN pip install --no-cache-dir uv
USER airflow

WORKDIR /opt/funnelhouse
COPY --chown=airflow:root pyproject.toml uv.lock README.md ./
COPY --chown=airflow:root funnelhouse ./funnelhouse
COPY --chown=airflow:root ingestion ./ingestion
COPY --chown=airflow:root expectations ./expectations
COPY --chown=airflow:root reverse_etl ./reverse_etl
# Install the locked set into the image's Python (Airflow itself is pinned to the same 3.3.x family).
RUN uv export --frozen --no-dev --no-hashes --format requirements-txt > /tmp/requirements.txt \
    && uv pip install --system --no-cache -r /tmp/requirements.txt \
    && uv pip install --system --no-cache --no-deps .

ENV FUNNELHOUSE_HOME=/opt/funnelhouse/home \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DO_NOT_TRACK=1 \
    GX_ANALYTICS_ENABLED=false \
    RUNTIME__DLTHUB_TELEMETRY=false \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
