{#- One row per open deal stalled now: its current stage has lasted longer than the standard times the
    contract's stalled factor. The hand-back list: these deals should leave the rep's pipeline and go
    back to marketing nurturing until they are mature again. -#}
with contacts as (
    select deal_id, min(person_id) as person_id, count(*) as people
    from {{ ref('int_lifecycle__person_deals') }}
    group by deal_id
)

select
    durations.deal_id,
    deals.deal_name,
    durations.owner_id,
    owners.owner_name,
    contacts.person_id,
    coalesce(contacts.people, 0) as people_on_deal,
    durations.deal_stage,
    durations.entered_at,
    durations.days_in_stage,
    durations.standard_days,
    durations.ratio_to_standard,
    deals.amount,
    deals.close_date as expected_close_at,
    'hand back to nurturing' as recommended_action
from {{ ref('fct_deal_stage_durations') }} as durations
inner join {{ ref('stg_hubspot__deals') }} as deals
    on deals.deal_id = durations.deal_id
left join {{ ref('stg_hubspot__owners') }} as owners
    on owners.owner_id = durations.owner_id
left join contacts
    on contacts.deal_id = durations.deal_id
where durations.is_current_stage
  and durations.is_stalled
  and not durations.is_closed_stage
