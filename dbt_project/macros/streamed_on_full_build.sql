{#- A CTE's materialization hint for the event-scale models (the event staging models,
    int_web__sessions, int_engagement__events_unioned): `not materialized` on a full build, so the whole table streams
    through instead of a copy of it being held in memory (see keep_first_copy.sql); none on an incremental
    run, where the re-read window is small and computing it once (with its checks against the stored
    rows) is cheaper than once per reference. -#}
{% macro streamed_on_full_build() -%}
    {%- if not is_incremental() %}not materialized {% endif -%}
{%- endmacro %}
