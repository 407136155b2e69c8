{#- One row per person (see docs.md, person_id): every CRM contact that is not deleted, plus every
    identified web user whose e-mail matches no contact. Contacts sharing an e-mail are one person,
    represented by the earliest created contact. -#}
with contacts as (
    select
        {{ person_key('email', 'cast(null as ' ~ dbt.type_string() ~ ')', 'contact_id') }} as person_id,
        contacts.*,
        row_number() over (
            partition by {{ person_key('email', 'cast(null as ' ~ dbt.type_string() ~ ')', 'contact_id') }}
            order by created_at, contact_id
        ) as contact_rank
    from {{ ref('stg_hubspot__contacts') }} as contacts
    where not is_deleted
),

contact_companies as (
    select
        from_object_id as contact_id,
        min(to_object_id) as company_id
    from {{ ref('stg_hubspot__associations') }}
    where from_object_type = 'contacts'
      and to_object_type = 'companies'
    group by from_object_id
),

web_users as (
    select
        {{ person_key('email', 'user_id', 'cast(null as ' ~ dbt.type_string() ~ ')') }} as person_id,
        min(user_id) as web_user_id,
        min(email) as email,
        min(first_identified_at) as first_identified_at,
        min(first_identified_received_at) as first_identified_received_at
    from {{ ref('int_people__web_identities') }}
    group by 1
)

select
    coalesce(contacts.person_id, web_users.person_id) as person_id,
    contacts.contact_id as crm_contact_id,
    web_users.web_user_id,
    coalesce(contacts.email, web_users.email) as email,
    contacts.first_name,
    contacts.last_name,
    contacts.job_title,
    contacts.country,
    contacts.company_name_entered,
    contacts.analytics_source,
    contacts.lifecycle_stage,
    contacts.lead_status,
    contacts.owner_id,
    contact_companies.company_id,
    contacts.phone,
    case when contacts.contact_id is null then 'web user' else 'crm contact' end as person_source,
    case
        when contacts.created_at is null then web_users.first_identified_at
        when web_users.first_identified_at is null then contacts.created_at
        when web_users.first_identified_at < contacts.created_at then web_users.first_identified_at
        else contacts.created_at
    end as known_since,
    contacts.created_at as contact_created_at,
    contacts.updated_at as contact_updated_at
from (select * from contacts where contact_rank = 1) as contacts
full outer join web_users
    on web_users.person_id = contacts.person_id
left join contact_companies
    on contact_companies.contact_id = contacts.contact_id
