{#- Whether the data tests of incremental models check whole tables: on a full refresh (every row is
    new), or when asked with the var `check_whole_tables` (e.g. `dbt test --vars
    '{check_whole_tables: true}'` after incremental runs). Otherwise they check the rows the latest run
    wrote (the latest `_processed_at`). -#}
{% macro check_whole_tables() -%}
    {{ return(flags.FULL_REFRESH or var('check_whole_tables', false)) }}
{%- endmacro %}

{#- A model's grain: no two rows share the same values of `columns`. Groups on the columns themselves
    (no concatenated string per row), so it stays cheap on tables of tens of millions of rows; a null in
    a grain column is the not_null tests' business. Fails with each duplicated key and its count.
    `written_at` (optional): the incremental model's run-stamp column (e.g. `_processed_at`). Then a
    build that is not a full refresh checks only the keys of the rows the latest run wrote (those with
    the latest stamp), each counted over the whole table, so a duplicate between a new row and an old
    one still fails; a full refresh (every row written by it) checks the whole table at once, and so
    does any run with the var `check_whole_tables` (see `check_whole_tables()`). -#}
{% test unique_grain(model, columns, written_at=none) %}
{%- set keys = columns | join(', ') -%}
{%- if written_at is none or check_whole_tables() %}
select {{ keys }}, count(*) as copies
from {{ model }}
group by {{ keys }}
having count(*) > 1
{%- else %}
with written as (
    select distinct {{ keys }}
    from {{ model }}
    where {{ written_at }} = (select max({{ written_at }}) from {{ model }})
)

select
    {%- for column in columns %}
    stored.{{ column }},
    {%- endfor %}
    count(*) as copies
from {{ model }} as stored
inner join written
    on {% for column in columns -%}
    written.{{ column }} = stored.{{ column }}{{ '\n   and ' if not loop.last }}
    {%- endfor %}
group by {% for column in columns %}stored.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
having count(*) > 1
{%- endif %}
{% endtest %}
