{#- Every event that puts a person into a lifecycle status, one row each, with its timestamp and a
    deterministic order (`event_sequence`): by time, then the funnel's tie order (at one instant the
    later stage wins), then the event id. Sources: first capture (Suspect), requests for sales
    (Inquiry), MQL crossings (W1's fct_mql_events, re-MQLs included), the rep's lead status read
    through the contract (accepted: SAL, rejected: Rejected, recycled: Recycled), deals created (SQL)
    and deals closed (the contract's stage outcome: Won / Lost / No decision). Nothing after the run
    date (int_lifecycle__as_of) counts, so a past `as_of` rebuilds the statuses as they were then. -#}
with changes as (
    select
        {{ dbt.concat(["'inquiry:'", "inquiry_id"]) }} as status_event_id,
        person_id,
        'Inquiry' as status,
        inquired_at as event_at,
        'inquiry' as event_source,
        inquiry_id as source_ref
    from {{ ref('int_lifecycle__inquiries') }}

    union all

    select
        {{ dbt.concat(["'mql:'", "mql_event_id"]) }},
        person_id,
        'MQL',
        mql_at,
        'mql_event',
        mql_event_id
    from {{ ref('fct_mql_events') }}
    where mql_at is not null

    union all

    select
        {{ dbt.concat(["'lead_status:'", "contact_id", "':'", "value", "':'", dbt.safe_cast("changed_at", dbt.type_string())]) }},
        person_id,
        case lead_status_meaning when 'accepted' then 'SAL' when 'rejected' then 'Rejected' when 'recycled' then 'Recycled' end,
        changed_at,
        'lead_status',
        value
    from {{ ref('int_lifecycle__contact_changes') }}
    where property = 'hs_lead_status'
      and lead_status_meaning in ('accepted', 'rejected', 'recycled')

    union all

    select
        {{ dbt.concat(["'deal_created:'", "deal_id"]) }},
        person_id,
        'SQL',
        deal_created_at,
        'deal_created',
        deal_id
    from {{ ref('int_lifecycle__person_deals') }}
    where deal_created_at is not null

    union all

    select
        {{ dbt.concat(["'deal_closed:'", "person_deals.deal_id", "':'", "stages.deal_stage"]) }},
        person_deals.person_id,
        {{ funnel_outcome_status('standards.outcome') }},
        min(stages.changed_at),
        'deal_closed',
        person_deals.deal_id
    from {{ ref('stg_hubspot__deal_stage_history') }} as stages
    inner join {{ ref('contract_stage_standards') }} as standards
        on standards.deal_stage = stages.deal_stage
    inner join {{ ref('int_lifecycle__person_deals') }} as person_deals
        on person_deals.deal_id = stages.deal_id
    where standards.is_closed = 1
      and stages.changed_at is not null
    group by person_deals.deal_id, person_deals.person_id, stages.deal_stage, standards.outcome
),

captured as (
    {#- Suspect: when the person was first known (contact created or visitor identified), or their
        first status event if that came earlier, so every history starts at Suspect. -#}
    select person_id, min(at_) as event_at
    from (
        select person_id, known_since as at_ from {{ ref('int_people__persons') }}
        union all
        select person_id, event_at from changes
    ) as moments
    group by person_id
),

events as (
    select * from changes
    union all
    select
        {{ dbt.concat(["'suspect:'", "person_id"]) }},
        person_id,
        'Suspect',
        coalesce(event_at, {{ funnel_as_of() }}),
        'captured',
        person_id
    from captured
)

select
    status_event_id,
    person_id,
    status,
    event_at,
    event_source,
    source_ref,
    {{ funnel_status_case('status', 'tie_order') }} as tie_order,
    row_number() over (
        partition by person_id
        order by event_at, {{ funnel_status_case('status', 'tie_order') }}, status_event_id
    ) as event_sequence
from events
where status is not null
  and event_at <= {{ funnel_as_of() }}
