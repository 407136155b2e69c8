{#- One row per (deal, person): the deals a person is on, through the CRM deal-to-contact
    associations and the contact's person (contacts sharing an e-mail are one person). A deal with
    several contacts moves each of them to SQL. -#}
select distinct
    deals.deal_id,
    contact_persons.person_id,
    deals.created_at as deal_created_at,
    deals.owner_id
from {{ ref('stg_hubspot__deals') }} as deals
inner join {{ ref('stg_hubspot__associations') }} as associations
    on associations.from_object_type = 'deals'
   and associations.to_object_type = 'contacts'
   and associations.from_object_id = deals.deal_id
inner join {{ ref('int_people__contact_persons') }} as contact_persons
    on contact_persons.contact_id = associations.to_object_id
where not deals.is_deleted
