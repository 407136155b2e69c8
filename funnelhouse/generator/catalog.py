"""The fixed vocabulary of the demo company's world: names, firmographics, the website and its assets.

The demo company sells a B2B analytics product; its site, white papers, webinars and competitive
analyses are what prospects engage with. Everything here is static data; randomness lives elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES = (
    "Ada",
    "Alan",
    "Amara",
    "Anna",
    "Bruno",
    "Carla",
    "Chen",
    "Chloé",
    "Daniel",
    "Dara",
    "Diego",
    "Elena",
    "Emma",
    "Farid",
    "Fatima",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jonas",
    "Julia",
    "Kai",
    "Karim",
    "Lea",
    "Leon",
    "Lucas",
    "Maya",
    "Marta",
    "Mateo",
    "Mia",
    "Nadia",
    "Noah",
    "Nora",
    "Omar",
    "Oscar",
    "Priya",
    "Rafael",
    "Rosa",
    "Sami",
    "Sara",
    "Sofia",
    "Tariq",
    "Theo",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
)
LAST_NAMES = (
    "Abebe",
    "Andersen",
    "Bauer",
    "Bernard",
    "Costa",
    "Dubois",
    "Duarte",
    "Fischer",
    "Garcia",
    "Haddad",
    "Hansen",
    "Ivanova",
    "Jansen",
    "Kaur",
    "Kim",
    "Kowalski",
    "Laurent",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Müller",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Petit",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Suzuki",
    "Tanaka",
    "Weber",
    "Wójcik",
    "Yilmaz",
    "Zhang",
)

# (job title, weight); the first half are buyer roles the fit rules like, the rest are not.
JOB_TITLES = (
    ("Head of Marketing", 8),
    ("VP Marketing", 5),
    ("Marketing Operations Manager", 8),
    ("CMO", 3),
    ("Demand Generation Manager", 7),
    ("Head of Sales", 5),
    ("VP Sales", 4),
    ("Revenue Operations Lead", 5),
    ("Data Analyst", 8),
    ("Growth Manager", 6),
    ("Marketing Intern", 3),
    ("Student", 3),
    ("Software Engineer", 6),
    ("Consultant", 5),
    ("Office Manager", 3),
    ("CEO", 4),
)

INDUSTRIES = (
    ("COMPUTER_SOFTWARE", 10),
    ("INFORMATION_TECHNOLOGY_AND_SERVICES", 8),
    ("FINANCIAL_SERVICES", 6),
    ("MARKETING_AND_ADVERTISING", 7),
    ("RETAIL", 5),
    ("HOSPITAL_HEALTH_CARE", 4),
    ("EDUCATION_MANAGEMENT", 3),
    ("MANUFACTURING", 4),
    ("TELECOMMUNICATIONS", 3),
    ("LOGISTICS_AND_SUPPLY_CHAIN", 3),
    ("NON_PROFIT", 2),
)

# (country, cities, weight)
COUNTRIES = (
    ("France", ("Paris", "Lyon", "Nantes", "Lille"), 8),
    ("Germany", ("Berlin", "Munich", "Hamburg"), 7),
    ("United Kingdom", ("London", "Manchester", "Leeds"), 7),
    ("United States", ("New York", "Austin", "Chicago", "San Francisco"), 9),
    ("Spain", ("Madrid", "Barcelona"), 4),
    ("Netherlands", ("Amsterdam", "Utrecht"), 3),
    ("Canada", ("Toronto", "Montreal"), 3),
    ("Brazil", ("São Paulo",), 2),
    ("India", ("Bangalore", "Pune"), 2),
    ("Japan", ("Tokyo",), 1),
)

COMPANY_WORDS_A = (
    "North",
    "Blue",
    "Bright",
    "Clear",
    "Green",
    "Iron",
    "Lumen",
    "Nova",
    "Oak",
    "Pine",
    "Quantum",
    "Red",
    "Silver",
    "Stone",
    "Sun",
    "Swift",
    "True",
    "Vertex",
    "West",
    "Zen",
)
COMPANY_WORDS_B = (
    "wind",
    "field",
    "path",
    "forge",
    "wave",
    "bridge",
    "leaf",
    "stack",
    "point",
    "harbor",
    "works",
    "line",
)
COMPANY_SUFFIXES = (
    "Labs",
    "Systems",
    "Group",
    "Analytics",
    "Retail",
    "Health",
    "Logistics",
    "Partners",
    "Co",
)

SOURCES = (
    ("ORGANIC_SEARCH", 30),
    ("PAID_SEARCH", 18),
    ("SOCIAL_MEDIA", 14),
    ("EMAIL_MARKETING", 6),
    ("REFERRALS", 10),
    ("DIRECT_TRAFFIC", 15),
    ("OFFLINE", 7),
)

SITE = "https://www.funnelhouse-demo.example"


@dataclass(frozen=True)
class Page:
    path: str
    title: str

    @property
    def url(self) -> str:
        return SITE + self.path


HOME = Page("/", "Funnelhouse Demo: lead scoring for B2B teams")
BROWSE_PAGES = (
    HOME,
    Page("/product", "Product overview"),
    Page("/product/scoring", "Lead scoring"),
    Page("/product/integrations", "Integrations"),
    Page("/customers", "Customer stories"),
    Page("/blog/what-is-an-mql", "Blog: what is an MQL?"),
    Page("/blog/sales-marketing-sla", "Blog: writing a sales and marketing SLA"),
    Page("/blog/funnel-metrics", "Blog: funnel metrics that matter"),
    Page("/blog/lead-recycling", "Blog: recycling leads without losing them"),
    Page("/about", "About us"),
    Page("/careers", "Careers"),
)
PRICING = Page("/pricing", "Pricing")
DEMO = Page("/demo", "Book a demo")
CONTACT_SALES = Page("/contact-sales", "Talk to sales")
NEWSLETTER = Page("/newsletter", "Subscribe to the newsletter")


@dataclass(frozen=True)
class Asset:
    asset_id: str
    title: str
    kind: str  # white_paper, webinar, competitive_analysis
    form_id: str

    @property
    def page(self) -> Page:
        folder = {"white_paper": "white-papers", "webinar": "webinars", "competitive_analysis": "compare"}
        return Page(f"/resources/{folder[self.kind]}/{self.asset_id}", self.title)


WHITE_PAPERS = (
    Asset("wp-lead-scoring-101", "Lead scoring 101", "white_paper", "form-wp-1"),
    Asset("wp-sla-playbook", "The sales and marketing SLA playbook", "white_paper", "form-wp-2"),
    Asset("wp-funnel-benchmarks", "B2B funnel benchmarks 2026", "white_paper", "form-wp-3"),
    Asset("wp-data-quality", "CRM data quality checklist", "white_paper", "form-wp-4"),
)
WEBINARS = (
    Asset("web-mql-to-revenue", "From MQL to revenue", "webinar", "form-webinar-1"),
    Asset("web-scoring-live", "Build a scoring model live", "webinar", "form-webinar-2"),
    Asset("web-pipeline-health", "Pipeline health from time, not amounts", "webinar", "form-webinar-3"),
)
COMPETITIVE_ANALYSES = (
    Asset("ca-vs-leadly", "Funnelhouse Demo vs Leadly", "competitive_analysis", "form-ca-1"),
    Asset("ca-vs-scorebox", "Funnelhouse Demo vs Scorebox", "competitive_analysis", "form-ca-2"),
)
NEWSLETTER_FORM = "form-newsletter"
DEMO_FORM = "form-demo"
CONTACT_SALES_FORM = "form-contact-sales"

REFERRERS = {
    "ORGANIC_SEARCH": "https://www.google.com/",
    "PAID_SEARCH": "https://www.google.com/",
    "SOCIAL_MEDIA": "https://www.linkedin.com/",
    "REFERRALS": "https://www.g2.example/categories/lead-scoring",
    "EMAIL_MARKETING": "",
    "DIRECT_TRAFFIC": "",
    "OFFLINE": "",
}
# UTM tags on tagged links, by acquisition source: (source, medium, campaign name, term)
UTM = {
    "PAID_SEARCH": ("google", "cpc", "search-lead-scoring", "lead scoring software"),
    "SOCIAL_MEDIA": ("linkedin", "paid_social", "linkedin-sla-ebook", ""),
}

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
)
EMAIL_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Microsoft Outlook 16.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
)
LIBRARY = {"name": "analytics.js", "version": "next-1.70.0"}

# The address on an old imported list that SendGrid still mails but the CRM never knew.
UNKNOWN_EMAIL = "former.subscriber@legacy-list.example"
