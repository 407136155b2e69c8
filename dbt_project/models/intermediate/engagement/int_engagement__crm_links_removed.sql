{#- CRM activity-person pairs the engagement stream holds that the CRM no longer has: the activity was
    deleted or lost its time, the association was removed, the contact was deleted or merged into
    another person. Rebuilt on every run just before the stream, from the stream's table as the last
    run left it (read by name: the stream refs this model, so this one cannot ref the stream). The
    stream deletes these rows, and the daily engagement and lead scores re-score these people over
    their whole history. Empty on a full refresh and before the stream's first build. -#}
{%- set stream = none -%}
{%- if execute and not flags.FULL_REFRESH -%}
{%- set stream = adapter.get_relation(
    database=this.database, schema=this.schema, identifier='int_engagement__events_unioned') -%}
{%- endif %}
{%- if stream is none %}
select
    cast(null as {{ dbt.type_string() }}) as engagement_event_id,
    cast(null as {{ dbt.type_string() }}) as person_id
where 1 = 0
{%- else %}
select stored.engagement_event_id, stored.person_id
from {{ stream }} as stored
left join {{ ref('int_engagement__crm_activity_links') }} as current_links
    on current_links.engagement_event_id = stored.engagement_event_id
where stored.source = 'crm'
  and current_links.engagement_event_id is null
{%- endif %}
-- depends_on: {{ ref('int_engagement__crm_activity_links') }}
