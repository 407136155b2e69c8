{#- One row per expected close month and owner: the open pipeline valued at amount × the contract's
    probability of each deal's current stage (the weighted forecast). Deals without a close date are
    in a row whose month is null. -#}
with open_deals as (
    select
        deals.deal_id,
        deals.owner_id,
        deals.amount,
        cast({{ dbt.date_trunc('month', 'deals.close_date') }} as date) as expected_close_month,
        standards.probability
    from {{ ref('stg_hubspot__deals') }} as deals
    inner join {{ ref('contract_stage_standards') }} as standards
        on standards.deal_stage = deals.deal_stage
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
