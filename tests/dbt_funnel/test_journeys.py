"""Given the hand-written journeys (journey_world.py, appended to the small world), when the funnel marts
build, then each journey's statuses, SLA follow-up and pipeline health are exactly what the contract says."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from journey_world import END, PEOPLE


def _person_id(build, name: str) -> str:
    rows = build.query(
        "select person_id from intermediate.int_people__persons where email = ?", [PEOPLE[name]]
    )
    assert len(rows) == 1, f"expected one person for {PEOPLE[name]}, got {rows}"
    return rows[0]["person_id"]


def _spells(build, name: str) -> list[tuple]:
    rows = build.query(
        "select status, valid_from, valid_to, is_current, is_skipped_stage, is_backward_move"
        " from marts.fct_lead_status_history where person_id = ? order by spell_sequence",
        [_person_id(build, name)],
    )
    return [tuple(r.values()) for r in rows]


def _followups(build, name: str) -> list[dict]:
    return build.query(
        "select * from marts.fct_mql_followups where person_id = ? order by mql_at", [_person_id(build, name)]
    )


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def days_to_end(start: str) -> float:
    """Days (two decimals) from a naive UTC moment to the run date END."""
    days = Decimal((END.replace(tzinfo=None) - t(start)).total_seconds()) / 86400
    return float(days.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_the_marts_build_and_their_data_and_unit_tests_pass(duckdb_funnel) -> None:
    assert duckdb_funnel.exit_codes == {"build": 0}
    results = duckdb_funnel.run_results["results"]
    assert [r["unique_id"] for r in results if r["status"] not in {"success", "pass"}] == []
    unit_tests = {
        r["unique_id"].rsplit(".", 1)[-1] for r in results if r["unique_id"].startswith("unit_test.")
    }
    assert unit_tests == {
        "lead_status_history_journeys",
        "mql_followups_first_touch_after_45_minutes_and_untreated",
        "deal_stage_durations_stalled_and_rushed",
        "stalled_deals_hand_back_list",
        "run_date_defaults_to_the_latest_event_in_the_data",
        "run_date_from_the_as_of_var",
        "lead_status_events_tie_break",
        "forecast_as_of_a_past_day_uses_the_stage_the_deal_had_then",
    }
    assert len([r for r in results if r["unique_id"].startswith("test.")]) >= 60


def test_inquiry_goes_straight_to_sales(duckdb_funnel) -> None:
    assert _spells(duckdb_funnel, "inquiry_direct") == [
        ("Suspect", t("2026-10-30 09:00"), t("2026-11-01 09:00"), False, False, False),
        ("Inquiry", t("2026-11-01 09:00"), t("2026-11-01 11:00"), False, False, False),
        ("SAL", t("2026-11-01 11:00"), t("2026-11-02 09:00"), False, False, False),
        ("SQL", t("2026-11-02 09:00"), None, True, False, False),
    ]


def test_mql_to_sal_to_sql_to_won(duckdb_funnel) -> None:
    assert _spells(duckdb_funnel, "mql_won") == [
        ("Suspect", t("2026-10-29 09:00"), t("2026-11-01 09:10"), False, False, False),
        ("MQL", t("2026-11-01 09:10"), t("2026-11-02 09:00"), False, False, False),
        ("SAL", t("2026-11-02 09:00"), t("2026-11-03 09:00"), False, False, False),
        ("SQL", t("2026-11-03 09:00"), t("2026-11-07 09:00"), False, False, False),
        ("Won", t("2026-11-07 09:00"), None, True, False, False),
    ]


def test_mql_rejected(duckdb_funnel) -> None:
    assert [s[0] for s in _spells(duckdb_funnel, "mql_rejected")] == ["Suspect", "MQL", "Rejected"]
    assert _spells(duckdb_funnel, "mql_rejected")[-1] == (
        "Rejected",
        t("2026-11-02 09:00"),
        None,
        True,
        False,
        False,
    )


def test_recycled_lead_becomes_mql_again(duckdb_funnel) -> None:
    assert _spells(duckdb_funnel, "recycled") == [
        ("Suspect", t("2026-10-02 09:00"), t("2026-10-04 10:00"), False, False, False),
        ("MQL", t("2026-10-04 10:00"), t("2026-10-05 09:00"), False, False, False),
        ("Recycled", t("2026-10-05 09:00"), t("2026-11-06 09:00"), False, False, False),
        ("MQL", t("2026-11-06 09:00"), None, True, False, False),
    ]
    assert [f["mql_sequence"] for f in _followups(duckdb_funnel, "recycled")] == [1, 2]


def test_sql_without_sal_is_flagged_as_a_skipped_stage(duckdb_funnel) -> None:
    assert _spells(duckdb_funnel, "sql_no_sal")[-1] == ("SQL", t("2026-10-31 06:00"), None, True, True, False)


def test_first_touch_after_45_minutes_breaches_30_minutes_but_not_one_day(duckdb_funnel) -> None:
    [followup] = _followups(duckdb_funnel, "mql_won")
    assert {
        k: followup[k]
        for k in [
            "owner_id",
            "owner_name",
            "mql_at",
            "assigned_at",
            "accepted_at",
            "first_touch_at",
            "first_touch_type",
            "response_minutes",
            "within_30_minutes",
            "within_1_day",
            "calls_14d",
            "emails_14d",
            "meetings_14d",
            "meets_cadence",
            "is_untreated",
            "breach_reasons",
        ]
    } == {
        "owner_id": "31",
        "owner_name": "Ada Closer",
        "mql_at": t("2026-11-01 09:10"),
        "assigned_at": t("2026-11-01 09:15"),
        "accepted_at": t("2026-11-02 09:00"),
        "first_touch_at": t("2026-11-01 09:55"),
        "first_touch_type": "call",
        "response_minutes": 45,
        "within_30_minutes": False,
        "within_1_day": True,
        "calls_14d": 3,
        "emails_14d": 3,
        "meetings_14d": 0,
        "meets_cadence": True,
        "is_untreated": False,
        "breach_reasons": "first touch after 45 minutes (target 30)",
    }


def test_no_touch_at_all_is_untreated(duckdb_funnel) -> None:
    [followup] = _followups(duckdb_funnel, "mql_untreated")
    assert followup["is_untreated"] is True
    assert followup["first_touch_at"] is None and followup["response_minutes"] is None
    assert (followup["within_30_minutes"], followup["within_1_day"], followup["meets_cadence"]) == (
        False,
        False,
        False,
    )
    assert followup["owner_id"] == "32" and followup["assigned_at"] == followup["mql_at"]
    assert followup["breach_reasons"] == (
        "no sales touch yet; cadence: 0/3 calls, 0/3 e-mails in 14 days; lead status never updated"
    )
    # The rejected lead was never touched either, but the rep did close it: no cadence breach.
    [rejected] = _followups(duckdb_funnel, "mql_rejected")
    assert rejected["is_untreated"] is True
    assert rejected["breach_reasons"] == "no sales touch yet"


def test_current_status_days_next_action_and_untreated_flag(duckdb_funnel) -> None:
    rows = duckdb_funnel.query("select * from intermediate.int_lead_status__current")
    by_person = {r["person_id"]: r for r in rows}
    untreated = by_person[_person_id(duckdb_funnel, "mql_untreated")]
    assert untreated["current_status"] == "MQL"
    assert untreated["current_status_since"] == t("2026-11-01 09:10")
    assert float(untreated["days_in_current_status"]) == days_to_end("2026-11-01 09:10")
    assert (untreated["next_action"], untreated["next_action_at"]) == (
        "task: Call back",
        t("2026-11-18 09:00"),
    )
    assert untreated["is_next_action_overdue"] is True
    assert untreated["is_untreated"] is True
    won = by_person[_person_id(duckdb_funnel, "mql_won")]
    assert (won["current_status"], won["is_untreated"], won["next_action"]) == ("Won", False, None)
    # Rejected: untreated hand-off, but the lead is closed, so it is not an untreated lead.
    assert by_person[_person_id(duckdb_funnel, "mql_rejected")]["is_untreated"] is False


def test_a_deal_at_three_times_the_standard_is_stalled_and_handed_back(duckdb_funnel) -> None:
    [spell] = duckdb_funnel.query(
        "select d.* from marts.fct_deal_stage_durations d join intermediate.int_lifecycle__person_deals p"
        " on p.deal_id = d.deal_id where p.person_id = ?",
        [_person_id(duckdb_funnel, "sql_no_sal")],
    )
    assert (spell["deal_stage"], float(spell["days_in_stage"]), float(spell["standard_days"])) == (
        "needs_analysis",
        21.0,
        7.0,
    )
    assert float(spell["ratio_to_standard"]) == 3.0
    assert (spell["is_stalled"], spell["is_rushed"], spell["is_current_stage"]) == (True, False, True)
    stalled = duckdb_funnel.query(
        "select deal_id, person_id, recommended_action from marts.fct_stalled_deals where owner_id in ('31', '32')"
    )
    assert stalled == [
        {
            "deal_id": spell["deal_id"],
            "person_id": _person_id(duckdb_funnel, "sql_no_sal"),
            "recommended_action": "hand back to nurturing",
        }
    ]


def test_a_deal_at_a_fifth_of_the_standard_was_rushed(duckdb_funnel) -> None:
    spells = duckdb_funnel.query(
        "select d.deal_stage, d.days_in_stage, d.ratio_to_standard, d.is_rushed, d.is_stalled"
        " from marts.fct_deal_stage_durations d join intermediate.int_lifecycle__person_deals p"
        " on p.deal_id = d.deal_id where p.person_id = ? order by d.stage_sequence",
        [_person_id(duckdb_funnel, "mql_won")],
    )
    assert [
        (s["deal_stage"], float(s["days_in_stage"]), s["is_rushed"], s["is_stalled"]) for s in spells
    ] == [
        ("needs_analysis", 2.0, False, False),  # 2 / 7 = 0.29: above the 0.25 rushed factor
        ("proposal", 2.0, True, False),  # 2 / 10 = 0.20
        ("closedwon", days_to_end("2026-11-07 09:00"), False, False),  # closed: no standard
    ]
    health = duckdb_funnel.query(
        "select spells, stalled_share, rushed_share from marts.fct_stage_health_by_rep"
        " where owner_id = '31' and deal_stage = 'proposal'"
    )
    assert [(h["spells"], float(h["stalled_share"]), float(h["rushed_share"])) for h in health] == [
        (1, 0.0, 1.0)
    ]


def test_pipeline_forecast_weights_open_deals_by_stage_probability(duckdb_funnel) -> None:
    rows = duckdb_funnel.query(
        "select expected_close_month, owner_id, open_deals, pipeline_amount, weighted_amount"
        " from marts.fct_pipeline_forecast where owner_id in ('31', '32') order by owner_id"
    )
    assert [
        (
            r["expected_close_month"].isoformat(),
            r["owner_id"],
            r["open_deals"],
            float(r["pipeline_amount"]),
            float(r["weighted_amount"]),
        )
        for r in rows
    ] == [
        ("2026-12-01", "31", 1, 10000.0, 1000.0),  # needs_analysis, probability 0.10
        ("2026-12-01", "32", 1, 20000.0, 5000.0),  # proposal, probability 0.25
    ]


def test_weekly_mql_volume_against_the_quarterly_target(duckdb_funnel) -> None:
    rows = duckdb_funnel.query("select * from marts.fct_mql_volume_weekly order by week_start")
    mql_days = [r["mql_at"].date() for r in duckdb_funnel.query("select mql_at from marts.fct_mql_events")]
    expected: dict = {}
    for day in mql_days:
        monday = day - timedelta(days=day.weekday())
        expected[monday] = expected.get(monday, 0) + 1
    assert {r["week_start"]: r["mqls"] for r in rows if r["mqls"]} == expected
    weeks = [r["week_start"] for r in rows]
    assert weeks == [weeks[0] + timedelta(weeks=i) for i in range(len(weeks))]  # no gap
    assert weeks[0] == min(expected) and weeks[-1] == date(2026, 11, 16)  # the run date's week
    # Q4 2026 has 13 Mondays, the first on Oct 5; the target is the contract's 300 per quarter.
    last = rows[-1]
    assert (last["quarter_start"], last["week_of_quarter"], last["weeks_in_quarter"]) == (
        date(2026, 10, 1),
        7,
        13,
    )
    q4 = [r for r in rows if r["quarter_start"] == date(2026, 10, 1)]
    assert last["quarter_to_date_mqls"] == sum(r["mqls"] for r in q4)
    assert (last["quarter_target"], float(last["expected_to_date"])) == (300, round(300 * 7 / 13, 2))
    assert last["is_on_pace"] is (last["quarter_to_date_mqls"] >= 300 * 7 / 13)
