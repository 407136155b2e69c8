{#- One row per deal and stage spell: how long the deal sat in the stage against the contract's
    standard days. Stalled: more than standard × stalled_factor (the current stage counts up to the run
    date, so a deal sitting too long now is stalled now). Rushed: left the stage in less than
    standard × rushed_factor. Closed stages have no standard and are neither. -#}
with history as (
    select
        stages.deal_id,
        stages.deal_stage,
        stages.changed_at,
        lag(stages.deal_stage) over (partition by stages.deal_id order by stages.changed_at, stages.deal_stage)
            as previous_stage
    from {{ ref('stg_hubspot__deal_stage_history') }} as stages
    inner join {{ ref('stg_hubspot__deals') }} as deals
        on deals.deal_id = stages.deal_id
    where stages.changed_at is not null
      and stages.deal_stage is not null
      and not deals.is_deleted
      and stages.changed_at <= {{ funnel_as_of() }}
),

spells as (
    select
        deal_id,
        deal_stage,
        changed_at as entered_at,
        row_number() over (partition by deal_id order by changed_at, deal_stage) as stage_sequence,
        lead(changed_at) over (partition by deal_id order by changed_at, deal_stage) as exited_at
    from history
    where previous_stage is null or previous_stage <> deal_stage
),

measured as (
    select
        spells.*,
        {{ funnel_days_between('spells.entered_at', 'coalesce(spells.exited_at, ' ~ funnel_as_of() ~ ')') }}
            as days_in_stage,
        standards.expected_days as standard_days,
        coalesce(standards.is_closed = 1, false) as is_closed_stage
    from spells
    left join {{ ref('contract_stage_standards') }} as standards
        on standards.deal_stage = spells.deal_stage
)

select
    {{ dbt.concat(["measured.deal_id", "':'", dbt.safe_cast("measured.stage_sequence", dbt.type_string())]) }}
        as deal_stage_spell_id,
    measured.deal_id,
    measured.stage_sequence,
    measured.deal_stage,
    deals.owner_id,
    measured.entered_at,
    measured.exited_at,
    measured.days_in_stage,
    measured.standard_days,
    cast({{ funnel_round_div('measured.days_in_stage', 'measured.standard_days', 2) }} as numeric(10, 2))
        as ratio_to_standard,
    coalesce(
        not measured.is_closed_stage
        and measured.days_in_stage > measured.standard_days * {{ contract_setting('stalled_factor') }},
        false
    ) as is_stalled,
    coalesce(
        not measured.is_closed_stage
        and measured.exited_at is not null
        and measured.days_in_stage < measured.standard_days * {{ contract_setting('rushed_factor') }},
        false
    ) as is_rushed,
    measured.exited_at is null as is_current_stage,
    measured.is_closed_stage
from measured
inner join {{ ref('stg_hubspot__deals') }} as deals
    on deals.deal_id = measured.deal_id
