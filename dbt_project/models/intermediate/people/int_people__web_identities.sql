{#- One row per identified web user: the e-mail address their identify calls carried (the latest one
    wins) and when they first identified. That e-mail ties the web user to the CRM contact. -#}
-- Two small steps instead of ranking every event of every web user: the e-mail comes from the
-- events that carry one (identify calls), the first-identified times from a plain aggregate.
with emails as (
    select
        user_id,
        traits_email,
        row_number() over (partition by user_id order by occurred_at desc, event_id desc) as email_rank
    from {{ ref('stg_web__events') }}
    where user_id is not null
      and traits_email is not null
),

first_seen as (
    select
        user_id,
        min(occurred_at) as first_identified_at,
        min(received_at) as first_identified_received_at
    from {{ ref('stg_web__events') }}
    where user_id is not null
    group by user_id
)

select
    first_seen.user_id,
    emails.traits_email as email,
    first_seen.first_identified_at,
    first_seen.first_identified_received_at
from first_seen
left join emails
    on emails.user_id = first_seen.user_id
   and emails.email_rank = 1
