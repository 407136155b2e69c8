{#- Every owner and lead-status change of a person's CRM contacts, by person. Lead statuses carry the
    contract's meaning (`contract_lead_status_map`: new / accepted / rejected / recycled), so the
    lifecycle never hard-codes what IN_PROGRESS or BAD_TIMING means. -#}
select
    contact_persons.person_id,
    history.contact_id,
    history.property,
    history.value,
    status_map.meaning as lead_status_meaning,
    history.changed_at
from {{ ref('stg_hubspot__contact_status_history') }} as history
inner join {{ ref('int_people__contact_persons') }} as contact_persons
    on contact_persons.contact_id = history.contact_id
left join {{ ref('contract_lead_status_map') }} as status_map
    on history.property = 'hs_lead_status'
   and status_map.lead_status = history.value
where history.property in ('hs_lead_status', 'hubspot_owner_id')
  and history.changed_at is not null
