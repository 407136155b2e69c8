"""An incremental build re-scores a person's whole history only when their fit changed (issue 4): a CRM
update that changes a fit value (a VP title) rewrites every daily row of that person, one that changes
no fit value (a first name) rewrites only the recomputed window, and the result equals a full refresh.

Works on a copy of the DuckDB warehouse the session's `duckdb_build` left; the CRM edits are made in its
raw layer, as the next extraction would load them.
"""

from __future__ import annotations

from conftest import NO_TESTS, SCORING_LAYER
from marts import first_difference, read_mart

from funnelhouse.dbt_runner import run_dbt
from funnelhouse.settings import Settings
from funnelhouse.warehouse import open_warehouse


def _daily(wh, email: str) -> list[dict]:
    return wh.fetch_dicts(
        "select daily.score_date, daily.fit_score, daily.fit_grade, daily._processed_at"
        " from marts.fct_lead_score_daily as daily"
        " join marts.dim_leads as leads on leads.person_id = daily.person_id"
        " where leads.email = ? order by daily.score_date",
        [email],
    )


def test_only_a_fit_change_rescores_the_whole_history(warehouse_copy: Settings, mini_world) -> None:
    settings = warehouse_copy
    vp, renamed = mini_world.journeys["qualified"], mini_world.journeys["requalified"]
    with open_warehouse(settings) as wh:
        [(built_at,)] = wh.fetchall("select max(_processed_at) from marts.fct_lead_score_daily")
        before = {email: _daily(wh, email) for email in (vp, renamed)}
        assert all(len(rows) > 10 for rows in before.values())
        # Both contacts were updated in the CRM just now; only the title changes a fit rule (VP: +10).
        wh.execute(
            "update raw_hubspot.contacts set jobtitle = 'VP Marketing', updated_at = updated_at + interval 30 day"
            " where email = ?",
            [vp],
        )
        wh.execute(
            "update raw_hubspot.contacts set firstname = 'Renamed', updated_at = updated_at + interval 30 day"
            " where email = ?",
            [renamed],
        )
        wh.commit()

    assert run_dbt(["build", "--quiet", *SCORING_LAYER, *NO_TESTS], settings) == 0
    with open_warehouse(settings, read_only=True) as wh:
        after = {email: _daily(wh, email) for email in (vp, renamed)}
        incremental = read_mart(wh, "fct_lead_score_daily")

    # The VP: every day re-scored with 10 more fit points.
    assert [r["score_date"] for r in after[vp]] == [r["score_date"] for r in before[vp]]
    assert all(r["_processed_at"] > built_at for r in after[vp])
    assert [float(r["fit_score"]) for r in after[vp]] == [float(r["fit_score"]) + 10 for r in before[vp]]
    # The renamed contact: the old days kept as they were, only the recomputed window rewritten.
    old_days = [r for r in after[renamed] if r["_processed_at"] == built_at]
    assert len(old_days) >= len(after[renamed]) - 5
    assert after[renamed] == [
        {**r, "_processed_at": a["_processed_at"]}
        for r, a in zip(before[renamed], after[renamed], strict=True)
    ]

    assert run_dbt(["build", "--quiet", "--full-refresh", *SCORING_LAYER, *NO_TESTS], settings) == 0
    with open_warehouse(settings, read_only=True) as wh:
        columns, full = read_mart(wh, "fct_lead_score_daily")
    assert incremental == (columns, full), first_difference(incremental[1], full, columns)
