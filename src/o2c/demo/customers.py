"""The demo's customers: who they are, the credit line they were given, and
how they buy and pay. Each one is there to show a situation a credit manager
meets (a prompt payer, a chronic late payer, a customer in receivership…),
so the table is written out rather than drawn at random."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Habits:
    """How a customer buys and pays. Shares are probabilities per occasion."""

    utilization: float  # exposure / credit limit it runs at when trading normally
    orders_per_month: float
    pay_delay: tuple[int, int]  # days after the due date it pays, lowest..highest
    run_every: int = 7  # its payment run, in days
    short_pay: float = 0.03  # a run that pays one invoice only in part
    late_remittance: float = 0.08  # cash arrives before the remittance advice saying what it pays
    overpay: float = 0.02  # a run that pays more than it owes (unapplied cash)
    disputes: float = 0.03  # per invoice
    credit_notes: float = 0.03  # per invoice (returns, price adjustments)
    cancellations: float = 0.03  # per order
    split_deliveries: float = 0.1  # an order invoiced in two deliveries
    direct_invoices: float = 0.2  # invoices with no order before them (services, freight)


PROMPT = Habits(utilization=0.35, orders_per_month=3, pay_delay=(-5, 2), late_remittance=0.05)
STEADY = Habits(utilization=0.55, orders_per_month=4, pay_delay=(0, 12))
SLOW = Habits(utilization=0.75, orders_per_month=3, pay_delay=(12, 45), short_pay=0.12, late_remittance=0.12)
DISPUTER = Habits(utilization=0.6, orders_per_month=4, pay_delay=(2, 15), disputes=0.2, credit_notes=0.08)
# Runs right under its limit: a limit_near alert most days.
TIGHT = Habits(utilization=0.93, orders_per_month=5, pay_delay=(3, 10), run_every=14)


@dataclass(frozen=True)
class Review:
    """A decision on the credit line, `days_ago` days before the demo's today."""

    days_ago: int
    credit_limit: str
    reason: str
    insured_limit: str | None = None


@dataclass(frozen=True)
class Promise:
    """A promise to pay its oldest overdue invoices (up to `invoices`), made on the first day from
    `days_ago` on with one overdue, for `within` days later."""

    days_ago: int
    within: int
    invoices: int = 1
    kept: bool = True  # paid in full two days before the promised date; else no cash comes


@dataclass(frozen=True)
class Plan:
    """A payment plan for its oldest overdue invoices, agreed on the first day from
    `days_ago` on with one overdue: monthly installments, the first 20 days later."""

    days_ago: int
    invoices: int
    installments: int
    paid: int | None = None  # installments it pays before missing one; None: all of them


@dataclass(frozen=True)
class Reclass:
    """A credit manager's class, overriding the computed one, `days_ago` days before today."""

    days_ago: int
    risk_class: str
    reason: str


@dataclass(frozen=True)
class Customer:
    code: str
    name: str
    currency: str
    credit_limit: str
    payment_terms_days: int
    risk_class: str
    insured_limit: str | None
    habits: Habits
    since: int = 540  # days before today the relationship began
    ratings: tuple[tuple[int, int], ...] = ()  # (days ago, score out of 100), the first at opening
    reviews: tuple[Review, ...] = ()
    stops_paying: int | None = None  # days ago: what falls due after that is never paid
    stops_ordering: int | None = None  # days ago: deliveries stopped (credit hold)
    prepays: bool = False  # pays each order on a pro-forma, before it is invoiced
    monthly_sales: str | None = None  # when the credit limit does not say (a prepaying customer)
    ramp_up: int | None = None  # days ago its orders started growing, to twice their size today
    # Collections, beyond the dunning steps its scenario makes collectors take:
    promises: tuple[Promise, ...] = ()
    plans: tuple[Plan, ...] = ()
    formal_notice: int | None = None  # days ago: a formal notice about its oldest open invoice
    reclassed: Reclass | None = None
    scenario: tuple[int, str] | None = None  # (days ago, the dunning scenario it was assigned)


CUSTOMERS: tuple[Customer, ...] = (
    # The showcase: a bit of everything (partial and late payments, a cancelled order,
    # a dispute, credit notes, a limit raised at its yearly review, reminders, a promise kept).
    Customer("DEMO-0001", "Maison Berthier Distribution", "EUR", "120000.00", 45, "B", "100000.00",
             replace(STEADY, disputes=0.08, credit_notes=0.06, cancellations=0.06, short_pay=0.08),
             ratings=((540, 66), (360, 69), (150, 73)),
             reviews=(Review(200, "150000.00", "yearly review: good payment record", "120000.00"),),
             promises=(Promise(40, 14, invoices=2),)),
    Customer("DEMO-0002", "Transports Lefèvre & Fils", "EUR", "40000.00", 30, "B", "40000.00", PROMPT,
             ratings=((540, 71),)),
    # A promise made last week, due in a fortnight.
    Customer("DEMO-0003", "Atelier Durand Métallerie", "EUR", "25000.00", 30, "C", "20000.00", SLOW,
             ratings=((540, 48), (270, 45)), promises=(Promise(5, 21),)),
    Customer("DEMO-0004", "Brasserie du Vieux Port", "EUR", "15000.00", 30, "C", None, STEADY,
             ratings=((540, 55),)),
    Customer("DEMO-0005", "Nordpack Emballages", "EUR", "200000.00", 60, "A", "200000.00", PROMPT,
             ratings=((540, 86), (300, 88))),
    Customer("DEMO-0006", "Groupe Hôtelier Azur", "EUR", "80000.00", 45, "C", "60000.00", DISPUTER,
             ratings=((540, 52),)),
    # Growing fast, then its insurer cut cover and the limit followed it down:
    # over its limit and beyond its insured limit.
    Customer("DEMO-0007", "Vertical Logistique", "EUR", "150000.00", 45, "B", "150000.00",
             replace(STEADY, utilization=0.7, pay_delay=(5, 20)),
             ratings=((540, 64), (90, 51)),
             reviews=(Review(40, "90000.00", "credit insurer reduced its cover", "60000.00"),),
             ramp_up=120),
    Customer("DEMO-0008", "Boulangeries Martin", "EUR", "10000.00", 30, "B", None, PROMPT,
             ratings=((540, 68),)),
    Customer("DEMO-0009", "Chantiers Navals Keravel", "EUR", "300000.00", 60, "B", "250000.00",
             replace(STEADY, orders_per_month=1.5), ratings=((540, 63), (200, 66))),
    Customer("DEMO-0010", "Pharmacie Centrale du Rhône", "EUR", "50000.00", 30, "A", "50000.00", PROMPT,
             ratings=((540, 82),)),
    # Stopped paying five months ago: a payment plan broken after one installment, a
    # downgrade, a limit cut, a promise broken, a credit hold, then a formal notice.
    Customer("DEMO-0011", "Ecotherm Services SARL", "EUR", "30000.00", 30, "D", "15000.00", STEADY,
             ratings=((540, 52), (120, 34), (60, 18)),
             reviews=(Review(100, "10000.00", "payment incidents: limit reduced", "5000.00"),),
             stops_paying=150, stops_ordering=75,
             plans=(Plan(130, 2, 3, paid=1),), promises=(Promise(60, 14, kept=False),), formal_notice=40),
    Customer("DEMO-0012", "Imprimerie Lemoine", "EUR", "20000.00", 30, "C", "20000.00", TIGHT,
             ratings=((540, 47),)),
    Customer("DEMO-0013", "Agrinova Coopérative", "EUR", "250000.00", 60, "B", "200000.00", STEADY,
             ratings=((540, 67),)),
    Customer("DEMO-0014", "Clinique Saint-Roch", "EUR", "60000.00", 60, "A", "60000.00",
             replace(SLOW, pay_delay=(20, 50)), ratings=((540, 78),)),
    Customer("DEMO-0015", "Menuiserie Rousseau", "EUR", "12000.00", 30, "C", None, SLOW,
             ratings=((540, 44), (180, 40))),
    # Always late: moved to the firm scenario (a call before each due date).
    Customer("DEMO-0016", "BTP Garnier Constructions", "EUR", "180000.00", 60, "C", "120000.00",
             replace(DISPUTER, pay_delay=(10, 35)), ratings=((540, 49),), scenario=(90, "firm")),
    Customer("DEMO-0017", "Optique Vision Plus", "EUR", "20000.00", 30, "B", "20000.00", PROMPT,
             ratings=((540, 70),)),
    Customer("DEMO-0018", "Domaine des Trois Chênes", "EUR", "35000.00", 45, "B", "30000.00", STEADY,
             ratings=((540, 65),)),
    Customer("DEMO-0019", "Électricité Moreau", "EUR", "45000.00", 30, "C", "45000.00", STEADY,
             ratings=((540, 56),)),
    Customer("DEMO-0020", "Garage Central de Vannes", "EUR", "25000.00", 30, "B", None, PROMPT,
             ratings=((540, 69),)),
    Customer("DEMO-0021", "Laboratoires Bellamy", "EUR", "90000.00", 45, "A", "90000.00", PROMPT,
             ratings=((540, 84),)),
    # Pays in bulk transfers without saying what they pay: unapplied cash.
    Customer("DEMO-0022", "Restauration Collective Sud", "EUR", "70000.00", 30, "C", "50000.00",
             replace(SLOW, late_remittance=0.4, overpay=0.08), ratings=((540, 50),)),
    # In receivership: nothing paid for nine months, limit and cover withdrawn, class E.
    Customer("DEMO-0023", "Textiles Fontaine", "EUR", "60000.00", 60, "D", "40000.00", STEADY,
             ratings=((540, 45), (240, 12), (200, 5)),
             reviews=(Review(210, "0.00", "customer in receivership (redressement judiciaire)", "0.00"),),
             stops_paying=270, stops_ordering=230,
             reclassed=Reclass(205, "E", "customer in receivership (redressement judiciaire)")),
    Customer("DEMO-0024", "Fromagerie des Alpes", "EUR", "30000.00", 30, "B", "30000.00", STEADY,
             since=150, ratings=((150, 62),)),
    # Cash in advance: no credit, each order paid on a pro-forma invoice.
    Customer("DEMO-0025", "Cafés Lambert Torréfaction", "EUR", "0.00", 0, "D", None,
             replace(PROMPT, cancellations=0.08), prepays=True, monthly_sales="6000.00",
             ratings=((540, 28),)),
    Customer("DEMO-0026", "Hydro Pompes Services", "EUR", "55000.00", 45, "B", "50000.00", STEADY,
             since=100, ratings=((100, 60),)),
    # Struggling: its oldest invoices on a payment plan, paid so far.
    Customer("DEMO-0027", "Studio Graphique Pixel", "EUR", "8000.00", 30, "C", None, replace(SLOW, utilization=0.9),
             ratings=((540, 41),), plans=(Plan(70, 3, 4),)),
    Customer("DEMO-0028", "Mécanique de Précision Vial", "EUR", "110000.00", 60, "B", "100000.00", STEADY,
             ratings=((540, 67), (240, 70)),
             reviews=(Review(240, "140000.00", "yearly review: volumes up", "120000.00"),)),
    Customer("DEMO-0029", "Lakeside Tools Inc.", "USD", "120000.00", 45, "B", "100000.00", STEADY,
             ratings=((540, 66),)),
    Customer("DEMO-0030", "Polska Meble Sp. z o.o.", "EUR", "40000.00", 60, "C", "30000.00", SLOW,
             ratings=((540, 53),)),
    # Yen have no minor unit: every amount is whole.
    Customer("DEMO-0031", "Hoshino Trading K.K.", "JPY", "18000000", 60, "A", "15000000", PROMPT,
             ratings=((540, 80),)),
    Customer("DEMO-0032", "Van Dijk Bloemen B.V.", "EUR", "65000.00", 30, "B", "65000.00",
             replace(DISPUTER, disputes=0.1), ratings=((540, 62),)),
)  # fmt: skip
