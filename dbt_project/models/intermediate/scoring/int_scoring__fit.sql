{#- One row per person: fit score, exclusion and grade from the contract's fit rules, evaluated on the
    person's current CRM contact and company properties. A rule whose property is unknown for the
    person does not apply (unless it tests is_null). -#}
with persons as (
    select * from {{ ref('int_people__persons') }}
),

-- Materialised (both engines honour the keyword): the staging view's casts run once, not once per
-- property below (ten times; 5 s of 5.5 at 100k contacts on DuckDB).
companies as materialized (
    select * from {{ ref('stg_hubspot__companies') }} where not is_deleted
),

{%- set text_properties = [
    ('contact', 'jobtitle', 'persons.job_title'),
    ('contact', 'country', 'persons.country'),
    ('contact', 'hs_analytics_source', 'persons.analytics_source'),
    ('contact', 'lifecyclestage', 'persons.lifecycle_stage'),
    ('contact', 'company', 'persons.company_name_entered'),
    ('company', 'industry', 'companies.industry'),
    ('company', 'country', 'companies.country'),
    ('company', 'city', 'companies.city'),
] %}
{%- set number_properties = [
    ('company', 'numberofemployees', 'companies.employees'),
    ('company', 'annualrevenue', 'companies.annual_revenue'),
] %}

attributes as (
    {%- for entity, property, expr in text_properties + number_properties %}
    select
        persons.person_id,
        '{{ entity }}' as entity,
        '{{ property }}' as property,
        cast({{ expr }} as {{ dbt.type_string() }}) as value_text,
        {% if (entity, property, expr) in number_properties -%}
        cast({{ expr }} as {{ dbt.type_numeric() }})
        {%- else -%}
        cast(null as {{ dbt.type_numeric() }})
        {%- endif %} as value_number
    from persons
    left join companies on companies.company_id = persons.company_id
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

rule_values as (
    select
        attributes.person_id,
        rules.rule_id,
        rules.rule_order,
        rules.label,
        rules.operator,
        rules.points,
        rules.is_exclusion,
        rules.reason,
        attributes.value_text,
        case rules.operator
            when 'eq' then case when lower(attributes.value_text) = lower(rules.value_text) then 1 else 0 end
            when 'in' then case when lower(attributes.value_text) = lower(rules.value_text) then 1 else 0 end
            when 'not_in' then case when lower(attributes.value_text) = lower(rules.value_text) then 1 else 0 end
            when 'neq' then case when lower(attributes.value_text) <> lower(rules.value_text) then 1 else 0 end
            when 'contains' then case when lower(attributes.value_text)
                like {{ dbt.concat(["'%'", "lower(rules.value_text)", "'%'"]) }} then 1 else 0 end
            when 'contains_any' then case when lower(attributes.value_text)
                like {{ dbt.concat(["'%'", "lower(rules.value_text)", "'%'"]) }} then 1 else 0 end
            when 'lt' then case when attributes.value_number < rules.value_number then 1 else 0 end
            when 'lte' then case when attributes.value_number <= rules.value_number then 1 else 0 end
            when 'gt' then case when attributes.value_number > rules.value_number then 1 else 0 end
            when 'gte' then case when attributes.value_number >= rules.value_number then 1 else 0 end
            when 'is_null' then case when attributes.value_text is null then 1 else 0 end
            when 'not_null' then case when attributes.value_text is not null then 1 else 0 end
            else 0
        end as value_hit
    from attributes
    inner join {{ ref('contract_fit_rules') }} as rules
        on rules.entity = attributes.entity
       and rules.property = attributes.property
),

matched_rules as (
    select
        person_id, rule_id, rule_order, label, points, is_exclusion, reason
    from rule_values
    group by person_id, rule_id, rule_order, label, operator, points, is_exclusion, reason
    having case
        when operator = 'not_in' then case when max(value_text) is not null and max(value_hit) = 0 then 1 else 0 end
        else max(value_hit)
    end = 1
),

exclusions as (
    select
        person_id,
        reason as exclusion_reason,
        row_number() over (partition by person_id order by rule_order) as exclusion_rank
    from matched_rules
    where is_exclusion = 1
),

points as (
    select
        person_id,
        sum(points) as fit_score,
        {{ dbt.listagg(
            dbt.concat(["'fit: '", "label", "' ('", format_points('points'), "')'"]),
            "'; '",
            'order by points desc, rule_order'
        ) }} as fit_reasons
    from matched_rules
    where is_exclusion = 0
    group by person_id
),

scored as (
    select
        persons.person_id,
        cast(coalesce(points.fit_score, 0) as {{ dbt.type_numeric() }}) as fit_score,
        case when exclusions.person_id is not null then true else false end as is_excluded,
        exclusions.exclusion_reason,
        points.fit_reasons,
        case
            when persons.contact_updated_at is null then companies.updated_at
            when companies.updated_at is null then persons.contact_updated_at
            when companies.updated_at > persons.contact_updated_at then companies.updated_at
            else persons.contact_updated_at
        end as attributes_updated_at
    from persons
    left join companies on companies.company_id = persons.company_id
    left join points on points.person_id = persons.person_id
    left join exclusions
        on exclusions.person_id = persons.person_id
       and exclusions.exclusion_rank = 1
),

graded as (
    select
        scored.*,
        grades.grade,
        row_number() over (partition by scored.person_id order by grades.grade_order) as grade_rank
    from scored
    left join {{ ref('contract_fit_grades') }} as grades
        on scored.fit_score >= grades.min_score
)

select
    person_id,
    fit_score,
    is_excluded,
    exclusion_reason,
    fit_reasons,
    case when is_excluded then {{ contract_setting('excluded_grade', 'text') }} else grade end as fit_grade,
    attributes_updated_at
from graded
where grade_rank = 1
