{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    indexes=run_stamp_index(),
    on_schema_change='append_new_columns'
) }}
{#- One row per SendGrid event; incremental on the event time with a lookback for late posts, and on the
    load (`_dlt_load_id`) so events loaded days after they happened are read too. -#}
{%- set cols = existing_columns(source('raw_email', 'events')) -%}
{#- The re-read window: the last `lookback_days` days of `occurred_at` the table holds. -#}
{%- set window_start = window_start_constant('occurred_at') if is_incremental() else none -%}
{#- The order of an event's copies, the first one kept (keep_first_copy, and no_stored_copy_came_first
    against the stored copy): each column with the raw value it is typed from. -#}
{%- set copy_order = [('occurred_at', to_utc('source.event_at'))] -%}
with source as {{ streamed_on_full_build() }}(
    {{ raw_rows_to_read(source_or_empty('raw_email', 'events', 'email_events'), 'event_at', window_start, cols) }}
),

typed as {{ streamed_on_full_build() }}(
    select
        cast(sg_event_id as {{ dbt.type_string() }}) as event_id,
        cast({{ column_or_null(cols, 'sg_message_id') }} as {{ dbt.type_string() }}) as message_id,
        nullif(lower(trim(email)), '') as email,
        lower(event) as event_type,
        {{ to_utc('event_at') }} as occurred_at,
        {{ column_or_null(cols, 'url') }} as url,
        {{ column_or_null(cols, 'category') }} as category,
        {{ column_or_null(cols, 'categories') }} as categories,
        {{ column_or_null(cols, 'campaign') }} as campaign,
        {{ column_or_null(cols, 'asset') }} as asset,
        {{ column_or_null(cols, 'reason') }} as reason,
        {{ column_or_null(cols, 'type') }} as bounce_type,
        {{ column_or_null(cols, '_dlt_load_id') }} as _dlt_load_id
    from source
    where sg_event_id is not null
    {%- if is_incremental() %}
      -- only events not stored yet, and copies that came before the stored one
      and {{ no_stored_copy_came_first('cast(source.sg_event_id as ' ~ dbt.type_string() ~ ')', copy_order) }}
    {%- endif %}
),

deduplicated as (
    {{ keep_first_copy('typed', 'event_id', copy_order | map('first') | join(', ')) }}
)

select event_id, message_id, email, event_type, occurred_at, url, category, categories, campaign, asset,
       reason, bounce_type, _dlt_load_id, {{ run_started_timestamp() }} as _processed_at
from deduplicated
where copy_number = 1
