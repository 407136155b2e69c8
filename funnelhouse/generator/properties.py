"""Property definitions the generator declares: Funnelhouse's reverse-ETL targets on contacts.

Shaped like `GET /crm/v3/properties/contacts` results, so the sandbox accepts writes to them.
"""

from __future__ import annotations

from typing import Any

GROUP = "funnelhouse"


def _prop(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    description: str,
    options: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "groupName": GROUP,
        "description": description,
        "options": options or [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": False,
        "hidden": False,
        "formField": False,
    }


def contact_properties() -> list[dict[str, Any]]:
    grades = [
        {"label": grade, "value": grade, "displayOrder": i, "hidden": False}
        for i, grade in enumerate(("A", "B", "C", "D"))
    ]
    return [
        _prop(
            "funnelhouse_lead_score",
            "Funnelhouse lead score",
            "number",
            "number",
            "Engagement points under the current qualification contract, written by Funnelhouse.",
        ),
        _prop(
            "funnelhouse_fit_grade",
            "Funnelhouse fit grade",
            "enumeration",
            "select",
            "How well the contact's company and role match the contract's fit criteria (A best).",
            grades,
        ),
        _prop(
            "funnelhouse_mql_at",
            "Funnelhouse MQL at",
            "datetime",
            "date",
            "When Funnelhouse judged the contact a marketing-qualified lead.",
        ),
        _prop(
            "funnelhouse_mql_reasons",
            "Funnelhouse MQL reasons",
            "string",
            "textarea",
            "Why the lead was sent to sales: the scoring rules and late buying signals that fired.",
        ),
        _prop(
            "funnelhouse_contract_version",
            "Funnelhouse contract version",
            "string",
            "text",
            "Version of the qualification contract that made the decision.",
        ),
    ]
