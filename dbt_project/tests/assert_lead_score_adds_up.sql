-- lead_score = fit_score + engagement_score, engagement = the rules' points that day, and is_mql follows
-- the contract's threshold, engagement floor and exclusions. Returns the rows that disagree.
-- A full refresh (or the var check_whole_tables) checks every row. Any other build checks the
-- person-days the latest run wrote to either model (rows with their latest `_processed_at`): the rows
-- it wrote and the days whose rule points it rewrote, so a day whose engagement changed without its
-- daily row does not pass.
{%- set daily_model = ref('fct_lead_score_daily') %}
{%- set engagement_model = ref('int_scoring__engagement_daily') %}
with
{%- if not check_whole_tables() %}
written_days as (
    select person_id, score_date
    from {{ daily_model }}
    where _processed_at = (select max(_processed_at) from {{ daily_model }})
    union
    select person_id, score_date
    from {{ engagement_model }}
    where _processed_at = (select max(_processed_at) from {{ engagement_model }})
),

daily as (
    select checked.*
    from {{ daily_model }} as checked
    inner join written_days
        on written_days.person_id = checked.person_id
       and written_days.score_date = checked.score_date
),

engagement as (
    select checked.person_id, checked.score_date, checked.points
    from {{ engagement_model }} as checked
    inner join written_days
        on written_days.person_id = checked.person_id
       and written_days.score_date = checked.score_date
),
{%- else %}
daily as (
    select * from {{ daily_model }}
),

engagement as (
    select person_id, score_date, points from {{ engagement_model }}
),
{%- endif %}

rules as (
    select person_id, score_date, sum(points) as points
    from engagement
    group by person_id, score_date
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
