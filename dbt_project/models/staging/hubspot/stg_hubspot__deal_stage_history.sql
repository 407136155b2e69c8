{#- Every recorded move of a deal between stages. -#}
select distinct
    cast(object_id as {{ dbt.type_string() }}) as deal_id,
    lower(nullif(value, '')) as deal_stage,
    {{ to_utc('changed_at') }} as changed_at,
    source_type
from {{ source_or_empty('raw_hubspot', 'property_history', 'property_history') }}
where object_type = 'deals'
  and property = 'dealstage'
