{#- One row per inquiry: a moment a person asked to enter the sales cycle (demo request, contact-sales
    form, inbound call: the contract's `engagement.inquiry_event_kinds`, see `funnel_inquiry_event_kinds`).
    Web track events are mapped to event kinds by the contract (`contract_event_kinds`, source web_track)
    and attached to people by identity stitching, so a request made before the visitor identified still
    counts. -#}
with web_inquiries as (
    select
        {{ dbt.concat(["'web:'", "events.event_id"]) }} as inquiry_id,
        stitched.person_id,
        kinds.event_kind,
        events.occurred_at as inquired_at
    from {{ ref('stg_web__events') }} as events
    inner join {{ ref('contract_event_kinds') }} as kinds
        on kinds.source = 'web_track'
       and kinds.pattern = events.event_name
    inner join {{ ref('int_people__identity_stitched') }} as stitched
        on stitched.anonymous_id = events.anonymous_id
    where events.event_type = 'track'
      and kinds.event_kind in {{ funnel_inquiry_event_kinds() }}
),

crm_inquiries as (
    select
        {{ dbt.concat(["'crm:'", "engagements.engagement_type", "':'", "engagements.engagement_id"]) }} as inquiry_id,
        contact_persons.person_id,
        kinds.event_kind,
        engagements.occurred_at as inquired_at
    from {{ ref('stg_hubspot__engagements') }} as engagements
    inner join {{ ref('contract_event_kinds') }} as kinds
        on kinds.source = 'crm'
       and kinds.pattern = engagements.engagement_detail
    inner join {{ ref('stg_hubspot__associations') }} as associations
        on associations.from_object_id = engagements.engagement_id
       and associations.from_object_type = {{ dbt.concat(["engagements.engagement_type", "'s'"]) }}
       and associations.to_object_type = 'contacts'
    inner join {{ ref('int_people__contact_persons') }} as contact_persons
        on contact_persons.contact_id = associations.to_object_id
    where not engagements.is_deleted
      and engagements.occurred_at is not null
      and kinds.event_kind in {{ funnel_inquiry_event_kinds() }}
)

select distinct inquiry_id, person_id, event_kind, inquired_at from web_inquiries
union all
select distinct inquiry_id, person_id, event_kind, inquired_at from crm_inquiries
