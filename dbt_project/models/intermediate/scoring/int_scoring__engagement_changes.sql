{{ config(
    materialized='incremental',
    unique_key=['person_id', 'change_date', 'rule_id'],
    incremental_strategy='delete+insert',
    indexes=run_stamp_index(),
    post_hook=["{{ delete_rows_of_people_gone() }}", "{{ delete_rows_older_than_their_removal('person_id') }}"]
) }}
{#- One row per person, engagement rule and day on which the rule's points for the person may change:
    the days of the rule's events and, for a rule that decays, every `decay_every_days` days after each
    of them (step decay: `decay_percent` lost per interval) up to the as-of day. Between two such days
    the rule's points stay as they are, so these rows say what a person x rule x day table would
    (int_scoring__engagement_daily, a view over this one) in a fraction of the rows.
    `points` are the rule's points from that day on, after decay and after the rule's cap (the cap
    bounds the rule's decayed total); `points_change` is what they add to the day before's.
    Incremental: recomputes the change days of the last `lookback_days` days for everyone, and every
    change day of people with older events (re)processed in this run (late events, retroactive
    stitching) or who lost events (CRM activities removed, web events moved to another person:
    int_engagement__links_removed). -#}
{%- set decay_factor = "case when rules.decays = 1 then power(1 - {pct} / 100.0, floor({days} / {every})) else 1 end" -%}
{%- set capped = "case when rules.cap is null then {x}"
                 ~ " when rules.points >= 0 and {x} > rules.cap then rules.cap"
                 ~ " when rules.points < 0 and {x} < -rules.cap then -rules.cap else {x} end" -%}
{%- set pct = contract_setting('decay_percent') -%}
{%- set every = contract_setting('decay_every_days') -%}
with rules as (
    select * from {{ ref('contract_engagement_rules') }}
),

calendar as (
    select * from {{ ref('int_calendar__days') }}
),

rule_day_points as (
    select
        events.person_id,
        rules.rule_id,
        events.event_date,
        count(*) as events,
        cast(sum(rules.points) as bigint) as raw_points
    -- the stream is named in each CTE that reads it, not through one shared CTE: PostgreSQL
    -- materialises a CTE read twice, which wrote all 4.8M events to a temporary file at 100k contacts
    from {{ ref('int_engagement__events_unioned') }} as events
    inner join rules
        on rules.event_kind = events.event_kind
       and (rules.pattern is null
            or lower(coalesce(events.url, events.match_text)) like lower(rules.pattern)
            or lower(events.match_text) like lower(rules.pattern))
    group by events.person_id, rules.rule_id, events.event_date
),

decay_steps as (
    -- 0, 1, 2, ...: how many decay intervals after an event day (the calendar has enough days to count)
    select cast(row_number() over (order by score_date) - 1 as integer) as step
    from calendar
),

steps_up_to as (
    -- each possible last step with every step up to it (4,095 rows for a 90-day calendar), so that an event
    -- day finds its steps by an equality join; `step <= last_step` made PostgreSQL test all 90 steps
    -- against every event day in a nested loop (56M pairs, 11 s at 100k contacts)
    select bound.step as last_step, decay_steps.step
    from decay_steps as bound
    inner join decay_steps
        on decay_steps.step <= bound.step
),

last_steps as (
    -- The last decay step of each event day that falls on or before the as-of day (0 if the rule
    -- does not decay).
    select
        rule_day_points.person_id,
        rule_day_points.rule_id,
        rule_day_points.event_date,
        cast(case when rules.decays = 1
                  then least(floor({{ dbt.datediff('rule_day_points.event_date', 'as_of.as_of_date', 'day') }} / {{ every }}),
                             as_of.last_step)
                  else 0 end as integer) as last_step
    from rule_day_points
    inner join rules
        on rules.rule_id = rule_day_points.rule_id
    cross join (
        select max(score_date) as as_of_date, count(*) - 1 as last_step from calendar
    ) as as_of
),

step_days as (
    -- Every day a rule's points may change for a person: each event day and each decay step after it
    -- (a day may come more than once: change_days makes it one).
    select
        last_steps.person_id,
        last_steps.rule_id,
        cast({{ dbt.dateadd('day', 'steps_up_to.step * ' ~ every, 'last_steps.event_date') }} as date) as change_date
    from last_steps
    inner join steps_up_to
        on steps_up_to.last_step = last_steps.last_step
),

{% if is_incremental() %}
window_start as (
    select {{ dbt.dateadd('day', -var('lookback_days'), 'max(change_date)') }} as first_day from {{ this }}
),

changed_people as (
    -- Events before the recomputed window that this run (re)processed: late events, stitched history.
    select distinct person_id
    from {{ ref('int_engagement__events_unioned') }}
    where _processed_at > (select max(_processed_at) from {{ this }})
      and event_date < (select first_day from window_start)
    union
    -- People who lost events (CRM activities removed, web events moved to another person): their rows
    -- are all rewritten and the post-hook drops the rest.
    select person_id from {{ ref('int_engagement__links_removed') }}
    where _processed_at > (select max(_processed_at) from {{ this }})
),
{% endif %}

change_days as (
    -- Incrementally: everyone's change days in the recomputed window, and every earlier one of changed
    -- people.
    select distinct step_days.person_id, step_days.rule_id, step_days.change_date
    from step_days
    {% if is_incremental() %}
    left join changed_people
        on changed_people.person_id = step_days.person_id
    where step_days.change_date >= (select first_day from window_start)
       or changed_people.person_id is not null
    {% endif %}
),

decayed as (
    -- Each change day paired with each event day of the rule up to it: the rule's decayed points on
    -- that day and on the day before (what the change adds to), and that day's own points and events.
    select
        change_days.person_id,
        change_days.change_date,
        change_days.rule_id,
        sum(rule_day_points.raw_points
            * {{ decay_factor.format(pct=pct, every=every,
                                     days=dbt.datediff('rule_day_points.event_date', 'change_days.change_date', 'day')) }})
            as decayed_points,
        sum(case when rule_day_points.event_date < change_days.change_date
                 then rule_day_points.raw_points
                      * {{ decay_factor.format(pct=pct, every=every,
                                               days='(' ~ dbt.datediff('rule_day_points.event_date', 'change_days.change_date', 'day') ~ ' - 1)') }}
                 else 0 end) as decayed_points_before,
        sum(case when rule_day_points.event_date = change_days.change_date then rule_day_points.raw_points else 0 end)
            as points_today,
        sum(case when rule_day_points.event_date = change_days.change_date then rule_day_points.events else 0 end)
            as events_today,
        sum(rule_day_points.events) as events_to_date
    from change_days
    inner join rule_day_points
        on rule_day_points.person_id = change_days.person_id
       and rule_day_points.rule_id = change_days.rule_id
       and rule_day_points.event_date <= change_days.change_date
    inner join rules
        on rules.rule_id = change_days.rule_id
    group by change_days.person_id, change_days.change_date, change_days.rule_id
),

scored as (
    select
        decayed.person_id,
        decayed.change_date,
        decayed.rule_id,
        -- numeric(18, 6) (not dbt.type_numeric(), 28 digits) before rounding: the same digits for any
        -- score under 10^12, and DuckDB keeps 18 digits in a 64-bit integer instead of a much slower
        -- 128-bit one.
        cast(round(cast(decayed.decayed_points as numeric(18, 6)), 4) as numeric(18, 4)) as decayed_points,
        cast(round(cast({{ capped.format(x='decayed.decayed_points') }} as numeric(18, 6)), 4) as numeric(18, 4))
            as points,
        cast(round(cast({{ capped.format(x='decayed.decayed_points_before') }} as numeric(18, 6)), 4) as numeric(18, 4))
            as points_before,
        decayed.points_today,
        decayed.events_today,
        decayed.events_to_date
    from decayed
    inner join rules
        on rules.rule_id = decayed.rule_id
)

select
    person_id,
    change_date,
    rule_id,
    decayed_points,
    points,
    cast(points - points_before as numeric(18, 4)) as points_change,
    -- Counts as bigint: DuckDB would store these sums as HUGEINT, which it reads many times slower.
    cast(points_today as bigint) as points_today,
    cast(events_today as bigint) as events_today,
    cast(events_to_date as bigint) as events_to_date,
    {{ run_started_timestamp() }} as _processed_at
from scored
-- depends_on: {{ ref('int_people__persons') }} (the post-hook drops people who no longer exist)
