{%- set cols = existing_columns(source('raw_hubspot', 'owners')) -%}
select
    cast(id as {{ dbt.type_string() }}) as owner_id,
    nullif(lower(trim({{ column_or_null(cols, 'email') }})), '') as email,
    {{ column_or_null(cols, 'first_name') }} as first_name,
    {{ column_or_null(cols, 'last_name') }} as last_name,
    nullif(trim({{ dbt.concat([
        "coalesce(" ~ column_or_null(cols, 'first_name') ~ ", '')", "' '",
        "coalesce(" ~ column_or_null(cols, 'last_name') ~ ", '')"]) }}), '') as owner_name,
    cast({{ column_or_null(cols, 'user_id') }} as {{ dbt.type_string() }}) as user_id,
    coalesce(is_deleted, archived, false) as is_deleted
from {{ source_or_empty('raw_hubspot', 'owners', 'crm_object') }}
