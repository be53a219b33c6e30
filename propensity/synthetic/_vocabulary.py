"""The generator's vocabulary and rates: event types, outcomes, industries, countries, names, titles,
and the probabilities of the simulated buying journey. Data, not logic.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

GENERATOR_VERSION = 2  # 2: competitors' visible profile, unique account domains
TABLES = ("contacts", "accounts", "events", "outcomes")
FORMATS = ("parquet", "csv")
CSV_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DAY = 86_400
EPOCH = datetime(1970, 1, 1)

# The hidden buying process.
OUT, RESEARCH, EVAL, CUSTOMER = 0, 1, 2, 3
STATE_NAMES = ("OUT", "RESEARCH", "EVAL", "CUSTOMER")
P_OUT_RESEARCH_PER_FIT = 1 / 250
P_RESEARCH_EVAL = 1 / 60
P_RESEARCH_OUT = 1 / 120
P_EVAL_CUSTOMER = 1 / 40
P_EVAL_OUT = 1 / 80
H0 = 1 / 100_000
MAX_FIT = 8.0
FIT_NOISE_SIGMA = 0.8
MAX_COMMITTEE = 6
P_CLOSED_WON = 0.30

# Who the contacts are.
ROLE_BUYER, ROLE_STUDENT, ROLE_COMPETITOR = 0, 1, 2
ROLE_NAMES = ("buyer", "student", "competitor")
SHARE_STUDENTS = 0.04
SHARE_COMPETITORS = 0.02
SHARE_CREATED_BEFORE_START = 0.7
MAX_CONTACTS_PER_ACCOUNT = 25
SENIORITY_WEIGHT = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])  # by level: student, IC, mgr, dir, VP, C

# Vocabularies, kept compact.
# fmt: off
EVENT_TYPES = (
    "email_open", "email_click", "web_visit", "form_fill", "content_download", "webinar_attended",
    "pricing_page_view", "demo_request", "email_unsubscribe",
)
EV = {name: i for i, name in enumerate(EVENT_TYPES)}
OUTCOMES = ("mql", "sql", "opportunity", "closed_won")
OC = {name: i for i, name in enumerate(OUTCOMES)}

# Poisson rates per day of the "site" events: web_visit, content_download, pricing_page_view,
# form_fill, demo_request (before weekend thinning; multiplied by each contact's engagement).
SITE_EVENTS = ("web_visit", "content_download", "pricing_page_view", "form_fill", "demo_request")
RATES_BASELINE = (0.035, 0.004, 0.0012, 0.0008, 0.00008)
RATES_STUDENT = (0.30, 0.06, 0.015, 0.008, 0.0003)
RATES_COMPETITOR = (0.30, 0.05, 0.06, 0.006, 0.001)
RATES_RESEARCH = (0.20, 0.05, 0.015, 0.01, 0.0)  # committee member, on top of the baseline
RATES_EVAL = (0.30, 0.03, 0.12, 0.04, 0.03)
RATES_COLLEAGUE = (0.02, 0.003, 0.0, 0.0, 0.0)  # non-member of an account in RESEARCH or EVAL
WEEKEND_KEEP = 0.35

INDUSTRIES = (
    "Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education", "Media",
    "Logistics", "Telecommunications", "Professional Services", "Energy", "Government",
)
INDUSTRY_SHARE = (0.20, 0.11, 0.10, 0.12, 0.09, 0.05, 0.06, 0.07, 0.05, 0.08, 0.04, 0.03)
INDUSTRY_FIT = (1.8, 1.3, 0.8, 0.7, 0.9, 0.4, 1.1, 0.7, 1.0, 1.1, 0.5, 0.25)
INDUSTRY_WORDS = (
    ("Software", "Labs", "Technologies", "Systems"),
    ("Capital", "Financial", "Bank", "Insurance"),
    ("Health", "Medical", "Care", "Pharma"),
    ("Industries", "Manufacturing", "Components", "Machines"),
    ("Retail", "Stores", "Brands", "Outfitters"),
    ("Learning", "Academy", "Education", "Schools"),
    ("Media", "Studios", "Publishing", "Broadcasting"),
    ("Logistics", "Freight", "Transport", "Shipping"),
    ("Telecom", "Networks", "Communications", "Mobile"),
    ("Consulting", "Partners", "Advisors", "Group"),
    ("Energy", "Power", "Solar", "Utilities"),
    ("Agency", "Authority", "Department", "Council"),
)
REVENUE_PER_EMPLOYEE = (260e3, 420e3, 180e3, 230e3, 150e3, 90e3, 200e3, 170e3, 320e3, 160e3, 600e3, 110e3)

COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "CA", "AU", "NL", "ES", "MX", "SG", "SE", "JP")
COUNTRY_SHARE = (0.42, 0.10, 0.08, 0.06, 0.06, 0.04, 0.05, 0.04, 0.03, 0.03, 0.02, 0.03, 0.02, 0.02)
COUNTRY_UTC_OFFSET = (-5.0, 0.0, 1.0, 1.0, 5.5, -3.0, -5.0, 10.0, 1.0, 1.0, -6.0, 8.0, 1.0, 9.0)
COUNTRY_CALLING_CODE = ("1", "44", "49", "33", "91", "55", "1", "61", "31", "34", "52", "65", "46", "81")
COUNTRY_TLD = ("com", "co.uk", "de", "fr", "in", "com.br", "ca", "com.au", "nl", "es", "com.mx", "sg", "se", "jp")
COUNTRY_COMPANY_SUFFIX = (
    ("Inc", "LLC", "Corp", "Co"),
    ("Ltd", "plc", "Ltd", "Group"),
    ("GmbH", "AG", "GmbH", "SE"),
    ("SA", "SAS", "SARL", "Groupe"),
    ("Pvt Ltd", "Ltd", "Pvt Ltd", "Group"),
    ("Ltda", "SA", "Ltda", "Grupo"),
    ("Inc", "Ltd", "Corp", "Co"),
    ("Pty Ltd", "Ltd", "Pty Ltd", "Group"),
    ("BV", "NV", "BV", "Groep"),
    ("SL", "SA", "SL", "Grupo"),
    ("SA de CV", "SA", "SA de CV", "Grupo"),
    ("Pte Ltd", "Ltd", "Pte Ltd", "Group"),
    ("AB", "AB", "Group", "AB"),
    ("KK", "Co Ltd", "KK", "Holdings"),
)
COUNTRY_LANGUAGE = {"DE": "de", "FR": "fr", "BR": "pt", "ES": "es", "MX": "es", "NL": "nl"}

NAME_PREFIXES = (
    "Blue", "North", "Bright", "Quantum", "Silver", "Apex", "Nova", "Iron", "Green", "Red", "Summit",
    "Clear", "Swift", "Golden", "Stellar", "Vertex", "Harbor", "Cedar", "Atlas", "Pioneer", "Crystal",
    "Polar", "Sun", "River", "Oak", "Falcon", "Orbit", "Prime", "Evergreen", "Zenith", "Cobalt", "Maple",
    "Beacon", "Granite", "Horizon", "Lumen", "Meridian", "Nimbus", "Pacific", "Sterling",
)
NAME_CORES = (
    "stone", "field", "wave", "bridge", "path", "point", "works", "line", "gate", "peak", "forge", "crest",
    "light", "stream", "view", "ridge", "core", "leaf", "port", "vale", "shore", "wind", "mark", "spring",
    "tech",
)
REGION_TAGS = ("Holdings", "International", "Europe", "North America", "Global", "Worldwide", "West", "East")
UNIVERSITY_PLACES = (
    "Springfield", "Riverside", "Lakeside", "Northfield", "Westbrook", "Eastmoor", "Fairview", "Hillcrest",
    "Oakridge", "Brookhaven", "Kingsbridge", "Ashford", "Clearwater", "Greenwood", "Highland", "Redmont",
)
UNIVERSITY_FORMS = (
    "University of {}", "{} State University", "{} Institute of Technology", "{} College",
    "{} Business School",
)
COMPETITOR_NAMES = (
    "LeadPulse", "IntentIQ", "ScoreHub", "PipeSignal", "BuyerLens", "FunnelMind", "DemandRadar", "RevScope",
)

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
    "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Emily", "Mark", "Ashley", "Priya", "Rahul", "Anjali",
    "Arjun", "Wei", "Li", "Yuki", "Hiroshi", "Sofia", "Lucas", "Mateo", "Valentina", "Camila", "Gabriel",
    "Léa", "Hugo", "Chloé", "Louis", "Lukas", "Anna", "Jonas", "Lea", "Jürgen", "Sophie", "Lars", "Emma",
    "Noah", "Olivia", "Liam", "Ava", "Ethan", "Mia", "José", "María", "Zoë", "Pieter", "Sanne", "Oliver",
    "Charlotte", "Amelia", "Jack", "Isla", "Fatima", "Omar", "Aisha", "Kenji", "Mei", "Chen", "Ingrid",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Lewis", "Robinson", "Walker",
    "Patel", "Sharma", "Singh", "Gupta", "Kumar", "Wang", "Zhang", "Liu", "Chen", "Tanaka", "Suzuki", "Sato",
    "Silva", "Santos", "Oliveira", "Souza", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer",
    "Dubois", "Lefèvre", "Moreau", "Laurent", "Bernard", "de Vries", "Jansen", "Bakker", "Visser",
    "Andersson", "Johansson", "Nilsson", "O'Brien", "MacDonald", "Kowalski", "Nowak", "Rossi", "Russo",
)
PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com")

LEAD_SOURCES = (
    "web", "paid_search", "event", "referral", "partner", "outbound", "organic_social", "webinar",
    "content_syndication", "list_import",
)
LEAD_SOURCE_SHARE = (0.22, 0.14, 0.08, 0.06, 0.05, 0.16, 0.07, 0.07, 0.07, 0.08)
STUDENT_LEAD_SOURCE_SHARE = (0.35, 0.10, 0.12, 0.0, 0.0, 0.0, 0.18, 0.10, 0.15, 0.0)
INBOUND_SOURCES = frozenset({"web", "paid_search", "webinar", "content_syndication"})

# What a CRM shows of a competitor's employee (drawn from a stream of its own: see _world): its
# account is in the vendor's own industry far more often than a buyer's, its title leans to product,
# product marketing and analyst roles, and it comes in organically, not through sales or partners.
# An inbound lead (a form at creation) reads as organic search or the website, any other as direct
# traffic or organic social.
COMPETITOR_INDUSTRIES = ("Marketing Technology", "Software")
COMPETITOR_INDUSTRY_SHARE = (0.8, 0.2)
COMPETITOR_TITLES = (
    "Product Manager", "Senior Product Manager", "Product Marketing Manager", "Director of Product",
    "Competitive Intelligence Analyst", "Market Research Analyst", "Marketing Analyst", "Product Analyst",
    "Growth Analyst", "Solutions Engineer",
)
P_COMPETITOR_PROFILE_TITLE = 0.7  # the others keep the title of their hidden level and department
COMPETITOR_INBOUND_SOURCES = ("organic_search", "web")
COMPETITOR_OTHER_SOURCES = ("direct", "organic_social")
P_COMPETITOR_FIRST_SOURCE = 0.6  # the first of each pair, else the second

# Job titles: a hidden (level, department) and free text with the noise real CRMs hold.
DEPARTMENTS = ("marketing", "sales", "it", "data", "finance", "operations", "hr", "executive")
DEPARTMENT_SHARE = (0.24, 0.21, 0.17, 0.08, 0.08, 0.10, 0.08, 0.04)
DEPARTMENT_RELEVANCE = np.array([3.0, 3.0, 2.0, 2.0, 1.0, 1.0, 0.3, 2.0])
LEVEL_SHARE = (0.35, 0.30, 0.20, 0.10, 0.05)  # IC, manager, director, VP, C-level
DEPARTMENT_NAMES = {
    "marketing": ("Marketing", "Marketing", "Digital Marketing", "Growth", "Demand Generation", "Product Marketing"),
    "sales": ("Sales", "Sales", "Business Development", "Revenue Operations", "Sales Operations", "Partnerships"),
    "it": ("IT", "IT", "Engineering", "Information Technology", "Technology", "Infrastructure"),
    "data": ("Data", "Analytics", "Business Intelligence", "Data Science", "Data & Analytics"),
    "finance": ("Finance", "Accounting", "FP&A"),
    "operations": ("Operations", "Business Operations", "Supply Chain"),
    "hr": ("HR", "People", "Human Resources", "Talent"),
    "executive": ("Strategy",),
}
DEPARTMENT_ABBREVIATION = {
    "marketing": "mktg",
    "sales": "sales",
    "it": "IT",
    "data": "data",
    "finance": "fin",
    "operations": "ops",
    "hr": "HR",
    "executive": "strategy",
}
LEVEL_TEMPLATES = {
    4: (
        "VP of {d}", "VP, {d}", "Vice President, {d}", "Vice President of {d}", "SVP {d}", "SVP, {d}",
        "EVP {d}", "VP {d}", "{a} VP",
    ),
    3: (
        "Director of {d}", "{d} Director", "Sr. Director, {d}", "Senior Director of {d}", "Head of {d}",
        "Dir. {d}", "Director, {d}", "Global Head of {d}",
    ),
    2: (
        "{d} Manager", "Manager, {d}", "Sr. {d} Manager", "Senior Manager, {d}", "{a} mgr", "{d} Team Lead",
        "{d} Lead",
    ),
}
C_LEVEL_TITLES = {
    "marketing": ("CMO", "Chief Marketing Officer", "Chief Growth Officer"),
    "sales": ("CRO", "Chief Revenue Officer", "Chief Sales Officer", "Chief Commercial Officer"),
    "it": ("CTO", "Chief Technology Officer", "CIO", "Chief Information Officer"),
    "data": ("Chief Data Officer", "CDO", "Chief Analytics Officer"),
    "finance": ("CFO", "Chief Financial Officer"),
    "operations": ("COO", "Chief Operating Officer"),
    "hr": ("CHRO", "Chief People Officer"),
    "executive": ("CEO", "Founder", "Co-Founder & CEO", "Owner", "President", "Managing Director"),
}
IC_TITLES = {
    "marketing": (
        "Marketing Specialist", "Marketing Coordinator", "Content Writer", "SEO Specialist",
        "Marketing Associate", "Campaign Specialist",
    ),
    "sales": ("Account Executive", "SDR", "Sales Development Representative", "BDR", "Account Manager", "Sales Rep"),
    "it": (
        "Software Engineer", "Sr. Software Engineer", "DevOps Engineer", "Systems Administrator",
        "IT Specialist", "Developer",
    ),
    "data": ("Data Analyst", "Data Scientist", "BI Analyst", "Analytics Engineer", "Data Engineer"),
    "finance": ("Financial Analyst", "Accountant", "Controller", "Billing Specialist"),
    "operations": ("Operations Analyst", "Project Manager", "Program Manager", "Operations Coordinator"),
    "hr": ("Recruiter", "HR Generalist", "Talent Acquisition Specialist", "HR Business Partner"),
    "executive": ("Chief of Staff", "Executive Assistant", "Strategy Analyst"),
}
FOREIGN_TITLES = {
    ("fr", 3, "marketing"): ("Directeur Marketing", "Directrice Marketing"),
    ("fr", 3, "sales"): ("Directeur Commercial", "Directrice Commerciale"),
    ("fr", 3, "it"): ("DSI", "Directeur des Systèmes d'Information"),
    ("fr", 2, "marketing"): ("Responsable Marketing", "Chef de projet marketing"),
    ("fr", 2, "sales"): ("Responsable Commercial",),
    ("fr", 5, "executive"): ("PDG", "Directeur Général"),
    ("fr", 1, "it"): ("Ingénieur logiciel", "Développeur"),
    ("de", 3, "it"): ("Leiter IT", "IT-Leiter"),
    ("de", 3, "marketing"): ("Leiterin Marketing", "Marketingleiter"),
    ("de", 3, "sales"): ("Vertriebsleiter", "Leiter Vertrieb"),
    ("de", 2, "marketing"): ("Marketingmanager", "Marketing Managerin"),
    ("de", 2, "sales"): ("Key Account Manager",),
    ("de", 5, "executive"): ("Geschäftsführer", "Geschäftsführerin"),
    ("de", 1, "it"): ("Softwareentwickler", "Entwickler"),
    ("es", 2, "sales"): ("Gerente de Ventas", "Jefe de Ventas"),
    ("es", 2, "marketing"): ("Gerente de Marketing",),
    ("es", 3, "marketing"): ("Director de Marketing", "Directora de Marketing"),
    ("es", 3, "it"): ("Director de TI", "Gerente de Sistemas"),
    ("es", 5, "executive"): ("Director General",),
    ("pt", 3, "sales"): ("Diretor de Vendas", "Diretora Comercial"),
    ("pt", 2, "marketing"): ("Gerente de Marketing",),
    ("pt", 3, "it"): ("Diretor de TI",),
    ("pt", 2, "sales"): ("Gerente Comercial",),
    ("pt", 1, "data"): ("Analista de Dados",),
    ("nl", 3, "marketing"): ("Hoofd Marketing", "Marketingdirecteur"),
    ("nl", 2, "sales"): ("Salesmanager", "Accountmanager"),
    ("nl", 5, "executive"): ("Algemeen Directeur",),
}
STUDENT_TITLES = (
    "Student", "Student", "MBA Candidate", "Research Assistant", "PhD Student", "Graduate Student",
    "Undergraduate", "Intern", "student", "MBA Student", "Teaching Assistant", "Marketing Student",
)
# fmt: on
