{#- One row per link between two CRM objects, listed from both sides whichever side the raw layer stored
    (HubSpot returns associations on both objects; ingestion may keep one), so a model can look links up
    from either object. `association_type` is the CRM's type of the link as stored. -#}
with stored as (
    select
        lower(from_object_type) as from_object_type,
        cast(from_object_id as {{ dbt.type_string() }}) as from_object_id,
        lower(to_object_type) as to_object_type,
        cast(to_object_id as {{ dbt.type_string() }}) as to_object_id,
        lower(association_type) as association_type
    from {{ source_or_empty('raw_hubspot', 'associations', 'associations') }}
),

both_sides as (
    select from_object_type, from_object_id, to_object_type, to_object_id, association_type from stored
    union all
    select to_object_type, to_object_id, from_object_type, from_object_id, association_type from stored
)

select
    from_object_type,
    from_object_id,
    to_object_type,
    to_object_id,
    min(association_type) as association_type
from both_sides
group by from_object_type, from_object_id, to_object_type, to_object_id
