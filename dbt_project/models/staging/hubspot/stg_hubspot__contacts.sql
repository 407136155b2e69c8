{%- set cols = existing_columns(source('raw_hubspot', 'contacts')) -%}
with source as (
    select * from {{ source_or_empty('raw_hubspot', 'contacts', 'crm_object') }}
),

typed as (
    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        nullif(lower(trim({{ column_or_null(cols, 'email') }})), '') as email,
        {{ column_or_null(cols, 'firstname') }} as first_name,
        {{ column_or_null(cols, 'lastname') }} as last_name,
        {{ column_or_null(cols, 'jobtitle') }} as job_title,
        {{ column_or_null(cols, 'phone') }} as phone,
        {{ column_or_null(cols, 'country') }} as country,
        {{ column_or_null(cols, 'company') }} as company_name_entered,
        {{ column_or_null(cols, 'hs_analytics_source') }} as analytics_source,
        lower({{ column_or_null(cols, 'lifecyclestage') }}) as lifecycle_stage,
        upper({{ column_or_null(cols, 'hs_lead_status') }}) as lead_status,
        nullif({{ column_or_null(cols, 'hubspot_owner_id') }}, '') as owner_id,
        coalesce({{ text_to_timestamp(column_or_null(cols, 'createdate')) }}, {{ to_utc('created_at') }}) as created_at,
        {{ to_utc('updated_at') }} as updated_at,
        coalesce(is_deleted, archived, false) as is_deleted,
        {{ to_utc('_extracted_at') }} as extracted_at
    from source
)

select * from typed
