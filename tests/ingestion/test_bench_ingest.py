"""bench/bench_ingest.py at a tiny scale: the figures it reports are those of the runs it made."""

from __future__ import annotations

import pytest

from funnelhouse.settings import get_settings


def test_web_figures_compare_side_by_side_and_crm_is_measured_on_a_capped_world(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import bench_ingest

    monkeypatch.setenv("FUNNELHOUSE_CRM_RATE_LIMIT", "100")  # the bench sets it; restored afterwards
    get_settings.cache_clear()

    figures = bench_ingest.run(events=2_000, files=2, contacts=30, ceiling_runs=2, crm_max_contacts=20)

    # 2,000 events plus the 0.1% the generator re-delivers, in two files read twice each (check, parse)
    assert (figures["web_lines"], figures["web_rows_loaded"], figures["web_duplicates_dropped"]) == (
        2_002,
        2_000,
        2,
    )
    assert (figures["web_file_passes"], figures["web_files_read_line_by_line"]) == (4, 0)
    assert figures["web_read_json_runs"] == 2
    mean = (figures["web_read_json_first_s"] + figures["web_read_json_last_s"]) / 2
    assert figures["web_read_json_s"] == pytest.approx(mean, abs=0.011)
    # the ratios come from the unrounded timings; at this scale the 0.01 s rounding of the printed
    # seconds is a large share of them, so each ratio must lie within what the rounded seconds allow
    assert_ratio_of_rounded(
        figures["web_ratio_to_read_json"], figures["web_read_json_s"], figures["web_ingest_s"]
    )
    assert_ratio_of_rounded(
        figures["web_ratio_to_read_json_cpu"], figures["web_read_json_cpu_s"], figures["web_ingest_cpu_s"]
    )
    assert (figures["crm_contacts"], figures["crm_contacts_requested"], figures["crm_subset"]) == (
        20,
        30,
        True,
    )
    assert figures["crm_records"] > 20 and figures["crm_429s"] == 0


def assert_ratio_of_rounded(
    ratio: float, numerator_s: float, denominator_s: float, half_step: float = 0.005
) -> None:
    """`ratio` is numerator/denominator of two timings that were printed rounded to 0.01 s."""
    lowest = max(numerator_s - half_step, 0) / (denominator_s + half_step)
    highest = (numerator_s + half_step) / max(denominator_s - half_step, 1e-9)
    assert lowest - 0.0005 <= ratio <= highest + 0.0005, (ratio, numerator_s, denominator_s)
