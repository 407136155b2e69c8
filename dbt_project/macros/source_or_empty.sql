{#- A raw table dlt has not created yet (a CRM object with no records, an event source with no files)
    reads as an empty relation with the raw layer's key columns, so staging still builds and its
    downstream models simply have no rows from that source. -#}
{% macro raw_base_columns(kind) -%}
    {%- set text = dbt.type_string() -%}
    {%- set ts = dbt.type_timestamp() -%}
    {%- set flag = dbt.type_boolean() -%}
    {%- set kinds = {
        'crm_object': {'id': text, 'created_at': ts, 'updated_at': ts, 'archived': flag, 'is_deleted': flag,
                       '_extracted_at': ts},
        'property_history': {'object_type': text, 'object_id': text, 'property': text, 'value': text,
                             'changed_at': ts, 'source_type': text},
        'associations': {'from_object_type': text, 'from_object_id': text, 'to_object_type': text,
                         'to_object_id': text, 'association_type': text},
        'web_events': {'message_id': text, 'type': text, 'timestamp': ts, 'received_at': ts},
        'email_events': {'sg_event_id': text, 'email': text, 'event': text, 'event_at': ts},
    } -%}
    {{ return(kinds[kind]) }}
{%- endmacro %}

{% macro source_or_empty(source_name, table_name, kind) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and load_relation(relation) is none -%}
        {%- set columns = raw_base_columns(kind) -%}
        (select
        {%- for name, data_type in columns.items() %}
            cast(null as {{ data_type }}) as {{ adapter.quote(name) }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0) as {{ table_name }}_not_loaded_yet
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
