{{ config(
    materialized='incremental',
    unique_key=['person_id', 'score_date'],
    incremental_strategy='delete+insert',
    indexes=run_stamp_index(),
    post_hook=["{{ delete_rows_of_people_gone() }}", "{{ delete_rows_older_than_their_removal('person_id') }}"]
) }}
{#- One row per person and day, from the day the person was first known or active to the as-of day:
    fit, decayed engagement, lead score, grade and whether the person is an MQL that day. -#}
{#- Engagement comes from int_scoring__engagement_changes (person x rule x day the rule's points change):
    a person's engagement score on a day is the sum of their changes up to that day. -#}
with fit as (
    -- fit at the mart's precision from the start: int_scoring__fit's numeric(28, 6) is a 128-bit
    -- decimal in DuckDB, and adding it to every person-day's engagement took half this model's time.
    -- lead_score is so the exact sum of the two stored columns (fit is rounded once, before the sum).
    select
        person_id,
        cast(fit_score as numeric(18, 4)) as fit_score,
        fit_grade,
        is_excluded,
        exclusion_reason
    from {{ ref('int_scoring__fit') }}
),

first_days as (
    select
        persons.person_id,
        case
            when first_events.first_date is null then cast(persons.known_since as date)
            when persons.known_since is null then first_events.first_date
            when first_events.first_date < cast(persons.known_since as date) then first_events.first_date
            else cast(persons.known_since as date)
        end as first_date
    from {{ ref('int_people__persons') }} as persons
    left join (
        -- a person's first change is the day of their first scored event
        select person_id, min(change_date) as first_date
        from {{ ref('int_scoring__engagement_changes') }}
        group by person_id
    ) as first_events
        on first_events.person_id = persons.person_id
),

{% if is_incremental() %}
stored_fit as (
    -- What the table holds for each person: fit is a person's current value on every row, so the
    -- row of the table's last day (which every person it holds has) says it.
    select person_id, fit_score, fit_grade, is_excluded, exclusion_reason
    from {{ this }}
    where score_date = (select max(score_date) from {{ this }})
),

changed_people as (
    -- People with older engagement (re)processed in this run (late events, retroactive stitching) ...
    select person_id from {{ ref('int_scoring__engagement_changes') }}
    where _processed_at > (select max(_processed_at) from {{ this }})
      and change_date < (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} from {{ this }})
    union
    -- ... and people who lost events, CRM activities or web events moved to another person (their first
    -- day may move later: the post-hook drops the rows this run did not rewrite) ...
    select person_id from {{ ref('int_engagement__links_removed') }}
    where _processed_at > (select max(_processed_at) from {{ this }})
    union
    -- ... and people whose fit differs from what their rows hold (or who have none yet): a CRM update
    -- that leaves fit_score, fit_grade and the exclusion as they were does not re-score a history.
    select fit.person_id
    from fit
    left join stored_fit
        on stored_fit.person_id = fit.person_id
    where stored_fit.person_id is null
       or stored_fit.fit_score <> fit.fit_score
       or stored_fit.fit_grade is distinct from fit.fit_grade
       or stored_fit.is_excluded is distinct from fit.is_excluded
       or stored_fit.exclusion_reason is distinct from fit.exclusion_reason
    union
    -- ... and people whose first day moved earlier than the rows held (e.g. an older CRM contact
    -- merged into a web user by e-mail), so their earlier days get rows.
    select first_days.person_id
    from first_days
    left join {{ this }} as stored
        on stored.person_id = first_days.person_id
       and stored.score_date = first_days.first_date
    where stored.person_id is null
      and first_days.first_date < (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} from {{ this }})
),
{% endif %}

{% if is_incremental() %}
-- Materialised (both engines honour the keyword): otherwise the optimiser enumerates every person's
-- days first and filters the changed people out of them afterwards (6M rows at 100k contacts).
changed_first_days as materialized (
    select first_days.person_id, first_days.first_date
    from first_days
    inner join changed_people
        on changed_people.person_id = first_days.person_id
),

window_start as (
    select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} as first_day from {{ this }}
),
{% endif %}

spine as (
    -- incrementally: everyone's days in the recomputed window, and every earlier day of changed people
    select first_days.person_id, days.score_date
    from first_days
    inner join {{ ref('int_calendar__days') }} as days
        on days.score_date >= first_days.first_date
    {% if is_incremental() %}
    where days.score_date >= (select first_day from window_start)
    union all
    select changed_first_days.person_id, days.score_date
    from changed_first_days
    inner join {{ ref('int_calendar__days') }} as days
        on days.score_date >= changed_first_days.first_date
    where days.score_date < (select first_day from window_start)
    {% endif %}
),

person_changes as (
    -- per person and day: what their rules' points changes add up to, and that day's points and events
    select
        person_id,
        change_date,
        sum(points_change) as score_change,
        sum(points_today) as points_today,
        sum(events_today) as events_today
    from {{ ref('int_scoring__engagement_changes') }}
    group by person_id, change_date
),

{% if is_incremental() %}
opening_scores as (
    -- The engagement score each person carries into the first day this run writes for them: the sum
    -- of their changes before it (none for a person rewritten from their first day).
    select person_changes.person_id, sum(person_changes.score_change) as opening_score
    from person_changes
    inner join (select person_id, min(score_date) as first_written from spine group by person_id) as written
        on written.person_id = person_changes.person_id
       and person_changes.change_date < written.first_written
    group by person_changes.person_id
),
{% endif %}

engagement_totals as (
    -- the running sum of a person's changes over the days written
    select
        spine.person_id,
        spine.score_date,
        {% if is_incremental() %}coalesce(opening_scores.opening_score, 0) + {% endif %}
        sum(coalesce(person_changes.score_change, 0)) over (
            partition by spine.person_id order by spine.score_date rows between unbounded preceding and current row
        ) as engagement_score,
        person_changes.points_today,
        person_changes.events_today
    from spine
    left join person_changes
        on person_changes.person_id = spine.person_id
       and person_changes.change_date = spine.score_date
    {% if is_incremental() %}
    left join opening_scores
        on opening_scores.person_id = spine.person_id
    {% endif %}
),

scored as (
    select
        engagement_totals.person_id,
        engagement_totals.score_date,
        fit.fit_score,
        cast(engagement_totals.engagement_score as numeric(18, 4)) as engagement_score,
        cast(fit.fit_score + engagement_totals.engagement_score as numeric(18, 4)) as lead_score,
        fit.fit_grade,
        fit.is_excluded,
        fit.exclusion_reason,
        -- bigint: DuckDB would store these sums as HUGEINT, which it reads many times slower
        cast(coalesce(engagement_totals.points_today, 0) as bigint) as points_today,
        cast(coalesce(engagement_totals.events_today, 0) as bigint) as events_today
    from engagement_totals
    inner join fit on fit.person_id = engagement_totals.person_id
)

select
    person_id,
    score_date,
    fit_score,
    engagement_score,
    lead_score,
    fit_grade,
    is_excluded,
    exclusion_reason,
    case when not is_excluded and lead_score >= {{ contract_setting('mql_threshold') }}
              and engagement_score >= {{ contract_setting('mql_min_engagement') }} then true else false end
        as is_mql,
    points_today,
    events_today,
    {{ contract_setting('contract_version', 'text') }} as contract_version,
    {{ run_started_timestamp() }} as _processed_at
from scored
