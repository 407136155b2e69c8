{#- One row per person: where they stand now (for dim_leads). Current status and since when; the next
    action (the earliest open CRM task on the person, or the next step of an open deal they are on)
    and whether it is overdue at the run date; untreated: the latest MQL hand-off has had no sales
    touch by the owner and the person is still MQL or SAL. -#}
with as_of as (
    select as_of_at from {{ ref('int_lifecycle__as_of') }}
),

current_spell as (
    select person_id, status, valid_from
    from {{ ref('fct_lead_status_history') }}
    where is_current
),

open_tasks as (
    select
        contact_persons.person_id,
        {{ dbt.concat(["'task: '", "coalesce(tasks.title, '(untitled)')"]) }} as next_action,
        tasks.occurred_at as next_action_at,
        {{ dbt.concat(["'task:'", "tasks.engagement_id"]) }} as action_ref
    from {{ ref('stg_hubspot__engagements') }} as tasks
    inner join {{ ref('stg_hubspot__associations') }} as associations
        on associations.from_object_type = 'tasks'
       and associations.from_object_id = tasks.engagement_id
       and associations.to_object_type = 'contacts'
    inner join {{ ref('int_people__contact_persons') }} as contact_persons
        on contact_persons.contact_id = associations.to_object_id
    where tasks.engagement_type = 'task'
      and not tasks.is_deleted
      and coalesce(tasks.status, '') <> 'COMPLETED'
),

open_deal_steps as (
    select
        person_deals.person_id,
        {{ dbt.concat(["'deal: '", "coalesce(deals.next_step, '(next activity)')"]) }} as next_action,
        deals.next_activity_at as next_action_at,
        {{ dbt.concat(["'deal:'", "deals.deal_id"]) }} as action_ref
    from {{ ref('stg_hubspot__deals') }} as deals
    inner join {{ ref('int_lifecycle__person_deals') }} as person_deals
        on person_deals.deal_id = deals.deal_id
    inner join {{ ref('contract_stage_standards') }} as standards
        on standards.deal_stage = deals.deal_stage
    where not deals.is_deleted
      and standards.is_closed = 0
      and (deals.next_step is not null or deals.next_activity_at is not null)
),

next_actions as (
    select
        person_id,
        next_action,
        next_action_at,
        row_number() over (
            partition by person_id
            order by case when next_action_at is null then 1 else 0 end, next_action_at, action_ref
        ) as action_rank
    from (
        select * from open_tasks
        union all
        select * from open_deal_steps
    ) as candidates
),

latest_followup as (
    select
        person_id,
        is_untreated,
        row_number() over (partition by person_id order by mql_at desc, mql_event_id desc) as followup_rank
    from {{ ref('fct_mql_followups') }}
)

select
    current_spell.person_id,
    current_spell.status as current_status,
    current_spell.valid_from as current_status_since,
    {{ funnel_days_between('current_spell.valid_from', 'as_of.as_of_at') }} as days_in_current_status,
    next_actions.next_action,
    next_actions.next_action_at,
    coalesce(next_actions.next_action_at < as_of.as_of_at, false) as is_next_action_overdue,
    next_actions.next_action is null
        and current_spell.status in ('Inquiry', 'MQL', 'SAL', 'SQL') as is_missing_next_action,
    coalesce(latest_followup.is_untreated and current_spell.status in ('MQL', 'SAL'), false) as is_untreated
from current_spell
cross join as_of
left join next_actions
    on next_actions.person_id = current_spell.person_id and next_actions.action_rank = 1
left join latest_followup
    on latest_followup.person_id = current_spell.person_id and latest_followup.followup_rank = 1
