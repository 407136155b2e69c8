{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    indexes=run_stamp_index(),
    on_schema_change='append_new_columns'
) }}
{#- One row per Segment message. Incremental on the time the event was received, re-reading
    `lookback_days` so a retried delivery or a late batch is picked up, and on the load (`_dlt_load_id`)
    so events loaded days after they were received are too; ties on message_id keep the earliest
    received copy. -#}
{%- set cols = existing_columns(source('raw_web', 'events')) -%}
{#- The re-read window: the last `lookback_days` days of `received_at` the table holds. -#}
{%- set window_start = window_start_constant('received_at') if is_incremental() else none -%}
{#- The order of an event's copies, the first one kept (keep_first_copy, and no_stored_copy_came_first
    against the stored copy): each column with the raw value it is typed from. -#}
{%- set copy_order = [('received_at', to_utc('source.received_at')), ('occurred_at', to_utc('source.timestamp'))] -%}
with source as {{ streamed_on_full_build() }}(
    {{ raw_rows_to_read(source_or_empty('raw_web', 'events', 'web_events'), 'received_at', window_start, cols) }}
),

typed as {{ streamed_on_full_build() }}(
    select
        cast(message_id as {{ dbt.type_string() }}) as event_id,
        lower(type) as event_type,
        {{ column_or_null(cols, 'event') }} as event_name,
        {{ column_or_null(cols, 'name') }} as page_name,
        nullif({{ column_or_null(cols, 'anonymous_id') }}, '') as anonymous_id,
        nullif(cast({{ column_or_null(cols, 'user_id') }} as {{ dbt.type_string() }}), '') as user_id,
        {{ to_utc('timestamp') }} as occurred_at,
        {{ to_utc('received_at') }} as received_at,
        coalesce({{ column_or_null(cols, 'context__page__url') }}, {{ column_or_null(cols, 'properties__url') }}) as page_url,
        coalesce({{ column_or_null(cols, 'context__page__path') }}, {{ column_or_null(cols, 'properties__path') }}) as page_path,
        -- A direct visit's empty referrer is no referrer (PostgreSQL loads may already have made it null).
        nullif(coalesce({{ column_or_null(cols, 'context__page__referrer') }}, {{ column_or_null(cols, 'properties__referrer') }}), '') as referrer,
        coalesce({{ column_or_null(cols, 'context__page__title') }}, {{ column_or_null(cols, 'properties__title') }}) as page_title,
        {{ column_or_null(cols, 'context__campaign__source') }} as utm_source,
        {{ column_or_null(cols, 'context__campaign__medium') }} as utm_medium,
        {{ column_or_null(cols, 'context__campaign__name') }} as utm_campaign,
        {{ column_or_null(cols, 'context__campaign__term') }} as utm_term,
        {{ column_or_null(cols, 'context__campaign__content') }} as utm_content,
        {{ column_or_null(cols, 'properties__asset_id') }} as asset_id,
        {{ column_or_null(cols, 'properties__form_id') }} as form_id,
        nullif(lower(trim({{ column_or_null(cols, 'traits__email') }})), '') as traits_email,
        {{ column_or_null(cols, 'traits__first_name') }} as traits_first_name,
        {{ column_or_null(cols, 'traits__last_name') }} as traits_last_name,
        {{ column_or_null(cols, 'traits__company') }} as traits_company,
        {{ column_or_null(cols, '_dlt_load_id') }} as _dlt_load_id
    from source
    where message_id is not null
    {%- if is_incremental() %}
      -- only events not stored yet, and copies that came before the stored one
      and {{ no_stored_copy_came_first('cast(source.message_id as ' ~ dbt.type_string() ~ ')', copy_order) }}
    {%- endif %}
),

deduplicated as (
    {{ keep_first_copy('typed', 'event_id', copy_order | map('first') | join(', ')) }}
)

select
    event_id, event_type, event_name, page_name, anonymous_id, user_id, occurred_at, received_at,
    page_url, page_path, referrer, page_title, utm_source, utm_medium, utm_campaign, utm_term, utm_content,
    asset_id, form_id, traits_email, traits_first_name, traits_last_name, traits_company, _dlt_load_id,
    {{ run_started_timestamp() }} as _processed_at
from deduplicated
where copy_number = 1
