{#- Post-hook of the person-keyed incremental models: rows of people who no longer exist (merged into
    another person, deleted from the CRM) go. Only on incremental runs: a full refresh rebuilds from
    today's people alone, and the delete would scan every row (2 s on 16M rows) to find none. The ref
    stands outside the condition so dbt records the dependency when it parses the model. -#}
{% macro delete_rows_of_people_gone() -%}
{%- set persons = ref('int_people__persons') -%}
{%- if is_incremental() -%}
delete from {{ this }} where person_id not in (select person_id from {{ persons }})
{%- endif -%}
{%- endmacro %}
