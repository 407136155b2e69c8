"""docker-compose.yml cannot be run here (no Docker engine): check what can be checked without one."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from funnelhouse.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_parses_and_has_the_airflow_3_services():
    services = _compose()["services"]
    assert AIRFLOW_SERVICES | {"postgres", "airflow-init", "sandbox-crm"} <= set(services)
    commands = {name: services[name]["command"] for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-apiserver": "airflow api-server",
        "airflow-scheduler": "airflow scheduler",
        "airflow-dag-processor": "airflow dag-processor",
        "airflow-triggerer": "airflow triggerer",
    }
    assert services["sandbox-crm"]["profiles"] == ["sandbox"]


def test_every_service_has_an_image_and_local_executor():
    services = _compose()["services"]
    for name, service in services.items():
        assert service.get("image"), f"{name} has no image"
        if name.startswith("airflow") or name == "sandbox-crm":
            env = service["environment"]
            assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
            assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
            assert service["build"]["dockerfile"] == "Dockerfile"


def test_every_bind_mount_and_build_file_exists():
    compose = _compose()
    named_volumes = set(compose.get("volumes", {}))
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (PROJECT_ROOT / source).exists(), f"{name} mounts missing path {source}"
            else:
                assert source in named_volumes, f"{name} uses undeclared volume {source}"
        if "build" in service:
            assert (PROJECT_ROOT / service["build"]["context"] / service["build"]["dockerfile"]).exists()


def test_dockerfile_copies_existing_paths_and_pins_airflow_3_3():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:3\.3\.\d+-python3\.11$", dockerfile, re.MULTILINE)
    for source in re.findall(r"^COPY (?:--chown=\S+ )?(.+?) \S+$", dockerfile, re.MULTILINE):
        for part in source.split():
            assert (PROJECT_ROOT / part).exists(), f"Dockerfile copies missing {part}"


def test_commands_in_compose_exist_in_the_cli():
    from typer.main import get_command

    from funnelhouse.cli import app

    cli = get_command(app)
    text = COMPOSE.read_text()
    for command in re.findall(r"funnelhouse\.cli (\w+)", text):
        assert command in cli.commands, f"docker-compose.yml calls unknown command {command}"
    assert Path(PROJECT_ROOT / "deploy" / "postgres-init.sql").exists()
