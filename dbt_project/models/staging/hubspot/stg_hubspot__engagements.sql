{#- Calls, e-mails, tasks and meetings as one typed stream; `engagement_detail` is what the contract's
    crm event-kind patterns match (`<type>:<direction or meeting outcome>`). -#}
{%- set kinds = {
    'call': {'table': 'calls', 'title': 'hs_call_title', 'direction': 'hs_call_direction', 'status': 'hs_call_status'},
    'email': {'table': 'emails', 'title': 'hs_email_subject', 'direction': 'hs_email_direction', 'status': 'hs_email_status'},
    'task': {'table': 'tasks', 'title': 'hs_task_subject', 'direction': 'hs_task_type', 'status': 'hs_task_status'},
    'meeting': {'table': 'meetings', 'title': 'hs_meeting_title', 'direction': none, 'status': 'hs_meeting_outcome'},
} -%}
{%- for kind, spec in kinds.items() %}
{%- set cols = existing_columns(source('raw_hubspot', spec.table)) %}
select
    cast(id as {{ dbt.type_string() }}) as engagement_id,
    '{{ kind }}' as engagement_type,
    {{ text_to_timestamp(column_or_null(cols, 'hs_timestamp')) }} as occurred_at,
    {{ column_or_null(cols, spec.title) }} as title,
    upper({{ column_or_null(cols, spec.direction) if spec.direction else 'cast(null as ' ~ dbt.type_string() ~ ')' }}) as direction,
    upper({{ column_or_null(cols, spec.status) }}) as status,
    {%- if kind == 'call' %}
    {{ text_to_integer(column_or_null(cols, 'hs_call_duration')) }} as duration_ms,
    {%- elif kind == 'meeting' %}
    {{ dbt.datediff(text_to_timestamp(column_or_null(cols, 'hs_meeting_start_time')),
                    text_to_timestamp(column_or_null(cols, 'hs_meeting_end_time')), 'millisecond') }} as duration_ms,
    {%- else %}
    cast(null as bigint) as duration_ms,
    {%- endif %}
    nullif({{ column_or_null(cols, 'hubspot_owner_id') }}, '') as owner_id,
    {{ dbt.concat(["'" ~ kind ~ ":'", "upper(coalesce(" ~ (column_or_null(cols, spec.direction) if kind != 'meeting' else column_or_null(cols, spec.status)) ~ ", ''))"]) }} as engagement_detail,
    coalesce({{ text_to_timestamp(column_or_null(cols, 'hs_createdate')) }}, {{ to_utc('created_at') }}) as created_at,
    {{ to_utc('updated_at') }} as updated_at,
    coalesce(is_deleted, archived, false) as is_deleted
from {{ source_or_empty('raw_hubspot', spec.table, 'crm_object') }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
