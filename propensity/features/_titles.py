"""Parse a free-text ``job_title`` into a seniority level and a department.

Titles in a CRM are typed by people: "Sr. Director - Marketing", "V.P. Sales | Acme", "🚀 Founder",
"Geschäftsführer", "Gerente de Vendas". :func:`parse_title` turns one of them into a pair of labels
from two closed vocabularies, :data:`SENIORITIES` and :data:`DEPARTMENTS`, with ordered
word-boundary rules: the first rule that matches wins, so the most specific rules come first.

How a title is read
-------------------
1. ``None``, empty and whitespace-only titles, and placeholders ("n/a", "-", "none", "unknown",
   "Select", ...) are ``("unknown", "unknown")``. So is a title with no letters ("🚀🚀", "123").
2. The title is stripped and cut to :data:`MAX_TITLE_CHARS` characters, so a 10,000-character
   string costs no more than a short one.
3. It is split into segments at ``|``, ``@``, ``•``, ``·``, ``//`` and the words " at ",
   " chez ", " bei ": "VP Sales | Acme Corp" and "Head of Data @ Acme" drop the company. The first
   segment with a recognised word is used (so "Acme Corp | CEO" still finds the CEO); if none has
   one, the first non-empty segment decides.
4. The segment is NFKC-normalised, case-folded, Latin accents are removed ("Geschäftsführer" ->
   "geschaftsfuhrer", "Diretor" stays), other scripts are kept, "V.P." becomes "vp", "&" becomes
   "and" and every other punctuation mark or emoji becomes a space.
5. Abbreviations are expanded: CEO/CFO/CTO/CIO/CISO/CMO/COO/CRO/CHRO/CPO/CDO/CLO -> "chief ...
   officer", Sr/Snr -> senior, Jr -> junior, Mgr -> manager, Mktg -> marketing, Eng -> engineering,
   Dev -> developer, Ops -> operations, BDR/SDR -> business/sales development representative,
   AE -> account executive, BD -> business development, RevOps -> revenue operations,
   GM -> general manager, GC -> general counsel, PM -> product manager, PDG/DG, DRH, DAF (French).

Seniority rules, first match wins
---------------------------------
- ``student``: unambiguous student phrases: "PhD student", "MBA candidate", "graduate student",
  "research/teaching assistant", "student intern", "working student", "Werkstudent", "étudiant",
  "estudiante", "estudante", "aluno".
- ``individual`` (override): "assistant to ...", "executive assistant", any "assistant" not
  directly followed by a rank word, intern, trainee, apprentice, coordinator, junior, and their
  German, French, Spanish, Portuguese and Italian forms. This is why "Assistant to the VP" is not
  ``vp``. An assistant directly followed by a rank keeps that rank: "Assistant Vice President"
  (AVP, a banking grade) is ``vp``, "Assistant Director" is ``director``, "Assistant Manager" is
  ``manager``.
- ``c_level``: "Chief ... Officer" and every "chief" except "Chief of Staff"; President (not Vice
  President); Founder, Co-founder; Owner (not Product/Process/Service/... Owner); Managing Director;
  Managing/Founding/General/Senior Partner and a bare "Partner" (not "Partner Manager", "HR Business
  Partner"); Chairman, Board Member; Entrepreneur; Geschäftsführer, Vorstand, Inhaber, Gründer,
  PDG/Directeur Général, Gérant, Director General/Ejecutivo, Diretor Geral, Sócio, Dueño/Dono,
  Amministratore Delegato, Titolare, Eigenaar.
- ``vp``: VP, SVP, EVP, AVP, RVP, GVP, CVP, "Vice President" in several languages, and General
  Counsel (the officer who heads legal; "Assistant/Associate/Deputy General Counsel" are not).
- ``director``: Director and its translations, Dir., General Manager / Gerente General (a business
  unit's P&L owner, deliberately not c_level), Executive Director, Chief of Staff, Subdirector.
- ``head``: "Head (of)", Headteacher, Dean, German "Leiter/Leitung" (except Team-/Gruppen-/Projekt-/
  Schichtleiter), Spanish "Jefe/Jefa", French "Chef (de)", Portuguese "Chefe". "Director/Head of IT"
  is ``director``: both rank 4 and the director rule comes first.
- ``manager``: Manager (also "Senior Manager" and German compounds like "Produktmanager"),
  Supervisor, Team Lead(er), Teamleiter, Projektleiter, Gerente, Gestor, Responsable, Responsabile,
  Chef de projet, Jefe de proyecto, Encargado.
- ``senior``: Senior, Sr, Snr, Lead (not "Lead Generation"), Principal, Distinguished,
  Staff Engineer/Scientist/....
- ``student``: a bare "student" (after the ranks, so "Student Success Manager" is ``manager`` and
  "Dean of Students" is ``head``).
- ``individual``: every other title with letters ("Nurse", "Consultant", "Account Executive").

A few Cyrillic, Chinese and Japanese titles are recognised too (директор, 经理, 总监, 部長, ...).

Department rules, first match wins
----------------------------------
1. ``executive`` for top-of-company roles (CEO, President, Founder, Owner, Managing Director,
   Chairman, Board, Geschäftsführer, ...), even when a function is named: "Co-founder & CTO" is
   ``executive``, as is "Executive Assistant to the CEO".
2. ``engineering`` for "Chief Technology Officer" and "Tech Lead"; ``it`` for "data center".
3. Functions in this order: ``legal``, ``hr``, ``finance``, ``marketing``, ``sales``,
   ``customer_success``, ``data``, ``it``, ``engineering``, ``product``, ``education``,
   ``operations``. The order settles titles that name two: "Sales Recruiter" is ``hr``, "Revenue
   Accountant" ``finance``, "Product Marketing Manager" and "Sales & Marketing Director"
   ``marketing``, "Sales Engineer" ``sales``, "Data Engineer" ``data``, "Network Engineer" ``it``.
   "Financial Services" is an industry, not ``finance``.
4. ``executive`` for softer leadership words when no function was named: General Manager, Executive
   Director, Chief of Staff, Partner, a bare "Executive".
5. Generic words last: analyst and scientist -> ``data``; support, customer, client ->
   ``customer_success``; design -> ``product``; technology, tech -> ``it``.
6. Nothing matched: ``executive`` for a ``c_level`` title ("Chief Officer", "Owner"), ``education``
   for a ``student`` ("MBA Candidate", "Research Assistant"), otherwise ``other``.

Ambiguous abbreviations are read one way, on purpose: CRO is Chief Revenue Officer (``sales``), CPO
Chief Product Officer (``product``), CDO Chief Data Officer (``data``); CSO, CCO and CAO are a chief
with no function (``executive``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import polars as pl

__all__ = [
    "DEPARTMENTS",
    "MAX_TITLE_CHARS",
    "SENIORITIES",
    "SENIORITY_RANK",
    "parse_title",
    "parse_titles",
]

SENIORITIES: tuple[str, ...] = (
    "c_level",
    "vp",
    "director",
    "head",
    "manager",
    "senior",
    "individual",
    "student",
    "unknown",
)
"""Every seniority :func:`parse_title` can return, most senior first."""

SENIORITY_RANK: dict[str, int] = {
    "c_level": 6,
    "vp": 5,
    "director": 4,
    "head": 4,
    "manager": 3,
    "senior": 2,
    "individual": 1,
    "student": 0,
    "unknown": -1,
}
"""An ordinal for each seniority: higher is more senior. ``director`` and ``head`` share rank 4;
``unknown`` is -1 so a model can tell "no title" apart from the most junior title."""

DEPARTMENTS: tuple[str, ...] = (
    "executive",
    "marketing",
    "sales",
    "it",
    "engineering",
    "product",
    "data",
    "finance",
    "operations",
    "hr",
    "legal",
    "customer_success",
    "education",
    "other",
    "unknown",
)
"""Every department :func:`parse_title` can return. ``other`` is a real title with no recognised
function ("Nurse"); ``unknown`` means there was no usable title at all."""

MAX_TITLE_CHARS: int = 200
"""Titles are cut to this many characters (after stripping) before any matching."""

_UNKNOWN: tuple[str, str] = ("unknown", "unknown")

# --------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------

# Latin letters that NFKD does not decompose into an ASCII base.
_LATIN_SPECIALS: dict[str, str] = {
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
}

_SEGMENT_SPLIT = re.compile(r"\s*(?:[|@•·]|//|\s(?:at|chez|bei)\s)\s*", re.IGNORECASE)
_DOTTED_LETTER = re.compile(r"(?<=\b[a-z])\.(?=[a-z]\b)")  # "v.p." -> "vp.", "c.e.o" -> "ceo"
_AMPERSAND = re.compile(r"&")
_NON_WORD = re.compile(r"[\W_]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_PLACEHOLDER = re.compile(
    r"^(?:n ?a|none|null|nil|nan|unknown|unspecified|undefined|tbd|tba|other|others|select|"
    r"title|job title|no title|not (?:provided|available|specified|applicable|given)|x+|test)$"
)

_ABBREVIATIONS: dict[str, str] = {
    "ceo": "chief executive officer",
    "cfo": "chief financial officer",
    "coo": "chief operating officer",
    "cto": "chief technology officer",
    "cio": "chief information officer",
    "ciso": "chief information security officer",
    "cmo": "chief marketing officer",
    "cro": "chief revenue officer",
    "chro": "chief human resources officer",
    "cpo": "chief product officer",
    "cdo": "chief data officer",
    "cdao": "chief data officer",
    "clo": "chief legal officer",
    "cso": "chief officer",
    "cco": "chief officer",
    "cao": "chief officer",
    "cxo": "chief officer",
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "jnr": "junior",
    "mgr": "manager",
    "mngr": "manager",
    "mgmt": "management",
    "mktg": "marketing",
    "mkt": "marketing",
    "mkting": "marketing",
    "eng": "engineering",
    "engr": "engineering",
    "engg": "engineering",
    "dev": "developer",
    "devs": "developers",
    "ops": "operations",
    "bdr": "business development representative",
    "sdr": "sales development representative",
    "ae": "account executive",
    "bd": "business development",
    "bizdev": "business development",
    "biz dev": "business development",
    "bus dev": "business development",
    "revops": "revenue operations",
    "salesops": "sales operations",
    "mops": "marketing operations",
    "bizops": "business operations",
    "hrbp": "hr business partner",
    "gc": "general counsel",
    "gm": "general manager",
    "pm": "product manager",
    "dir": "director",
    "asst": "assistant",
    "assoc": "associate",
    "exec": "executive",
    "acct": "account",
    "pres": "president",
    "ml": "machine learning",
    "bi": "business intelligence",
    "pdg": "president directeur general",
    "dg": "directeur general",
    "drh": "directeur ressources humaines",
    "daf": "directeur administratif et financier",
    "dsi": "informatique",
    "rrhh": "recursos humanos",
}
_ABBREVIATION = re.compile(
    r"\b(?:"
    + "|".join(re.escape(key) for key in sorted(_ABBREVIATIONS, key=len, reverse=True))
    + r")\b"
)


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Strip accents from a Latin letter; leave other scripts and symbols untouched."""
    special = _LATIN_SPECIALS.get(char)
    if special is not None:
        return special
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and base.isascii() else char


def _normalize(segment: str) -> str:
    """Lower-case, accent-free, punctuation-free, abbreviation-expanded text, single-spaced."""
    text = unicodedata.normalize("NFKC", segment).casefold()
    if not text.isascii():
        text = "".join(c if c.isascii() else _fold_char(c) for c in text)
    text = _DOTTED_LETTER.sub("", text)
    text = _AMPERSAND.sub(" and ", text)
    text = " ".join(_NON_WORD.sub(" ", text).split())
    return _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(0)], text)


# --------------------------------------------------------------------------------------------------
# Seniority rules
# --------------------------------------------------------------------------------------------------


def _any(*alternatives: str) -> re.Pattern[str]:
    """Compile alternatives into one pattern (each carries its own boundaries)."""
    return re.compile("|".join(f"(?:{alt})" for alt in alternatives))


def _not_after(*words: str) -> str:
    """Negative look-behinds, one per word (Python needs each to be fixed-width)."""
    return "".join(f"(?<!{word} )" for word in words)


_RANK_WORDS = r"(?:vice president|[a-z]?vp|director|manager|general manager|head)\b"

_OWNER = (
    _not_after(
        "product", "process", "service", "data", "system", "systems", "application", "app",
        "platform", "technical", "content", "risk", "control", "budget", "account", "solution",
        "feature", "release", "relationship", "asset", "program", "project", "category", "channel",
        "business process", "technology", "model", "domain",
    )
    + r"\b(?:co )?owners?\b"
)
_PARTNER = (
    r"\b(?:managing|founding|general|senior|equity|name|executive) partners?\b",
    _not_after(
        "business", "channel", "alliance", "alliances", "hr", "human resources", "people", "talent",
        "strategic", "finance", "financial", "technology", "sales", "account", "solutions",
        "implementation", "success", "learning", "delivery", "relationship", "customer", "client",
        "marketing", "integration", "growth", "brand", "agency", "media", "reseller",
    )
    + r"\bpartners?\b(?! (?:manager|management|marketing|success|development|sales|program|account|"
    r"operations|engineer|solutions|enablement|ecosystem|relations|alliances?|channel|lead|"
    r"specialist|executive|director|support|network|experience|integrations?)\b)",
)
_PRESIDENT = r"(?<!vice )\bpresident[ea]?\b|(?<!вице )президент|(?<!副)总裁|社長|代表取締役"
_FOUNDER = (
    r"\b(?:co )?founders?\b|\bcofounders?\b|grunder|gruender|\b(?:co )?fondat(?:eur|rice)\b|"
    r"\bcofondat(?:eur|rice)\b|\b(?:co)?fundador(?:a|es)?\b|\bco fundador(?:a)?\b|"
    r"\bentrepreneur\b|основател|创始人|創業者|創始人"
)
_TOP_ROLES = (
    r"\bchief executive\b",
    _PRESIDENT,
    _FOUNDER,
    _OWNER,
    r"\bmanaging directors?\b|\bmanaging director(?:in)?\b",
    r"\bgesch(?:a|ae)fts(?:f(?:u|ue)hrer(?:in)?|leitung|leiter(?:in)?)\b",
    r"\bchair(?:man|woman|person)\b|\bchair of the board\b|\bboard (?:member|director)\b|"
    r"\bmember of the board\b|\bboard of directors\b",
    r"\bvorstand|\binhaber(?:in)?\b",
    r"\bdirect(?:eur|rice) general(?:e)?\b|\bdirector(?:a)? (?:general|ejecutiv[oa])\b|"
    r"\bdiret(?:or|ora) (?:geral|presidente)\b",
    r"\bgerante?\b|\bamministratore delegato\b|\btitolare\b|\beigenaar\b",
    r"\bsoci[oa]s?\b|\bduen[oa]\b|\bdono\b|\bpropri(?:etaire|etario|etaria)\b|\bpropietari[oa]\b",
    r"генеральн\w* директор|владел|董事长|首席执行官",
)

_STUDENT_STRONG = _any(
    r"\b(?:phd|ph d|doctoral|doctorate|mba|msc|ms|ma|master s?|masters|bachelor s?|bachelors|"
    r"graduate|grad|undergraduate|undergrad|postgraduate|university|college|high school) "
    r"(?:student|candidate)s?\b",
    r"\b(?:research|teaching|graduate) assistant\b",
    r"\bstudent (?:intern|assistant|worker|trainee|researcher)\b|\bworking student\b",
    r"\bundergrad(?:uate)?\b|\bdoktorand(?:in)?\b|\bwerkstudent(?:in)?\b",
    r"\betudiant(?:e)?\b|\bestudiante\b|\bestudante\b|\balun[oa]\b|\balumn[oa]\b|\bstudentessa\b",
    r"студент|аспирант|学生",
)
_JUNIOR_OVERRIDE = _any(
    r"\bassistant to\b",
    r"\b(?:assistant|assistante|assistent|assistentin|assistente|asistente)\b"
    f"(?! {_RANK_WORDS})",
    r"\binterns?\b|\btrainee\b|\bapprentice\w*|\bpraktikant(?:in)?\b|\bstagiaire\b|\bbecari[oa]\b|"
    r"\bpracticante\b|\bestagiari[oa]\b|\btirocinante\b|\bazubi\b|\bauszubildende\w*|"
    r"\balternant(?:e)?\b|\bjunior\b",
    r"\bcoordinat(?:or|eur|rice|ore)s?\b|\bcoordinador(?:a)?\b|\bcoordenador(?:a)?\b|"
    r"\bkoordinator(?:in)?\b",
    r"стажер|实习生|インターン|ассистент",
)
_C_LEVEL = _any(
    r"\bchief\b(?! of staff\b)",
    *_TOP_ROLES,
    *_PARTNER,
    r"首席|最高\w*責任者|取締役",
)
_VP = _any(
    r"\b[aegrsc]?vp\b|\bv p\b|\bvice ?president[ea]?s?\b|\bvizeprasident(?:in)?\b",
    _not_after("assistant", "associate", "deputy") + r"\bgeneral counsel\b",
    r"вице президент|副总裁|副社長",
)
_DIRECTOR = _any(
    r"\bdirectors?\b|\bdirector(?:a|es)\b|\bdirect(?:eur|rice)s?\b|\bdiret(?:or|ora|ores)\b|"
    r"\bdirektor(?:in)?\b|\bdirett(?:ore|rice)\b|\bsubdirector(?:a)?\b",
    r"\bgeneral managers?\b|\bgerente general\b|\bchief of staff\b",
    r"директор|总监|总经理|本部長",
)
_HEAD = _any(
    r"\bhead\b(?! (?:hunter|hunting)\b)|\bhead(?:teacher|master|mistress)\b|\bdeans?\b",
    _not_after("team", "gruppen", "projekt", "schicht")
    + r"(?<!team)(?<!gruppen)(?<!projekt)(?<!schicht)leit(?:er|erin|ung)\b",
    r"\bjef[ea]s?\b(?! de proyectos?\b)|\bchef\b(?! de projets?\b)|\bchefe\b",
    r"руководител|начальник|部長|负责人",
)
_MANAGER = _any(
    r"managers?\b|\bmanagerin\b",
    r"\bsupervisor(?:a|in)?s?\b|\bteam lead(?:er)?s?\b|\bforem[ae]n\b|\bsuperintendent\b",
    r"\b(?:team|gruppen|projekt|schicht)leit(?:er|erin|ung)\b",
    r"\bgerentes?\b|\bsubgerente\b|\bgestor(?:a)?\b|\bresponsab(?:le|ile)s?\b|"
    r"\bchef de projets?\b|\bjef[ea] de proyectos?\b|\bencargad[oa]\b",
    r"менеджер|(?<!总)经理|主管|課長|マネージャー|マネジャー",
)
_SENIOR = _any(
    r"\bsenior\b|\bsnr\b",
    r"\blead\b(?! (?:generation|gen|qualification|nurturing|management|routing)\b)",
    r"\bprincipal\b|\bdistinguished\b",
    r"\bstaff (?:engineer|software|scientist|data|developer|designer|architect|product|"
    r"machine learning|researcher|analyst)\b",
    r"старш|高级|シニア",
)
_STUDENT_WEAK = _any(r"\bstudents?\b|\bstudentin\b")

_SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("student", _STUDENT_STRONG),
    ("individual", _JUNIOR_OVERRIDE),
    ("c_level", _C_LEVEL),
    ("vp", _VP),
    ("director", _DIRECTOR),
    ("head", _HEAD),
    ("manager", _MANAGER),
    ("senior", _SENIOR),
    ("student", _STUDENT_WEAK),
)

# --------------------------------------------------------------------------------------------------
# Department rules
# --------------------------------------------------------------------------------------------------

_DEPARTMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("executive", _any(*_TOP_ROLES)),
    ("engineering", _any(r"\bchief (?:technology|technical) officer\b|\btech lead\b")),
    ("it", _any(r"\bdata ?cent(?:er|re)s?\b")),
    (
        "legal",
        _any(
            r"\blegal\b|\bcounsel\b|\battorneys?\b|\blawyers?\b|\bparalegal\b|\bcompliance\b|"
            r"\bprivacy\b|\bdata protection\b|\bdpo\b|\bcontracts?\b|\bsolicitor\b|\bbarrister\b",
            r"\bjuridi(?:que|co|ca)\b|\bjurist\w*|\babogad[oa]\b|\badvogad[oa]\b|\bavocat\w*|"
            r"\brechtsanw\w*|\bjustiziar\w*|datenschutz|юрист|юридическ|法务|法務",
        ),
    ),
    (
        "hr",
        _any(
            r"\bhr\b|\bhris\b|\bhuman resources?\b|\bhuman capital\b|\bpeople\b|\btalent\b|"
            r"\brecruit\w*|\bstaffing\b|\bpayroll\b|\bpersonnel\b|\bbenefits\b|\bcompensation\b|"
            r"\blearning and development\b|\bl and d\b|\bdiversity\b|\bworkforce\b|\bhead ?hunt\w*",
            r"\bpersonal\w+|\bpersonal\b(?! (?:assistant|assistent\w*|trainer|banker|shopper|care|"
            r"stylist|chef|secretary|injury|finance|lines?)\b)",
            r"\brh\b|\brecursos humanos\b|\bressources humaines\b|\brisorse umane\b|"
            r"кадр|персонал|人力资源|人事",
        ),
    ),
    (
        "finance",
        _any(
            r"\bfinances?\b|\bfinancial\b(?! (?:services|institutions?)\b)|\bfinancier|\bfinanceir|"
            r"\bfinanz|\bfinancas\b",
            r"\baccounting\b|\baccountants?\b|\baccounts (?:payable|receivable)\b|\bcontroll(?:er|"
            r"ing)\b|"
            r"\bcomptroller\b|\btreasur\w*|\btax\b|\baudit\w*|\bfp and a\b|\bbookkeep\w*|"
            r"\bbilling\b|"
            r"\binvestor relations\b|\bactuar\w*|\binvestments?\b|\brisk\b|\bcredit\b",
            r"buchhalt|buchhaltung|\bcomptab\w*|\bcontab\w*|\bcontador(?:a)?\b|\btesorer\w*|"
            r"финанс|бухгалтер|财务|経理|財務",
        ),
    ),
    (
        "marketing",
        _any(
            r"\bmarketing|\bmarketeer\b|\bmarketer\b|\bbrand(?:ing|s)?\b|\bcommunications?\b|"
            r"\bcomms\b|"
            r"\bpr\b|\bpublic relations\b|\bcontent\b|\bseo\b|\bsem\b|\bppc\b|\bsocial media\b|"
            r"\bdemand gen\w*|\blead gen\w*|\bgrowth\b|\bevents?\b|\badvertising\b|\bmedia\b|"
            r"\bcopywrit\w*|"
            r"\bcampaigns?\b|\bcreative\b|\bgraphic design\w*|\bmartech\b|\babm\b",
            r"\bmercadotecnia\b|\bmercadeo\b|\bmercadologia\b|\bwerbung\b|\bkommunikation\b|"
            r"маркетинг|市场|营销|マーケティング|広報",
        ),
    ),
    (
        "sales",
        _any(
            r"\bsales\b|\bsales(?:person|man|woman|people)\b|\bbusiness development\b|\brevenue\b|"
            r"\baccounts?\b|\bkey accounts?\b|\bpre ?sales\b|\bchannel\b|\bpartnerships?\b|"
            r"\balliances?\b|\bpartner (?:manager|management|sales|development)\b|"
            r"\bgo to market\b|\bgtm\b|\bdeal desk\b|\bcommercial\b",
            r"vertrieb|verkauf|\baussendienst\b|\bgeschaftsentwicklung\b|\bventes?\b|\bventas\b|"
            r"\bvendas\b|\bvendite\b|\bcomercial\b|\bcommerciale\b|\bvendedor(?:a|es)?\b|"
            r"\bverkoop\b|\bdesarrollo de negocios?\b|\bdesenvolvimento de negocios\b",
            r"продаж|销售|営業",
        ),
    ),
    (
        "customer_success",
        _any(
            r"\bcustomer (?:success|experience|support|service|services|care|relations|"
            r"onboarding)\b|"
            r"\bclient (?:success|services|service|experience|relations|support|care)\b|\bcx\b|"
            r"\bonboarding\b|\bimplementation\b|\bprofessional services\b",
            r"\bkunden(?:service|dienst|betreuung|support|erfolg)\b|\bservice client\b|"
            r"\batencion al cliente\b|\batendimento\b|\bsucesso do cliente\b|客户成功|カスタマーサクセス",
        ),
    ),
    (
        "data",
        _any(
            r"\bdata\b|\banalytics\b|\bbusiness intelligence\b|\bmachine learning\b|\bai\b|"
            r"\bartificial intelligence\b|\bstatistic\w*|\binsights\b|\bmlops\b|\bdataops\b",
            r"\bdaten|\bdatos\b|\bdados\b|\bdonnees\b|数据|данн",
        ),
    ),
    (
        "it",
        _any(
            r"\bit\b|\binformation (?:technology|security|systems?|management|officer)\b|"
            r"\binfosec\b|"
            r"\bcyber\w*|\bsecurity\b|\bnetworks?\b|\bnetworking\b|\binfrastructure\b|\bsysadmin\b|"
            r"\bsystems? (?:administrator|admin|engineer|analyst)\b|\bhelp ?desk\b|"
            r"\bservice desk\b|\bdesktop support\b|\bcloud\b|\bdba\b|\bdatabase administrator\b|"
            r"\berp\b|\bsap\b|\bsecops\b|\bitops\b",
            r"\binformatique\b|\binformatik\w*|\binformatica\b|\bsistemas\b|\bti\b|\bedv\b|"
            r"\btecnologia da informacao\b|\bsystemes d information\b|\bит\b|信息技术",
        ),
    ),
    (
        "engineering",
        _any(
            r"\bengineer\w*|\bdevelop(?:er|ers|ment)\b|\bsoftware\b|\bprogramm(?:er|ing)\b|"
            r"\bcoder\b|"
            r"\bdevops\b|\bsre\b|\bsite reliability\b|\barchitect\w*|\bqa\b|\bquality assurance\b|"
            r"\br and d\b|\bresearch and development\b|\bfirmware\b|\bembedded\b|\bfront ?end\b|"
            r"\bback ?end\b|\bfull ?stack\b|\bios\b|\bandroid\b",
            r"\bingenieu?r\w*|\bingenier[oa]\b|\bingenieria\b|\bengenheir[oa]\b|\bengenharia\b|"
            r"\bingegnere\b|entwickl|\bdesarrollador\w*|\bdesenvolvedor\w*|\bdeveloppeur\w*|"
            r"инженер|разработ|工程师|研发|エンジニア|開発",
        ),
    ),
    (
        "product",
        _any(
            r"\bproducts?\b|\bux\b|\bui\b|\buser (?:experience|research\w*)\b",
            r"\bprodukt|\bproduit\b|\bproducto\b|\bproduto\b|产品|продукт",
        ),
    ),
    (
        "education",
        _any(
            r"\beducat\w*|\bteach\w*|\bprofessor\w*|\bprofessora\b|\bprofesor(?:a)?\b|"
            r"\bprofesseur\b|\blecturer\b|\bfaculty\b|\bdeans?\b|\binstructor\b|\btutor\b|"
            r"\bacademic\w*|\bschools?\b|\buniversit\w*|\bcolleges?\b|\bcurriculum\b|\blibrarian\b|"
            r"\bhead(?:master|mistress)\b|\bstudents?\b|\bpostdoc\w*|\bpost doctoral\b|\bphd\b",
            r"\blehrer\w*|\bdozent\w*|\benseignant\w*|\bdocente\b|\bmaestr[oa]\b|\bestudiante\b|"
            r"\betudiant(?:e)?\b|\bestudante\b|\balun[oa]\b|\balumn[oa]\b|"
            r"преподават|учител|教师|教授|教員",
        ),
    ),
    (
        "operations",
        _any(
            r"\boperations?\b|\boperating\b|\boperational\b|\bsupply chain\b|\blogistic\w*|"
            r"\bprocurement\b|\bpurchasing\b|\bbuyers?\b|\bsourcing\b|\bfacilit(?:y|ies)\b|"
            r"\boffice manager\b|\badministrat\w*|\bprojects?\b|\bprogram(?:me)?s?\b|\bpmo\b|"
            r"\bproduction\b|\bmanufacturing\b|\bplant\b|\bwarehouse\b|\bfulfil(?:l)?ment\b|"
            r"\bquality\b|\bstrateg\w*|\btransformation\b",
            r"\blogisti(?:k|que|ca)\b|\beinkauf\w*|\bbeschaffung\b|\bcompras\b|\bachats\b|"
            r"\bacquisti\b|\bprojekt\w*|\bproyectos?\b|\bprojets?\b|\bprojetos?\b|betrieb|"
            r"\bproduktion\b|\bproduccion\b|\bproducao\b|\boperaciones\b|\boperacoes\b|"
            r"операци|логистик|运营|运维",
        ),
    ),
    (
        "executive",
        _any(
            r"\bgeneral managers?\b|\bgerente general\b|\bexecutive director\b|\bchief of staff\b|"
            r"\bexecutives?\b|\bdirector(?:a)? ejecutiv[oa]\b",
            *_PARTNER,
        ),
    ),
    ("data", _any(r"\banalysts?\b|\banalista\b|\banalytiker\w*|\bscientists?\b|аналитик")),
    ("customer_success", _any(r"\bsupport\b|\bcustomers?\b|\bclients?\b|\bservice\b")),
    ("product", _any(r"\bdesign\w*")),
    ("it", _any(r"\btechnolog\w*|\btecnolog\w*|\btech\b")),
)


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------


def _parse_segment(segment: str) -> tuple[str, str, bool]:
    """Seniority, department, and whether any rule matched, for one normalised segment."""
    if not segment or not _HAS_LETTER.search(segment) or _PLACEHOLDER.match(segment):
        return "unknown", "unknown", False
    seniority = next((label for label, rule in _SENIORITY_RULES if rule.search(segment)), None)
    department = next((label for label, rule in _DEPARTMENT_RULES if rule.search(segment)), None)
    matched = seniority is not None or department is not None
    if seniority is None:
        seniority = "individual"
    if department is None:
        department = {"c_level": "executive", "student": "education"}.get(seniority, "other")
    return seniority, department, matched


def parse_title(title: str | None) -> tuple[str, str]:
    """Read a free-text job title as ``(seniority, department)``.

    ``seniority`` is one of :data:`SENIORITIES` and ``department`` one of :data:`DEPARTMENTS`. The
    rules, their order and the deliberate choices are listed in this module's docstring.

    >>> parse_title("Sr. Director - Marketing")
    ('director', 'marketing')
    >>> parse_title("Assistant to the VP of Sales")
    ('individual', 'sales')
    >>> parse_title("  ")
    ('unknown', 'unknown')

    Raises:
        TypeError: ``title`` is neither a ``str`` nor ``None``.
    """
    if title is None:
        return _UNKNOWN
    if not isinstance(title, str):
        raise TypeError(
            f"parse_title expects a str or None, got {type(title).__name__}: {title!r}"
        )
    return _parse_text(title.strip()[:MAX_TITLE_CHARS])


@functools.lru_cache(maxsize=1 << 17)
def _parse_text(text: str) -> tuple[str, str]:
    """`parse_title` of a stripped title, remembered (fit, transform and every scoring chunk see the same titles)."""
    fallback: tuple[str, str] | None = None
    for raw_segment in _SEGMENT_SPLIT.split(text):
        seniority, department, matched = _parse_segment(_normalize(raw_segment))
        if matched:
            return seniority, department
        if fallback is None and seniority != "unknown":
            fallback = (seniority, department)
    return fallback if fallback is not None else _UNKNOWN


def parse_titles(titles: pl.Series) -> pl.DataFrame:
    """Parse a column of job titles; each distinct title is parsed once.

    Returns a frame with the String columns ``title_seniority`` and ``title_department``, one row
    per element of ``titles``, in the same order. Nulls parse as ``("unknown", "unknown")``.

    Raises:
        TypeError: ``titles`` is not a polars Series of strings (String, Categorical, Enum or
            all-null).
    """
    if not isinstance(titles, pl.Series):
        raise TypeError(f"parse_titles expects a polars Series, got {type(titles).__name__}")
    if titles.dtype in (pl.Null, pl.Categorical) or isinstance(titles.dtype, pl.Enum):
        titles = titles.cast(pl.String)
    if titles.dtype != pl.String:
        raise TypeError(
            f"parse_titles expects a String series, got dtype {titles.dtype} "
            f"for series {titles.name!r}"
        )
    distinct = titles.unique()
    parsed = [parse_title(title) for title in distinct.to_list()]
    lookup = pl.DataFrame(
        {
            "_title": distinct,
            "title_seniority": [seniority for seniority, _ in parsed],
            "title_department": [department for _, department in parsed],
        },
        schema={"_title": pl.String, "title_seniority": pl.String, "title_department": pl.String},
    )
    return (
        titles.rename("_title")
        .to_frame()
        .join(lookup, on="_title", how="left", nulls_equal=True, maintain_order="left")
        .select("title_seniority", "title_department")
    )
