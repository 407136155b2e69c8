"""The range a score can take under the signed qualification contract.

A score outside it means a model summed points the contract does not give (a rule applied twice, a cap
ignored). Bounds follow the contract's arithmetic: each fit rule applies at most once, each engagement rule's
total is bounded by its cap (decay only shrinks points), and the lead score is fit plus engagement. An
engagement rule without a cap has no bound, so the configured `FUNNELHOUSE_DQ_SCORE_MAX` stands in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from expectations.config import DQSettings
from funnelhouse.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    source: str


def score_bounds(settings: Settings, dq: DQSettings) -> dict[str, Bounds]:
    """Bounds of `fit_score`, `engagement_score` and `lead_score`; lower bounds never exceed 0."""
    fallback = {
        name: Bounds(0.0, dq.score_max, "FUNNELHOUSE_DQ_SCORE_MAX")
        for name in ("fit_score", "engagement_score", "lead_score")
    }
    try:
        from funnelhouse.contract import load_contract

        contract = load_contract(settings.contract_dir)
    except Exception as exc:  # noqa: BLE001 - no contract means the configured bound applies
        log.warning("score bounds from FUNNELHOUSE_DQ_SCORE_MAX: contract unavailable (%s)", exc)
        return fallback
    source = f"contract {contract.version}"
    fit_high = float(sum(r.points for r in contract.fit.rules if r.points > 0))
    fit_low = float(sum(r.points for r in contract.fit.rules if r.points < 0))
    eng_high = 0.0
    eng_low = 0.0
    capped = True
    for rule in contract.engagement.rules:
        if rule.cap is None:
            capped = False
            continue
        if rule.points > 0:
            eng_high += rule.cap
        else:
            eng_low -= rule.cap
    if not capped:
        eng_high, eng_low = dq.score_max, -dq.score_max
        source += " (uncapped engagement rules: FUNNELHOUSE_DQ_SCORE_MAX)"
    return {
        "fit_score": Bounds(min(0.0, fit_low), fit_high, source),
        "engagement_score": Bounds(min(0.0, eng_low), eng_high, source),
        "lead_score": Bounds(min(0.0, fit_low + eng_low), fit_high + eng_high, source),
    }
