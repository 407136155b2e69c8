-- lead_score = fit_score + engagement_score, engagement = the rules' points that day (each rule's latest
-- change up to that day), and is_mql follows the contract's threshold, engagement floor and exclusions.
-- Returns the rows that disagree.
-- A full refresh (or the var check_whole_tables) checks every row. Any other build checks the
-- person-days the latest run wrote to either model (rows with their latest `_processed_at`): the daily
-- rows it wrote and the days of the rule changes it rewrote, so a day whose engagement changed without
-- its daily row does not pass.
{%- set daily_model = ref('fct_lead_score_daily') %}
{%- set changes_model = ref('int_scoring__engagement_changes') %}
with
{%- if not check_whole_tables() %}
written_days as (
    select person_id, score_date
    from {{ daily_model }}
    where _processed_at = (select max(_processed_at) from {{ daily_model }})
    union
    select person_id, change_date
    from {{ changes_model }}
    where _processed_at = (select max(_processed_at) from {{ changes_model }})
),

daily as (
    select checked.*
    from {{ daily_model }} as checked
    inner join written_days
        on written_days.person_id = checked.person_id
       and written_days.score_date = checked.score_date
),
{%- else %}
daily as (
    select * from {{ daily_model }}
),
{%- endif %}

changes as (
    -- each rule change with the day the rule changes next (its points hold until then)
    select
        person_id,
        change_date,
        points,
        lead(change_date) over (partition by person_id, rule_id order by change_date) as next_change_date
    from {{ changes_model }}
),

rules as (
    select daily.person_id, daily.score_date, sum(changes.points) as points
    from daily
    inner join changes
        on changes.person_id = daily.person_id
       and changes.change_date <= daily.score_date
       and (changes.next_change_date is null or daily.score_date < changes.next_change_date)
    group by daily.person_id, daily.score_date
)

select daily.person_id, daily.score_date
from daily
left join rules
    on rules.person_id = daily.person_id
   and rules.score_date = daily.score_date
where abs(daily.lead_score - daily.fit_score - daily.engagement_score) > 0.0001
   or abs(daily.engagement_score - coalesce(rules.points, 0)) > 0.0001
   or daily.is_mql <> (not daily.is_excluded and daily.lead_score >= {{ contract_setting('mql_threshold') }}
                       and daily.engagement_score >= {{ contract_setting('mql_min_engagement') }})
