{{ config(
    materialized='incremental',
    unique_key=['person_id', 'score_date'],
    incremental_strategy='delete+insert',
    post_hook="delete from {{ this }} where person_id not in (select person_id from {{ ref('int_people__persons') }})"
) }}
{#- One row per person and day, from the day the person was first known or active to the as-of day:
    fit, decayed engagement, lead score, grade and whether the person is an MQL that day. -#}
with engagement as (
    select * from {{ ref('int_scoring__engagement_daily') }}
),

fit as (
    select * from {{ ref('int_scoring__fit') }}
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
        select person_id, min(score_date) as first_date from engagement group by person_id
    ) as first_events
        on first_events.person_id = persons.person_id
),

{% if is_incremental() %}
changed_people as (
    select person_id from engagement
    where _processed_at > (select max(_processed_at) from {{ this }})
      and score_date < (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} from {{ this }})
    union
    select person_id from fit
    where attributes_updated_at >= (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} from {{ this }})
),
{% endif %}

spine as (
    select first_days.person_id, days.score_date
    from first_days
    inner join {{ ref('int_calendar__days') }} as days
        on days.score_date >= first_days.first_date
    {% if is_incremental() %}
    where days.score_date >= (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} from {{ this }})
       or first_days.person_id in (select person_id from changed_people)
    {% endif %}
),

engagement_totals as (
    select
        person_id,
        score_date,
        sum(points) as engagement_score,
        sum(points_today) as points_today,
        sum(events_today) as events_today
    from engagement
    group by person_id, score_date
),

scored as (
    select
        spine.person_id,
        spine.score_date,
        fit.fit_score,
        cast(coalesce(engagement_totals.engagement_score, 0) as numeric(18, 4)) as engagement_score,
        cast(fit.fit_score + coalesce(engagement_totals.engagement_score, 0) as numeric(18, 4)) as lead_score,
        fit.fit_grade,
        fit.is_excluded,
        fit.exclusion_reason,
        coalesce(engagement_totals.points_today, 0) as points_today,
        coalesce(engagement_totals.events_today, 0) as events_today
    from spine
    inner join fit on fit.person_id = spine.person_id
    left join engagement_totals
        on engagement_totals.person_id = spine.person_id
       and engagement_totals.score_date = spine.score_date
)

select
    person_id,
    score_date,
    cast(fit_score as numeric(18, 4)) as fit_score,
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
