{#- Points as sales reads them in reasons: "+20", "+7.5", "-10" (one decimal at most), rendered the same
    on every engine (number-to-text casts differ between DuckDB and PostgreSQL, integers do not). -#}
{% macro format_points(expr) -%}
    {%- set tenths = 'cast(round(cast(' ~ expr ~ ' as ' ~ dbt.type_numeric() ~ ') * 10) as bigint)' -%}
    {%- set abs_tenths = 'abs(' ~ tenths ~ ')' -%}
    {{ dbt.concat([
        "case when " ~ tenths ~ " < 0 then '-' else '+' end",
        "cast(cast((" ~ abs_tenths ~ " - mod(" ~ abs_tenths ~ ", 10)) / 10 as bigint) as " ~ dbt.type_string() ~ ")",
        "case when mod(" ~ abs_tenths ~ ", 10) <> 0 then " ~ dbt.concat(["'.'", "cast(mod(" ~ abs_tenths ~ ", 10) as " ~ dbt.type_string() ~ ")"]) ~ " else '' end",
    ]) }}
{%- endmacro %}
