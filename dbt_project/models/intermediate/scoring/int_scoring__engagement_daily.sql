{{ config(
    materialized='incremental',
    unique_key=['person_id', 'score_date', 'rule_id'],
    incremental_strategy='delete+insert',
    indexes=run_stamp_index(),
    post_hook=["{{ delete_rows_of_people_gone() }}", "{{ delete_rows_older_than_their_removal('person_id') }}"]
) }}
{#- One row per person, day and engagement rule, from the first day the rule scored for the person to
    the as-of day: the rule's points on that day after decay (step decay: `decay_percent` lost every
    `decay_every_days` days since the event's day) and after the rule's cap (the cap bounds the rule's
    decayed total). Incremental: recomputes the last `lookback_days` days for everyone, and every day
    for people with older events (re)processed in this run (late events, retroactive stitching) or
    with CRM activities removed (int_engagement__crm_links_removed). -#}
with rules as (
    select * from {{ ref('contract_engagement_rules') }}
),

events as (
    select * from {{ ref('int_engagement__events_unioned') }}
),

rule_day_points as (
    select
        events.person_id,
        rules.rule_id,
        events.event_date,
        count(*) as events,
        cast(sum(rules.points) as bigint) as raw_points
    from events
    inner join rules
        on rules.event_kind = events.event_kind
       and (rules.pattern is null
            or lower(coalesce(events.url, events.match_text)) like lower(rules.pattern)
            or lower(events.match_text) like lower(rules.pattern))
    group by events.person_id, rules.rule_id, events.event_date
),

{% if is_incremental() %}
changed_people as (
    -- Events before the recomputed window that this run (re)processed: late events, stitched history.
    select distinct person_id
    from events
    where _processed_at > (select max(_processed_at) from {{ this }})
      and event_date < (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} from {{ this }})
    union
    -- People who lost CRM activities: their rows are all rewritten and the post-hook drops the rest.
    select person_id from {{ ref('int_engagement__crm_links_removed') }}
    where _processed_at > (select max(_processed_at) from {{ this }})
),

-- Materialised (both engines honour the keyword): otherwise the optimiser pairs every person's event
-- days with every earlier day and filters the changed people out afterwards.
changed_rule_day_points as materialized (
    select rule_day_points.*
    from rule_day_points
    inner join changed_people
        on changed_people.person_id = rule_day_points.person_id
),

window_start as (
    select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} as first_day from {{ this }}
),
{% endif %}

scored_days as (
    -- Each day a person's rule is scored on, paired with each of its event days up to that day: the
    -- days from a rule's first event day to the as-of day, without a separate spine to join back.
    -- Incrementally: everyone's days in the recomputed window, and every earlier day of changed people.
    select rule_day_points.*, days.score_date
    from rule_day_points
    inner join {{ ref('int_calendar__days') }} as days
        on days.score_date >= rule_day_points.event_date
    {% if is_incremental() %}
    where days.score_date >= (select first_day from window_start)
    union all
    select changed_rule_day_points.*, days.score_date
    from changed_rule_day_points
    inner join {{ ref('int_calendar__days') }} as days
        on days.score_date >= changed_rule_day_points.event_date
    where days.score_date < (select first_day from window_start)
    {% endif %}
),

decayed as (
    select
        scored_days.person_id,
        scored_days.score_date,
        scored_days.rule_id,
        sum(
            scored_days.raw_points
            * case when rules.decays = 1
                   then power(
                       1 - {{ contract_setting('decay_percent') }} / 100.0,
                       floor({{ dbt.datediff('scored_days.event_date', 'scored_days.score_date', 'day') }}
                             / {{ contract_setting('decay_every_days') }})
                   )
                   else 1 end
        ) as decayed_points,
        sum(case when scored_days.event_date = scored_days.score_date then scored_days.raw_points else 0 end)
            as points_today,
        sum(case when scored_days.event_date = scored_days.score_date then scored_days.events else 0 end)
            as events_today,
        sum(scored_days.events) as events_to_date
    from scored_days
    inner join rules on rules.rule_id = scored_days.rule_id
    group by scored_days.person_id, scored_days.score_date, scored_days.rule_id
)

select
    decayed.person_id,
    decayed.score_date,
    decayed.rule_id,
    rules.label,
    rules.is_late_buying_signal,
    -- numeric(18, 6) (not dbt.type_numeric(), 28 digits) before rounding: the same digits for any score
    -- under 10^12, and DuckDB keeps 18 digits in a 64-bit integer instead of a much slower 128-bit one.
    cast(round(cast(decayed.decayed_points as numeric(18, 6)), 4) as numeric(18, 4)) as decayed_points,
    cast(round(cast(
        case
            when rules.cap is null then decayed.decayed_points
            when rules.points >= 0 and decayed.decayed_points > rules.cap then rules.cap
            when rules.points < 0 and decayed.decayed_points < -rules.cap then -rules.cap
            else decayed.decayed_points
        end as numeric(18, 6)), 4) as numeric(18, 4)) as points,
    -- Counts as bigint: DuckDB would store these sums as HUGEINT, which it reads many times slower.
    cast(decayed.points_today as bigint) as points_today,
    cast(decayed.events_today as bigint) as events_today,
    cast(decayed.events_to_date as bigint) as events_to_date,
    {{ run_started_timestamp() }} as _processed_at
from decayed
inner join rules on rules.rule_id = decayed.rule_id
-- depends_on: {{ ref('int_people__persons') }} (the post-hook drops people who no longer exist)
