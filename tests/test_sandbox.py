"""Contract tests of the sandbox CRM, driven through the official `hubspot-api-client`.

Given a small hand-written world (a few JSONL lines per docs/world-format.md), when a client calls the
sandbox like it would call HubSpot, then it gets HubSpot's answers: paging, search windows, 207 partial
failures, 401/429/400/404 errors, forward-only lifecycle stages and property history.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hubspot
import pytest
import requests
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectInput,
)
from hubspot.crm.contacts.exceptions import ApiException
from hubspot.crm.properties import PropertyCreate

from funnelhouse.sandbox.testing import running_sandbox

pytestmark = pytest.mark.timeout(120)

START = datetime(2026, 11, 1, tzinfo=UTC)
CONTACTS = 25  # ids 101..125; 126 is archived
STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity"]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def contact_modified(i: int) -> datetime:
    """Contact 100+i was last modified i hours after START."""
    return START + timedelta(hours=i)


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def contact(i: int, archived: bool = False) -> dict:
    cid = str(100 + i)
    stage = STAGES[i % len(STAGES)]
    created, modified = iso(START - timedelta(days=30)), iso(contact_modified(i))
    return {
        "id": cid,
        "properties": {
            "email": f"person{i}@example.com",
            "firstname": f"First{i}",
            "lastname": f"Last{i}",
            "lifecyclestage": stage,
            "hs_lead_status": "NEW",
            "hubspot_owner_id": "31",
            "createdate": created,
            "lastmodifieddate": modified,
            "hs_object_id": cid,
        },
        "propertiesWithHistory": {
            "lifecyclestage": [
                {
                    "value": stage,
                    "timestamp": modified,
                    "sourceType": "CRM_UI",
                    "sourceId": None,
                    "updatedByUserId": None,
                }
            ]
        },
        "createdAt": created,
        "updatedAt": modified,
        "archived": archived,
        "associations": {"companies": {"results": [{"id": "201", "type": "contact_to_company"}]}},
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """25 live contacts and one archived, one company, one deal, two owners, two declared properties."""
    root = tmp_path_factory.mktemp("sandbox-world")
    crm = root / "crm"
    write_jsonl(
        crm / "contacts.jsonl", [contact(i) for i in range(1, CONTACTS + 1)] + [contact(26, archived=True)]
    )
    company_time = iso(START)
    write_jsonl(
        crm / "companies.jsonl",
        [
            {
                "id": "201",
                "properties": {
                    "name": "Northwind",
                    "domain": "northwind.example",
                    "numberofemployees": "250",
                    "createdate": company_time,
                    "hs_lastmodifieddate": company_time,
                    "hs_object_id": "201",
                },
                "createdAt": company_time,
                "updatedAt": company_time,
                "archived": False,
                "associations": {
                    "contacts": {
                        "results": [
                            {"id": str(100 + i), "type": "company_to_contact"} for i in range(1, CONTACTS + 1)
                        ]
                    }
                },
            }
        ],
    )
    write_jsonl(
        crm / "deals.jsonl",
        [
            {
                "id": "301",
                "properties": {
                    "dealname": "Northwind pilot",
                    "amount": "12000",
                    "pipeline": "sales",
                    "dealstage": "proposal",
                    "createdate": company_time,
                    "hs_lastmodifieddate": company_time,
                    "hs_object_id": "301",
                },
                "createdAt": company_time,
                "updatedAt": company_time,
                "archived": False,
                "associations": {"contacts": {"results": [{"id": "101", "type": "deal_to_contact"}]}},
            }
        ],
    )
    owner = {"createdAt": iso(START), "updatedAt": iso(START), "archived": False, "userId": 9001, "teams": []}
    write_jsonl(
        crm / "owners.jsonl",
        [
            {**owner, "id": "31", "email": "rep31@example.com", "firstName": "Rep", "lastName": "One"},
            {
                **owner,
                "id": "32",
                "email": "rep32@example.com",
                "firstName": "Rep",
                "lastName": "Two",
                "userId": 9002,
            },
        ],
    )
    write_jsonl(
        crm / "properties" / "contacts.jsonl",
        [
            {"name": "funnelhouse_lead_score", "label": "Lead score", "type": "number", "fieldType": "number",
             "groupName": "funnelhouse", "description": "Score from the warehouse", "options": []},
            {"name": "funnelhouse_mql_at", "label": "MQL at", "type": "datetime", "fieldType": "date",
             "groupName": "funnelhouse", "description": "When the lead became an MQL", "options": []},
        ],
    )  # fmt: skip
    return root


@pytest.fixture(scope="module")
def shared(world: Path):
    """One sandbox for the read-only tests of this module."""
    with running_sandbox(world) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(world: Path):
    """A sandbox of its own (fresh database) for a test that writes."""
    with running_sandbox(world) as handle:
        yield handle


def client(handle) -> hubspot.Client:
    return hubspot.Client.create(access_token=handle.token, host=handle.url)


# ---- reads ------------------------------------------------------------------------------------------
def test_list_paging_returns_every_live_contact_exactly_once(shared):
    api = client(shared).crm.contacts.basic_api
    seen, after, pages = [], None, 0
    while True:
        page = api.get_page(limit=7, after=after, properties=["email", "lifecyclestage"])
        pages += 1
        seen.extend(record.id for record in page.results)
        if not page.paging:
            break
        after = page.paging.next.after
    assert sorted(seen) == sorted(str(100 + i) for i in range(1, CONTACTS + 1))
    assert len(seen) == len(set(seen))
    assert pages == 4  # 7 + 7 + 7 + 4
    first = api.get_by_id("101", properties=["email", "lifecyclestage"])
    assert first.properties["email"] == "person1@example.com"
    assert first.properties["lifecyclestage"] == STAGES[1]


def test_archived_contacts_are_listed_only_with_archived_true(shared):
    api = client(shared).crm.contacts.basic_api
    archived = api.get_page(limit=100, archived=True)
    assert [r.id for r in archived.results] == ["126"]
    assert archived.results[0].archived is True
    with pytest.raises(ApiException) as missing:
        api.get_by_id("126")
    assert missing.value.status == 404


def test_default_properties_and_associations(shared):
    record = client(shared).crm.contacts.basic_api.get_by_id("105", associations=["companies"])
    assert set(record.properties) == {
        "firstname",
        "lastname",
        "email",
        "createdate",
        "lastmodifieddate",
        "hs_object_id",
    }
    assert [a.id for a in record.associations["companies"].results] == ["201"]
    assert record.updated_at == contact_modified(5)


def test_search_by_last_modified_window_returns_exactly_the_records_in_it(shared):
    low, high = contact_modified(5), contact_modified(12)  # GTE 5h, LT 12h -> contacts 105..111
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(
                filters=[
                    Filter(
                        property_name="lastmodifieddate",
                        operator="GTE",
                        value=str(int(low.timestamp() * 1000)),
                    ),
                    Filter(property_name="lastmodifieddate", operator="LT", value=iso(high)),
                ]
            )
        ],
        sorts=[{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
        properties=["email", "lastmodifieddate"],
        limit=3,
    )
    api = client(shared).crm.contacts.search_api
    found, total = [], None
    while True:
        page = api.do_search(public_object_search_request=request)
        total = page.total
        found.extend(r.id for r in page.results)
        if not page.paging:
            break
        request.after = page.paging.next.after
    assert found == [str(100 + i) for i in range(11, 4, -1)]
    assert total == 7


def test_search_email_in_and_has_property(shared):
    api = client(shared).crm.contacts.search_api
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(filters=[Filter(property_name="email", operator="EQ", value="PERSON3@example.com")]),
            FilterGroup(
                filters=[Filter(property_name="hs_object_id", operator="IN", values=["110", "111", "126"])]
            ),
        ],
        limit=10,
    )
    page = api.do_search(public_object_search_request=request)
    assert sorted(r.id for r in page.results) == ["103", "110", "111"]  # 126 is archived: not searchable


def test_search_refuses_paging_beyond_ten_thousand_results(shared):
    api = client(shared).crm.contacts.search_api
    with pytest.raises(ApiException) as refused:
        api.do_search(public_object_search_request=PublicObjectSearchRequest(limit=10, after="10000"))
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["category"] == "VALIDATION_ERROR"
    last_allowed = api.do_search(
        public_object_search_request=PublicObjectSearchRequest(limit=10, after="9999")
    )
    assert last_allowed.results == [] and last_allowed.total == CONTACTS


def test_owners_paging_and_lookup(shared):
    api = client(shared).crm.owners.owners_api
    first = api.get_page(limit=1)
    assert [o.email for o in first.results] == ["rep31@example.com"]
    second = api.get_page(limit=1, after=first.paging.next.after)
    assert [o.id for o in second.results] == ["32"] and second.paging is None
    assert api.get_by_id(32).last_name == "Two"


def test_v4_association_batch_read(shared):
    api = client(shared).crm.associations.v4.batch_api
    from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest

    answer = api.get_page(
        "contacts",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": "101"}, {"id": "102"}]),
    )
    by_id = {r._from.id: [t.to_object_id for t in r.to] for r in answer.results}
    assert by_id == {"101": ["201"], "102": ["201"]}
    assert answer.results[0].to[0].association_types[0].category == "HUBSPOT_DEFINED"


def test_properties_list_includes_declared_standard_and_seen(shared):
    results = client(shared).crm.properties.core_api.get_all("contacts").results
    names = {p.name for p in results}
    assert {
        "funnelhouse_lead_score",
        "funnelhouse_mql_at",
        "lifecyclestage",
        "email",
        "hs_lead_status",
    } <= names
    stage = next(p for p in results if p.name == "lifecyclestage")
    assert [o.value for o in stage.options][:3] == ["subscriber", "lead", "marketingqualifiedlead"]


# ---- request errors ---------------------------------------------------------------------------------
def test_missing_or_wrong_token_is_401(shared):
    for token in (None, "wrong-token"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = requests.get(f"{shared.url}/crm/v3/objects/contacts", headers=headers, timeout=10)
        assert answer.status_code == 401
        body = answer.json()
        assert (
            body["category"] == "INVALID_AUTHENTICATION"
            and body["status"] == "error"
            and body["correlationId"]
        )
        assert answer.headers["X-HubSpot-RateLimit-Max"] == "100"
    wrong = hubspot.Client.create(access_token="wrong-token", host=shared.url)
    with pytest.raises(ApiException) as refused:
        wrong.crm.contacts.basic_api.get_page()
    assert refused.value.status == 401


def test_bad_requests_get_hubspot_errors_never_500(shared):
    auth = {"Authorization": f"Bearer {shared.token}", "Content-Type": "application/json"}
    base = f"{shared.url}/crm/v3/objects"
    unknown_filter = {
        "filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "1"}]}]
    }
    cases = [
        ("get", f"{base}/widgets", None, 404),
        ("get", f"{base}/contacts?limit=101", None, 400),
        ("post", f"{base}/contacts/batch/update", "{not json", 400),
        ("post", f"{base}/contacts/batch/update", json.dumps({"nothing": []}), 400),
        ("post", f"{base}/contacts/batch/update", json.dumps({"inputs": "nope"}), 400),
        ("post", f"{base}/contacts/search", json.dumps({"limit": 201}), 400),
        ("post", f"{base}/contacts/search", json.dumps(unknown_filter), 400),
        ("post", f"{base}/contacts/batch/read", json.dumps({"inputs": [{"id": None}, 7]}), 207),
        ("patch", f"{base}/contacts/999999", json.dumps({"properties": {"firstname": "x"}}), 404),
        ("get", f"{shared.url}/crm/v3/nowhere", None, 404),
    ]  # fmt: skip
    for method, url, body, status in cases:
        answer = requests.request(method, url, data=body, headers=auth, timeout=10)
        assert answer.status_code == status, (method, url, body, answer.text)
        if status >= 400:
            assert answer.json()["status"] == "error" and answer.json()["message"], answer.text
    assert "500" not in shared.stats()["responses"]


def test_batch_of_101_inputs_is_400(shared):
    api = client(shared).crm.contacts.batch_api
    inputs = [
        SimplePublicObjectBatchInput(id=str(100 + (i % CONTACTS) + 1), properties={"firstname": "x"})
        for i in range(101)
    ]
    with pytest.raises(ApiException) as refused:
        api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert refused.value.status == 400
    assert "at most 100" in json.loads(refused.value.body)["message"]


# ---- writes -----------------------------------------------------------------------------------------
def test_batch_update_with_one_bad_input_is_207_and_applies_the_others(sandbox):
    api = client(sandbox).crm.contacts
    inputs = [
        SimplePublicObjectBatchInput(id="101", properties={"funnelhouse_lead_score": "40"}),
        SimplePublicObjectBatchInput(
            id="102", properties={"funnelhouse_lead_score": "41", "no_such_property": "x"}
        ),
        SimplePublicObjectBatchInput(id="103", properties={"funnelhouse_lead_score": "42"}),
    ]
    answer = api.batch_api.update_with_http_info(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    body, status = answer[0], answer[1]
    assert status == 207
    assert body.num_errors == 1
    assert sorted(r.id for r in body.results) == ["101", "103"]
    error = body.errors[0]
    assert error.category == "VALIDATION_ERROR" and error.context["id"] == ["102"]
    assert "no_such_property" in error.message and "PROPERTY_DOESNT_EXIST" in json.dumps(error.to_dict())
    read = api.batch_api.read(
        BatchReadInputSimplePublicObjectId(inputs=[{"id": "101"}, {"id": "102"}, {"id": "103"}],
                                           properties=["funnelhouse_lead_score"], properties_with_history=[])
    )  # fmt: skip
    scores = {r.id: r.properties["funnelhouse_lead_score"] for r in read.results}
    assert scores == {"101": "40", "102": None, "103": "42"}
    assert sandbox.stats()["writes"] == 2


def test_lifecycle_stage_moving_backwards_fails_for_that_input_only(sandbox):
    api = client(sandbox).crm.contacts.batch_api
    # 102 is marketingqualifiedlead (i=2), 103 salesqualifiedlead (i=3), 104 opportunity (i=4).
    inputs = [
        SimplePublicObjectBatchInput(id="102", properties={"lifecyclestage": "opportunity"}),
        SimplePublicObjectBatchInput(id="103", properties={"lifecyclestage": "lead"}),
        SimplePublicObjectBatchInput(id="104", properties={"lifecyclestage": "opportunity"}),
    ]
    body, status, _ = api.update_with_http_info(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert status == 207
    assert [e.context["id"] for e in body.errors] == [["103"]]
    assert "backwards" in body.errors[0].message
    assert sorted(r.id for r in body.results) == ["102", "104"]
    stored = client(sandbox).crm.contacts.basic_api.get_by_id("103", properties=["lifecyclestage"])
    assert stored.properties["lifecyclestage"] == "salesqualifiedlead"


def test_write_appends_property_history_and_bumps_last_modified(sandbox):
    api = client(sandbox).crm.contacts.basic_api
    before = api.get_by_id("101", properties=["lifecyclestage"])
    written_at = datetime.now(UTC)
    api.update("101", SimplePublicObjectInput(properties={"lifecyclestage": "marketingqualifiedlead"}))
    after = api.get_by_id(
        "101", properties=["lifecyclestage", "lastmodifieddate"], properties_with_history=["lifecyclestage"]
    )
    history = after.properties_with_history["lifecyclestage"]
    assert [h.value for h in history] == ["marketingqualifiedlead", "lead"]  # newest first
    assert history[0].source_type == "INTEGRATION"
    assert history[0].timestamp >= written_at - timedelta(seconds=1)
    assert after.updated_at > before.updated_at
    assert (
        after.properties["lastmodifieddate"] == after.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    )
    # The same value again is not a change: no new entry.
    api.update("101", SimplePublicObjectInput(properties={"lifecyclestage": "marketingqualifiedlead"}))
    again = api.get_by_id("101", properties_with_history=["lifecyclestage"])
    assert len(again.properties_with_history["lifecyclestage"]) == 2
    # A search by the new last-modified time finds the written record.
    search = client(sandbox).crm.contacts.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=[Filter(property_name="lastmodifieddate", operator="GT",
                                                       value=iso(contact_modified(CONTACTS)))])]
        )
    )  # fmt: skip
    assert [r.id for r in search.results] == ["101"]


def test_single_write_with_unknown_property_or_bad_value_is_400(sandbox):
    api = client(sandbox).crm.contacts.basic_api
    for properties, code in (({"favourite_colour": "blue"}, "PROPERTY_DOESNT_EXIST"),
                             ({"funnelhouse_lead_score": "lots"}, "INVALID_FLOAT"),
                             ({"hs_lead_status": "MAYBE"}, "INVALID_OPTION")):  # fmt: skip
        with pytest.raises(ApiException) as refused:
            api.update("101", SimplePublicObjectInput(properties=properties))
        body = json.loads(refused.value.body)
        assert refused.value.status == 400 and body["category"] == "VALIDATION_ERROR"
        assert body["message"].startswith("Property values were not valid")
        assert [e["code"] for e in body["errors"]] == [code]
    assert sandbox.stats()["writes"] == 0


def test_property_create_then_write_it_and_409_on_duplicate(sandbox):
    hs = client(sandbox)
    options = [
        {"label": grade, "value": grade, "hidden": False, "displayOrder": i} for i, grade in enumerate("AB")
    ]
    definition = PropertyCreate(
        name="funnelhouse_fit_grade",
        label="Fit grade",
        type="enumeration",
        field_type="select",
        group_name="funnelhouse",
        options=options,
    )
    created = hs.crm.properties.core_api.create("contacts", definition)
    assert created.name == "funnelhouse_fit_grade" and [o.value for o in created.options] == ["A", "B"]
    assert hs.crm.properties.core_api.get_by_name("contacts", "funnelhouse_fit_grade").label == "Fit grade"
    from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

    with pytest.raises(PropertiesApiException) as duplicate:
        hs.crm.properties.core_api.create("contacts", definition)
    assert duplicate.value.status == 409
    hs.crm.contacts.basic_api.update(
        "105", SimplePublicObjectInput(properties={"funnelhouse_fit_grade": "A"})
    )
    with pytest.raises(ApiException):
        hs.crm.contacts.basic_api.update(
            "105", SimplePublicObjectInput(properties={"funnelhouse_fit_grade": "Z"})
        )


def test_upsert_by_email_updates_existing_and_creates_missing(sandbox):
    api = client(sandbox).crm.contacts
    inputs = [
        SimplePublicObjectBatchInputUpsert(
            id="person7@example.com", id_property="email", properties={"firstname": "Seven"}
        ),
        SimplePublicObjectBatchInputUpsert(
            id="new.person@example.com", id_property="email", properties={"firstname": "New"}
        ),
    ]
    body = api.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))
    by_new = {r.new: r for r in body.results}
    assert by_new[False].id == "107"
    created = api.basic_api.get_by_id(by_new[True].id, properties=["email", "firstname"])
    assert (
        created.properties["email"] == "new.person@example.com" and created.properties["firstname"] == "New"
    )
    assert api.basic_api.get_by_id("107").properties["firstname"] == "Seven"


def test_create_and_archive(sandbox):
    api = client(sandbox).crm.contacts.basic_api
    from hubspot.crm.contacts import SimplePublicObjectInputForCreate

    made = api.create(
        SimplePublicObjectInputForCreate(properties={"email": "fresh@example.com", "lifecyclestage": "lead"})
    )
    assert api.get_by_id(made.id).properties["email"] == "fresh@example.com"
    with pytest.raises(ApiException) as conflict:
        api.create(SimplePublicObjectInputForCreate(properties={"email": "FRESH@example.com"}))
    assert conflict.value.status == 409
    api.archive(made.id)
    with pytest.raises(ApiException) as gone:
        api.get_by_id(made.id)
    assert gone.value.status == 404
    assert made.id in [r.id for r in api.get_page(archived=True, limit=100).results]


def test_restart_on_the_same_database_keeps_writes(world, tmp_path):
    db = tmp_path / "kept.sqlite"
    with running_sandbox(world, db=db) as first:
        client(first).crm.contacts.basic_api.update(
            "110", SimplePublicObjectInput(properties={"firstname": "Kept"})
        )
    with running_sandbox(world, db=db) as second:
        record = client(second).crm.contacts.basic_api.get_by_id("110")
        assert record.properties["firstname"] == "Kept"


# ---- rate limit and faults --------------------------------------------------------------------------
def test_rate_limit_429_then_success_after_retry_after(world):
    with running_sandbox(world, rate_limit=5, rate_window_ms=3000) as crm:
        auth = {"Authorization": f"Bearer {crm.token}"}
        url = f"{crm.url}/crm/v3/objects/contacts?limit=1"
        answers = [requests.get(url, headers=auth, timeout=10) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert [a.headers["X-HubSpot-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
        assert answers[0].headers["X-HubSpot-RateLimit-Max"] == "5"
        refused = answers[-1]
        body = refused.json()
        assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["message"] == "You have reached your ten_secondly_rolling limit."
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 3
        time.sleep(wait)
        assert requests.get(url, headers=auth, timeout=10).status_code == 200
        stats = crm.stats()
        assert stats["rate_limited"] == 1 and stats["requests"] == 7


def test_default_rate_limit_headers_announce_ten_seconds(shared):
    answer = requests.get(
        f"{shared.url}/crm/v3/objects/deals", headers={"Authorization": f"Bearer {shared.token}"}, timeout=10
    )
    assert answer.status_code == 200
    assert answer.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert answer.headers["X-HubSpot-RateLimit-Max"] == "100"


def test_injected_errors_and_drops_are_seeded_and_counted(world):
    with running_sandbox(world, fail_rate=1.0) as crm:
        auth = {"Authorization": f"Bearer {crm.token}"}
        url = f"{crm.url}/crm/v3/objects/contacts"
        statuses = [requests.get(url, headers=auth, timeout=10).status_code for _ in range(8)]
        assert all(s in (500, 502, 503, 504) for s in statuses)
        assert crm.stats()["injected_errors"] == 8
        crm.set_faults(fail_rate=0.0, drop_rate=1.0)
        with pytest.raises(requests.ConnectionError):
            requests.get(url, headers=auth, timeout=10)
        crm.set_faults(drop_rate=0.0, latency_ms=400)
        started = time.monotonic()
        assert crm.hubspot_client().crm.contacts.basic_api.get_page(limit=1).results
        assert time.monotonic() - started >= 0.4
        assert crm.faults()["latency_ms"] == 400
        stats = crm.stats()
        assert stats["dropped"] == 1 and stats["requests"] == 10

    def draws(seed: int) -> list[int]:
        with running_sandbox(world, fail_rate=0.5, fault_seed=seed) as crm:
            auth = {"Authorization": f"Bearer {crm.token}"}
            return [
                requests.get(f"{crm.url}/crm/v3/owners", headers=auth, timeout=10).status_code
                for _ in range(12)
            ]

    first = draws(4)
    assert first == draws(4)
    assert 200 in first and any(s >= 500 for s in first)


@pytest.fixture
def generated_world(request: pytest.FixtureRequest) -> Path:
    """The shared generated world, or a skip while the generator is not written yet."""
    pytest.importorskip("funnelhouse.generator")
    return request.getfixturevalue("small_world")


def test_generated_world_loads_and_pages(generated_world):
    small_world = generated_world
    contacts_file = small_world / "crm" / "contacts.jsonl"
    expected = {
        json.loads(line)["id"]
        for line in contacts_file.read_text().splitlines()
        if not json.loads(line).get("archived")
    }
    with running_sandbox(small_world) as crm:
        api = client(crm).crm.contacts.basic_api
        seen, after = [], None
        while True:
            page = api.get_page(limit=100, after=after, properties=["email"])
            seen.extend(r.id for r in page.results)
            if not page.paging:
                break
            after = page.paging.next.after
        assert sorted(seen) == sorted(expected)


def test_search_other_objects_by_hs_lastmodifieddate(shared):
    api = client(shared).crm.deals.search_api

    def ids(operator: str) -> list[str]:
        window = {"propertyName": "hs_lastmodifieddate", "operator": operator, "value": iso(START)}
        request = {"filterGroups": [{"filters": [window]}], "properties": ["dealstage"]}
        return [r.id for r in api.do_search(public_object_search_request=request).results]

    assert ids("GTE") == ["301"]
    assert ids("GT") == []


def test_get_by_email_id_property(shared):
    record = client(shared).crm.contacts.basic_api.get_by_id("Person9@Example.com", id_property="email")
    assert record.id == "109"


def test_malformed_world_line_stops_the_start_naming_file_and_line(tmp_path):
    crm = tmp_path / "broken" / "crm"
    write_jsonl(crm / "contacts.jsonl", [contact(1)])
    with (crm / "contacts.jsonl").open("a") as handle:
        handle.write('{"id": "abc", "properties": {}}\n')
    with pytest.raises(RuntimeError) as failed:
        with running_sandbox(tmp_path / "broken"):
            pass
    assert "contacts.jsonl:2" in str(failed.value) and "numeric id" in str(failed.value)
