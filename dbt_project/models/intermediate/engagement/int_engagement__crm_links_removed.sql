{{ config(
    materialized='incremental',
    unique_key='engagement_event_id',
    incremental_strategy='delete+insert'
) }}
{#- A log of the CRM activity-person pairs the engagement stream held when the CRM no longer had them:
    the activity was deleted or lost its time, the association was removed, the contact was deleted or
    merged into another person. Each incremental run, just before the stream, adds the pairs the stream
    holds that int_engagement__crm_activity_links no longer lists, stamped with the run (`_processed_at`).
    This model reads the stream's table by name: the stream refs this model, so this one cannot ref
    the stream. Rows older than their pair's removal leave the stream, and the daily engagement and
    lead scores re-score the people removed since their own last run over their whole history; a run
    that fails half-way leaves the log for the next one. Emptied by a full refresh, which rebuilds
    everything from the CRM as it stands. -#}
{%- set stream = none -%}
{%- if execute and is_incremental() -%}
{%- set stream = adapter.get_relation(
    database=this.database, schema=this.schema, identifier='int_engagement__events_unioned') -%}
{%- endif %}
{%- if stream is none %}
select
    cast(null as {{ dbt.type_string() }}) as engagement_event_id,
    cast(null as {{ dbt.type_string() }}) as person_id,
    {{ run_started_timestamp() }} as _processed_at
where 1 = 0
{%- else %}
select stored.engagement_event_id, stored.person_id, {{ run_started_timestamp() }} as _processed_at
from {{ stream }} as stored
left join {{ ref('int_engagement__crm_activity_links') }} as current_links
    on current_links.engagement_event_id = stored.engagement_event_id
where stored.source = 'crm'
  and current_links.engagement_event_id is null
{%- endif %}
-- depends_on: {{ ref('int_engagement__crm_activity_links') }}
