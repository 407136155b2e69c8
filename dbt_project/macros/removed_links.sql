{#- Post-hook of the engagement stream (key `engagement_event_id`) and of the person-day scoring tables
    (key `person_id`), on incremental runs: a row written before its key was logged in
    int_engagement__links_removed goes. For the stream, that is the pair the CRM no longer has (a
    pair linked again later, or a web event moved to its new person, is written again by the run that
    logged it or later, and stays). For the scoring tables,
    the person's whole history was rewritten by the run that re-scored them after the removal, so the
    rows left older than it are those no event supports any more (a rule, or days before their new
    first day). A full refresh builds from the CRM as it stands and has nothing to delete.

    Only the keys logged since the table's previous run are looked up: that run's hook already deleted
    what the older ones left, and everything written since is newer than them. The previous run is the
    latest stamp before this run's in the table (an earlier one if that run wrote no rows: more keys to
    look up, never fewer). With no key to look up, the delete finds nothing without scanning the table
    (it did: 1-2 s per table per run at 100k contacts). The ref stands outside the condition so dbt
    records the dependency when it parses the model. -#}
{% macro delete_rows_older_than_their_removal(key) -%}
{%- set removed = ref('int_engagement__links_removed') -%}
{%- if is_incremental() -%}
delete from {{ this }} as stale
where stale.{{ key }} in (
    select logged.{{ key }}
    from {{ removed }} as logged
    where logged._processed_at > (
        select coalesce(max(_processed_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
        from {{ this }}
        where _processed_at < {{ run_started_timestamp() }}
    )
)
  and exists (
    select 1
    from {{ removed }} as removed
    where removed.{{ key }} = stale.{{ key }}
      and removed._processed_at > stale._processed_at
)
{%- endif -%}
{%- endmacro %}
