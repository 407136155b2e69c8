"""Companies and the people who work there: the fit side of lead qualification.

Sizes are spread over orders of magnitude so that a good share of companies fall under the
100-employee line the default contract excludes, and revenue roughly follows headcount.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from funnelhouse.generator import catalog
from funnelhouse.generator.rng import log_uniform

_STRIDE = 7  # coprime with len(COMPANY_WORDS_A) * len(COMPANY_WORDS_B) = 240
MIN_FIT_EMPLOYEES = 100  # the default contract's "companies under 100 employees are excluded"


def _weighted(rng: random.Random, pairs: tuple) -> object:
    values = [p[0] for p in pairs]
    weights = [p[-1] for p in pairs]
    return rng.choices(values, weights=weights)[0]


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass
class Company:
    index: int
    name: str
    domain: str
    industry: str
    employees: int
    revenue: int
    country: str
    city: str

    @property
    def fits(self) -> bool:
        return self.employees >= MIN_FIT_EMPLOYEES


@dataclass
class Person:
    first: str
    last: str
    email: str
    jobtitle: str
    phone: str
    country: str


def make_company(rng: random.Random, index: int, name_offset: int = 0) -> Company:
    """A company; the index (with the world's `name_offset`) makes name and domain unique."""
    words_a, words_b = catalog.COMPANY_WORDS_A, catalog.COMPANY_WORDS_B
    combos = len(words_a) * len(words_b)
    # A stride coprime with the number of stems walks every stem once before any repeats.
    combo = (index * _STRIDE + name_offset) % combos
    stem = words_a[combo // len(words_b)] + words_b[combo % len(words_b)]
    name = f"{stem} {rng.choice(catalog.COMPANY_SUFFIXES)}"
    if index >= combos:  # every stem is taken: number the rest, so names and domains stay unique
        name = f"{name} {index // combos + 1}"
    domain = f"{_ascii_slug(name)}.example"
    employees = int(log_uniform(rng, 3, 20_000))
    revenue = int(employees * rng.uniform(60_000, 260_000) // 10_000 * 10_000)
    country = _weighted(rng, catalog.COUNTRIES)
    city = rng.choice(next(c[1] for c in catalog.COUNTRIES if c[0] == country))
    return Company(index, name, domain, _weighted(rng, catalog.INDUSTRIES), employees, revenue, country, city)


def make_person(rng: random.Random, company: Company, taken: set[str]) -> Person:
    """A contact at the company; `taken` (the company's addresses so far) keeps e-mails unique."""
    first = rng.choice(catalog.FIRST_NAMES)
    last = rng.choice(catalog.LAST_NAMES)
    local = f"{_ascii_slug(first)}.{_ascii_slug(last)}"
    email = f"{local}@{company.domain}"
    serial = 1
    while email in taken:
        serial += 1
        email = f"{local}{serial}@{company.domain}"
    taken.add(email)
    phone = f"+{rng.randint(1, 49)} {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return Person(first, last, email, str(_weighted(rng, catalog.JOB_TITLES)), phone, company.country)
