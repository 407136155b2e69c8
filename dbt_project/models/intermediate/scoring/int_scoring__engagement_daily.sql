{{ config(materialized='view') }}
{#- One row per person, day and engagement rule, from the first day the rule scored for the person to
    the as-of day: int_scoring__engagement_changes spread over the days each change holds for. A view:
    nothing on the way to the marts reads it, so its rows (16M at the 100k-contact benchmark) are
    written nowhere. -#}
with changes as (
    select
        changes.*,
        lead(changes.change_date) over (
            partition by changes.person_id, changes.rule_id order by changes.change_date
        ) as next_change_date
    from {{ ref('int_scoring__engagement_changes') }} as changes
)

select
    changes.person_id,
    days.score_date,
    changes.rule_id,
    rules.label,
    rules.is_late_buying_signal,
    changes.decayed_points,
    changes.points,
    case when days.score_date = changes.change_date then changes.points_today else 0 end as points_today,
    case when days.score_date = changes.change_date then changes.events_today else 0 end as events_today,
    changes.events_to_date,
    changes._processed_at
from changes
inner join {{ ref('int_calendar__days') }} as days
    on days.score_date >= changes.change_date
   and (changes.next_change_date is null or days.score_date < changes.next_change_date)
inner join {{ ref('contract_engagement_rules') }} as rules
    on rules.rule_id = changes.rule_id
