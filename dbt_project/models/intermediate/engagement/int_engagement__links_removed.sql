{{ config(
    materialized='incremental',
    unique_key=['engagement_event_id', 'person_id'],
    incremental_strategy='delete+insert'
) }}
{#- A log of the event-person pairs the engagement stream held when they no longer held:
    - CRM activity-person pairs the CRM no longer has: the activity was deleted or lost its time, the
      association was removed, the contact was deleted or merged into another person;
    - web events of a visitor who now stitches to another person (visitors_stitched_elsewhere): their web
      user identified with another e-mail, on this device or another. The stream rewrites these events
      under the new person; the old one (a CRM contact, say) stays and must lose their points.
    Each incremental run, just before the stream, adds the pairs it finds, stamped with the run
    (`_processed_at`). This model reads the stream's table by name: the stream refs this model, so this
    one cannot ref the stream. Rows older than their pair's removal leave the stream, and the daily
    engagement and lead scores re-score the people removed since their own last run over their whole
    history; a run that fails half-way leaves the log for the next one. Emptied by a full refresh, which
    rebuilds everything from the sources as they stand. -#}
{#- Any build but a full refresh looks for the stream, also the first one of this table (a stream built
    by an earlier version of the project). -#}
{%- set stream = none -%}
{%- if execute and not flags.FULL_REFRESH -%}
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

union all

select stored.engagement_event_id, stored.person_id, {{ run_started_timestamp() }} as _processed_at
from {{ stream }} as stored
where stored.anonymous_id in ({{ visitors_stitched_elsewhere(stream) }})
{%- endif %}
-- depends_on: {{ ref('int_engagement__crm_activity_links') }}
-- depends_on: {{ ref('int_people__identity_stitched') }}
