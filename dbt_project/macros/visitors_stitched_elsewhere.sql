{#- The visitors (anonymous_id) whose rows in `stored`, an incremental model's own table, name another
    person than stitching does now: a visitor who identified since (their rows name nobody), or whose
    web user's latest e-mail now points to another person, possibly through an identify call on
    another device. int_web__sessions and int_engagement__events_unioned rewrite these visitors' rows,
    as a full refresh would write them. Rows without a visitor (e-mail, CRM) are not considered. -#}
{% macro visitors_stitched_elsewhere(stored) -%}
select distinct stored.anonymous_id
from {{ stored }} as stored
left join {{ ref('int_people__identity_stitched') }} as stitched
    on stitched.anonymous_id = stored.anonymous_id
where stored.anonymous_id is not null
  and stored.person_id is distinct from stitched.person_id
{%- endmacro %}
