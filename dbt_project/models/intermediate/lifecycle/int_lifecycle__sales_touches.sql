{#- One row per (sales touch, person): a call placed, an e-mail sent or a meeting held by a rep
    (HubSpot's outbound directions; canceled meetings and inbound calls or replies are the lead's
    moves, not the rep's), attached to people through the engagement-to-contact associations. The SLA
    response time and the cadence count these. -#}
with engagements as (
    select
        engagement_id,
        engagement_type,
        case engagement_type when 'call' then 'calls' when 'email' then 'emails' when 'meeting' then 'meetings' end
            as object_type,
        occurred_at,
        owner_id
    from {{ ref('stg_hubspot__engagements') }}
    where not is_deleted
      and occurred_at is not null
      and (
          (engagement_type = 'call' and direction = 'OUTBOUND')
          or (engagement_type = 'email' and direction = 'EMAIL')
          or (engagement_type = 'meeting' and coalesce(status, '') <> 'CANCELED')
      )
)

select distinct
    engagements.engagement_id,
    engagements.engagement_type as touch_type,
    contact_persons.person_id,
    engagements.owner_id,
    engagements.occurred_at as touched_at
from engagements
inner join {{ ref('stg_hubspot__associations') }} as associations
    on associations.from_object_type = engagements.object_type
   and associations.from_object_id = engagements.engagement_id
   and associations.to_object_type = 'contacts'
inner join {{ ref('int_people__contact_persons') }} as contact_persons
    on contact_persons.contact_id = associations.to_object_id
