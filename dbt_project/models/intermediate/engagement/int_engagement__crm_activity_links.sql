{#- One row per CRM activity (call, e-mail, meeting, task) and person it is associated with, as the CRM
    stands now: the activity is not deleted and has a time, the contact is not deleted. The engagement
    stream's CRM part, and what int_engagement__links_removed compares the stream with. -#}
with links as (
    select distinct
        associations.from_object_id as engagement_id,
        contact_persons.person_id
    from {{ ref('stg_hubspot__associations') }} as associations
    inner join {{ ref('int_people__contact_persons') }} as contact_persons
        on contact_persons.contact_id = associations.to_object_id
    where associations.from_object_type in ('calls', 'emails', 'meetings', 'tasks')
      and associations.to_object_type = 'contacts'
)

select
    {{ dbt.concat(["'crm:'", "engagements.engagement_type", "':'", "engagements.engagement_id", "':'", "links.person_id"]) }}
        as engagement_event_id,
    links.person_id,
    engagements.engagement_id,
    engagements.occurred_at,
    engagements.engagement_detail,
    engagements.updated_at
from {{ ref('stg_hubspot__engagements') }} as engagements
inner join links
    on links.engagement_id = engagements.engagement_id
where not engagements.is_deleted
  and engagements.occurred_at is not null
