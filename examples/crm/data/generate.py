#!/usr/bin/env python3
"""Sample source data for examples/crm/crm.cutover.

Deterministic (seeded), standard library only. Writes one CSV per source
table into three sibling directories of this script's parent:

  data/                   the main sample: every blocking gate passes, a few
                          messy rows are handled by rules, rejects and warns
  data-broken/            orphans and unknown codes beyond the rollback
                          triggers (loads, then rolls back)
  data-broken-preflight/  duplicates, orphan orders, blank names and a
                          future order: the preflight gate blocks the load

CSV convention: RFC 4180 quoting, UTF-8, LF line ends. An EMPTY UNQUOTED
field is NULL; a quoted empty field "" is the empty string.

    python3 examples/crm/data/generate.py
"""

import copy
import datetime as dt
import random
import unicodedata
from decimal import Decimal
from pathlib import Path

SEED = 20240301
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# ───────────────────────────── CSV writing ─────────────────────────────


def cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    s = str(v)
    if s == "" or any(c in s for c in ',"\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(directory, name, columns, rows):
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        for r in rows:
            f.write(",".join(cell(r[c]) for c in columns) + "\n")


# ───────────────────────────── Value pools ─────────────────────────────

FIRST = ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Ahmed", "Fatima",
         "Chen", "Mei", "Hiroshi", "Yuki", "Olga", "Ivan", "Priya", "Arjun", "Lucía", "Mateo", "Chloé",
         "Lukas", "Sofia", "Emma", "Noah", "Aisha", "Kwame", "Ngozi", "Lars", "Ingrid", "Siobhán", "Seán",
         "François", "Anaïs", "Björn", "Zoë", "José", "Łukasz", "Søren", "Dương"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernández", "Lopez", "Wilson", "Anderson", "Taylor", "Moore", "Müller", "Schmidt", "Dubois",
        "Rossi", "Nakamura", "Kim", "Park", "Nguyễn", "Singh", "Patel", "Okafor", "Mensah", "O'Brien",
        "Kowalski", "Novák", "Andersson", "Jensen", "Papadopoulos", "Yılmaz", "Cohen", "da Silva"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Industries", "Wayne Logistics",
             "Hooli", "Vandelay Imports", "Soylent Foods", "Tyrell Systems", "Wonka Confectionery",
             "Cyberdyne", "Gringotts Finance", "Oceanic Air", "Massive Dynamic"]
CITIES = [("Austin", "TX", "US", "787"), ("Denver", "CO", "US", "802"), ("Seattle", "WA", "US", "981"),
          ("Boston", "MA", "US", "021"), ("Chicago", "IL", "US", "606"), ("Miami", "FL", "US", "331"),
          ("Toronto", "ON", "CA", "M5V"), ("London", None, "GB", "EC1"), ("Paris", None, "FR", "750"),
          ("Berlin", None, "DE", "101"), ("Madrid", None, "ES", "280"), ("São Paulo", "SP", "BR", "013"),
          ("Zürich", "ZH", "CH", "800"), ("北京", None, "CN", "100"), ("Tokyo", None, "JP", "100")]
STREETS = {"US": ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Park Blvd", "Lake Rd", "Hill St"],
           "CA": ["King St W", "Queen St E", "Bay St"], "GB": ["High Street", "Station Road", "Church Lane"],
           "FR": ["Rue de Rivoli", "Boulevard Haussmann"], "DE": ["Hauptstraße", "Friedrichstraße"],
           "ES": ["Calle Mayor", "Gran Vía"], "BR": ["Avenida Paulista", "Rua Augusta"],
           "CH": ["Bahnhofstrasse", "Limmatquai"], "CN": ["Jianguo Rd", "Chang'an Ave"], "JP": ["Chuo-dori"]}
TITLES = ["CEO", "CFO", "Purchasing Manager", "Head of IT", "Office Manager", "Procurement Lead",
          "Operations Director", "Accounts Payable", "Facilities Coordinator", "VP Sales"]
CATEGORIES = ["Furniture", "Accessories", "Electronics", "Services", "Software", "Office Supplies"]
STAGES = ["PROS", "QUAL", "PROP", "NEGO", "WON", "LOST", "PROSPECT", "CW", "CL"]
SENTENCES = [
    "Built for daily use in busy offices and home workspaces.",
    "The powder-coated steel frame resists scratches and corrosion.",
    "Every unit is inspected and tested before it leaves our warehouse.",
    "Tool-free assembly takes less than fifteen minutes.",
    "Compatible with all current models in the range.",
    "Ships flat-packed in fully recyclable cardboard.",
    "Backed by a five-year limited warranty and next-business-day support.",
    "Low-VOC finishes meet GREENGUARD Gold requirements.",
    "Available in three colours: graphite, white and oak.",
    "Cable management channels keep power and data lines out of sight.",
    "Adjustable feet level the unit on uneven floors.",
    "Certified to UL 962 and EN 527-1 safety standards.",
]


def money(rng, lo, hi):
    return Decimal(rng.randint(int(lo * 100), int(hi * 100))) / 100


def ts(rng, start_year, end_year):
    start = dt.datetime(start_year, 1, 1)
    end = dt.datetime(end_year, 12, 31, 23, 59)
    t = start + dt.timedelta(seconds=rng.randint(0, int((end - start).total_seconds())))
    return t.strftime("%Y-%m-%d %H:%M:%S")


def date_between(rng, a, b):
    return a + dt.timedelta(days=rng.randint(0, (b - a).days))


def email_for(rng, first, last, domain_pool=("example.com", "example.org", "mail.example.net")):
    ascii_name = unicodedata.normalize("NFKD", first + "." + last).encode("ascii", "ignore").decode()
    local = ascii_name.lower().replace(" ", "").replace("'", "")
    return f"{local}{rng.randint(1, 99)}@{rng.choice(domain_pool)}"


def phone(rng):
    return f"+1 ({rng.randint(200, 989)}) {rng.randint(200, 989)}-{rng.randint(0, 9999):04d}"


# ────────────────────────────── Tables ────────────────────────────────

CUSTOMER_COLS = ["cust_id", "first_name", "last_name", "company_name", "email", "phone", "address_line1",
                 "address_line2", "address_line3", "city", "state", "postal_code", "country", "dob",
                 "status_flag", "created_date"]


def customers(rng):
    rows = []
    for cid in range(1001, 1301):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, state, country, zip_prefix = rng.choice(CITIES)
        has_addr = rng.random() > 0.06
        line2 = rng.choice([None, None, None, f"Suite {rng.randint(100, 990)}", f"Apt {rng.randint(1, 40)}B"])
        line3 = rng.choice([None, None, None, None, "Building C", f"Floor {rng.randint(2, 30)}"])
        dob = None
        if rng.random() > 0.12:
            d = date_between(rng, dt.date(1940, 1, 1), dt.date(2004, 12, 31))
            dob = d.strftime("%m/%d/%Y")
        rows.append({
            "cust_id": cid,
            "first_name": first,
            "last_name": last,
            "company_name": rng.choice([None, None] + COMPANIES),
            "email": email_for(rng, first, last) if rng.random() > 0.08 else None,
            "phone": phone(rng) if rng.random() > 0.15 else None,
            "address_line1": f"{rng.randint(1, 9999)} {rng.choice(STREETS[country])}" if has_addr else None,
            "address_line2": line2 if has_addr else None,
            "address_line3": line3 if has_addr else None,
            "city": city if has_addr else None,
            "state": state if has_addr else None,
            "postal_code": (zip_prefix + f"{rng.randint(0, 99):02d}") if has_addr else None,
            "country": country if has_addr else None,
            "dob": dob,
            "status_flag": rng.choices(["A", "I", "P"], weights=[70, 20, 10])[0],
            "created_date": ts(rng, 2009, 2023),
        })
    by_id = {r["cust_id"]: r for r in rows}

    def fix(cid, **kw):
        by_id[cid].update(kw)

    # TRN-006: tabs, stray and double spaces (inner double space is kept)
    fix(1001, first_name="  José ", last_name="García", company_name="García & Hijos S.L.",
        email=" Jose.Garcia@Example.COM ", phone=" +34 612 345 678 ", dob="04/15/1985", status_flag="A")
    fix(1002, first_name="\tZoë  ", last_name=" Müller-Lüdenscheidt\t", email="\tZOE@EXAMPLE.DE", dob="02/30/2021")
    fix(1015, first_name="Mary  Ann", last_name="O'Brien  ", company_name="   ")
    fix(1016, first_name="Nguyễn Văn", last_name="An", city="Hồ Chí Minh", state=None, country="VN")
    fix(1017, company_name='Smith, Jones & Co.', first_name="Siobhán", last_name="Ní Bhriain")
    fix(1018, company_name='"Best" Widgets LLC', email="", phone="")
    # TRN-003: birth dates that do not parse as MM/DD/YYYY become NULL
    fix(1003, dob="13/01/2020")
    fix(1004, dob="n/a")
    fix(1005, dob="1985-04-12")
    fix(1006, dob="02/29/2000")            # valid: 2000 is a leap year
    fix(1007, dob="02/29/1999")            # invalid
    fix(1008, dob="")                      # empty string, not NULL
    fix(1009, dob="00/00/0000")
    # TRN-004: unknown / odd status flags
    fix(1010, status_flag="X")             # → Inactive
    fix(1011, status_flag="?")             # → Inactive
    fix(1012, status_flag="p")             # → Pending (upper-cased)
    fix(1013, status_flag="")              # → Inactive
    fix(1014, status_flag="a")             # → Active
    # TRN-002: address line combinations
    fix(1030, address_line1=" 12 Main St ", address_line2="Suite 200", address_line3="Building C",
        city="Austin", state="tx", postal_code="78701", country="us")
    fix(1031, address_line1="4 Rue de Rivoli", address_line2="Bâtiment B ", address_line3=None,
        city="Paris", state=None, postal_code="75004", country="FR")
    fix(1032, address_line1="1 Chang'an Ave", address_line2=None, address_line3="  ",
        city="北京", state=None, postal_code="100006", country="CN")
    fix(1033, address_line1="77 Elm Rd", address_line2=None, address_line3="Floor 3",
        city="Leeds", state=None, postal_code="LS1 4AP", country=None)
    fix(1034, address_line1=None, address_line2=None, address_line3=None, city="Denver", country="US")
    fix(1035, address_line1="   ", address_line2="c/o front desk", address_line3=None, city="Denver", country="US")
    fix(1036, address_line1="Unit 4, Harbour Industrial Estate",
        address_line2="Attn: Goods-in / Receiving Department, Loading Bay 7 (rear entrance off Quay Road, past the",
        address_line3="weighbridge), deliveries Mon-Fri 07:00-15:00 only, call ahead",
        city="Southampton", state=None, postal_code="SO14 3TJ", country="GB")   # 170 chars → truncated to 150
    return rows


CONTACT_COLS = ["contact_id", "cust_id", "first_name", "last_name", "email", "phone", "mobile", "job_title",
                "is_primary", "opted_out", "notes", "created_date"]


def contacts(rng, cust_ids):
    rows = []
    for k, cid in enumerate(range(5001, 5451)):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append({
            "contact_id": cid,
            "cust_id": rng.choice(cust_ids),
            "first_name": first if rng.random() > 0.05 else None,
            "last_name": last,
            "email": email_for(rng, first, last, ("corp.example.com", "example.com")) if rng.random() > 0.1 else None,
            "phone": phone(rng) if rng.random() > 0.3 else rng.choice([None, ""]),
            "mobile": phone(rng) if rng.random() > 0.5 else None,
            "job_title": rng.choice(TITLES + [None]),
            "is_primary": rng.choices(["Y", "N", "y", None], weights=[25, 65, 5, 5])[0],
            "opted_out": rng.choices([0, 1, None], weights=[80, 15, 5])[0],
            "notes": rng.choice([None, None, None, "Prefers e-mail.", "Met at trade show, 2019",
                                 'Said "call back in Q3", budget pending',
                                 "Allergic to peanuts — no food gifts.\nAssistant: Maria (ext. 214)"]),
            "created_date": ts(rng, 2012, 2024),
        })
    by_id = {r["contact_id"]: r for r in rows}
    by_id[5001].update(cust_id=1001, first_name=" Marta ", last_name="Ruiz", email="MARTA.RUIZ@EXAMPLE.COM",
                       phone="", mobile="+34 600 111 222", job_title="Purchasing lead", is_primary="y",
                       opted_out=0, created_date="2018-06-01 10:00:00")
    by_id[5002].update(job_title="  Head of   Procurement  ", first_name="\t" + (by_id[5002]["first_name"] or "Kwame"))
    # Orphans: the customer no longer exists (rejected by the contacts map)
    by_id[5100].update(cust_id=9001)
    by_id[5200].update(cust_id=9002)
    by_id[5300].update(cust_id=99999)
    return rows


OPP_COLS = ["opp_id", "cust_id", "opp_name", "stage_code", "amount", "currency", "close_date", "probability",
            "owner_email", "created_date"]


def opportunities(rng, cust_ids):
    reps = ["alice.ng@crm.example.com", "bob.kowalski@crm.example.com", "carmen.diaz@crm.example.com",
            "dev.patel@crm.example.com"]
    rows = []
    for oid in range(3001, 3251):
        stage = rng.choice(STAGES)
        stage = rng.choice([stage, stage, stage.lower(), " " + stage.lower(), stage + " "])
        created = date_between(rng, dt.date(2019, 1, 1), dt.date(2024, 12, 31))
        rows.append({
            "opp_id": oid,
            "cust_id": rng.choice(cust_ids),
            "opp_name": rng.choice(["Renewal", "Upsell", "New logo", "Expansion", "Pilot", "Migration"])
                        + f" {created.year} – {rng.randint(5, 500)} seats",
            "stage_code": stage,
            "amount": money(rng, 500, 250000) if rng.random() > 0.05 else None,
            "currency": rng.choices(["USD", "EUR", "GBP", "usd", None], weights=[60, 15, 10, 5, 10])[0],
            "close_date": (created + dt.timedelta(days=rng.randint(14, 240))).isoformat()
                          if rng.random() > 0.1 else None,
            "probability": rng.choice([10, 20, 25, 40, 50, 60, 75, 90, 100, None]),
            "owner_email": rng.choice(reps),
            "created_date": f"{created.isoformat()} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}:00",
        })
    by_id = {r["opp_id"]: r for r in rows}
    by_id[3001].update(cust_id=1001, opp_name="  Renewal 2024 – 40 seats ", stage_code=" won",
                       amount=Decimal("18400.00"), currency="eur", close_date="2024-05-31", probability=100,
                       created_date="2024-01-10 08:30:00")
    # Unknown stage codes: rejected by the opportunities map
    by_id[3050].update(stage_code="HOLD")
    by_id[3150].update(stage_code="ZZ")
    by_id[3250].update(stage_code="")
    # Probability outside 0..100: cleared, reported by a preflight warn
    by_id[3060].update(probability=150)
    by_id[3160].update(probability=-10)
    # A name longer than the target's 120 characters: truncated
    by_id[3070].update(opp_name="Enterprise-wide rollout of the analytics suite to all EMEA subsidiaries, "
                                "including data-residency add-on, premium support and on-site training days")
    by_id[3080].update(opp_name="Erneuerung Rahmenvertrag Bürobedarf – Zürich & Genève")
    return rows


PRODUCT_COLS = ["prod_id", "sku", "prod_name", "prod_desc", "category", "unit_price", "discontinued"]

LONG_DESK = ("The ProDesk 4000 ergonomic sit-stand workstation combines a dual-motor steel frame with a 160 x 80 cm "
             "bamboo desktop. Height adjusts from 62 to 127 cm at 38 mm per second with four programmable memory "
             "presets, anti-collision sensing and a child lock. The frame carries up to 120 kg, passes BIFMA X5.5 "
             "stability tests and ships with a cable tray, two grommets and a magnetic pen ledge. Assembly takes "
             "about 30 minutes with the included hex key. Warranty: 10 years on the frame, 5 years on motors and "
             "electronics, 2 years on the desktop. Available in white, black and grey.")


def products(rng):
    names = ["Sit-Stand Desk", "Ergonomic Chair", "Monitor Arm", "Docking Station", "USB-C Cable", "Keyboard",
             "Mouse", "Headset", "Webcam", "Desk Lamp", "Whiteboard", "Filing Cabinet", "Laptop Stand",
             "Footrest", "Cable Tray", "Installation Service", "Extended Warranty", "Privacy Screen"]
    rows = []
    for i, pid in enumerate(range(501, 621)):
        base = names[i % len(names)]
        n_sent = rng.choice([0, 1, 2, 3, 4])
        desc = " ".join(rng.sample(SENTENCES, n_sent)) if n_sent else None
        rows.append({
            "prod_id": pid,
            "sku": f"{base.split()[0][:3].upper()}-{pid:04d}",
            "prod_name": f"{base} {rng.choice(['Pro', 'Plus', 'Lite', 'Max', 'One', 'X'])} {rng.randint(1, 9)}",
            "prod_desc": desc,
            "category": rng.choice(CATEGORIES + [None, " Furniture "]),
            "unit_price": money(rng, 4, 1500) if rng.random() > 0.04 else None,
            "discontinued": rng.choices([0, 1, None], weights=[80, 15, 5])[0],
        })
    by_id = {r["prod_id"]: r for r in rows}
    # TRN-005: descriptions over 500 characters → 497 + "..."
    by_id[501].update(sku=" pd-4000 ", prod_name="ProDesk 4000 Sit-Stand Desk", prod_desc=LONG_DESK,
                      category="Furniture", unit_price=Decimal("649.00"), discontinued=0)
    by_id[502].update(sku="CBL-USB-C-2M", prod_name="USB-C cable 2 m", category=" Accessories ",
                      prod_desc="  Braided USB-C to USB-C cable, 100 W, 2 m.  ", unit_price=Decimal("12.90"),
                      discontinued=1)
    by_id[503].update(sku="SVC-INSTALL", prod_name="On-site installation", prod_desc=None, category=None,
                      unit_price=None, discontinued=None)
    for pid in (510, 520, 530, 540, 550):
        by_id[pid]["prod_desc"] = " ".join(SENTENCES[(pid // 10) % 3:] + SENTENCES[:3])   # > 500 chars
    exact = (LONG_DESK * 2)[:500]
    by_id[560]["prod_desc"] = exact                   # exactly 500: unchanged
    by_id[561]["prod_desc"] = exact + "!"             # 501: cut to 497 + "..."
    by_id[562]["prod_desc"] = "   " + exact + "   "   # 500 after trim: unchanged
    by_id[563]["prod_desc"] = ("Ergonomischer Bürostuhl mit Synchronmechanik, Sitztiefenverstellung und "
                               "atmungsaktivem Netzrücken. " * 8).strip()                       # non-ASCII, > 500
    by_id[564]["prod_desc"] = ""                      # empty string → empty string
    return rows


ORDER_COLS = ["order_id", "cust_id", "prod_id", "order_date", "quantity", "order_total", "status"]


def orders(rng, cust_ids, prods):
    price = {p["prod_id"]: p["unit_price"] or Decimal("99.00") for p in prods}
    buyers = rng.sample(cust_ids, 180)
    rows = []
    for oid in range(90001, 90501):
        pid = rng.choice(list(price))
        qty = rng.choices([1, 2, 3, 5, 10, 25], weights=[50, 20, 10, 10, 7, 3])[0]
        total = (price[pid] * qty).quantize(Decimal("0.01"))
        if total >= Decimal("100000000"):   # decimal(10,2)
            total = Decimal("99999999.99")
        rows.append({
            "order_id": oid,
            "cust_id": rng.choice(buyers),
            "prod_id": pid,
            "order_date": date_between(rng, dt.date(2012, 1, 1), dt.date(2024, 12, 31)).isoformat(),
            "quantity": qty,
            "order_total": total,
            "status": rng.choices(["C", "X", "R"], weights=[85, 10, 5])[0],
        })
    by_id = {r["order_id"]: r for r in rows}
    for oid, row in zip(range(90001, 90005), [
            dict(cust_id=1001, prod_id=501, order_date="2019-02-11", quantity=2, order_total=Decimal("1298.00"), status="C"),
            dict(cust_id=1001, prod_id=502, order_date="2021-07-30", quantity=5, order_total=Decimal("64.50"), status="C"),
            dict(cust_id=1001, prod_id=502, order_date="2020-01-05", quantity=1, order_total=Decimal("12.90"), status="X"),
            dict(cust_id=1002, prod_id=503, order_date="2022-03-01", quantity=1, order_total=Decimal("250.00"), status="R")]):
        by_id[oid].update(row)
    for r in rows[4:]:   # 1001/1002 have exactly the orders above
        if r["cust_id"] in (1001, 1002):
            r["cust_id"] = 1100
    # Orders of purged products: prod_id is not carried; preflight warns
    by_id[90250].update(prod_id=998)
    by_id[90350].update(prod_id=999)
    return rows


# ───────────────────────────── Data sets ──────────────────────────────


def main_set():
    rng = random.Random(SEED)
    cust = customers(rng)
    cust_ids = [c["cust_id"] for c in cust]
    prods = products(rng)
    return {
        "customers": cust,
        "contacts": contacts(rng, cust_ids),
        "opportunities": opportunities(rng, cust_ids),
        "products": prods,
        "orders": orders(rng, cust_ids, prods),
    }


def broken_set(base):
    """Loads, but rejects exceed the rollback triggers (> 2%)."""
    rng = random.Random(SEED + 1)
    t = copy.deepcopy(base)
    for r in rng.sample(t["contacts"][10:], 45):                 # ~10% orphan contacts
        r["cust_id"] = rng.randint(20000, 29999)
    for r in rng.sample(t["opportunities"][10:], 25):            # ~10% unknown stage codes
        r["stage_code"] = rng.choice(["HOLD", "ON-HOLD", "LOST?", "DEAD", "TBD", "WIP", "9"])
    return t


def broken_preflight_set(base):
    """Blocking preflight checks fail: the load never starts."""
    t = copy.deepcopy(base)
    p = {r["prod_id"]: r for r in t["products"]}
    p[600]["sku"] = p[599]["sku"]                                # duplicate SKU
    p[610]["sku"] = p[520]["sku"]                                # duplicate SKU
    o = {r["order_id"]: r for r in t["orders"]}
    o[90100]["cust_id"] = 8888                                   # orphan order
    o[90101]["cust_id"] = 8889                                   # orphan order
    o[90102]["order_date"] = "2031-01-01"                        # order in the future
    c = {r["cust_id"]: r for r in t["customers"]}
    c[1200]["last_name"] = "   "                                 # blank mandatory name
    return t


COLUMNS = {"customers": CUSTOMER_COLS, "contacts": CONTACT_COLS, "opportunities": OPP_COLS,
           "products": PRODUCT_COLS, "orders": ORDER_COLS}


def write_set(dirname, tables):
    for name, rows in tables.items():
        write_csv(ROOT / dirname, name, COLUMNS[name], rows)
        print(f"{dirname}/{name}.csv: {len(rows)} rows")


if __name__ == "__main__":
    base = main_set()
    write_set("data", base)
    write_set("data-broken", broken_set(base))
    write_set("data-broken-preflight", broken_preflight_set(base))
