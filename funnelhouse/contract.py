"""The qualification contract: load the YAML marketing and sales sign, validate it, compile it to dbt seeds.

The contract lives in `models/qualification_contract.yml` (folder from `Settings.contract_dir`). dbt never
reads the YAML: `compile_contract` writes one CSV per table into `dbt_project/seeds/contract/`, so no
business number is a literal in SQL and every score can name the contract version that made it.
Validation happens before dbt starts so a typo fails in a second with the file, the path inside it and
the problem, instead of surfacing as a wrong score or an obscure SQL error.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

CONTRACT_FILE = "qualification_contract.yml"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "contract"

# The CRM properties fit rules may read; staging types them (numbers for the numeric ones).
FIT_PROPERTIES: dict[str, Literal["text", "number"]] = {
    "contact.jobtitle": "text",
    "contact.country": "text",
    "contact.hs_analytics_source": "text",
    "contact.lifecyclestage": "text",
    "contact.company": "text",
    "company.numberofemployees": "number",
    "company.annualrevenue": "number",
    "company.industry": "text",
    "company.country": "text",
    "company.city": "text",
}
NUMERIC_OPERATORS = {"lt", "lte", "gt", "gte"}
LIST_OPERATORS = {"in", "not_in", "contains_any"}
Operator = Literal[
    "eq", "neq", "lt", "lte", "gt", "gte", "contains", "contains_any", "in", "not_in", "is_null", "not_null"
]
EventSource = Literal["web_track", "web_page", "email", "crm"]
LeadStatusMeaning = Literal["new", "accepted", "rejected", "recycled"]
# The inquiry kinds of contracts written before `engagement.inquiry_event_kinds` existed (those of them
# the contract's event_kinds produce), so such a contract keeps its meaning.
DEFAULT_INQUIRY_EVENT_KINDS = ("demo_requested", "contact_sales_requested", "inbound_call")
HANDOFF_FIELDS = {
    "email",
    "firstname",
    "lastname",
    "jobtitle",
    "phone",
    "country",
    "company",
    "hubspot_owner_id",
    "hs_analytics_source",
}


class ContractError(ValueError):
    """The contract cannot be used; the message names the file, the path inside it and what to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FitRule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str | None = None
    property: str
    operator: Operator
    value: str | float | int | list[str | float | int] | None = None
    points: int = 0
    exclude: bool = False
    reason: str | None = None

    @field_validator("property")
    @classmethod
    def _known_property(cls, value: str) -> str:
        if value not in FIT_PROPERTIES:
            raise ValueError(f"unknown property {value!r}; use one of: {', '.join(sorted(FIT_PROPERTIES))}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FitRule:
        if self.operator in {"is_null", "not_null"}:
            if self.value is not None:
                raise ValueError(f"operator {self.operator} takes no value")
        elif self.value is None:
            raise ValueError(f"operator {self.operator} needs a value")
        elif self.operator in LIST_OPERATORS:
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"operator {self.operator} needs a non-empty list as value")
        elif isinstance(self.value, list):
            raise ValueError(f"operator {self.operator} takes one value, not a list")
        if self.operator in NUMERIC_OPERATORS:
            if FIT_PROPERTIES[self.property] != "number":
                raise ValueError(f"operator {self.operator} compares numbers but {self.property} is text")
            if isinstance(self.value, str):
                raise ValueError(f"operator {self.operator} needs a number as value, got {self.value!r}")
        if self.exclude:
            if not self.reason:
                raise ValueError(
                    "an exclusion rule needs a reason (shown to sales, e.g. 'excluded: company size')"
                )
            if self.points:
                raise ValueError("an exclusion rule gives no points; drop `points` or `exclude`")
        elif self.points == 0:
            raise ValueError("a fit rule needs non-zero points, or exclude: true with a reason")
        return self


class FitGrade(_Strict):
    grade: str = Field(min_length=1, max_length=3)
    min_score: int


class Fit(_Strict):
    rules: list[FitRule]
    grades: list[FitGrade] = Field(min_length=1)
    excluded_grade: str = "D"

    @model_validator(mode="after")
    def _grades_descending(self) -> Fit:
        scores = [g.min_score for g in self.grades]
        if scores != sorted(scores, reverse=True) or len(set(scores)) != len(scores):
            raise ValueError("grades must be listed from the highest min_score to the lowest, without ties")
        _unique([r.id for r in self.rules], "fit rule id")
        return self


class EventKindMapping(_Strict):
    source: EventSource
    pattern: str = Field(min_length=1)
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")


class Decay(_Strict):
    percent: float = Field(ge=0, lt=100)
    every_days: int = Field(gt=0)


class EngagementRule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    event_kind: str
    pattern: str | None = Field(default=None, description="optional SQL LIKE pattern on the URL or name")
    points: int
    cap: int | None = Field(default=None, gt=0)
    late_buying_signal: bool = False
    decays: bool = True

    @field_validator("points")
    @classmethod
    def _non_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("points must not be 0 (remove the rule instead)")
        return value


def _produced_kind(value: str, info: ValidationInfo) -> str:
    """An inquiry kind must be one the event_kinds mappings produce (checked once those are valid)."""
    mappings = info.data.get("event_kinds")
    if mappings is not None:
        kinds = {m.kind for m in mappings}
        if value not in kinds:
            raise ValueError(
                f"unknown event kind {value!r}: no event_kinds mapping produces it "
                f"(known kinds: {', '.join(sorted(kinds))})"
            )
    return value


class Engagement(_Strict):
    event_kinds: list[EventKindMapping] = Field(min_length=1)
    # Kinds that make a person an Inquiry: they asked to talk to sales (demo, contact-sales form, call).
    inquiry_event_kinds: list[Annotated[str, AfterValidator(_produced_kind)]] = Field(min_length=1)
    decay: Decay
    rules: list[EngagementRule] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _default_inquiry_kinds(cls, data: object) -> object:
        """Without the key, a contract keeps the former default: those of DEFAULT_INQUIRY_EVENT_KINDS it maps."""
        if isinstance(data, dict) and "inquiry_event_kinds" not in data:
            mappings = data.get("event_kinds")
            produced = (
                {m.get("kind") for m in mappings if isinstance(m, dict)}
                if isinstance(mappings, list)
                else set()
            )
            known = [kind for kind in DEFAULT_INQUIRY_EVENT_KINDS if kind in produced]
            if known:
                data = {**data, "inquiry_event_kinds": known}
        return data

    @model_validator(mode="after")
    def _rules_use_known_kinds(self) -> Engagement:
        kinds = {m.kind for m in self.event_kinds}
        for index, rule in enumerate(self.rules):
            if rule.event_kind not in kinds:
                raise ValueError(
                    f"rules[{index}] (id {rule.id}) scores event kind {rule.event_kind!r}, which no "
                    f"event_kinds mapping produces (known kinds: {', '.join(sorted(kinds))})"
                )
        _unique([r.id for r in self.rules], "engagement rule id")
        _unique(self.inquiry_event_kinds, "inquiry event kind")
        return self


class Handoff(_Strict):
    required_fields: list[str] = Field(min_length=1)

    @field_validator("required_fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        unknown = [f for f in value if f not in HANDOFF_FIELDS]
        if unknown:
            raise ValueError(f"unknown contact field(s) {unknown}; use: {', '.join(sorted(HANDOFF_FIELDS))}")
        return value


class Cadence(_Strict):
    calls: int = Field(ge=0)
    emails: int = Field(ge=0)
    within_days: int = Field(gt=0)


class Sla(_Strict):
    response_minutes_target: int = Field(gt=0)
    response_minutes_max: int = Field(gt=0)
    cadence: Cadence
    mql_target_per_quarter: int = Field(ge=0)

    @model_validator(mode="after")
    def _target_within_max(self) -> Sla:
        if self.response_minutes_target > self.response_minutes_max:
            raise ValueError("response_minutes_target must not exceed response_minutes_max")
        return self


class Stage(_Strict):
    stage: str = Field(min_length=1)
    order: int
    expected_days: float | None = Field(default=None, gt=0)
    probability: float = Field(ge=0, le=1)
    closed: bool = False
    outcome: Literal["won", "lost", "no_decision"] | None = None

    @model_validator(mode="after")
    def _open_or_closed(self) -> Stage:
        if self.closed and self.outcome is None:
            raise ValueError(f"closed stage {self.stage!r} needs an outcome (won, lost or no_decision)")
        if not self.closed and self.expected_days is None:
            raise ValueError(f"open stage {self.stage!r} needs expected_days")
        return self


class Pipeline(_Strict):
    stalled_factor: float = Field(gt=1)
    rushed_factor: float = Field(gt=0, lt=1)
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_stages(self) -> Pipeline:
        _unique([s.stage for s in self.stages], "stage")
        _unique([str(s.order) for s in self.stages], "stage order")
        return self


class Contract(_Strict):
    version: str = Field(min_length=1)
    effective_date: date
    owners: dict[str, str] = Field(default_factory=dict)
    mql_threshold: int = Field(gt=0)
    # Engagement points a lead needs besides the threshold, so fit alone never makes an MQL. 0 (the
    # default, as before the key existed) lets fit points alone reach the threshold.
    mql_min_engagement: int = Field(default=0, ge=0)
    fit: Fit
    engagement: Engagement
    handoff: Handoff
    sla: Sla
    lead_status_map: dict[str, LeadStatusMeaning] = Field(min_length=1)
    pipeline: Pipeline

    @field_validator("mql_min_engagement")
    @classmethod
    def _floor_within_threshold(cls, value: int, info: ValidationInfo) -> int:
        threshold = info.data.get("mql_threshold")
        if threshold is not None and value > threshold:
            raise ValueError(
                f"mql_min_engagement ({value}) must not exceed mql_threshold ({threshold}): engagement "
                "alone would decide and the threshold would mean nothing"
            )
        return value


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


def _format_location(loc: tuple[int | str, ...], raw: object) -> str:
    """Turn pydantic's location into a readable path (`fit.rules[0] (id small_company).operator`)."""
    parts: list[str] = []
    node = raw
    for position, item in enumerate(loc):
        if isinstance(item, int):
            label = ""
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and "id" in node:
                    label = f" (id {node['id']})"
                elif isinstance(node, dict) and "stage" in node:
                    label = f" (stage {node['stage']})"
            parts[-1:] = [f"{parts[-1] if parts else ''}[{item}]{label}"]
            continue
        if not isinstance(node, dict) or (item not in node and position < len(loc) - 1):
            continue  # pydantic's labels of union members and validators, past the value itself
        parts.append(str(item))
        node = node.get(item)
    return ".".join(parts) or "(top level)"


def load_contract(path: Path) -> Contract:
    """Read and validate one contract file; raise ContractError naming the file, the path and the problem."""
    path = Path(path)
    if path.is_dir():
        path = path / CONTRACT_FILE
    if not path.is_file():
        raise ContractError(f"{path}: contract file not found (set FUNNELHOUSE_CONTRACT_DIR to its folder)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContractError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    try:
        return Contract.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{path}: at {_format_location(err['loc'], raw)}: {message}")
        raise ContractError("invalid qualification contract:\n" + "\n".join(problems)) from exc


def contract_tables(contract: Contract) -> dict[str, list[dict[str, object]]]:
    """The seed tables (name → rows) the dbt models read; every column is present in every row."""
    version = contract.version
    fit_rows: list[dict[str, object]] = []
    for order, rule in enumerate(contract.fit.rules, start=1):
        values = rule.value if isinstance(rule.value, list) else [rule.value]
        for value in values:
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            fit_rows.append(
                {
                    "rule_id": rule.id,
                    "rule_order": order,
                    "label": rule.label or rule.reason or rule.id,
                    "entity": rule.property.split(".", 1)[0],
                    "property": rule.property.split(".", 1)[1],
                    "operator": rule.operator,
                    "value_text": None if value is None else str(value),
                    "value_number": value if is_number else None,
                    "points": rule.points,
                    "is_exclusion": int(rule.exclude),
                    "reason": rule.reason,
                }
            )
    grade_rows = [
        {"grade": g.grade, "min_score": g.min_score, "grade_order": i}
        for i, g in enumerate(contract.fit.grades, start=1)
    ]
    kind_rows = [
        {"mapping_order": i, "source": m.source, "pattern": m.pattern, "event_kind": m.kind}
        for i, m in enumerate(contract.engagement.event_kinds, start=1)
    ]
    engagement_rows = [
        {
            "rule_id": r.id,
            "label": r.label,
            "event_kind": r.event_kind,
            "pattern": r.pattern,
            "points": r.points,
            "cap": r.cap,
            "is_late_buying_signal": int(r.late_buying_signal),
            "decays": int(r.decays),
        }
        for r in contract.engagement.rules
    ]
    sla = contract.sla
    settings = {
        "contract_version": version,
        "effective_date": contract.effective_date.isoformat(),
        "mql_threshold": contract.mql_threshold,
        "mql_min_engagement": contract.mql_min_engagement,
        "decay_percent": contract.engagement.decay.percent,
        "decay_every_days": contract.engagement.decay.every_days,
        "excluded_grade": contract.fit.excluded_grade,
        "response_minutes_target": sla.response_minutes_target,
        "response_minutes_max": sla.response_minutes_max,
        "cadence_calls": sla.cadence.calls,
        "cadence_emails": sla.cadence.emails,
        "cadence_days": sla.cadence.within_days,
        "mql_target_per_quarter": sla.mql_target_per_quarter,
        "stalled_factor": contract.pipeline.stalled_factor,
        "rushed_factor": contract.pipeline.rushed_factor,
    }
    settings_rows = [{"setting": k, "value": str(v)} for k, v in settings.items()]
    stage_rows = [
        {
            "deal_stage": s.stage,
            "stage_order": s.order,
            "expected_days": s.expected_days,
            "probability": s.probability,
            "is_closed": int(s.closed),
            "outcome": s.outcome,
        }
        for s in contract.pipeline.stages
    ]
    inquiry_rows = [{"event_kind": kind} for kind in contract.engagement.inquiry_event_kinds]
    status_rows = [{"lead_status": k, "meaning": v} for k, v in contract.lead_status_map.items()]
    handoff_rows = [{"field_name": f} for f in contract.handoff.required_fields]
    return {
        "contract_settings": settings_rows,
        "contract_fit_rules": fit_rows,
        "contract_fit_grades": grade_rows,
        "contract_event_kinds": kind_rows,
        "contract_engagement_rules": engagement_rows,
        "contract_inquiry_event_kinds": inquiry_rows,
        "contract_stage_standards": stage_rows,
        "contract_lead_status_map": status_rows,
        "contract_handoff_fields": handoff_rows,
    }


def _csv_text(rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def compile_contract(contract_dir: Path, seeds_dir: Path = SEEDS_DIR) -> Contract:
    """Validate the contract and (re)write the seed CSVs; files whose content is unchanged are not touched."""
    contract = load_contract(contract_dir)
    seeds_dir.mkdir(parents=True, exist_ok=True)
    tables = contract_tables(contract)
    for name, rows in tables.items():
        if not rows:
            raise ContractError(f"{contract_dir}: the contract yields no rows for seed {name}")
        target = seeds_dir / f"{name}.csv"
        text = _csv_text(rows)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    for stale in seeds_dir.glob("contract_*.csv"):
        if stale.stem not in tables:
            stale.unlink()
    return contract
