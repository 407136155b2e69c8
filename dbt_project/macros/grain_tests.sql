{#- A model's grain: no two rows share the same values of `columns`. Groups on the columns themselves
    (no concatenated string per row), so it stays cheap on tables of tens of millions of rows; a null in
    a grain column is the not_null tests' business. Fails with each duplicated key and its count. -#}
{% test unique_grain(model, columns) %}
select {{ columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
