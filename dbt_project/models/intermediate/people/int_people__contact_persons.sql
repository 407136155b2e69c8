{#- Every non-deleted CRM contact id (duplicates included) with the person it belongs to; CRM
    activities are attached to people through it. -#}
select
    contact_id,
    {{ person_key('email', 'cast(null as ' ~ dbt.type_string() ~ ')', 'contact_id') }} as person_id
from {{ ref('stg_hubspot__contacts') }}
where not is_deleted
