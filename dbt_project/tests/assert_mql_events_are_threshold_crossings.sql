-- Every MQL event is a day the person is an MQL in the daily scores and was not the day before.
-- Returns the offending events (a passing test returns no rows).
-- A person's daily rows are consecutive days (first day to as-of day), so "the day before" is the
-- row of mql_date - 1: two lookups per event instead of a window over the whole daily table, the
-- same check on a full refresh and on an incremental build (fct_mql_events is rebuilt every run).
with daily as (
    select person_id, score_date, is_mql
    from {{ ref('fct_lead_score_daily') }}
),

events as (
    select
        mql_event_id,
        person_id,
        mql_date,
        cast({{ dbt.dateadd('day', -1, 'mql_date') }} as date) as day_before
    from {{ ref('fct_mql_events') }}
)

select events.mql_event_id, events.person_id, events.mql_date
from events
left join daily
    on daily.person_id = events.person_id
   and daily.score_date = events.mql_date
left join daily as previous
    on previous.person_id = events.person_id
   and previous.score_date = events.day_before
where daily.person_id is null
   or not daily.is_mql
   or coalesce(previous.is_mql, false)
