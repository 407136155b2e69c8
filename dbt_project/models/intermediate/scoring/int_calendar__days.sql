{#- One row per day from the first day anyone was known or active to the as-of day: the last day that
    has an engagement event or a new person. Scores are computed up to the data, never up to the wall clock, so
    rebuilding the same data gives the same marts on any day. -#}
with recursive bounds as (
    select
        min(first_day) as first_day,
        max(last_day) as last_day
    from (
        select min(event_date) as first_day, max(event_date) as last_day
        from {{ ref('int_engagement__events_unioned') }}
        union all
        select min(cast(known_since as date)), max(cast(known_since as date))
        from {{ ref('int_people__persons') }}
    ) as edges
),

days as (
    select first_day as score_date, last_day from bounds where first_day is not null
    union all
    select cast({{ dbt.dateadd('day', 1, 'score_date') }} as date), last_day
    from days
    where score_date < last_day
)

select
    score_date,
    case when score_date = last_day then true else false end as is_as_of_day
from days
