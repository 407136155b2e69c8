{#- Raw CRM property values are text. These casts never fail on a bad value (they give null) and
    behave the same on DuckDB and PostgreSQL; timestamps are UTC without a time zone everywhere
    (both profiles run their sessions in UTC). -#}

{% macro text_to_number(expr) -%}{{ return(adapter.dispatch('text_to_number', 'funnelhouse')(expr)) }}{%- endmacro %}
{#- DuckDB parses text into an 18-digit decimal (a 64-bit integer) about a hundred times faster than
    into a 20-digit one (128-bit; 3 s for 46k company revenues): the wide cast only for what the
    narrow one cannot hold. -#}
{% macro duckdb__text_to_number(expr) -%}
    coalesce(try_cast(nullif(trim({{ expr }}), '') as numeric(18, 4)), try_cast(nullif(trim({{ expr }}), '') as numeric(20, 4)))
{%- endmacro %}
{% macro default__text_to_number(expr) -%}
    case when trim({{ expr }}) ~ '^-?[0-9]+(\.[0-9]+)?$' then cast(trim({{ expr }}) as numeric(20, 4)) end
{%- endmacro %}

{% macro text_to_integer(expr) -%}cast({{ text_to_number(expr) }} as bigint){%- endmacro %}

{% macro text_to_timestamp(expr) -%}{{ return(adapter.dispatch('text_to_timestamp', 'funnelhouse')(expr)) }}{%- endmacro %}
{% macro duckdb__text_to_timestamp(expr) -%}
    cast(try_cast(nullif(trim({{ expr }}), '') as timestamptz) as timestamp)
{%- endmacro %}
{% macro default__text_to_timestamp(expr) -%}
    case when trim({{ expr }}) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'
         then cast(cast(trim({{ expr }}) as timestamptz) at time zone 'UTC' as timestamp) end
{%- endmacro %}

{#- A timestamptz (or naive UTC timestamp) column from the raw layer, as a naive UTC timestamp. -#}
{% macro to_utc(expr) -%}{{ return(adapter.dispatch('to_utc', 'funnelhouse')(expr)) }}{%- endmacro %}
{% macro duckdb__to_utc(expr) -%}cast(cast({{ expr }} as timestamptz) as timestamp){%- endmacro %}
{% macro default__to_utc(expr) -%}cast(cast({{ expr }} as timestamptz) at time zone 'UTC' as timestamp){%- endmacro %}

{% macro text_to_boolean(expr) -%}
    case lower(trim(cast({{ expr }} as {{ dbt.type_string() }})))
        when 'true' then true when '1' then true when 'false' then false when '0' then false end
{%- endmacro %}

{#- Whole days from one timestamp's date to another's. -#}
{% macro days_between(start_expr, end_expr) -%}
    {{ dbt.datediff('cast(' ~ start_expr ~ ' as date)', 'cast(' ~ end_expr ~ ' as date)', 'day') }}
{%- endmacro %}

{#- When this dbt invocation started, as a timestamp literal: the `_processed_at` stamp of incremental
    models (the same value on every row and model of one run, on DuckDB and PostgreSQL alike). -#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- `to_utc(column) >= cutoff` (cutoff a naive UTC timestamp constant, see `window_start_constant`) written
    so DuckDB compares the raw column itself: the filter then reaches the table scan and skips the row
    groups before the cutoff, instead of casting every row of the raw table. Same rows on both engines. -#}
{% macro utc_at_or_after(column, cutoff) -%}
    {{ return(adapter.dispatch('utc_at_or_after', 'funnelhouse')(column, cutoff)) }}
{%- endmacro %}
{% macro duckdb__utc_at_or_after(column, cutoff) -%}
    {{ column }} >= cast({{ cutoff }} as timestamptz)
{%- endmacro %}
{% macro default__utc_at_or_after(column, cutoff) -%}
    {{ to_utc(column) }} >= {{ cutoff }}
{%- endmacro %}
