{{ config(
    materialized='incremental',
    unique_key='anonymous_id',
    incremental_strategy='delete+insert'
) }}
{#- One row per web session: a visitor's events with no gap longer than 30 minutes (the common web
    analytics definition). The first event carries the session's landing page and campaign (UTM),
    which the funnel marts use as the lead's channel.
    Incremental per visitor (`unique_key` is the visitor: all their rows are replaced), without
    re-reading their whole history: for a visitor with events received in the last `lookback_days` (or
    written by staging since this table's last run: events loaded days after they were received),
    the stored sessions that ended more than 30 minutes before the earliest of those events cannot
    change and are kept (copied with the person re-read from stitching); the events from the first
    session that may change (or the earliest new event) on are sessionised again, numbered after the
    kept ones. A visitor who identified in the window keeps every session, with the new person. -#}
{%- set gap_over_30_minutes = "{} > 30".format(dbt.datediff('previous_at', 'occurred_at', 'minute')) %}
{% if is_incremental() %}
{%- set cutoff = "(select " ~ dbt.dateadd('day', -var('lookback_days'), 'max(last_received_at)') ~ " from " ~ this ~ ")" -%}
{%- set last_run = "(select max(_processed_at) from " ~ this ~ ")" -%}
with new_events as (
    select anonymous_id, min(occurred_at) as first_new_at
    from {{ ref('stg_web__events') }}
    where anonymous_id is not null
      and (received_at >= {{ cutoff }} or _processed_at > {{ last_run }})
    group by anonymous_id
),

visitors as (
    select anonymous_id, first_new_at
    from new_events
    union all
    select stitched.anonymous_id, cast(null as {{ dbt.type_timestamp() }}) as first_new_at
    from {{ ref('int_people__identity_stitched') }} as stitched
    left join new_events
        on new_events.anonymous_id = stitched.anonymous_id
    where (stitched.identified_received_at >= {{ cutoff }} or stitched.identified_processed_at > {{ last_run }})
      and new_events.anonymous_id is null
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
),
{% else %}
with
{% endif %}

events as (
    select
        events.event_id,
        events.anonymous_id,
        events.occurred_at,
        events.event_type,
        events.page_path,
        events.referrer,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.received_at,
        lag(events.occurred_at) over (
            partition by events.anonymous_id order by events.occurred_at, events.event_id
        ) as previous_at
    from {{ ref('stg_web__events') }} as events
    {% if is_incremental() %}
    inner join restarts
        on restarts.anonymous_id = events.anonymous_id
       and events.occurred_at >= restarts.restart_at
    {% endif %}
    where events.anonymous_id is not null
),

starts as (
    select
        *,
        case when previous_at is null or {{ gap_over_30_minutes }} then 1 else 0 end as is_session_start
    from events
),

ranked as (
    -- A session's first event (in occurred_at, event_id order) is the event that starts it, so the
    -- landing page and referrer come from `is_session_start = 1`: no second window over the sessions.
    -- Incrementally, numbering goes on after the visitor's kept sessions.
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

sessionised as (
select
    {{ dbt.hash(dbt.concat(["ranked.anonymous_id", "'|'", "cast(ranked.session_number as " ~ dbt.type_string() ~ ")"])) }} as session_id,
    ranked.anonymous_id,
    cast(ranked.session_number as bigint) as session_number,
    stitched.person_id,
    min(ranked.occurred_at) as session_start_at,
    max(ranked.occurred_at) as session_end_at,
    count(*) as events,
    cast(sum(case when ranked.event_type = 'page' then 1 else 0 end) as bigint) as page_views,
    max(case when ranked.is_session_start = 1 then ranked.page_path end) as landing_path,
    max(case when ranked.is_session_start = 1 then ranked.referrer end) as referrer,
    max(case when ranked.is_session_start = 1 then ranked.utm_source end) as utm_source,
    max(case when ranked.is_session_start = 1 then ranked.utm_medium end) as utm_medium,
    max(case when ranked.is_session_start = 1 then ranked.utm_campaign end) as utm_campaign,
    max(ranked.received_at) as last_received_at,
    {{ run_started_timestamp() }} as _processed_at
from ranked
left join {{ ref('int_people__identity_stitched') }} as stitched
    on stitched.anonymous_id = ranked.anonymous_id
group by ranked.anonymous_id, ranked.session_number, stitched.person_id
)

select * from sessionised
{% if is_incremental() %}
union all
select * from kept
{% endif %}
