{#- One row: the run date every lifecycle mart is judged at (untreated MQLs, days in status, stalled
    deals, overdue actions). The var `as_of` sets it ('2026-11-20' or '2026-11-20T18:00:00'); by
    default it is the latest event in the data, so a world generated in the past is judged at its own
    end rather than at today's date, and a rebuild of the same data gives the same marts. -#}
{%- if var('as_of', none) %}
select cast('{{ var("as_of") }}' as timestamp) as as_of_at
{%- else %}
with latest as (
    select max(changed_at) as at_ from {{ ref('stg_hubspot__contact_status_history') }}
    union all
    select max(changed_at) from {{ ref('stg_hubspot__deal_stage_history') }}
    union all
    select max(occurred_at) from {{ ref('stg_web__events') }}
    union all
    select max(occurred_at) from {{ ref('stg_email__events') }}
)

select coalesce(max(at_), cast('1970-01-01' as timestamp)) as as_of_at
from latest
{%- endif %}
