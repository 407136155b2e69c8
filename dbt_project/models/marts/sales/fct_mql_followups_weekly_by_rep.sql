{#- One row per rep and week of MQL hand-off: the lead manager's SLA view per rep (volumes, response
    times against the contract's targets, cadence kept, leads still untreated). -#}
with followups as (
    select
        cast({{ dbt.date_trunc('week', 'mql_at') }} as date) as week_start,
        *
    from {{ ref('fct_mql_followups') }}
)

select
    {{ dbt.concat([dbt.safe_cast("week_start", dbt.type_string()), "'|'", "coalesce(owner_id, '(unassigned)')"]) }}
        as rep_week_id,
    week_start,
    owner_id,
    max(owner_name) as owner_name,
    cast(count(*) as bigint) as mqls,
    cast(sum(case when is_untreated then 0 else 1 end) as bigint) as touched,
    cast(sum(case when is_untreated then 1 else 0 end) as bigint) as untreated,
    cast(sum(case when within_30_minutes then 1 else 0 end) as bigint) as within_30_minutes_count,
    cast(sum(case when within_1_day then 1 else 0 end) as bigint) as within_1_day_count,
    cast(sum(case when is_cadence_window_closed then 1 else 0 end) as bigint) as cadence_due,
    cast(sum(case when is_cadence_window_closed and meets_cadence then 1 else 0 end) as bigint) as meets_cadence_count,
    {{ funnel_ratio('sum(case when within_30_minutes then 1 else 0 end)', 'count(*)') }} as within_30_minutes_share,
    {{ funnel_ratio('sum(case when within_1_day then 1 else 0 end)', 'count(*)') }} as within_1_day_share,
    {{ funnel_ratio('sum(case when is_cadence_window_closed and meets_cadence then 1 else 0 end)',
                    'sum(case when is_cadence_window_closed then 1 else 0 end)') }} as meets_cadence_share,
    {{ funnel_median('response_minutes') }} as median_response_minutes
from followups
group by week_start, owner_id
