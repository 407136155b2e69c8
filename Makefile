# The README's two commands: `make demo` runs the main job, `make test` passes the tests.
# Both start from nothing: uv (installed with pip if missing), then `uv sync --frozen` from uv.lock.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export RUNTIME__DLTHUB_TELEMETRY := false
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
# `uv` when on PATH, else the copy pip installs into the interpreter (`python3 -m uv`).
UV = $(shell command -v uv >/dev/null 2>&1 && echo uv || echo python3 -m uv)
SCALE ?= S

.PHONY: install demo test lint bench airflow clean

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

demo: install
	$(UV) run --frozen python -m funnelhouse.demo

test: install
	$(UV) run --frozen pytest -q -ra -n 2 --dist loadgroup

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

airflow: install
	$(UV) run --frozen python -m funnelhouse.orchestration.local_airflow standalone

bench: install
	$(UV) run --frozen python -m bench.run --scale $(SCALE)

clean:
	rm -rf .funnelhouse dbt_project/target dbt_project/logs
