{{ config(
    materialized='incremental',
    unique_key='anonymous_id',
    incremental_strategy='delete+insert'
) }}
{#- One row per anonymous web visitor who identified: which web user and which person they are.
    Applied to every event of that anonymousId, also the ones before identification (retroactive
    stitching). A browser shared by two users keeps its first user. Never-identified visitors are not
    people and have no row here.
    Incremental: the first user is worked out again only for the visitors with identified events that
    staging wrote since the identifications this table holds (new visitors, and identify calls loaded
    late, which may come first); every stored visitor whose user's e-mail (so person) changed is
    rewritten with it. The table was rebuilt from all 3.3M identified events every run (100k
    contacts), on the incremental build's critical path. -#}
{%- if is_incremental() %}
{#- Staging's stamps only grow: every row it wrote since this table's last run is newer than the
    newest stamp of an identification stored here (older rows may be read again: never fewer). -#}
{%- set newest_stored_identification = constant_from_query(
    'select max(identified_processed_at) from ' ~ this, dbt.type_timestamp()) %}
{%- endif %}
-- A visitor's first event with a user (earliest occurred_at, then event_id) found by two aggregates
-- and joins instead of a window ranking all of their events: several times faster at 10M events.
with
{% if is_incremental() -%}
visitors_to_reread as (
    select distinct anonymous_id
    from {{ ref('stg_web__events') }}
    where _processed_at > coalesce({{ newest_stored_identification }}, cast('1900-01-01' as {{ dbt.type_timestamp() }}))
      and anonymous_id is not null
      and user_id is not null
),

{% endif -%}
identified_events as (
    select anonymous_id, user_id, occurred_at, received_at, _processed_at, event_id
    from {{ ref('stg_web__events') }}
    where anonymous_id is not null
      and user_id is not null
      {%- if is_incremental() %}
      and anonymous_id in (select anonymous_id from visitors_to_reread)
      {%- endif %}
),

first_moments as (
    select anonymous_id, min(occurred_at) as identified_at
    from identified_events
    group by anonymous_id
),

first_events as (
    select identified_events.anonymous_id, min(identified_events.event_id) as event_id
    from identified_events
    inner join first_moments
        on first_moments.anonymous_id = identified_events.anonymous_id
       and first_moments.identified_at = identified_events.occurred_at
    group by identified_events.anonymous_id
),

first_user as (
    select
        identified_events.anonymous_id,
        identified_events.user_id,
        identified_events.occurred_at as identified_at,
        identified_events.received_at as identified_received_at,
        identified_events._processed_at as identified_processed_at,
        1 as is_reread
    from identified_events
    inner join first_events
        on first_events.anonymous_id = identified_events.anonymous_id
       and first_events.event_id = identified_events.event_id
    {%- if is_incremental() %}
    union all
    -- the other stored visitors keep their first user; their person follows the user's e-mail
    select anonymous_id, user_id, identified_at, identified_received_at, identified_processed_at, 0 as is_reread
    from {{ this }}
    where anonymous_id not in (select anonymous_id from visitors_to_reread)
    {%- endif %}
),

stitched as (
    select
        first_user.*,
        identities.email,
        {{ person_key('identities.email', 'first_user.user_id', 'cast(null as ' ~ dbt.type_string() ~ ')') }} as person_id
    from first_user
    inner join {{ ref('int_people__web_identities') }} as identities
        on identities.user_id = first_user.user_id
)

select
    stitched.anonymous_id,
    stitched.user_id,
    stitched.identified_at,
    stitched.identified_received_at,
    stitched.identified_processed_at,
    stitched.email,
    stitched.person_id
from stitched
{%- if is_incremental() %}
left join {{ this }} as stored
    on stored.anonymous_id = stitched.anonymous_id
where stitched.is_reread = 1
   or stored.email is distinct from stitched.email
   or stored.person_id is distinct from stitched.person_id
{%- endif %}
