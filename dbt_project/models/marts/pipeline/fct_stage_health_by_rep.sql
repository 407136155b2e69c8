{#- One row per rep and open pipeline stage: the share of the rep's stage spells that stalled or were
    rushed, beside the whole team's share at that stage. The same excess repeated for one rep at one
    stage points to a skill gap there. -#}
with spells as (
    select *
    from {{ ref('fct_deal_stage_durations') }}
    where not is_closed_stage
),

team as (
    select
        deal_stage,
        cast(count(*) as bigint) as team_spells,
        cast(sum(case when is_stalled then 1 else 0 end) as bigint) as team_stalled,
        sum(case when is_rushed then 1 else 0 end) as team_rushed
    from spells
    group by deal_stage
),

reps as (
    select
        owner_id,
        deal_stage,
        cast(count(*) as bigint) as spells,
        cast(sum(case when is_stalled then 1 else 0 end) as bigint) as stalled_count,
        cast(sum(case when is_rushed then 1 else 0 end) as bigint) as rushed_count,
        {{ funnel_median('days_in_stage') }} as median_days_in_stage
    from spells
    group by owner_id, deal_stage
),

shares as (
    select
        reps.*,
        team.team_spells,
        {{ funnel_ratio('reps.stalled_count', 'reps.spells') }} as stalled_share,
        {{ funnel_ratio('reps.rushed_count', 'reps.spells') }} as rushed_share,
        {{ funnel_ratio('team.team_stalled', 'team.team_spells') }} as team_stalled_share,
        {{ funnel_ratio('team.team_rushed', 'team.team_spells') }} as team_rushed_share
    from reps
    inner join team on team.deal_stage = reps.deal_stage
)

select
    {{ dbt.concat(["coalesce(shares.owner_id, '(unassigned)')", "'|'", "shares.deal_stage"]) }} as rep_stage_id,
    shares.owner_id,
    owners.owner_name,
    shares.deal_stage,
    standards.stage_order,
    standards.expected_days as standard_days,
    shares.spells,
    shares.stalled_count,
    shares.rushed_count,
    shares.median_days_in_stage,
    shares.stalled_share,
    shares.rushed_share,
    shares.team_spells,
    shares.team_stalled_share,
    shares.team_rushed_share,
    shares.stalled_share - shares.team_stalled_share as stalled_share_vs_team,
    shares.rushed_share - shares.team_rushed_share as rushed_share_vs_team
from shares
left join {{ ref('stg_hubspot__owners') }} as owners
    on owners.owner_id = shares.owner_id
left join {{ ref('contract_stage_standards') }} as standards
    on standards.deal_stage = shares.deal_stage
