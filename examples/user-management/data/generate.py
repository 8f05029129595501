#!/usr/bin/env python3
"""Sample v1 data for examples/user-management/user-management.cutover.

Deterministic (seeded), standard library only. Writes users.csv,
user_profiles.csv and user_sessions.csv into data/ next to this script.
v1 enforces its own constraints (unique username/email, email LIKE '%@%',
password hashes of 60+ characters, privacy_level list, FKs with CASCADE),
so the mess here is what v1 allows but v2's new checks do not: short or
blank phone numbers, sessions without a User-Agent, and sessions that have
expired before the cutover window.

CSV convention: RFC 4180 quoting, UTF-8, LF line ends. An EMPTY UNQUOTED
field is NULL; a quoted empty field "" is the empty string. Booleans are
true/false.

    python3 examples/user-management/data/generate.py
"""

import datetime as dt
import random
import unicodedata
from pathlib import Path

SEED = 20250614
HERE = Path(__file__).resolve().parent
CUTOVER = dt.datetime(2025, 6, 14, 2, 0, 0)
B64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v)
    if s == "" or any(c in s for c in ',"\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(name, columns, rows):
    with open(HERE / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        for r in rows:
            f.write(",".join(cell(r[c]) for c in columns) + "\n")
    print(f"data/{name}.csv: {len(rows)} rows")


def fmt(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def between(rng, a, b):
    return a + dt.timedelta(seconds=rng.randint(0, int((b - a).total_seconds())))


def bcrypt_like(rng):
    return "$2b$12$" + "".join(rng.choice(B64) for _ in range(53))


FIRST = ["Anna", "Ben", "Carlos", "Daniela", "Emil", "Fatima", "Grace", "Hiro", "Ingrid", "Jamal", "Keiko", "Lars",
         "María", "Nikolai", "Olivia", "Pedro", "Qiu", "Rania", "Søren", "Tomás", "Uma", "Valentina", "Wei",
         "Xavier", "Yara", "Zoë", "Chloé", "Björn", "Łucja", "Đorđe"]
LAST = ["Andersen", "Bauer", "Costa", "Dubois", "Eriksson", "Fernández", "Gupta", "Hoffmann", "Ito", "Jones",
        "Kowalczyk", "López", "Müller", "Nakamura", "O'Connor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka",
        "Usman", "Van der Berg", "Wang", "Xu", "Yilmaz", "Zhang", "Nguyễn", "Ødegård"]
LOCATIONS = ["Madrid", "Berlin", "Paris", "London", "New York", "São Paulo", "Zürich", "北京", "東京", "Москва",
             "Seoul", "Lagos", "Mumbai", "Toronto", "Sydney", "Reykjavík", None, None]
BIOS = ["Data engineer in Madrid.", "Coffee, code and cats.", "Product designer. Previously at a startup that no one remembers.",
        "Runner, reader, occasional baker 🍞", "Je code en Python et en Rust.", "Entwickler aus Berlin",
        "数据工程师，喜欢徒步。", "Bio: TBD", "PhD student working on graph neural networks, opinions my own; "
        "interested in privacy-preserving ML, federated learning and long walks in the Alps."]
UAS_WEB = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 Edg/124.0",
    "Opera/9.80 (Windows NT 6.1) Presto/2.12.388 Version/12.18",
]
UAS_MOBILE = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "AcmeApp/5.2.1 (Android 14; Pixel 8)",
    "AcmeApp/5.1.0 (iOS 17.4; iPhone15,2)",
]
UAS_API = ["curl/8.5.0", "python-requests/2.32.3", "okhttp/4.12.0", "Go-http-client/2.0", "PostmanRuntime/7.39.0"]
UAS_ADMIN = ["AcmeAdmin/2.0 (internal console)", "AcmeAdmin/2.1 (internal console; SSO)"]


def ascii_fold(s):
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower().replace(" ", "").replace("'", "")


USER_COLS = ["id", "username", "email", "password_hash", "first_name", "last_name", "created_at", "updated_at",
             "is_active", "phone"]


def users(rng):
    rows, names = [], set()
    for uid in range(1, 301):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = ascii_fold(first[0] + last) or f"user{uid}"
        name = base
        while name in names:
            name = f"{base}{rng.randint(2, 999)}"
        names.add(name)
        created = between(rng, dt.datetime(2016, 1, 1), dt.datetime(2025, 5, 31))
        rows.append({
            "id": uid,
            "username": name,
            "email": f"{ascii_fold(first)}.{ascii_fold(last)}{uid}@{rng.choice(['example.com', 'example.org', 'mail.example.net'])}",
            "password_hash": bcrypt_like(rng),
            "first_name": first if rng.random() > 0.05 else None,
            "last_name": last if rng.random() > 0.05 else None,
            "created_at": fmt(created),
            "updated_at": fmt(between(rng, created, dt.datetime(2025, 6, 13))),
            "is_active": rng.random() > 0.12,
            "phone": rng.choice([None, None, None,
                                 f"+1 {rng.randint(200, 989)} {rng.randint(200, 989)} {rng.randint(0, 9999):04d}",
                                 f"({rng.randint(200, 989)}) {rng.randint(200, 989)}-{rng.randint(0, 9999):04d}",
                                 f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                                 f"+49 30 {rng.randint(1000000, 9999999)}"]),
        })
    u = {r["id"]: r for r in rows}
    fixed = {
        1: dict(username="jgarcia", email="jose.garcia@example.com", first_name="José", last_name="García",
                password_hash="$2b$12$nRwEHKsFZCJ1zGcJ0FNaFwEaDPjzQNlVLWtKGFY90m54skdVdIk9p",
                created_at="2021-04-03 10:15:00", updated_at="2024-11-02 08:00:00", is_active=True, phone="+34 612 345 678"),
        2: dict(username="zoe", email="zoe@example.de", first_name="Zoë", last_name="Fischer", phone="555-0142"),
        3: dict(username="li.wei", email="li.wei@example.cn", first_name="Wei", last_name="Li", phone=""),
        4: dict(username="okafor", email="sam@example.ng", first_name="Sam", last_name="Okafor", is_active=False,
                phone="  555 0100  "),
        5: dict(username="kim", email="kim@example.kr", first_name="Ji-woo", last_name="Kim", phone=" (555) 010-2345"),
        6: dict(username="nophone", email="np@example.com", first_name=None, last_name=None, phone=None),
        # v1 compares e-mails case-sensitively: both rows are legal in v1 and in v2
        7: dict(username="annak", email="Anna.K@example.com", first_name="Anna", last_name="Kowalczyk"),
        8: dict(username="annak2", email="anna.k@example.com", first_name="Anna", last_name="Kowalczyk"),
    }
    for uid, kw in fixed.items():
        u[uid].update(kw)
    # CHK-001: more phone numbers too short for v2 (cleared)
    for uid, ph in [(20, "12345"), (40, "555-1234"), (60, "0"), (80, "ext. 214"), (100, "n/a"),
                    (120, "+1 555 010"), (140, "   "), (160, "")]:
        u[uid]["phone"] = ph
    u[180]["phone"] = "+1 555 0100"      # 11 characters: kept
    return rows


PROFILE_COLS = ["id", "user_id", "bio", "avatar_url", "birth_date", "location", "website", "privacy_level",
                "created_at", "updated_at"]


def profiles(rng, user_rows):
    with_profile = [u for u in user_rows if u["id"] not in (6, 8) and rng.random() > 0.07]
    order = [1, 3] + [u["id"] for u in with_profile if u["id"] not in (1, 3)]
    created_by_user = {u["id"]: u["created_at"] for u in user_rows}
    rows = []
    for k, uid in enumerate(order):
        created = dt.datetime.strptime(created_by_user[uid], "%Y-%m-%d %H:%M:%S") + dt.timedelta(minutes=rng.randint(1, 600))
        bio = rng.choice(BIOS + [None, None, "", "   "])
        rows.append({
            "id": 10 + k,
            "user_id": uid,
            "bio": bio,
            "avatar_url": f"https://cdn.example.com/a/{uid}.png" if rng.random() > 0.3 else None,
            "birth_date": (dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20000))).isoformat()
                          if rng.random() > 0.35 else None,
            "location": rng.choice(LOCATIONS),
            "website": rng.choice([None, None, f"https://{ascii_fold(str(uid))}.example.dev", "example.com/~me"]),
            "privacy_level": rng.choices(["public", "private", "friends_only"], weights=[60, 25, 15])[0],
            "created_at": fmt(created),
            "updated_at": fmt(between(rng, created, dt.datetime(2025, 6, 13))),
        })
    rows[0].update(user_id=1, bio="  Data engineer in Madrid. ", avatar_url="https://cdn.example.com/a/1.png",
                   birth_date="1985-04-15", location="Madrid", website="https://jgarcia.dev", privacy_level="public",
                   created_at="2021-04-03 10:20:00", updated_at="2023-01-09 12:00:00")
    rows[1].update(user_id=3, bio="", avatar_url=None, birth_date=None, location="北京", website=None,
                   privacy_level="friends_only", created_at="2022-01-01 00:00:00", updated_at="2022-01-01 00:00:00")
    rows[5]["bio"] = "Line one of my bio.\nLine two, with a \"quote\", and a comma."
    rows[6]["bio"] = ("x" * 40 + " ") * 6 + "end"        # 249 characters: the longest v1 allows is 255
    return rows


SESSION_COLS = ["id", "user_id", "ip_address", "user_agent", "expires_at", "created_at", "last_activity"]


def sessions(rng, user_rows):
    active = [u["id"] for u in user_rows]
    rows = []
    for k in range(493):
        expires = between(rng, dt.datetime(2025, 5, 20), dt.datetime(2025, 7, 20))
        created = expires - dt.timedelta(days=rng.choice([1, 7, 30]))
        if created >= CUTOVER:                        # the v1 snapshot is taken at the cutover
            created = CUTOVER - dt.timedelta(minutes=rng.randint(5, 2880))
        last = between(rng, created, min(expires, CUTOVER))
        kind = rng.choices(["web", "mobile", "api", "admin", "none"], weights=[55, 30, 8, 3, 4])[0]
        ua = {"web": lambda: rng.choice(UAS_WEB), "mobile": lambda: rng.choice(UAS_MOBILE),
              "api": lambda: rng.choice(UAS_API), "admin": lambda: rng.choice(UAS_ADMIN),
              "none": lambda: rng.choice([None, "", "  "])}[kind]()
        ip = (f"{rng.choice([203, 198, 192, 10, 172])}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
              if rng.random() > 0.2 else f"2001:db8:{rng.randint(0, 0xffff):x}::{rng.randint(1, 0xffff):x}")
        rows.append({
            "id": "".join(rng.choice("0123456789abcdef") for _ in range(64)),
            "user_id": rng.choice(active),
            "ip_address": ip if rng.random() > 0.05 else None,
            "user_agent": ua,
            "expires_at": fmt(expires),
            "created_at": fmt(created),
            "last_activity": fmt(last),
        })
    examples = [
        ("s-web", 1, "203.0.113.7", UAS_WEB[0], "2025-06-20 00:00:00", "2025-06-13 09:00:00", "2025-06-13 23:10:00"),
        ("s-iphone", 1, "198.51.100.23", UAS_MOBILE[0], "2025-06-20 00:00:00", "2025-06-13 09:00:00", "2025-06-13 23:10:00"),
        ("s-app", 2, "2001:db8::1", UAS_MOBILE[3], "2025-07-01 00:00:00", "2025-06-10 09:00:00", "2025-06-13 20:00:00"),
        ("s-admin", 3, "10.0.0.5", UAS_ADMIN[0], "2025-06-15 00:00:00", "2025-06-13 09:00:00", "2025-06-13 09:30:00"),
        ("s-curl", 3, "10.0.0.9", UAS_API[0], "2025-06-15 00:00:00", "2025-06-13 09:00:00", "2025-06-13 09:30:00"),
        ("s-none", 4, None, None, "2025-06-15 00:00:00", "2025-06-13 09:00:00", "2025-06-13 09:30:00"),
        ("s-old", 1, "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0", "2025-06-14 01:59:59",
         "2025-06-07 01:59:59", "2025-06-10 18:00:00"),
    ]
    for e in examples:
        rows.append(dict(zip(SESSION_COLS, e)))
    return rows


if __name__ == "__main__":
    rng = random.Random(SEED)
    u = users(rng)
    write_csv("users", USER_COLS, u)
    write_csv("user_profiles", PROFILE_COLS, profiles(rng, u))
    write_csv("user_sessions", SESSION_COLS, sessions(rng, u))
