{#- One row per identified web user: the e-mail address their identify calls carried (the latest one
    wins) and when they first identified. That e-mail ties the web user to the CRM contact. -#}
with identified as (
    select
        user_id,
        traits_email,
        occurred_at,
        received_at,
        event_id,
        row_number() over (
            partition by user_id
            order by case when traits_email is null then 1 else 0 end, occurred_at desc, event_id desc
        ) as email_rank
    from {{ ref('stg_web__events') }}
    where user_id is not null
)

select
    user_id,
    max(case when email_rank = 1 then traits_email end) as email,
    min(occurred_at) as first_identified_at,
    min(received_at) as first_identified_received_at
from identified
group by user_id
