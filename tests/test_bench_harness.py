"""The benchmark harness itself: a step is measured in its own process, failures are recorded, runs are saved.

No timing assertions: these check that figures are captured and recorded, not how fast anything is.
"""

from __future__ import annotations

import json
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import record
from bench.harness import StepResult, run_step
from bench.run import compute_ratios

# A fake step: holds ~64 MiB so its peak RSS is clearly its own, then prints its figures as JSON.
FAKE_STEP = textwrap.dedent(
    """
    import json
    block = bytearray(64 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    print("some human-readable progress line")
    print(json.dumps({"rows": 1234, "engine": {"name": "duckdb", "seconds": 0.5}}))
    """
)
FAILING_STEP = textwrap.dedent(
    """
    import sys
    print("starting", flush=True)
    print("the warehouse file /nowhere/warehouse.duckdb is missing", file=sys.stderr)
    sys.exit(3)
    """
)


def test_a_step_is_measured_in_its_own_process():
    result = run_step("fake", [sys.executable, "-c", FAKE_STEP])

    assert result.ok, result.error
    assert result.error is None
    assert result.figures == {"rows": 1234, "engine": {"name": "duckdb", "seconds": 0.5}}
    assert result.wall_s > 0
    # wait4's rusage is the child's own: at least the 64 MiB it touched, though it never reported it
    assert result.peak_rss_mb >= 64


def test_a_failing_step_is_recorded_as_failed_with_its_error():
    result = run_step("broken", [sys.executable, "-c", FAILING_STEP])

    assert not result.ok
    assert "/nowhere/warehouse.duckdb is missing" in result.error
    assert result.figures == {}
    assert result.as_dict()["ok"] is False


def test_a_step_that_prints_a_python_dict_keeps_its_figures():
    result = run_step("repr", [sys.executable, "-c", "print({'records': 10, 'share': 0.5})"])

    assert result.ok
    assert result.figures == {"records": 10, "share": 0.5}


def test_a_step_that_outlives_its_timeout_is_killed_and_failed():
    result = run_step("slow", [sys.executable, "-c", "import time; time.sleep(60)"], timeout_s=1)

    assert not result.ok
    assert "timed out after 1s" in result.error


@pytest.fixture
def results_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(record, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(record, "RESULTS_MD", tmp_path / "RESULTS.md")
    return tmp_path / "results"


def _steps(rows: int, wall_s: float) -> list[dict]:
    return [
        StepResult("generate", True, wall_s, 100.0, {"events": rows}).as_dict(),
        StepResult(
            "ingest", False, 0.0, 0.0, error="Traceback ...\nbench_ingest.py does not exist yet"
        ).as_dict(),
    ]


def _record_at(monkeypatch: pytest.MonkeyPatch, *moments: datetime) -> None:
    """The next runs `record` saves are recorded at these moments, in order."""
    times = iter(moments)

    class _Clock:
        @staticmethod
        def now(tz):
            return next(times)

    monkeypatch.setattr(record, "datetime", _Clock)


def _table_rows() -> dict[str, list[str]]:
    """RESULTS.md's table rows by their first cell, each as its stripped cells."""
    return {
        cells[0]: cells
        for line in record.RESULTS_MD.read_text().splitlines()
        if line.startswith("| ") and (cells := [c.strip() for c in line.strip("|").split("|")])
    }


def test_save_run_writes_a_record_and_shows_the_previous_run_beside_the_latest(
    results_dir: Path, monkeypatch
):
    ratios = {"incremental_over_full": {"value": 0.08, "target": "≤ 0.10", "met": True, "note": ""}}
    # record names runs by the second: give the two runs distinct recording times
    _record_at(
        monkeypatch,
        datetime(2026, 11, 23, 15, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 15, 0, 1, tzinfo=UTC),
    )
    first = record.save_run("XS", _steps(rows=1000, wall_s=1.5), ratios)
    second = record.save_run(
        "XS",
        _steps(rows=2000, wall_s=2.5),
        {**ratios, "incremental_over_full": {"value": 0.2, "target": "≤ 0.10", "met": False, "note": ""}},
    )

    assert first != second and first.parent == results_dir == second.parent
    saved = json.loads(second.read_text())
    assert saved["scale"] == "XS"
    assert saved["git_commit"]
    assert {"cores", "memory_gib", "cpu_model"} <= set(saved["machine"])
    assert saved["machine"]["cores"] >= 1
    assert [s["name"] for s in saved["steps"]] == ["generate", "ingest"]
    assert saved["steps"][0]["figures"] == {"events": 2000}
    assert saved["steps"][1]["ok"] is False

    table = record.RESULTS_MD.read_text()
    assert "## Scale XS" in table
    generate_row = next(line for line in table.splitlines() if line.startswith("| generate "))
    cells = [c.strip() for c in generate_row.strip("|").split("|")]
    # step | run | ok | wall s | peak | figures | previous wall s | previous peak
    assert cells[1] == "2026-11-23 15:00 `" + saved["git_commit"] + "`"
    assert cells[2] == "yes" and cells[3] == "2.5" and cells[5] == "events=2000" and cells[6] == "1.5"
    ingest_row = next(line for line in table.splitlines() if line.startswith("| ingest "))
    assert "| NO |" in ingest_row and "bench_ingest.py does not exist yet" in ingest_row
    ratio_row = next(line for line in table.splitlines() if line.startswith("| incremental_over_full "))
    ratio_cells = [c.strip() for c in ratio_row.strip("|").split("|")]
    assert ratio_cells[:1] + ratio_cells[2:6] == ["incremental_over_full", "0.2", "0.08", "≤ 0.10", "no"]

    # A partial run (one step measured on its own, as at M and L) updates that step only; the other step
    # and the ratio it did not measure still show their latest measurement, from the earlier run.
    _record_at(monkeypatch, datetime(2026, 11, 23, 16, 30, 0, tzinfo=UTC))
    third = record.save_run(
        "XS",
        [
            {
                "name": "ingest",
                "ok": True,
                "wall_s": 9.0,
                "peak_rss_mb": 50.0,
                "figures": {"rows": 5},
                "error": None,
            }
        ],
        {"incremental_over_full": {"value": None, "target": "≤ 0.10", "met": None, "note": ""}},
        partial=True,
    )
    assert json.loads(third.read_text())["partial"] is True
    table = record.RESULTS_MD.read_text()
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    assert "2026-11-23 16:30" in rows["ingest"] and "| yes | 9 |" in rows["ingest"]
    assert "2026-11-23 15:00" in rows["generate"] and "| 2.5 |" in rows["generate"]
    assert "2026-11-23 15:00" in rows["incremental_over_full"] and "| 0.2 |" in rows["incremental_over_full"]


def test_ratios_come_from_the_figures_of_the_same_run():
    steps = {
        "dbt": StepResult(
            "dbt",
            True,
            30.0,
            900.0,
            {
                "duckdb": {
                    "full_build_s": 20.0,
                    "incremental_build_s": 1.0,
                    "incremental_over_full": 0.05,
                    "repeat_over_incremental": 0.9,
                },
                "duckdb_floor_incremental_over_full": 0.04,
                "postgres_over_duckdb_full": 3.0,
            },
        ),
        "quality": StepResult("quality", True, 5.0, 5000.0, {"increment": {"seconds": 1.0}}),
        "demo": StepResult("demo", False, 2.0, 0.0, error="boom"),
    }

    ratios = compute_ratios(steps, "M")

    assert ratios["dbt_incremental_over_full_duckdb"]["value"] == 0.05
    assert ratios["dbt_incremental_over_full_duckdb"]["met"] is True
    assert ratios["dbt_postgres_over_duckdb_full"]["met"] is False
    assert ratios["dbt_incremental_floor_over_full_duckdb"]["value"] == 0.04
    assert ratios["dbt_repeat_over_incremental_duckdb"]["value"] == 0.9
    assert ratios["gx_increment_share_of_nightly"]["value"] == 0.5
    assert ratios["max_peak_rss_over_4gib"]["met"] is False
    assert ratios["max_peak_rss_over_4gib"]["note"] == "step quality"
    assert ratios["ingestion_over_read_json"]["value"] is None
    assert ratios["steps_completed"]["note"] == "2 of 3 steps ok"


def test_a_run_stopped_part_way_keeps_the_steps_it_finished(results_dir: Path, monkeypatch, tmp_path):
    """L takes hours: the record is written after every step, so stopping the run loses only the step
    that was running; a finished run rewrites that same record, no longer partial."""
    from bench import run as bench_run

    monkeypatch.setattr(bench_run, "WORK_ROOT", tmp_path / "work")
    finished: list[str] = []

    def fake_step(name, argv, timeout_s, cwd):
        if name == "dbt" and stop_at_dbt:
            raise KeyboardInterrupt  # the operator stops the run during the third step
        finished.append(name)
        return StepResult(name, True, 1.0, 10.0, {"rows": len(finished)})

    monkeypatch.setattr(bench_run, "run_step", fake_step)
    stop_at_dbt = True
    with pytest.raises(KeyboardInterrupt):
        bench_run.main(["--scale", "XS", "--only", "generate,ingest,dbt", "--record"])
    [kept] = list(results_dir.glob("*.json"))
    saved = json.loads(kept.read_text())
    assert [step["name"] for step in saved["steps"]] == ["generate", "ingest"]
    assert saved["partial"] is True
    assert "| ingest " in record.RESULTS_MD.read_text()

    kept.unlink()
    stop_at_dbt = False
    assert bench_run.main(["--scale", "XS", "--record"]) == 0
    [whole] = list(results_dir.glob("*.json"))
    saved = json.loads(whole.read_text())
    assert [step["name"] for step in saved["steps"]] == list(bench_run.STEP_NAMES)
    assert saved["partial"] is False


def test_whole_scale_memory_and_completion_cover_every_steps_latest_record(results_dir: Path, monkeypatch):
    """L is measured in separate invocations: the heaviest step and a failed step recorded in an earlier
    run still count in the scale's max_peak_rss_over_4gib and steps_completed."""
    _record_at(monkeypatch, *(datetime(2026, 12, 6, hour, 0, 0, tzinfo=UTC) for hour in (1, 2, 3, 4)))

    def save(*steps: StepResult) -> None:
        by_name = {step.name: step for step in steps}
        record.save_run("XS", [step.as_dict() for step in steps], compute_ratios(by_name, "XS"), partial=True)

    save(StepResult("dbt", True, 10.0, 3_686.4, {}), StepResult("quality", False, 1.0, 100.0, error="boom"))
    save(StepResult("quality", True, 2.0, 409.6, {}))
    save(StepResult("ingest", True, 5.0, 2_048.0, {}))

    rows = _table_rows()
    # ratio | run | latest | previous | target | met | note
    assert rows["max_peak_rss_over_4gib"][2:4] == ["0.9", "0.9"]
    assert rows["max_peak_rss_over_4gib"][5:] == ["yes", "step dbt"]
    assert rows["steps_completed"][2:4] == ["1", "1"]
    assert rows["steps_completed"][6] == "3 of 3 steps ok"

    save(StepResult("dbt", False, 1.0, 4_505.6, {}, error="out of memory"))
    rows = _table_rows()
    assert rows["max_peak_rss_over_4gib"][2:4] == ["1.1", "0.9"]
    assert rows["max_peak_rss_over_4gib"][5] == "no"
    assert rows["steps_completed"][2:4] == ["0.667", "1"]
    assert rows["steps_completed"][5:] == ["no", "2 of 3 steps ok"]


def test_dbt_seconds_are_split_by_layer_with_singular_tests_apart(tmp_path: Path) -> None:
    from bench.bench_dbt import _seconds_by_layer
    from funnelhouse.settings import Settings

    target = tmp_path / "dbt" / "target"
    target.mkdir(parents=True)
    nodes = {
        "model.fh.stg_a": {"original_file_path": "models/staging/web/stg_a.sql"},
        "test.fh.unique_stg_a": {
            "original_file_path": "models/staging/web/_stg.yml",
            "attached_node": "model.fh.stg_a",
        },
        "model.fh.fct_b": {"original_file_path": "models/marts/scoring/fct_b.sql"},
        "seed.fh.rules": {"original_file_path": "seeds/contract/rules.csv"},
        "test.fh.assert_adds_up": {"original_file_path": "tests/assert_adds_up.sql", "attached_node": None},
    }
    seconds = {"model.fh.stg_a": 2.0, "test.fh.unique_stg_a": 0.5, "model.fh.fct_b": 3.0,
               "seed.fh.rules": 0.25, "test.fh.assert_adds_up": 1.5}  # fmt: skip
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    (target / "run_results.json").write_text(
        json.dumps({"results": [{"unique_id": k, "execution_time": v} for k, v in seconds.items()]})
    )
    layers = _seconds_by_layer(Settings(home=tmp_path, warehouse="duckdb"))
    assert layers == {"marts/scoring": 3.0, "seeds": 0.25, "singular_tests": 1.5, "staging": 2.5}


def test_dbt_seconds_are_split_by_kind_of_node(tmp_path: Path) -> None:
    from bench.bench_dbt import _seconds_by_kind
    from funnelhouse.settings import Settings

    target = tmp_path / "dbt" / "target"
    target.mkdir(parents=True)
    nodes = {
        "model.fh.stg_a": {"config": {"materialized": "incremental"}},
        "model.fh.stg_b": {"config": {"materialized": "view"}},
        "model.fh.dim_c": {"config": {"materialized": "table"}},
        "model.fh.fct_d": {"config": {"materialized": "table"}},
        "test.fh.unique_stg_a": {"config": {"materialized": "test"}},
        "seed.fh.rules": {"config": {"materialized": "seed"}},
    }
    seconds = {"model.fh.stg_a": 2.0, "model.fh.stg_b": 0.75, "model.fh.dim_c": 3.0, "model.fh.fct_d": 1.5,
               "test.fh.unique_stg_a": 0.5, "seed.fh.rules": 0.25}  # fmt: skip
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    (target / "run_results.json").write_text(
        json.dumps({"results": [{"unique_id": k, "execution_time": v} for k, v in seconds.items()]})
    )
    kinds = _seconds_by_kind(Settings(home=tmp_path, warehouse="duckdb"))
    assert kinds == {"incremental_models": 2.0, "seeds": 0.25, "table_models": 4.5, "tests": 0.5,
                     "view_models": 0.75}  # fmt: skip


def _raw_options(**overrides):
    import argparse

    values = {"raw": None, "reuse_raw": True, "contacts": 10, "days": 2, "seed": 1} | overrides
    return argparse.Namespace(**values)


def test_the_dbt_step_reuses_a_loaded_raw_layer_without_the_world(tmp_path: Path, monkeypatch) -> None:
    """At L the world's 38 GB of JSON and the builds do not fit on disk together: a raw layer loaded by an
    earlier run is reused, and nothing regenerates the deleted world."""
    from datetime import date

    from bench import bench_dbt

    def no_world(**_):
        raise AssertionError("the world was generated although the raw layer is there")

    monkeypatch.setattr(bench_dbt, "generate_world", no_world)
    (tmp_path / "raw.duckdb").write_bytes(b"loaded earlier")
    raw, figures = bench_dbt.prepare_raw(_raw_options(), tmp_path, date(2026, 11, 20))
    assert raw == tmp_path / "raw.duckdb"
    assert figures == {"raw_reused": True}
    assert not (tmp_path / "world").exists()


def test_a_raw_load_that_fails_part_way_leaves_no_raw_layer_to_reuse(tmp_path: Path, monkeypatch) -> None:
    from datetime import date

    from bench import bench_dbt

    monkeypatch.setattr(bench_dbt, "generate_world", lambda out, **_: out.mkdir(parents=True))

    def interrupted_load(database: Path, world: Path) -> None:
        database.write_bytes(b"half a raw layer")
        raise KeyboardInterrupt

    monkeypatch.setattr(bench_dbt, "load_world_duckdb", interrupted_load)
    with pytest.raises(KeyboardInterrupt):
        bench_dbt.prepare_raw(_raw_options(), tmp_path, date(2026, 11, 20))
    assert not (tmp_path / "raw.duckdb").exists()

    def whole_load(database: Path, world: Path) -> None:
        assert world == tmp_path / "world"
        database.write_bytes(b"the whole raw layer")

    monkeypatch.setattr(bench_dbt, "load_world_duckdb", whole_load)
    raw, figures = bench_dbt.prepare_raw(_raw_options(), tmp_path, date(2026, 11, 20))
    assert raw.read_bytes() == b"the whole raw layer"
    assert figures["raw_reused"] is False and "raw_load_s" in figures
    assert not list(tmp_path.glob("*.loading*"))


def test_the_driver_passes_reuse_of_the_raw_layer_to_the_dbt_step(monkeypatch, tmp_path: Path) -> None:
    from bench import run as bench_run

    monkeypatch.setattr(bench_run, "WORK_ROOT", tmp_path / "work")
    argvs: dict[str, list[str]] = {}

    def fake_step(name, argv, timeout_s, cwd):
        argvs[name] = argv
        return StepResult(name, True, 1.0, 10.0, {})

    monkeypatch.setattr(bench_run, "run_step", fake_step)
    bench_run.main(["--scale", "XS", "--only", "dbt", "--reuse-dbt-raw"])
    assert "--reuse-raw" in argvs["dbt"]
    bench_run.main(["--scale", "XS", "--only", "dbt"])
    assert "--reuse-raw" not in argvs["dbt"]
