{#- One row per person (see docs.md, person_id): who they are, their scores on the as-of day, the
    three strongest reasons in words, their MQL history, company and owner. -#}
with latest as (
    select daily.*
    from {{ ref('fct_lead_score_daily') }} as daily
    inner join {{ ref('int_calendar__days') }} as days
        on days.score_date = daily.score_date
       and days.is_as_of_day
),

top_engagement as (
    -- the three rules with the most points on the as-of day, in words, strongest first: ranked by a
    -- window, then one column per rank (an ordered string aggregate over every rule cost twice as much)
    select
        person_id,
        {{ dbt.concat([
            "max(case when reason_rank = 1 then reason end)",
            "coalesce('; ' || max(case when reason_rank = 2 then reason end), '')",
            "coalesce('; ' || max(case when reason_rank = 3 then reason end), '')"
        ]) }} as engagement_reasons
    from (
        select
            person_id,
            {{ dbt.concat(["label", "' ('", format_points('points'),
                           "case when is_late_buying_signal = 1 then ', late buying signal' else '' end", "')'"]) }}
                as reason,
            row_number() over (partition by person_id order by points desc, rule_id) as reason_rank
        from (
            -- each rule's points on the as-of day: those of its latest change (found by an aggregate and a
            -- join, cheaper than a window sorting every change)
            select
                changes.person_id,
                changes.rule_id,
                changes.points,
                rules.label,
                rules.is_late_buying_signal
            from {{ ref('int_scoring__engagement_changes') }} as changes
            inner join (
                select person_id, rule_id, max(change_date) as change_date
                from {{ ref('int_scoring__engagement_changes') }}
                group by person_id, rule_id
            ) as latest
                on latest.person_id = changes.person_id
               and latest.rule_id = changes.rule_id
               and latest.change_date = changes.change_date
            inner join {{ ref('contract_engagement_rules') }} as rules
                on rules.rule_id = changes.rule_id
        ) as rule_points
        where points > 0
    ) as ranked_reasons
    where reason_rank <= 3
    group by person_id
),

mqls as (
    select
        person_id,
        min(mql_at) as first_mql_at,
        max(mql_at) as last_mql_at,
        count(*) as mql_count
    from {{ ref('fct_mql_events') }}
    group by person_id
),

persons as (
    select * from {{ ref('int_people__persons') }}
),

companies as (
    select * from {{ ref('stg_hubspot__companies') }}
),

owners as (
    select * from {{ ref('stg_hubspot__owners') }}
)

select
    persons.person_id,
    persons.crm_contact_id,
    persons.web_user_id,
    persons.email,
    persons.first_name,
    persons.last_name,
    persons.job_title,
    persons.person_source,
    persons.analytics_source,
    persons.lifecycle_stage,
    persons.lead_status,
    persons.known_since,
    latest.fit_score,
    latest.engagement_score,
    latest.lead_score,
    latest.fit_grade,
    coalesce(latest.is_excluded, fit.is_excluded) as is_excluded,
    fit.exclusion_reason,
    coalesce(latest.is_mql, false) as is_mql,
    case
        when fit.is_excluded then fit.exclusion_reason
        when top_engagement.engagement_reasons is null then fit.fit_reasons
        when fit.fit_reasons is null then top_engagement.engagement_reasons
        else {{ dbt.concat(["top_engagement.engagement_reasons", "'; '", "fit.fit_reasons"]) }}
    end as top_reasons,
    mqls.first_mql_at,
    mqls.last_mql_at,
    coalesce(mqls.mql_count, 0) as mql_count,
    persons.company_id,
    coalesce(companies.company_name, persons.company_name_entered) as company_name,
    persons.owner_id,
    owners.owner_name,
    lifecycle.current_status,
    lifecycle.current_status_since,
    lifecycle.days_in_current_status,
    lifecycle.next_action,
    lifecycle.next_action_at,
    lifecycle.is_next_action_overdue,
    lifecycle.is_missing_next_action,
    coalesce(lifecycle.is_untreated, false) as is_untreated,
    latest.score_date as scored_on,
    coalesce(latest.contract_version, {{ contract_setting('contract_version', 'text') }}) as contract_version
from persons
left join latest on latest.person_id = persons.person_id
left join {{ ref('int_scoring__fit') }} as fit on fit.person_id = persons.person_id
left join top_engagement on top_engagement.person_id = persons.person_id
left join mqls on mqls.person_id = persons.person_id
left join companies on companies.company_id = persons.company_id
left join owners on owners.owner_id = persons.owner_id
left join {{ ref('int_lead_status__current') }} as lifecycle on lifecycle.person_id = persons.person_id
