{{ config(
    materialized='incremental',
    unique_key='anonymous_id',
    incremental_strategy='delete+insert'
) }}
{#- One row per web session: a visitor's events with no gap longer than 30 minutes (the common web
    analytics definition). The first event carries the session's landing page and campaign (UTM),
    which the funnel marts use as the lead's channel.
    Incremental per visitor: the visitors with events received in the last `lookback_days`, or who
    identified in that window, get all their sessions recomputed (numbering and the person depend on
    the whole history); `unique_key` is the visitor, so their old sessions are replaced. -#}
{% if is_incremental() %}
{%- set cutoff = "(select " ~ dbt.dateadd('day', -var('lookback_days'), 'max(last_received_at)') ~ " from " ~ this ~ ")" -%}
{% endif %}
with visitors as (
    select distinct anonymous_id
    from {{ ref('stg_web__events') }}
    where anonymous_id is not null
    {% if is_incremental() %}
      and received_at >= {{ cutoff }}
    union
    select anonymous_id
    from {{ ref('int_people__identity_stitched') }}
    where identified_received_at >= {{ cutoff }}
    {% endif %}
),

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
    inner join visitors on visitors.anonymous_id = events.anonymous_id
    {% endif %}
    where events.anonymous_id is not null
),

starts as (
    select
        *,
        case when previous_at is null
                  or {{ dbt.datediff('previous_at', 'occurred_at', 'minute') }} > 30 then 1 else 0 end
            as is_session_start
    from events
),

ranked as (
    -- A session's first event (in occurred_at, event_id order) is the event that starts it, so the
    -- landing page and referrer come from `is_session_start = 1`: no second window over the sessions.
    select
        *,
        sum(is_session_start)
            over (partition by anonymous_id order by occurred_at, event_id rows unbounded preceding)
            as session_number
    from starts
)

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
    max(ranked.received_at) as last_received_at
from ranked
left join {{ ref('int_people__identity_stitched') }} as stitched
    on stitched.anonymous_id = ranked.anonymous_id
group by ranked.anonymous_id, ranked.session_number, stitched.person_id
