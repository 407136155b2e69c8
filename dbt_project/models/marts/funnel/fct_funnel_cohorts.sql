{#- One row per cohort month and dimension value. A cohort is the people who first entered a stage in
    that month: each stage-to-stage conversion is counted on the cohort of its *from* stage (MQL→SAL on
    the month's new MQLs), so every `*_rate` is its `*_count` over the from-stage count, between 0 and 1.
    "Converted" means the person reached the later stage at or after first entering the earlier one;
    median days run from the first entry to the first later arrival. Dimensions: `all`, `channel` (CRM
    original source), `utm_source` and `utm_campaign` (first tagged web visit), `owner` (contact owner),
    `fit_grade` (at the first MQL). -#}
{%- set pairs = [
    ('inquiry', 'mql'), ('mql', 'sal'), ('sal', 'sql'), ('sql', 'won'), ('mql', 'sql'),
] -%}
{%- set stage_status = {'suspect': 'Suspect', 'inquiry': 'Inquiry', 'mql': 'MQL', 'sal': 'SAL', 'sql': 'SQL', 'won': 'Won'} -%}
with history as (
    select person_id, status, valid_from
    from {{ ref('fct_lead_status_history') }}
),

firsts as (
    select
        person_id
        {%- for stage, status in stage_status.items() %},
        min(case when status = '{{ status }}' then valid_from end) as first_{{ stage }}_at
        {%- endfor %}
    from history
    group by person_id
),

arrivals as (
    {#- For each pair, the first arrival at the later stage at or after the first entry into the earlier. -#}
    select
        firsts.person_id
        {%- for stage in stage_status %},
        firsts.first_{{ stage }}_at
        {%- endfor %}
        {%- for from_stage, to_stage in pairs %},
        min(case when history.status = '{{ stage_status[to_stage] }}'
                  and history.valid_from >= firsts.first_{{ from_stage }}_at
                 then history.valid_from end) as {{ from_stage }}_to_{{ to_stage }}_at
        {%- endfor %}
    from firsts
    inner join history on history.person_id = firsts.person_id
    group by firsts.person_id{% for stage in stage_status %}, firsts.first_{{ stage }}_at{% endfor %}
),

first_web_campaign as (
    select
        stitched.person_id,
        events.utm_source,
        events.utm_campaign,
        row_number() over (partition by stitched.person_id order by events.occurred_at, events.event_id) as visit_rank
    from {{ ref('stg_web__events') }} as events
    inner join {{ ref('int_people__identity_stitched') }} as stitched
        on stitched.anonymous_id = events.anonymous_id
    where events.utm_source is not null or events.utm_campaign is not null
),

first_mql as (
    select
        person_id,
        fit_grade,
        row_number() over (partition by person_id order by mql_at, mql_event_id) as mql_rank
    from {{ ref('fct_mql_events') }}
),

people as (
    select
        arrivals.*,
        persons.analytics_source,
        persons.owner_id,
        campaign.utm_source,
        campaign.utm_campaign,
        first_mql.fit_grade
    from arrivals
    left join {{ ref('int_people__persons') }} as persons
        on persons.person_id = arrivals.person_id
    left join first_web_campaign as campaign
        on campaign.person_id = arrivals.person_id and campaign.visit_rank = 1
    left join first_mql
        on first_mql.person_id = arrivals.person_id and first_mql.mql_rank = 1
),

dimensions as (
    {%- set dims = [('all', "'all'"), ('channel', 'analytics_source'), ('utm_source', 'utm_source'),
                    ('utm_campaign', 'utm_campaign'), ('owner', 'owner_id'), ('fit_grade', 'fit_grade')] %}
    {%- for name, expr in dims %}
    select person_id, '{{ name }}' as dimension_name,
           coalesce(cast({{ expr }} as {{ dbt.type_string() }}), '(none)') as dimension_value
    from people
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

entries as (
    {%- for stage in ['suspect', 'inquiry', 'mql', 'sal', 'sql'] %}
    select person_id, '{{ stage }}' as cohort_stage, first_{{ stage }}_at as entered_at
    from people
    where first_{{ stage }}_at is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

measured as (
    select
        cast({{ dbt.date_trunc('month', 'entries.entered_at') }} as date) as cohort_month,
        dimensions.dimension_name,
        dimensions.dimension_value,
        entries.cohort_stage,
        people.*
    from entries
    inner join people on people.person_id = entries.person_id
    inner join dimensions on dimensions.person_id = entries.person_id
)

select
    {{ dbt.concat([dbt.safe_cast("cohort_month", dbt.type_string()), "'|'", "dimension_name", "'|'", "dimension_value"]) }}
        as cohort_id,
    cohort_month,
    dimension_name,
    dimension_value,
    {%- for stage in ['suspect', 'inquiry', 'mql', 'sal', 'sql'] %}
    cast(sum(case when cohort_stage = '{{ stage }}' then 1 else 0 end) as bigint) as {{ stage }}_count,
    {%- endfor %}
    {%- for from_stage, to_stage in pairs %}
    cast(sum(case when cohort_stage = '{{ from_stage }}' and {{ from_stage }}_to_{{ to_stage }}_at is not null then 1 else 0 end)
         as bigint) as {{ from_stage }}_to_{{ to_stage }}_count,
    {{ funnel_ratio(
        "sum(case when cohort_stage = '" ~ from_stage ~ "' and " ~ from_stage ~ "_to_" ~ to_stage ~ "_at is not null then 1 else 0 end)",
        "sum(case when cohort_stage = '" ~ from_stage ~ "' then 1 else 0 end)") }} as {{ from_stage }}_to_{{ to_stage }}_rate,
    {{ funnel_median("case when cohort_stage = '" ~ from_stage ~ "' then "
                     ~ funnel_days_between('first_' ~ from_stage ~ '_at', from_stage ~ '_to_' ~ to_stage ~ '_at') ~ " end") }}
        as median_days_{{ from_stage }}_to_{{ to_stage }}{{ ',' if not loop.last }}
    {%- endfor %}
from measured
group by cohort_month, dimension_name, dimension_value
