-- Every MQL event is a day the person is an MQL in the daily scores and was not the day before.
-- Returns the offending events (a passing test returns no rows).
with daily as (
    select
        person_id,
        score_date,
        is_mql,
        lag(is_mql) over (partition by person_id order by score_date) as was_mql
    from {{ ref('fct_lead_score_daily') }}
)

select events.mql_event_id, events.person_id, events.mql_date
from {{ ref('fct_mql_events') }} as events
left join daily
    on daily.person_id = events.person_id
   and daily.score_date = events.mql_date
where daily.person_id is null
   or not daily.is_mql
   or coalesce(daily.was_mql, false)
