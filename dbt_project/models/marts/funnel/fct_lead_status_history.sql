{#- The demand waterfall as a state machine: one row per person per status spell. A cycle runs from a
    person's entry to its exit (Rejected, Recycled, Won, Lost, No decision); within a cycle, an
    Inquiry, MQL or accepted lead status arriving once the person already reached SAL or beyond only
    restates progress (the rep sets OPEN_DEAL after creating the deal; a lead being worked re-crosses
    the score threshold) and changes nothing. Consecutive events with the same status are one spell;
    a spell ends when the next one starts. Skipped stages and backward moves are flagged, never hidden. -#}
with events as (
    select
        *,
        {{ funnel_status_case('status', 'ladder_rank') }} as event_ladder_rank,
        case when {{ funnel_status_case('status', 'is_exit') }} then 1 else 0 end as is_exit
    from {{ ref('int_lead_status__events') }}
),

cycles as (
    select
        *,
        coalesce(sum(is_exit) over (
            partition by person_id order by event_sequence rows between unbounded preceding and 1 preceding
        ), 0) as cycle_number
    from events
),

progress as (
    select
        *,
        max(event_ladder_rank) over (
            partition by person_id, cycle_number order by event_sequence
            rows between unbounded preceding and 1 preceding
        ) as cycle_rank_before
    from cycles
),

changes as (
    select *
    from progress
    where not (status in ('Inquiry', 'MQL', 'SAL') and coalesce(cycle_rank_before, 0) >= {{ funnel_status_case("'SAL'", 'ladder_rank') }})
),

ordered as (
    select
        *,
        lag(status) over (partition by person_id order by event_sequence) as previous_event_status
    from changes
),

spells as (
    select
        person_id,
        status,
        event_at as valid_from,
        event_source,
        source_ref,
        row_number() over (partition by person_id order by event_sequence) as spell_sequence,
        lag(status) over (partition by person_id order by event_sequence) as previous_status,
        lead(event_at) over (partition by person_id order by event_sequence) as valid_to
    from ordered
    where previous_event_status is null
       or previous_event_status <> status
),

ranked as (
    select
        spells.*,
        {{ funnel_status_case('status', 'ladder_rank') }} as ladder_rank,
        {{ funnel_status_case('previous_status', 'ladder_rank') }} as previous_ladder_rank
    from spells
)

select
    {{ dbt.concat(["person_id", "':'", dbt.safe_cast("spell_sequence", dbt.type_string())]) }} as spell_id,
    person_id,
    spell_sequence,
    status,
    previous_status,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    {{ funnel_days_between('valid_from', 'coalesce(valid_to, ' ~ funnel_as_of() ~ ')') }} as days_in_status,
    event_source,
    source_ref,
    coalesce(
        previous_status is not null
        and ladder_rank is not null
        and ladder_rank > coalesce(previous_ladder_rank, 0) + 1,
        false
    ) as is_skipped_stage,
    coalesce(ladder_rank < previous_ladder_rank, false) as is_backward_move
from ranked
