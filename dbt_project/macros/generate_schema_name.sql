{#- Custom schemas are used verbatim (staging, intermediate, marts, contract), not prefixed with the
    target schema, so BI tools, GX suites and the reverse-ETL find the same names on every warehouse. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema | trim }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
