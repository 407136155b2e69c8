{#- Helpers of the lifecycle, funnel, SLA and pipeline marts. Each one renders the same SQL meaning on
    DuckDB and PostgreSQL, so both warehouses give identical marts. -#}

{#- Arithmetic that gives the same digits on both engines. DuckDB divides decimals in floating point
    while PostgreSQL divides numerics exactly, and they round halves differently, so durations are
    exact integer milliseconds and every quotient is one IEEE double division (identical on both),
    rounded half up by floor(x + 0.5) and scaled back with an exact decimal multiplication. -#}

{#- Milliseconds since the epoch of a naive UTC timestamp, as a bigint. -#}
{% macro funnel_epoch_ms(ts) -%}{{ return(adapter.dispatch('funnel_epoch_ms', 'funnelhouse')(ts)) }}{%- endmacro %}
{% macro duckdb__funnel_epoch_ms(ts) -%}epoch_ms({{ ts }}){%- endmacro %}
{% macro default__funnel_epoch_ms(ts) -%}cast(floor(extract(epoch from {{ ts }}) * 1000) as bigint){%- endmacro %}

{#- Milliseconds from one timestamp to another (exact). -#}
{% macro funnel_ms_between(start_expr, end_expr) -%}
    ({{ funnel_epoch_ms(end_expr) }} - {{ funnel_epoch_ms(start_expr) }})
{%- endmacro %}

{#- numerator / denominator rounded half up to `scale` decimals, as numeric(18 + scale, scale);
    null when the denominator is null or zero. -#}
{% macro funnel_round_div(numerator, denominator, scale=2) -%}
    case when {{ denominator }} <> 0 then
        cast(cast(floor(cast({{ numerator }} as double precision) / cast({{ denominator }} as double precision)
                        * {{ 10 ** scale }} + 0.5) as bigint) as numeric(18, 0))
        * {{ '%.*f' | format(scale, 10 ** -scale) }}
    end
{%- endmacro %}

{#- Whole minutes elapsed (floored), e.g. an SLA response time: 45 min 59 s counts as 45. -#}
{% macro funnel_minutes_between(start_expr, end_expr) -%}
    cast(floor(cast({{ funnel_ms_between(start_expr, end_expr) }} as double precision) / 60000) as bigint)
{%- endmacro %}

{#- Elapsed days with two decimals (a stage spell of 36 hours is 1.50 days). -#}
{% macro funnel_days_between(start_expr, end_expr) -%}
    cast({{ funnel_round_div(funnel_ms_between(start_expr, end_expr), 86400000, 2) }} as numeric(14, 2))
{%- endmacro %}

{#- The median (ordered-set aggregate, valid on both engines) of values with at most two decimals, to
    three decimals: computed on hundredths, whose median is a whole or half number, exact in a double. -#}
{% macro funnel_median(expr) -%}
    cast(cast(cast(percentile_cont(0.5) within group (order by cast(round({{ expr }} * 100) as double precision)) * 10 as bigint)
              as numeric(18, 0)) * 0.001 as numeric(14, 3))
{%- endmacro %}

{#- A share between 0 and 1 with four decimals; null when the denominator is zero (no cohort). -#}
{% macro funnel_ratio(numerator, denominator) -%}
    cast({{ funnel_round_div(numerator, denominator, 4) }} as numeric(10, 4))
{%- endmacro %}

{#- The run date: var `as_of` ('YYYY-MM-DD' or an ISO timestamp, UTC) or, by default, the latest event
    in the data (see int_lifecycle__as_of), so a generated world in the past is judged at its own end. -#}
{% macro funnel_as_of() -%}
    (select as_of_at from {{ ref('int_lifecycle__as_of') }})
{%- endmacro %}

{#- Engagement kinds (the contract's event kinds) that make a person an Inquiry: they asked for sales.
    The contract's `engagement.inquiry_event_kinds` (seed `contract_inquiry_event_kinds`); the var
    `inquiry_event_kinds` (a list of kinds) overrides it for one run. Renders `(...)` for an `in`. -#}
{% macro funnel_inquiry_event_kinds() -%}
    {%- set kinds = var('inquiry_event_kinds', none) -%}
    {%- if kinds is none -%}
    (select event_kind from {{ ref('contract_inquiry_event_kinds') }})
    {%- else -%}
    ({%- for kind in kinds -%}'{{ kind }}'{{ ', ' if not loop.last }}{%- endfor -%})
    {%- endif -%}
{%- endmacro %}

{#- The lifecycle statuses in funnel order. `ladder_rank` places a status on the sales ladder (Inquiry
    and MQL are both entries into sales; Rejected and Recycled are exits, off the ladder, rank null):
    a move up by more than one rung skips a stage, a move down is a backward move. `tie_order` resolves
    several changes at one timestamp: the later stage in the funnel wins. `is_exit` ends a cycle (see
    fct_lead_status_history). -#}
{% macro funnel_statuses() -%}
    {{ return([
        {'status': 'Suspect', 'ladder_rank': 0, 'tie_order': 1, 'is_exit': false},
        {'status': 'Inquiry', 'ladder_rank': 1, 'tie_order': 2, 'is_exit': false},
        {'status': 'MQL', 'ladder_rank': 1, 'tie_order': 3, 'is_exit': false},
        {'status': 'Recycled', 'ladder_rank': none, 'tie_order': 4, 'is_exit': true},
        {'status': 'Rejected', 'ladder_rank': none, 'tie_order': 5, 'is_exit': true},
        {'status': 'SAL', 'ladder_rank': 2, 'tie_order': 6, 'is_exit': false},
        {'status': 'SQL', 'ladder_rank': 3, 'tie_order': 7, 'is_exit': false},
        {'status': 'Won', 'ladder_rank': 4, 'tie_order': 8, 'is_exit': true},
        {'status': 'Lost', 'ladder_rank': 4, 'tie_order': 9, 'is_exit': true},
        {'status': 'No decision', 'ladder_rank': 4, 'tie_order': 10, 'is_exit': true},
    ]) }}
{%- endmacro %}

{% macro funnel_status_case(status_expr, field) -%}
    case {{ status_expr }}
    {%- for s in funnel_statuses() %}
        when '{{ s.status }}' then {{ 'cast(null as integer)' if s[field] is none else s[field] }}
    {%- endfor %}
    end
{%- endmacro %}

{#- The deal outcome of a closed stage (contract `outcome`: won / lost / no_decision) as a status. -#}
{% macro funnel_outcome_status(outcome_expr) -%}
    case {{ outcome_expr }} when 'won' then 'Won' when 'lost' then 'Lost' when 'no_decision' then 'No decision' end
{%- endmacro %}
