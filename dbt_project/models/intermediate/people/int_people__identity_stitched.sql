{#- One row per anonymous web visitor who identified: which web user and which person they are.
    Applied to every event of that anonymousId, also the ones before identification (retroactive
    stitching). A browser shared by two users keeps its first user. Never-identified visitors are not
    people and have no row here. -#}
with first_user as (
    select
        anonymous_id,
        user_id,
        occurred_at as identified_at,
        received_at as identified_received_at,
        row_number() over (partition by anonymous_id order by occurred_at, event_id) as user_rank
    from {{ ref('stg_web__events') }}
    where anonymous_id is not null
      and user_id is not null
)

select
    first_user.anonymous_id,
    first_user.user_id,
    first_user.identified_at,
    first_user.identified_received_at,
    identities.email,
    {{ person_key('identities.email', 'first_user.user_id', 'cast(null as ' ~ dbt.type_string() ~ ')') }} as person_id
from first_user
inner join {{ ref('int_people__web_identities') }} as identities
    on identities.user_id = first_user.user_id
where first_user.user_rank = 1
