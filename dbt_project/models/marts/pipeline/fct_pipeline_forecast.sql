{#- One row per expected close month and owner: the pipeline open at the run date (`as_of`) valued at
    amount × the contract's probability of each deal's stage at that date (the weighted forecast). The
    stage at the run date is the deal's last recorded move by then (stg_hubspot__deal_stage_history), so
    a forecast as of a past day values a deal that has moved (or closed) since at the stage it had then;
    a deal with no stage history at all is taken at its current stage. Amount, close date and owner are
    the current ones (the CRM keeps no history of them). Deals without a close date are in a row whose
    month is null. -#}
with stage_moves as (
    select deal_id, deal_stage, changed_at
    from {{ ref('stg_hubspot__deal_stage_history') }}
    where changed_at is not null
      and deal_stage is not null
),

stages_as_of as (
    select
        deal_id,
        deal_stage,
        row_number() over (partition by deal_id order by changed_at desc, deal_stage desc) as move_rank
    from stage_moves
    where changed_at <= {{ funnel_as_of() }}
),

deals_with_history as (
    select distinct deal_id from stage_moves
),

open_deals as (
    select
        deals.deal_id,
        deals.owner_id,
        deals.amount,
        cast({{ dbt.date_trunc('month', 'deals.close_date') }} as date) as expected_close_month,
        standards.probability
    from {{ ref('stg_hubspot__deals') }} as deals
    left join stages_as_of
        on stages_as_of.deal_id = deals.deal_id
       and stages_as_of.move_rank = 1
    left join deals_with_history
        on deals_with_history.deal_id = deals.deal_id
    inner join {{ ref('contract_stage_standards') }} as standards
        on standards.deal_stage = case when deals_with_history.deal_id is null then deals.deal_stage
                                       else stages_as_of.deal_stage end
    where not deals.is_deleted
      and standards.is_closed = 0
      and deals.created_at <= {{ funnel_as_of() }}
)

select
    {{ dbt.concat(["coalesce(" ~ dbt.safe_cast("open_deals.expected_close_month", dbt.type_string()) ~ ", '(no close date)')",
                   "'|'", "coalesce(open_deals.owner_id, '(unassigned)')"]) }} as forecast_id,
    open_deals.expected_close_month,
    open_deals.owner_id,
    max(owners.owner_name) as owner_name,
    cast(count(*) as bigint) as open_deals,
    cast(sum(case when open_deals.amount is null then 1 else 0 end) as bigint) as deals_without_amount,
    cast(coalesce(sum(open_deals.amount), 0) as numeric(18, 2)) as pipeline_amount,
    cast(coalesce(sum(open_deals.amount * open_deals.probability), 0) as numeric(18, 2)) as weighted_amount
from open_deals
left join {{ ref('stg_hubspot__owners') }} as owners
    on owners.owner_id = open_deals.owner_id
group by open_deals.expected_close_month, open_deals.owner_id
