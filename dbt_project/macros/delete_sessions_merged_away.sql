{#- Post-hook of int_web__sessions: a visitor sessionised again in this run (their sessions from the
    restart on were written with this run's stamp, numbered after the kept ones) holds no session
    numbered after the last one written; a stored one there was merged into another by a late event
    that closed the gap between them, as a full refresh would have. So a stored row of an earlier run
    goes when this run wrote a session of the same visitor with a lower number: kept sessions number
    below the rewritten ones, and a stored row of a rewritten number was replaced already. A visitor
    whose sessions were only rewritten for a new person has them all rewritten (a visitor's sessions
    share one person). Only on incremental runs: a full build writes every row. -#}
{% macro delete_sessions_merged_away() -%}
{%- if is_incremental() -%}
delete from {{ this }} as stored
where stored._processed_at < {{ run_started_timestamp() }}
  and exists (
      select 1
      from {{ this }} as rewritten
      where rewritten._processed_at = {{ run_started_timestamp() }}
        and rewritten.anonymous_id = stored.anonymous_id
        and rewritten.session_number < stored.session_number
  )
{%- endif -%}
{%- endmacro %}
