{#- The days each key of `first_days` (a CTE with `keys` and `first_date`) is scored on, from its first
    date to the as-of day: the CTE `spine` (keys, score_date), written as `<ctes>, spine as (...)`.
    Incrementally only the days the run rewrites: everyone's days in the last `lookback_days`, and
    every earlier day of the keys whose person is in `changed_people` (a CTE of distinct person_id).
    Those people's first days are materialised first (both engines honour the keyword): otherwise the
    optimiser enumerates every person's days and filters the changed ones out afterwards (15M rows at
    100k contacts). -#}
{% macro day_spine(first_days, changed_people, keys) -%}
{%- if is_incremental() %}
changed_first_days as materialized (
    select {% for key in keys %}{{ first_days }}.{{ key }}, {% endfor %}{{ first_days }}.first_date
    from {{ first_days }}
    inner join {{ changed_people }}
        on {{ changed_people }}.person_id = {{ first_days }}.person_id
),

window_start as (
    select {{ dbt.dateadd('day', -var('lookback_days'), 'max(score_date)') }} as first_day from {{ this }}
),
{%- endif %}

spine as (
    select {% for key in keys %}{{ first_days }}.{{ key }}, {% endfor %}days.score_date
    from {{ first_days }}
    inner join {{ ref('int_calendar__days') }} as days
        on days.score_date >= {{ first_days }}.first_date
    {%- if is_incremental() %}
    where days.score_date >= (select first_day from window_start)
    union all
    select {% for key in keys %}changed_first_days.{{ key }}, {% endfor %}days.score_date
    from changed_first_days
    inner join {{ ref('int_calendar__days') }} as days
        on days.score_date >= changed_first_days.first_date
    where days.score_date < (select first_day from window_start)
    {%- endif %}
)
{%- endmacro %}
