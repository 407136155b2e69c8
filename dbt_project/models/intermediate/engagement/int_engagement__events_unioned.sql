{{ config(
    materialized='incremental',
    unique_key='engagement_event_id',
    incremental_strategy='delete+insert',
    indexes=run_stamp_index(),
    post_hook=["{{ delete_rows_of_people_gone() }}", "{{ delete_rows_older_than_their_removal('engagement_event_id') }}"]
) }}
{#- One row per scoring-relevant event of a person: web page views and track events, e-mail events
    and CRM activities, each given the contract's event kind (first matching mapping wins; events no
    mapping matches are not engagement). Incremental: re-reads events loaded in the last `lookback_days`
    and those staging wrote since this table's last run (events loaded days after they happened), plus
    every event of visitors who identified and of people who became known in that window (web and
    e-mail), so stitching applies to their earlier events, and of visitors whose stored events name
    another person than stitching now does (visitors_stitched_elsewhere); CRM activities changed in
    that window, and every activity-person pair the table does not hold yet (a contact created or merged after the
    activity was logged, an activity newly associated with a contact it was not linked to). Pairs the
    CRM no longer has are deleted; they, and the web events that moved to another person, are logged
    first in int_engagement__links_removed, so the people who lost them are scored again. -#}
{%- if is_incremental() -%}
{#- Both as constants read before the model runs (constant_from_query): a filter on a constant is
    applied while scanning the table; on a scalar subquery, after every row has been read. -#}
{%- set cutoff = window_start_constant('loaded_at') -%}
{#- Staging rows written since this table's last run: also the events loaded days after they happened. -#}
{%- set last_run = constant_from_query('select max(_processed_at) from ' ~ this, dbt.type_timestamp()) -%}
{%- endif %}
{#- Incrementally, each source is read in two parts: its rows in the window (rows_in_window: filters on
    its own columns, which the engines apply while scanning), and the rows of the few people who became
    known in the window. One condition over both tables' columns made the engines join every row first. -#}
{%- set web_columns -%}
        {{ dbt.concat(["'web:'", "events.event_id"]) }} as engagement_event_id,
        stitched.person_id,
        case when events.event_type = 'page' then 'web_page' else 'web_track' end as source,
        events.event_id as source_event_id,
        events.occurred_at,
        case when events.event_type = 'page' then events.page_path else events.event_name end as match_text,
        events.page_url as url,
        events.anonymous_id,
        events.received_at as loaded_at
{%- endset -%}
{#- Each source's window, stated once: the filter rows_in_window reads it by, and the condition that
    keeps the second part from reading those rows again. -#}
{%- set web_in_window = "received_at >= " ~ cutoff if is_incremental() else none -%}
{%- set web_event_in_window = "(events." ~ web_in_window ~ " or events._processed_at > " ~ last_run ~ ")" if is_incremental() else none -%}
{%- set email_columns -%}
        {{ dbt.concat(["'email:'", "events.event_id"]) }} as engagement_event_id,
        persons.person_id,
        'email' as source,
        events.event_id as source_event_id,
        events.occurred_at,
        events.event_type as match_text,
        events.url,
        cast(null as {{ dbt.type_string() }}) as anonymous_id,
        events.occurred_at as loaded_at
{%- endset -%}
{%- set email_in_window = "occurred_at >= " ~ cutoff if is_incremental() else none -%}
{%- set email_event_in_window = "(events." ~ email_in_window ~ " or events._processed_at > " ~ last_run ~ ")" if is_incremental() else none %}
with
{% if is_incremental() -%}
visitors_to_reread as materialized (
    -- visitors who identified in the window (retroactive stitching), and visitors whose stored events
    -- name another person than stitching does now: every event of theirs is read again. Worked out
    -- first (about 1,500 of 99k visitors at 100k contacts), so staging is joined to these alone: as one
    -- condition of the join below, every event was joined to its visitor before the condition was tested.
    select anonymous_id
    from {{ ref('int_people__identity_stitched') }}
    where identified_received_at >= {{ cutoff }} or identified_processed_at > {{ last_run }}
    union
    {{ visitors_stitched_elsewhere(this) }}
),

{% endif -%}
web as {{ streamed_on_full_build() }}(
    select
        {{ web_columns }}
    {%- if is_incremental() %}
    from ({{ rows_in_window(ref('stg_web__events'), web_in_window, '_processed_at', last_run) }}) as events
    {%- else %}
    from {{ ref('stg_web__events') }} as events
    {%- endif %}
    inner join {{ ref('int_people__identity_stitched') }} as stitched
        on stitched.anonymous_id = events.anonymous_id
    where events.event_type in ('page', 'track')
    {% if is_incremental() %}

    union all

    -- every earlier event of the visitors who identified in the window (retroactive stitching) or
    -- now stitch to another person
    select
        {{ web_columns }}
    from visitors_to_reread
    inner join {{ ref('int_people__identity_stitched') }} as stitched
        on stitched.anonymous_id = visitors_to_reread.anonymous_id
    inner join {{ ref('stg_web__events') }} as events
        on events.anonymous_id = stitched.anonymous_id
    where events.event_type in ('page', 'track')
      and not coalesce({{ web_event_in_window }}, false)
    {% endif %}
),

email as {{ streamed_on_full_build() }}(
    select
        {{ email_columns }}
    {%- if is_incremental() %}
    from ({{ rows_in_window(ref('stg_email__events'), email_in_window, '_processed_at', last_run) }}) as events
    {%- else %}
    from {{ ref('stg_email__events') }} as events
    {%- endif %}
    inner join {{ ref('int_people__persons') }} as persons
        on persons.email = events.email
    {% if is_incremental() %}

    union all

    -- every earlier e-mail event of the people who became known in the window
    select
        {{ email_columns }}
    from {{ ref('int_people__persons') }} as persons
    inner join {{ ref('stg_email__events') }} as events
        on events.email = persons.email
    where persons.known_since >= {{ cutoff }}
      and not coalesce({{ email_event_in_window }}, false)
    {% endif %}
),

crm as {{ streamed_on_full_build() }}(
    select
        links.engagement_event_id,
        links.person_id,
        'crm' as source,
        links.engagement_id as source_event_id,
        links.occurred_at,
        links.engagement_detail as match_text,
        cast(null as {{ dbt.type_string() }}) as url,
        cast(null as {{ dbt.type_string() }}) as anonymous_id,
        links.updated_at as loaded_at
    from {{ ref('int_engagement__crm_activity_links') }} as links
    {% if is_incremental() %}
    left join (select engagement_event_id from {{ this }} where source = 'crm') as stored
        on stored.engagement_event_id = links.engagement_event_id
    -- changed activities, and every activity-person pair not stored yet: the activity of a person who
    -- became known later (a contact created after activities were logged against it, a merge), or a
    -- link added to an old activity and an old contact (neither one's own time says so)
    where links.updated_at >= {{ cutoff }} or stored.engagement_event_id is null
    {% endif %}
),

-- On a full build the four CTEs above stream (`streamed_on_full_build`): `unioned` is read twice
-- (its texts, then its rows), and materialising it held all 4.9M rows (2.4 GB at 100k contacts) in
-- memory beside the models built alongside; reading the staging tables twice costs less than that.
unioned as {{ streamed_on_full_build() }}(
    select * from web
    union all
    select * from email
    union all
    select * from crm
),

-- The contract's kind of each distinct (source, text): page paths and event names are few, so the
-- first-matching-pattern rule runs on those, not on every event.
text_kinds as (
    select source, match_text, event_kind
    from (
        select
            texts.source,
            texts.match_text,
            mappings.event_kind,
            row_number() over (
                partition by texts.source, texts.match_text order by mappings.mapping_order
            ) as mapping_rank
        from (select distinct source, match_text from unioned) as texts
        inner join {{ ref('contract_event_kinds') }} as mappings
            on mappings.source = texts.source
           and lower(texts.match_text) like lower(mappings.pattern)
    ) as ranked
    where mapping_rank = 1
),

kinds as (
    select unioned.*, text_kinds.event_kind
    from unioned
    inner join text_kinds
        on text_kinds.source = unioned.source
       and text_kinds.match_text = unioned.match_text
)

select
    engagement_event_id,
    person_id,
    source,
    source_event_id,
    event_kind,
    match_text,
    url,
    anonymous_id,
    occurred_at,
    cast(occurred_at as date) as event_date,
    loaded_at,
    {{ run_started_timestamp() }} as _processed_at
from kinds
