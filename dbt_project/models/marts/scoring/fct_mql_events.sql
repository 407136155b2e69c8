{#- One row per crossing into MQL: a day on which a person is an MQL and was not the day before
    (or is one on their first day). A lead that cools down under the threshold and qualifies again
    gives a new row (mql_sequence 2, 3, ...). `mql_at` is the moment of the event that carried the
    lead score over the threshold that day (events of the day in time order, counted at full points). -#}
with crossings as (
    -- A person's daily rows are consecutive days, so "MQL and not the day before (or no day before)"
    -- is an MQL day with no MQL day just before it: an anti-join among MQL days only, instead of a
    -- window over every person and day.
    select
        mql_days.person_id,
        mql_days.score_date,
        mql_days.lead_score,
        mql_days.fit_score,
        mql_days.engagement_score,
        mql_days.fit_grade,
        mql_days.points_today,
        mql_days.contract_version
    from {{ ref('fct_lead_score_daily') }} as mql_days
    left join (
        select person_id, score_date from {{ ref('fct_lead_score_daily') }} where is_mql
    ) as previous
        on previous.person_id = mql_days.person_id
       and previous.score_date = cast({{ dbt.dateadd('day', -1, 'mql_days.score_date') }} as date)
    where mql_days.is_mql
      and previous.person_id is null
),

day_events as (
    select
        events.person_id,
        events.event_date,
        events.occurred_at,
        events.engagement_event_id,
        sum(rules.points) as event_points
    from {{ ref('int_engagement__events_unioned') }} as events
    inner join {{ ref('contract_engagement_rules') }} as rules
        on rules.event_kind = events.event_kind
    inner join crossings
        on crossings.person_id = events.person_id
       and crossings.score_date = events.event_date
    group by events.person_id, events.event_date, events.occurred_at, events.engagement_event_id
),

running as (
    select
        day_events.*,
        sum(event_points) over (
            partition by person_id, event_date order by occurred_at, engagement_event_id
            rows unbounded preceding
        ) as points_so_far
    from day_events
),

crossing_moments as (
    select
        crossings.person_id,
        crossings.score_date,
        min(case when crossings.lead_score - crossings.points_today + running.points_so_far
                      >= {{ contract_setting('mql_threshold') }}
                  and crossings.engagement_score - crossings.points_today + running.points_so_far
                      >= {{ contract_setting('mql_min_engagement') }}
                 then running.occurred_at end) as first_over_at,
        max(running.occurred_at) as last_event_at
    from crossings
    left join running
        on running.person_id = crossings.person_id
       and running.event_date = crossings.score_date
    group by crossings.person_id, crossings.score_date
),

crossing_rules as (
    -- Each rule's points on a crossing day: those of the rule's latest change up to that day.
    select rule_points.person_id, rule_points.score_date, rule_points.rule_id, rule_points.points,
           rules.label, rules.is_late_buying_signal
    from (
        select
            crossings.person_id,
            crossings.score_date,
            changes.rule_id,
            changes.points,
            row_number() over (
                partition by crossings.person_id, crossings.score_date, changes.rule_id
                order by changes.change_date desc
            ) as recency
        from crossings
        inner join {{ ref('int_scoring__engagement_changes') }} as changes
            on changes.person_id = crossings.person_id
           and changes.change_date <= crossings.score_date
    ) as rule_points
    inner join {{ ref('contract_engagement_rules') }} as rules
        on rules.rule_id = rule_points.rule_id
    where rule_points.recency = 1
      and rule_points.points <> 0
),

reasons as (
    select
        person_id,
        score_date,
        {{ dbt.listagg(
            dbt.concat(["label", "' ('", format_points('points'),
                        "case when is_late_buying_signal = 1 then ', late buying signal' else '' end", "')'"]),
            "'; '",
            'order by points desc, rule_id'
        ) }} as engagement_reasons
    from crossing_rules
    group by person_id, score_date
),

persons as (
    select * from {{ ref('int_people__persons') }}
)

select
    {{ dbt.hash(dbt.concat(["crossings.person_id", "'|'", "cast(crossings.score_date as " ~ dbt.type_string() ~ ")",
                            "'|'", "crossings.contract_version"])) }} as mql_event_id,
    crossings.person_id,
    persons.crm_contact_id,
    persons.email,
    coalesce(crossing_moments.first_over_at, crossing_moments.last_event_at,
             cast(crossings.score_date as {{ dbt.type_timestamp() }})) as mql_at,
    crossings.score_date as mql_date,
    crossings.lead_score,
    crossings.fit_score,
    crossings.engagement_score,
    crossings.fit_grade,
    case
        when reasons.engagement_reasons is null then fit.fit_reasons
        when fit.fit_reasons is null then reasons.engagement_reasons
        else {{ dbt.concat(["reasons.engagement_reasons", "'; '", "fit.fit_reasons"]) }}
    end as reasons,
    crossings.contract_version,
    cast(row_number() over (partition by crossings.person_id order by crossings.score_date) as integer)
        as mql_sequence
from crossings
inner join crossing_moments
    on crossing_moments.person_id = crossings.person_id
   and crossing_moments.score_date = crossings.score_date
left join reasons
    on reasons.person_id = crossings.person_id
   and reasons.score_date = crossings.score_date
left join {{ ref('int_scoring__fit') }} as fit
    on fit.person_id = crossings.person_id
left join persons
    on persons.person_id = crossings.person_id
