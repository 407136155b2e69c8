{%- set cols = existing_columns(source('raw_hubspot', 'deals')) -%}
select
    cast(id as {{ dbt.type_string() }}) as deal_id,
    {{ column_or_null(cols, 'dealname') }} as deal_name,
    {{ text_to_number(column_or_null(cols, 'amount')) }} as amount,
    {{ column_or_null(cols, 'pipeline') }} as pipeline,
    lower({{ column_or_null(cols, 'dealstage') }}) as deal_stage,
    {{ text_to_timestamp(column_or_null(cols, 'closedate')) }} as close_date,
    nullif({{ column_or_null(cols, 'hubspot_owner_id') }}, '') as owner_id,
    {{ column_or_null(cols, 'hs_next_step') }} as next_step,
    {{ text_to_timestamp(column_or_null(cols, 'notes_next_activity_date')) }} as next_activity_at,
    coalesce({{ text_to_timestamp(column_or_null(cols, 'createdate')) }}, {{ to_utc('created_at') }}) as created_at,
    {{ to_utc('updated_at') }} as updated_at,
    coalesce(is_deleted, archived, false) as is_deleted
from {{ source_or_empty('raw_hubspot', 'deals', 'crm_object') }}
