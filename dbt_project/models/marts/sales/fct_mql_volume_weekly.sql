{#- One row per week (Monday) from the quarter of the first MQL to the run date: marketing's side of
    the SLA, MQL volume against the contract's quarterly target (`mql_target_per_quarter`), with the
    quarter-to-date count and where it should be by that week if the target is spread evenly. A week
    belongs to the quarter its Monday falls in. -#}
with as_of as (
    select as_of_at from {{ ref('int_lifecycle__as_of') }}
),

mqls as (
    select mql.mql_event_id, mql.person_id, cast({{ dbt.date_trunc('week', 'mql.mql_at') }} as date) as week_start
    from {{ ref('fct_mql_events') }} as mql
    cross join as_of
    where mql.mql_at <= as_of.as_of_at
),

bounds as (
    select
        cast({{ dbt.date_trunc('week', 'min(mql.mql_at)') }} as date) as first_week,
        cast(max(as_of.as_of_at) as date) as as_of_date
    from {{ ref('fct_mql_events') }} as mql
    cross join as_of
),

digits as (
    select n from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as d (n)
),

spine as (
    select cast({{ dbt.dateadd('day', '7 * (ones.n + 10 * tens.n + 100 * hundreds.n)', 'bounds.first_week') }} as date)
        as week_start
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join bounds
),

weeks as (
    select
        spine.week_start,
        cast({{ dbt.date_trunc('quarter', 'spine.week_start') }} as date) as quarter_start,
        bounds.as_of_date
    from spine
    cross join bounds
    where spine.week_start <= bounds.as_of_date
),

quarter_weeks as (
    {#- The Mondays of each quarter: from its first Monday to the next quarter's start. -#}
    select
        quarter_start,
        cast({{ dbt.date_trunc('week', dbt.dateadd('day', 6, 'quarter_start')) }} as date) as first_monday,
        cast({{ dbt.dateadd('month', 3, 'quarter_start') }} as date) as next_quarter_start
    from (select distinct quarter_start from weeks) as quarters
),

counted as (
    select
        weeks.week_start,
        weeks.quarter_start,
        weeks.as_of_date,
        cast(count(mqls.mql_event_id) as bigint) as mqls,
        cast(count(distinct mqls.person_id) as bigint) as mql_people
    from weeks
    left join mqls on mqls.week_start = weeks.week_start
    group by weeks.week_start, weeks.quarter_start, weeks.as_of_date
),

paced as (
    select
        counted.*,
        cast(sum(mqls) over (
            partition by counted.quarter_start order by counted.week_start rows between unbounded preceding and current row
        ) as bigint) as quarter_to_date_mqls,
        cast(floor(cast({{ dbt.datediff('quarter_weeks.first_monday', 'counted.week_start', 'day') }} as {{ dbt.type_numeric() }}) / 7)
             as integer) + 1 as week_of_quarter,
        cast(floor(cast({{ dbt.datediff('quarter_weeks.first_monday', 'quarter_weeks.next_quarter_start', 'day') }} + 6
                        as {{ dbt.type_numeric() }}) / 7) as integer) as weeks_in_quarter
    from counted
    inner join quarter_weeks on quarter_weeks.quarter_start = counted.quarter_start
)

select
    week_start,
    quarter_start,
    week_of_quarter,
    weeks_in_quarter,
    mqls,
    mql_people,
    quarter_to_date_mqls,
    {{ contract_setting('mql_target_per_quarter', 'integer') }} as quarter_target,
    cast({{ funnel_round_div(contract_setting('mql_target_per_quarter', 'integer') ~ ' * week_of_quarter',
                             'weeks_in_quarter', 2) }} as numeric(14, 2)) as expected_to_date,
    {{ funnel_ratio('quarter_to_date_mqls', contract_setting('mql_target_per_quarter', 'integer')) }}
        as share_of_quarter_target,
    quarter_to_date_mqls * weeks_in_quarter
        >= {{ contract_setting('mql_target_per_quarter', 'integer') }} * week_of_quarter as is_on_pace
from paced
