{#- The rows of CTE `rows` with one copy per `key`: the first by `order_by` among copies. Duplicates are
    rare (retried deliveries), so only the keys seen more than once are ranked; every other row passes
    straight through instead of the whole table being sorted. Adds `copy_number` (1 on every row). -#}
{% macro keep_first_copy(rows, key, order_by) -%}
    select {{ rows }}.*, 1 as copy_number
    from {{ rows }}
    left join (select {{ key }} from {{ rows }} group by {{ key }} having count(*) > 1) as duplicated_keys
        on duplicated_keys.{{ key }} = {{ rows }}.{{ key }}
    where duplicated_keys.{{ key }} is null
    union all
    select *
    from (
        select
            {{ rows }}.*,
            row_number() over (partition by {{ rows }}.{{ key }} order by {{ order_by }}) as copy_number
        from {{ rows }}
        inner join (select {{ key }} from {{ rows }} group by {{ key }} having count(*) > 1) as duplicated_keys
            on duplicated_keys.{{ key }} = {{ rows }}.{{ key }}
    ) as copies
    where copy_number = 1
{%- endmacro %}

{#- Condition of an incremental staging model's re-read rows: the table holds no copy of the event from
    before the re-read window (`window_start`: the query giving its first moment, the one the model's
    source filter uses). Such a copy came first (every copy re-read came later, the window being on the
    column that orders the copies: `window_column`), so the window's copies of that event are not
    written over it, as on a full refresh. `event_id` is the raw row's id, cast as the table's `event_id`. -#}
{% macro not_stored_before_the_window(event_id, window_column, window_start) -%}
not exists (
    select 1
    from {{ this }} as stored
    where stored.event_id = {{ event_id }}
      and stored.{{ window_column }} < ({{ window_start }})
)
{%- endmacro %}
