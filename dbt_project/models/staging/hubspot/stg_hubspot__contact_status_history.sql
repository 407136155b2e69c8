{#- Every recorded change of a contact's lifecycle stage, lead status or owner. -#}
select distinct
    cast(object_id as {{ dbt.type_string() }}) as contact_id,
    property,
    case when property = 'lifecyclestage' then lower(nullif(value, ''))
         when property = 'hs_lead_status' then upper(nullif(value, ''))
         else nullif(value, '') end as value,
    {{ to_utc('changed_at') }} as changed_at,
    source_type
from {{ source_or_empty('raw_hubspot', 'property_history', 'property_history') }}
where object_type = 'contacts'
  and property in ('lifecyclestage', 'hs_lead_status', 'hubspot_owner_id')
