{#- A scalar from the compiled contract (seed `contract_settings`), so no business number is a literal. -#}
{% macro contract_setting(name, data_type='number') -%}
    {%- set value_expr = 'value' -%}
    {%- if data_type == 'number' -%}
        {%- set value_expr = 'cast(value as ' ~ dbt.type_numeric() ~ ')' -%}
    {%- elif data_type == 'integer' -%}
        {%- set value_expr = 'cast(cast(value as ' ~ dbt.type_numeric() ~ ') as integer)' -%}
    {%- endif -%}
    (select {{ value_expr }} from {{ ref('contract_settings') }} where setting = '{{ name }}')
{%- endmacro %}

{#- The stable key of a person: a hash of the strongest identity known (see docs.md, person_id). -#}
{% macro person_key(email_expr, user_id_expr, contact_id_expr) -%}
    {{ dbt.hash(
        "coalesce('email:' || lower(trim(" ~ email_expr ~ ")), 'contact:' || " ~ contact_id_expr
        ~ ", 'user:' || " ~ user_id_expr ~ ")"
    ) }}
{%- endmacro %}
