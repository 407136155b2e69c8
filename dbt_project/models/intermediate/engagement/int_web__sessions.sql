{{ config(
    materialized='incremental',
    unique_key='session_id',
    incremental_strategy='delete+insert',
    post_hook=["{{ delete_sessions_merged_away() }}"]
) }}
{#- One row per web session: a visitor's events with no gap longer than 30 minutes (the common web
    analytics definition). The first event carries the session's landing page and campaign (UTM),
    which the funnel marts use as the lead's channel.
    Incremental per session, without re-reading a visitor's whole history: for a visitor with events
    received in the last `lookback_days` (or written by staging since this table's last run: events
    loaded days after they were received), the stored sessions that ended more than 30 minutes before
    the earliest of those events cannot change and stay as they are; the events from the first
    session that may change (or the earliest new event) on are sessionised again, numbered after the
    kept ones, and replace the stored sessions of those numbers. A late event that bridges two stored
    sessions leaves fewer: the post-hook deletes the stored ones numbered after the visitor's last
    (delete_sessions_merged_away). Kept sessions are rewritten only when their person changed (a
    visitor who identified, a web user whose e-mail now points to another person). -#}
{%- set gap_over_30_minutes = "{} > 30".format(dbt.datediff('previous_at', 'occurred_at', 'minute')) %}
{% if is_incremental() %}
{#- Constants read before the model runs (constant_from_query), so the scans skip older row groups. -#}
{%- set cutoff = window_start_constant('last_received_at') -%}
{%- set last_run = constant_from_query('select max(_processed_at) from ' ~ this, dbt.type_timestamp()) -%}
with new_events as (
    select anonymous_id, min(occurred_at) as first_new_at
    from ({{ rows_in_window(ref('stg_web__events'), 'received_at >= ' ~ cutoff, '_processed_at', last_run) }}) as events
    where anonymous_id is not null
    group by anonymous_id
),

person_changes as (
    -- visitors whose stored sessions name another person than stitching does now
    {{ visitors_stitched_elsewhere(this) }}
),

visitors as (
    select anonymous_id, first_new_at
    from new_events
    union all
    select person_changes.anonymous_id, cast(null as {{ dbt.type_timestamp() }}) as first_new_at
    from person_changes
    left join new_events
        on new_events.anonymous_id = person_changes.anonymous_id
    where new_events.anonymous_id is null
),

stored as (
    -- A stored session is final when it ended more than 30 minutes before the visitor's earliest new
    -- event (the gap rule): no new event can join it. Sessions are separated by such gaps, so the
    -- final ones are the visitor's first sessions.
    select
        stored_sessions.*,
        case when visitors.first_new_at is null
                  or {{ dbt.datediff('stored_sessions.session_end_at', 'visitors.first_new_at', 'minute') }} > 30
             then 1 else 0 end as is_final
    from {{ this }} as stored_sessions
    inner join visitors
        on visitors.anonymous_id = stored_sessions.anonymous_id
),

restarts as (
    select
        visitors.anonymous_id,
        -- the first stored session a new event may join, else the earliest new event
        case when min(case when stored.is_final = 0 then stored.session_start_at end) < visitors.first_new_at
             then min(case when stored.is_final = 0 then stored.session_start_at end)
             else visitors.first_new_at end as restart_at,
        cast(coalesce(sum(stored.is_final), 0) as bigint) as kept_sessions
    from visitors
    left join stored
        on stored.anonymous_id = visitors.anonymous_id
    where visitors.first_new_at is not null
    group by visitors.anonymous_id, visitors.first_new_at
),

kept as (
    select
        stored.session_id,
        stored.anonymous_id,
        stored.session_number,
        stitched.person_id,
        stored.session_start_at,
        stored.session_end_at,
        stored.events,
        stored.page_views,
        stored.landing_path,
        stored.referrer,
        stored.utm_source,
        stored.utm_medium,
        stored.utm_campaign,
        stored.last_received_at,
        {{ run_started_timestamp() }} as _processed_at
    from stored
    left join {{ ref('int_people__identity_stitched') }} as stitched
        on stitched.anonymous_id = stored.anonymous_id
    where stored.is_final = 1
      and stored.person_id is distinct from stitched.person_id
),
{% else %}
with
{% endif %}

events_to_sessionise as {{ streamed_on_full_build() }}(
    -- Every event on a full build; incrementally, a visitor's events from their restart on. Read twice:
    -- for the windows below, and for each session's landing event (a session starts at or after its
    -- visitor's restart, so its landing event is among these).
    -- The same rows either way (one restart per visitor). PostgreSQL gets a semi-join: knowing nothing
    -- of the CTE's spread of visitors, it put all 4.6M staged events in the hash table of the join
    -- instead of the 45k restarting visitors (5.7 s of 6.9 s at 100k contacts; 4.4 s in all as a
    -- semi-join). DuckDB joins: as a correlated semi-join the statement took twice as long.
    select events.*
    from {{ ref('stg_web__events') }} as events
    {% if is_incremental() and target.type != 'postgres' %}
    inner join restarts
        on restarts.anonymous_id = events.anonymous_id
       and events.occurred_at >= restarts.restart_at
    {% endif %}
    where events.anonymous_id is not null
    {% if is_incremental() and target.type == 'postgres' %}
      and exists (
          select 1
          from restarts
          where restarts.anonymous_id = events.anonymous_id
            and events.occurred_at >= restarts.restart_at
      )
    {% endif %}
),

events as (
    -- Sessionising needs only the ordering columns; the landing page and campaign are looked up for
    -- each session's first event afterwards, so the windows sort narrow rows (faster, less memory).
    select
        event_id,
        anonymous_id,
        occurred_at,
        event_type,
        received_at,
        lag(occurred_at) over (partition by anonymous_id order by occurred_at, event_id) as previous_at
    from events_to_sessionise
),

starts as (
    select
        *,
        case when previous_at is null or {{ gap_over_30_minutes }} then 1 else 0 end as is_session_start
    from events
),

ranked as (
    -- A session's first event (in occurred_at, event_id order) is the event that starts it
    -- (`is_session_start = 1`). Incrementally, numbering goes on after the visitor's kept sessions.
    select
        starts.*,
        {% if is_incremental() %}restarts.kept_sessions + {% endif %}sum(starts.is_session_start)
            over (partition by starts.anonymous_id order by starts.occurred_at, starts.event_id rows unbounded preceding)
            as session_number
    from starts
    {% if is_incremental() %}
    inner join restarts
        on restarts.anonymous_id = starts.anonymous_id
    {% endif %}
),

grouped as (
    select
        anonymous_id,
        session_number,
        max(case when is_session_start = 1 then event_id end) as landing_event_id,
        min(occurred_at) as session_start_at,
        max(occurred_at) as session_end_at,
        count(*) as events,
        sum(case when event_type = 'page' then 1 else 0 end) as page_views,
        max(received_at) as last_received_at
    from ranked
    group by anonymous_id, session_number
),

sessionised as (
select
    {{ dbt.hash(dbt.concat(["grouped.anonymous_id", "'|'", "cast(grouped.session_number as " ~ dbt.type_string() ~ ")"])) }} as session_id,
    grouped.anonymous_id,
    cast(grouped.session_number as bigint) as session_number,
    stitched.person_id,
    grouped.session_start_at,
    grouped.session_end_at,
    grouped.events,
    cast(grouped.page_views as bigint) as page_views,
    landing.page_path as landing_path,
    landing.referrer,
    landing.utm_source,
    landing.utm_medium,
    landing.utm_campaign,
    grouped.last_received_at,
    {{ run_started_timestamp() }} as _processed_at
from grouped
-- event_id is unique in staging: exactly one landing event per session
inner join events_to_sessionise as landing
    on landing.event_id = grouped.landing_event_id
left join {{ ref('int_people__identity_stitched') }} as stitched
    on stitched.anonymous_id = grouped.anonymous_id
)

select * from sessionised
{% if is_incremental() %}
union all
select * from kept
{% endif %}
