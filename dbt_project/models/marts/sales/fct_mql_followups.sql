{#- One row per MQL hand-off (per mql_event_id): who got the lead, when it was assigned and accepted,
    the owner's first sales touch and the touches of the cadence window against the contract's SLA.
    A hand-off lasts until the person's next MQL event; nothing after the run date counts. The owner
    is the contact's owner at the MQL (assigned_at = mql_at), else the first one assigned afterwards,
    else (no owner history in the CRM) the contact's current owner with an unknown assigned_at. -#}
with as_of as (
    select as_of_at from {{ ref('int_lifecycle__as_of') }}
),

mqls as (
    select
        mql.mql_event_id,
        mql.person_id,
        mql.mql_sequence,
        mql.mql_at,
        coalesce(
            lead(mql.mql_at) over (partition by mql.person_id order by mql.mql_at, mql.mql_event_id),
            as_of.as_of_at
        ) as window_end_at,
        as_of.as_of_at
    from {{ ref('fct_mql_events') }} as mql
    cross join as_of
    where mql.mql_at is not null
),

owner_changes as (
    select person_id, value as owner_id, changed_at
    from {{ ref('int_lifecycle__contact_changes') }}
    where property = 'hubspot_owner_id'
),

owner_before as (
    {#- The owner already on the contact when it became MQL: the hand-off to them is immediate. -#}
    select
        mqls.mql_event_id,
        owner_changes.owner_id,
        row_number() over (
            partition by mqls.mql_event_id order by owner_changes.changed_at desc, owner_changes.owner_id
        ) as change_rank
    from mqls
    inner join owner_changes
        on owner_changes.person_id = mqls.person_id
       and owner_changes.changed_at <= mqls.mql_at
),

owner_after as (
    select
        mqls.mql_event_id,
        owner_changes.owner_id,
        owner_changes.changed_at,
        row_number() over (
            partition by mqls.mql_event_id order by owner_changes.changed_at, owner_changes.owner_id
        ) as change_rank
    from mqls
    inner join owner_changes
        on owner_changes.person_id = mqls.person_id
       and owner_changes.changed_at > mqls.mql_at
       and owner_changes.changed_at < mqls.window_end_at
       and owner_changes.changed_at <= mqls.as_of_at
       and owner_changes.owner_id is not null
),

assigned as (
    select
        mqls.*,
        coalesce(before.owner_id, after.owner_id, persons.owner_id) as owner_id,
        case when before.owner_id is not null then mqls.mql_at else after.changed_at end as assigned_at
    from mqls
    left join {{ ref('int_people__persons') }} as persons
        on persons.person_id = mqls.person_id
    left join owner_before as before
        on before.mql_event_id = mqls.mql_event_id and before.change_rank = 1
    left join owner_after as after
        on after.mql_event_id = mqls.mql_event_id and after.change_rank = 1
),

status_updates as (
    select
        assigned.mql_event_id,
        min(case when changes.lead_status_meaning = 'accepted' then changes.changed_at end) as accepted_at,
        min(changes.changed_at) as status_updated_at,
        min(case when changes.lead_status_meaning in ('rejected', 'recycled') then changes.changed_at end)
            as released_at
    from assigned
    inner join {{ ref('int_lifecycle__contact_changes') }} as changes
        on changes.person_id = assigned.person_id
       and changes.property = 'hs_lead_status'
       and changes.lead_status_meaning in ('accepted', 'rejected', 'recycled')
       and changes.changed_at >= assigned.mql_at
       and changes.changed_at < assigned.window_end_at
       and changes.changed_at <= assigned.as_of_at
    group by assigned.mql_event_id
),

owner_touches as (
    select
        assigned.mql_event_id,
        touches.touch_type,
        touches.touched_at,
        row_number() over (
            partition by assigned.mql_event_id order by touches.touched_at, touches.touch_type, touches.engagement_id
        ) as touch_rank,
        {{ funnel_ms_between('assigned.mql_at', 'touches.touched_at') }}
            < {{ contract_setting('cadence_days', 'integer') }} * cast(86400000 as bigint) as is_in_cadence_window
    from assigned
    inner join {{ ref('int_lifecycle__sales_touches') }} as touches
        on touches.person_id = assigned.person_id
       and touches.owner_id = assigned.owner_id
       and touches.touched_at >= assigned.mql_at
       and touches.touched_at < assigned.window_end_at
       and touches.touched_at <= assigned.as_of_at
),

touch_summary as (
    select
        mql_event_id,
        min(case when touch_rank = 1 then touched_at end) as first_touch_at,
        min(case when touch_rank = 1 then touch_type end) as first_touch_type,
        sum(case when is_in_cadence_window and touch_type = 'call' then 1 else 0 end) as calls_14d,
        sum(case when is_in_cadence_window and touch_type = 'email' then 1 else 0 end) as emails_14d,
        sum(case when is_in_cadence_window and touch_type = 'meeting' then 1 else 0 end) as meetings_14d
    from owner_touches
    group by mql_event_id
),

measured as (
    select
        assigned.mql_event_id,
        assigned.person_id,
        assigned.mql_sequence,
        assigned.owner_id,
        assigned.mql_at,
        assigned.assigned_at,
        status_updates.accepted_at,
        status_updates.status_updated_at,
        status_updates.released_at,
        touch_summary.first_touch_at,
        touch_summary.first_touch_type,
        {{ funnel_minutes_between('assigned.mql_at', 'touch_summary.first_touch_at') }} as response_minutes,
        cast(coalesce(touch_summary.calls_14d, 0) as integer) as calls_14d,
        cast(coalesce(touch_summary.emails_14d, 0) as integer) as emails_14d,
        cast(coalesce(touch_summary.meetings_14d, 0) as integer) as meetings_14d,
        {{ funnel_ms_between('assigned.mql_at', 'assigned.as_of_at') }}
            >= {{ contract_setting('cadence_days', 'integer') }} * cast(86400000 as bigint) as is_cadence_window_closed
    from assigned
    left join status_updates on status_updates.mql_event_id = assigned.mql_event_id
    left join touch_summary on touch_summary.mql_event_id = assigned.mql_event_id
),

judged as (
    select
        measured.*,
        coalesce(response_minutes <= {{ contract_setting('response_minutes_target', 'integer') }}, false)
            as within_30_minutes,
        coalesce(response_minutes <= {{ contract_setting('response_minutes_max', 'integer') }}, false)
            as within_1_day,
        calls_14d >= {{ contract_setting('cadence_calls', 'integer') }}
            and emails_14d >= {{ contract_setting('cadence_emails', 'integer') }} as meets_cadence,
        first_touch_at is null as is_untreated
    from measured
)

select
    judged.mql_event_id,
    judged.person_id,
    judged.mql_sequence,
    judged.owner_id,
    owners.owner_name,
    judged.mql_at,
    judged.assigned_at,
    judged.accepted_at,
    judged.first_touch_at,
    judged.first_touch_type,
    judged.response_minutes,
    judged.within_30_minutes,
    judged.within_1_day,
    judged.calls_14d,
    judged.emails_14d,
    judged.meetings_14d,
    judged.is_cadence_window_closed,
    judged.meets_cadence,
    nullif(concat_ws('; ',
        case when judged.owner_id is null then 'no owner assigned' end,
        case when judged.is_untreated then 'no sales touch yet' end,
        case when not judged.within_30_minutes and judged.response_minutes is not null then
            {{ dbt.concat(["'first touch after '", dbt.safe_cast("judged.response_minutes", dbt.type_string()),
                           "' minutes (target '", dbt.safe_cast(contract_setting('response_minutes_target', 'integer'), dbt.type_string()), "')'"]) }}
        end,
        case when not judged.within_1_day and judged.response_minutes is not null then
            {{ dbt.concat(["'first touch beyond the '", dbt.safe_cast(contract_setting('response_minutes_max', 'integer'), dbt.type_string()), "' minute maximum'"]) }}
        end,
        case when judged.is_cadence_window_closed and not judged.meets_cadence and judged.released_at is null then
            {{ dbt.concat(["'cadence: '",
                           dbt.safe_cast("judged.calls_14d", dbt.type_string()), "'/'",
                           dbt.safe_cast(contract_setting('cadence_calls', 'integer'), dbt.type_string()), "' calls, '",
                           dbt.safe_cast("judged.emails_14d", dbt.type_string()), "'/'",
                           dbt.safe_cast(contract_setting('cadence_emails', 'integer'), dbt.type_string()), "' e-mails in '",
                           dbt.safe_cast(contract_setting('cadence_days', 'integer'), dbt.type_string()), "' days'"]) }}
        end,
        case when judged.status_updated_at is null and judged.is_cadence_window_closed then 'lead status never updated' end
    ), '') as breach_reasons,
    judged.is_untreated
from judged
left join {{ ref('stg_hubspot__owners') }} as owners
    on owners.owner_id = judged.owner_id
