{%- set cols = existing_columns(source('raw_hubspot', 'companies')) -%}
select
    cast(id as {{ dbt.type_string() }}) as company_id,
    {{ column_or_null(cols, 'name') }} as company_name,
    nullif(lower(trim({{ column_or_null(cols, 'domain') }})), '') as domain,
    upper({{ column_or_null(cols, 'industry') }}) as industry,
    {{ text_to_integer(column_or_null(cols, 'numberofemployees')) }} as employees,
    {{ text_to_number(column_or_null(cols, 'annualrevenue')) }} as annual_revenue,
    {{ column_or_null(cols, 'country') }} as country,
    {{ column_or_null(cols, 'city') }} as city,
    nullif({{ column_or_null(cols, 'hubspot_owner_id') }}, '') as owner_id,
    coalesce({{ text_to_timestamp(column_or_null(cols, 'createdate')) }}, {{ to_utc('created_at') }}) as created_at,
    {{ to_utc('updated_at') }} as updated_at,
    coalesce(is_deleted, archived, false) as is_deleted
from {{ source_or_empty('raw_hubspot', 'companies', 'crm_object') }}
