{#- A source table may lack an optional CRM property (dlt adds a column only once a value appears).
    `existing_columns` reads the relation's columns once; `column_or_null` selects the column when it is
    there and a typed null otherwise, so staging always builds with the same typed columns. -#}
{% macro existing_columns(relation) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{% macro column_or_null(columns, name, data_type=none) -%}
    {%- set data_type = data_type or dbt.type_string() -%}
    {%- if name | lower in columns -%}
        {{ adapter.quote(name) }}
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
