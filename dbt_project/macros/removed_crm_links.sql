{#- Post-hook of the engagement stream: on incremental runs, the CRM activity-person pairs the CRM no
    longer has (int_engagement__crm_links_removed: activity deleted, association removed, contact gone)
    leave the stream. A full refresh builds from the CRM as it stands, so it has none to delete. The
    ref stands outside the condition so dbt records the dependency when it parses the model. -#}
{% macro delete_removed_crm_links() -%}
{%- set removed = ref('int_engagement__crm_links_removed') -%}
{%- if is_incremental() -%}
delete from {{ this }} where engagement_event_id in (select engagement_event_id from {{ removed }})
{%- endif -%}
{%- endmacro %}

{#- Post-hook of the person-day scoring tables: on incremental runs, a person who lost CRM activities
    (int_engagement__crm_links_removed) had every row of their history that still holds rewritten by
    this run, so the rows of theirs this run did not write (a rule or days no event supports any more)
    go. -#}
{% macro delete_unwritten_rows_of_people_with_removed_links() -%}
{%- set removed = ref('int_engagement__crm_links_removed') -%}
{%- if is_incremental() -%}
delete from {{ this }}
where _processed_at < {{ run_started_timestamp() }}
  and person_id in (select person_id from {{ removed }})
{%- endif -%}
{%- endmacro %}
