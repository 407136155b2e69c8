"""The qualification contract: invalid files fail before dbt runs; a valid one compiles into the seeds."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from funnelhouse.contract import CONTRACT_FILE, SEEDS_DIR, ContractError, compile_contract, contract_tables
from funnelhouse.dbt_runner import run_dbt
from funnelhouse.settings import PROJECT_ROOT, Settings

DEFAULT_CONTRACT = PROJECT_ROOT / "models" / CONTRACT_FILE


def _default() -> dict:
    return yaml.safe_load(DEFAULT_CONTRACT.read_text())


def _write(folder: Path, content: dict | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONTRACT_FILE
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return path


def _set(path: list, value) -> Callable[[dict], None]:
    def change(contract: dict) -> None:
        node = contract
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _drop(path: list) -> Callable[[dict], None]:
    def change(contract: dict) -> None:
        node = contract
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


MISTAKES = [
    pytest.param(_drop(["mql_threshold"]), "at mql_threshold: Field required", id="missing-threshold"),
    pytest.param(
        _set(["mql_min_engagement"], -5),
        "at mql_min_engagement: Input should be greater than or equal to 0",
        id="negative-engagement-floor",
    ),
    pytest.param(
        _set(["mql_min_engagement"], 30),
        "at mql_min_engagement: mql_min_engagement (30) must not exceed mql_threshold (25)",
        id="engagement-floor-over-threshold",
    ),
    pytest.param(
        _set(["engagement", "inquiry_event_kinds"], ["demo_requested", "demo_request"]),
        "at engagement.inquiry_event_kinds[1]: unknown event kind 'demo_request': no event_kinds mapping",
        id="unknown-inquiry-kind",
    ),
    pytest.param(
        _set(["engagement", "inquiry_event_kinds"], []),
        "at engagement.inquiry_event_kinds: List should have at least 1 item",
        id="no-inquiry-kind",
    ),
    pytest.param(
        _set(["engagement", "rules", 0, "points"], "five"),
        "at engagement.rules[0] (id newsletter).points: Input should be a valid integer",
        id="points-not-a-number",
    ),
    pytest.param(
        _set(["engagement", "rules", 3, "event_kind"], "webinar_atended"),
        "rules[3] (id webinar_attended) scores event kind 'webinar_atended', which no event_kinds mapping",
        id="unknown-event-kind",
    ),
    pytest.param(
        _set(["fit", "rules", 1, "property"], "contact.job_title"),
        "at fit.rules[1] (id vp_title).property: unknown property 'contact.job_title'",
        id="unknown-property",
    ),
    pytest.param(
        _set(["fit", "rules", 0, "value"], "a hundred"),
        "at fit.rules[0] (id small_company): operator lt needs a number as value",
        id="text-for-numeric-operator",
    ),
    pytest.param(
        _drop(["fit", "rules", 0, "reason"]),
        "at fit.rules[0] (id small_company): an exclusion rule needs a reason",
        id="exclusion-without-reason",
    ),
    pytest.param(
        _set(["lead_status_map", "BAD_TIMING"], "later"),
        "at lead_status_map.BAD_TIMING: Input should be 'new', 'accepted', 'rejected' or 'recycled'",
        id="unknown-status-meaning",
    ),
    pytest.param(
        _set(["sla", "response_minutes_target"], 2000),
        "at sla: response_minutes_target must not exceed response_minutes_max",
        id="target-over-maximum",
    ),
    pytest.param(
        _drop(["pipeline", "stages", 0, "expected_days"]),
        "at pipeline.stages[0] (stage needs_analysis): open stage 'needs_analysis' needs expected_days",
        id="stage-without-standard",
    ),
    pytest.param(
        _set(["fit", "rules", 0, "colour"], "red"),
        "at fit.rules[0] (id small_company).colour: Extra inputs are not permitted",
        id="unknown-key",
    ),
]


@pytest.mark.parametrize(("mistake", "expected"), MISTAKES)
def test_an_invalid_contract_fails_before_dbt_runs(tmp_path: Path, mistake, expected: str) -> None:
    contract = _default()
    mistake(contract)
    path = _write(tmp_path / "contract", contract)
    home = tmp_path / "home"
    settings = Settings(home=home, contract_dir=path.parent)

    with pytest.raises(ContractError) as error:
        run_dbt(["build"], settings)

    message = str(error.value)
    assert str(path) in message
    assert expected in message
    assert not home.exists(), "dbt must not have started (it would create the home's dbt/ and warehouse)"


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\nfit: [unclosed\n")
    with pytest.raises(ContractError, match=rf"{path}: not valid YAML"):
        compile_contract(tmp_path, seeds_dir=tmp_path / "seeds")


def test_missing_contract_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=rf"{tmp_path / CONTRACT_FILE}: contract file not found"):
        compile_contract(tmp_path, seeds_dir=tmp_path / "seeds")


def _read_seed(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_contract_compiles_into_seeds(tmp_path: Path) -> None:
    contract = _default()
    contract["version"] = "2027.1-test"
    contract["mql_threshold"] = 30
    contract["mql_min_engagement"] = 12
    contract["engagement"]["inquiry_event_kinds"] = ["demo_requested", "inbound_call"]
    _write(tmp_path / "contract", contract)
    seeds = tmp_path / "seeds"

    compile_contract(tmp_path / "contract", seeds_dir=seeds)

    settings = {row["setting"]: row["value"] for row in _read_seed(seeds, "contract_settings")}
    assert settings["contract_version"] == "2027.1-test"
    assert settings["mql_threshold"] == "30"
    assert settings["mql_min_engagement"] == "12"
    assert settings["response_minutes_target"] == "30"
    assert settings["response_minutes_max"] == "1440"
    assert (settings["cadence_calls"], settings["cadence_emails"], settings["cadence_days"]) == (
        "3",
        "3",
        "14",
    )

    engagement = {row["rule_id"]: row for row in _read_seed(seeds, "contract_engagement_rules")}
    assert {k: engagement[k]["points"] for k in ("newsletter", "white_paper", "webinar_attended")} == {
        "newsletter": "5",
        "white_paper": "15",
        "webinar_attended": "20",
    }
    assert engagement["demo_request"]["is_late_buying_signal"] == "1"
    assert engagement["newsletter"]["is_late_buying_signal"] == "0"

    fit = _read_seed(seeds, "contract_fit_rules")
    small = [row for row in fit if row["rule_id"] == "small_company"]
    assert small == [
        {
            "rule_id": "small_company",
            "rule_order": "1",
            "label": "excluded: company size",
            "entity": "company",
            "property": "numberofemployees",
            "operator": "lt",
            "value_text": "100",
            "value_number": "100",
            "points": "0",
            "is_exclusion": "1",
            "reason": "excluded: company size",
        }
    ]
    # A list operator becomes one row per value (the SQL matches any of them).
    industries = [row["value_text"] for row in fit if row["rule_id"] == "target_industry"]
    assert industries == contract["fit"]["rules"][3]["value"]

    inquiries = [row["event_kind"] for row in _read_seed(seeds, "contract_inquiry_event_kinds")]
    assert inquiries == ["demo_requested", "inbound_call"]

    statuses = {row["lead_status"]: row["meaning"] for row in _read_seed(seeds, "contract_lead_status_map")}
    assert statuses["IN_PROGRESS"] == "accepted"
    assert statuses["UNQUALIFIED"] == "rejected"
    assert statuses["BAD_TIMING"] == "recycled"

    stages = {row["deal_stage"]: row for row in _read_seed(seeds, "contract_stage_standards")}
    assert set(stages) >= {
        "needs_analysis",
        "proposal",
        "pricing",
        "presentation",
        "negotiation",
        "closedwon",
    }
    assert stages["closedwon"]["is_closed"] == "1" and stages["closedwon"]["outcome"] == "won"


def test_a_contract_written_before_the_engagement_floor_and_inquiry_kinds_keeps_its_meaning(
    tmp_path: Path,
) -> None:
    """Without `mql_min_engagement` the floor is 0; without `inquiry_event_kinds` the inquiry kinds are the
    former dbt var default, those of them the contract's mappings produce."""
    contract = _default()
    del contract["mql_min_engagement"]
    del contract["engagement"]["inquiry_event_kinds"]
    contract["engagement"]["event_kinds"] = [
        m for m in contract["engagement"]["event_kinds"] if m["kind"] != "contact_sales_requested"
    ]
    contract["engagement"]["rules"] = [
        r for r in contract["engagement"]["rules"] if r["event_kind"] != "contact_sales_requested"
    ]
    _write(tmp_path / "contract", contract)

    compiled = compile_contract(tmp_path / "contract", seeds_dir=tmp_path / "seeds")

    assert compiled.mql_min_engagement == 0
    assert compiled.engagement.inquiry_event_kinds == ["demo_requested", "inbound_call"]
    settings = {row["setting"]: row["value"] for row in _read_seed(tmp_path / "seeds", "contract_settings")}
    assert settings["mql_min_engagement"] == "0"


def test_compiling_removes_seeds_the_contract_no_longer_makes(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "contract_retired_table.csv").write_text("a\n1\n")
    compile_contract(DEFAULT_CONTRACT.parent, seeds_dir=seeds)
    assert not (seeds / "contract_retired_table.csv").exists()
    assert (seeds / "contract_settings.csv").exists()


def test_committed_seeds_match_the_committed_contract(tmp_path: Path) -> None:
    """The CSVs in dbt_project/seeds/contract are what the default contract compiles to (no drift)."""
    contract = compile_contract(DEFAULT_CONTRACT.parent, seeds_dir=tmp_path)
    for name in contract_tables(contract):
        assert (tmp_path / f"{name}.csv").read_text() == (SEEDS_DIR / f"{name}.csv").read_text(), name
