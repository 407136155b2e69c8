{#- A conversion rate is a share of its cohort: between 0 and 1, equal (rounded to 4 decimals: within
    half a unit of the 4th decimal, plus float slack for exact halves such as 3/32) to its count
    over the cohort count, and null exactly when the cohort is empty. Fails with the offending rows. -#}
{% test funnel_rate_of_counts(model, column_name, numerator, denominator) %}
select *
from {{ model }}
where ({{ column_name }} is null and {{ denominator }} > 0)
   or ({{ column_name }} is not null and (
        {{ column_name }} < 0
        or {{ column_name }} > 1
        or {{ denominator }} is null
        or {{ denominator }} = 0
        or abs({{ column_name }} - cast({{ numerator }} as {{ dbt.type_numeric() }}) / {{ denominator }}) > 0.0000501
   ))
{% endtest %}
