-- lead_score = fit_score + engagement_score, engagement = the rules' points that day, and is_mql follows
-- the contract's threshold, engagement floor and exclusions. Returns the rows that disagree.
with rules as (
    select person_id, score_date, sum(points) as points
    from {{ ref('int_scoring__engagement_daily') }}
    group by person_id, score_date
)

select daily.person_id, daily.score_date
from {{ ref('fct_lead_score_daily') }} as daily
left join rules
    on rules.person_id = daily.person_id
   and rules.score_date = daily.score_date
where abs(daily.lead_score - daily.fit_score - daily.engagement_score) > 0.0001
   or abs(daily.engagement_score - coalesce(rules.points, 0)) > 0.0001
   or daily.is_mql <> (not daily.is_excluded and daily.lead_score >= {{ contract_setting('mql_threshold') }}
                       and daily.engagement_score >= {{ contract_setting('mql_min_engagement') }})
