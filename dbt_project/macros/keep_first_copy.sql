{#- The rows of CTE `rows` with one copy per `key`: the first by `order_by` among copies. Duplicates are
    rare (retried deliveries), so only the keys seen more than once are ranked; every other row passes
    straight through instead of the whole table being sorted. Adds `copy_number` (1 on every row).
    The keys seen more than once are worked out once, from `key` alone, and kept (`materialized`). On a
    full build the model declares `rows` and the CTEs it reads `{{ streamed_on_full_build() }}`, so the
    wide rows stream from the raw table into the table being written instead of being held whole in
    memory: at 4.6M web events that copy took the memory limit and spilled to disk when the two event
    staging models ran side by side. The ranked branch reads `rows` again but stops at once when no key
    is duplicated. -#}
{% macro keep_first_copy(rows, key, order_by) -%}
    with duplicated_keys as materialized (
        select {{ key }} from {{ rows }} group by {{ key }} having count(*) > 1
    )
    select {{ rows }}.*, 1 as copy_number
    from {{ rows }}
    left join duplicated_keys
        on duplicated_keys.{{ key }} = {{ rows }}.{{ key }}
    where duplicated_keys.{{ key }} is null
    union all
    select *
    from (
        select
            {{ rows }}.*,
            row_number() over (partition by {{ rows }}.{{ key }} order by {{ order_by }}) as copy_number
        from {{ rows }}
        inner join duplicated_keys
            on duplicated_keys.{{ key }} = {{ rows }}.{{ key }}
    ) as copies
    where copy_number = 1
{%- endmacro %}

{#- The raw rows an event staging model reads from `relation`. A full build reads them all. An incremental
    run reads the rows in the re-read window (`time_column` at or after `window_start`, the constant from
    `window_start_constant`) and every raw row of a load newer than the newest the table holds
    (`_dlt_load_id`, where both the raw table, `raw_columns`, and the table carry it): a batch loaded days
    after its events were received is read whatever its times (rows_in_window). -#}
{% macro raw_rows_to_read(relation, time_column, window_start, raw_columns) -%}
    {%- if not is_incremental() %}
    select * from {{ relation }}
    {%- elif '_dlt_load_id' in raw_columns and '_dlt_load_id' in existing_columns(this) %}
    {{ rows_in_window(
        relation,
        utc_at_or_after(time_column, window_start),
        '_dlt_load_id',
        constant_from_query('select max(_dlt_load_id) from ' ~ this, dbt.type_string())
    ) }}
    {%- else %}
    select * from {{ relation }}
    where {{ utc_at_or_after(time_column, window_start) }}
    {%- endif %}
{%- endmacro %}

{#- The rows of `relation` that satisfy `in_window` (a condition on one column and a constant) or whose
    `later_column` is greater than the constant `later_than` (rows written or loaded since a model's last
    run), as two selects, the second without the first's rows. Each filters one column by a constant,
    which DuckDB applies while scanning, skipping the row groups outside it (tables are appended in
    that order); one condition with an OR across the two columns read every row of the table. -#}
{% macro rows_in_window(relation, in_window, later_column, later_than) -%}
    select * from {{ relation }}
    where {{ in_window }}
    union all
    select * from {{ relation }}
    where {{ later_column }} > {{ later_than }}
      and not coalesce({{ in_window }}, false)
{%- endmacro %}

{#- The first moment of an incremental model's re-read window: `lookback_days` before the newest
    `time_column` this table holds, as a constant (null on an empty table, as the max would be). -#}
{% macro window_start_constant(time_column) -%}
    {%- set newest_minus_lookback = dbt.dateadd('day', -var('lookback_days'), 'max(' ~ time_column ~ ')') -%}
    {{ return(constant_from_query('select ' ~ newest_minus_lookback ~ ' from ' ~ this, dbt.type_timestamp())) }}
{%- endmacro %}

{#- The one value `query` returns, read when the model runs and written into its SQL as a cast literal of
    `data_type` (`cast(null as ...)` for null). A filter on a constant reaches the table scan, where DuckDB
    skips the row groups it excludes; the same filter on a scalar subquery is applied after every row has
    been read. -#}
{% macro constant_from_query(query, data_type) -%}
    {%- set value = run_query('select cast(value as ' ~ dbt.type_string() ~ ') from (' ~ query ~ ') as one_value(value)').columns[0].values()[0] if execute else none -%}
    {%- if value is none -%}
        {{ return('cast(null as ' ~ data_type ~ ')') }}
    {%- endif -%}
    {{ return("cast('" ~ (value | replace("'", "''")) ~ "' as " ~ data_type ~ ")") }}
{%- endmacro %}

{#- Condition of an incremental staging model's re-read rows: the table holds no copy of the event that
    came at or before this one. `copy_order` lists the columns that order the copies (those of the
    model's keep_first_copy), each as a pair: the table's column, and this copy's value of it, naming
    the raw table (e.g. `source.received_at`: unqualified, a column the table also has would be read
    from the table); `event_id` is the raw row's id, cast as the table's `event_id`.
    - A copy stored before the re-read window came first, so the window's copies are not written over
      it, as on a full refresh.
    - The copy already stored (the window is re-read every run) is not written again, nor are later
      copies: a run rewrites only new events and copies that came earlier than the stored one (loaded
      days late), which replace it, as on a full refresh. Rewriting the whole window each run cost two
      thirds of these models' time at 100k contacts (deleting, inserting and committing 180k rows for
      50k new ones), and re-stamped rows that had not changed. -#}
{% macro no_stored_copy_came_first(event_id, copy_order) -%}
not exists (
    select 1
    from {{ this }} as stored
    where stored.event_id = {{ event_id }}
      and {{ _copy_at_or_before(copy_order) }}
)
{%- endmacro %}

{#- `stored` came at or before the copy, in the order of `copy_order` ([(column, copy's value)], the
    first pair deciding, the next one breaking its ties). -#}
{% macro _copy_at_or_before(copy_order) -%}
    {%- set column, value = copy_order[0] -%}
    {%- if copy_order | length == 1 -%}
stored.{{ column }} <= {{ value }}
    {%- else -%}
(stored.{{ column }} < {{ value }} or (stored.{{ column }} = {{ value }} and {{ _copy_at_or_before(copy_order[1:]) }}))
    {%- endif -%}
{%- endmacro %}
