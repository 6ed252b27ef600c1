"""A small site built so that every audit rule fires on a page we know, with its config and labels.

``build(root)`` writes the site (one folder per page with an index.html, robots.txt, sitemap.xml,
_server.json); ``EXPECTED`` says which recommendation and reason codes each path must get.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

PARKING = ("Pay your parking fine online with a debit card. A penalty charge notice shows the amount and "
           "the date. Pay within 14 days to get the reduced rate. You need the notice number and the "
           "vehicle registration. After 28 days the fine goes up and a charge certificate is sent. "
           "Challenge the penalty if the parking signs were unclear or the meter was broken.")
PARKING_B = PARKING + " Businesses can pay by invoice."


def _sample(words, seed) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(words) + ("." if i % 9 == 8 else "") for i in range(60))


def parking(n: int) -> str:
    """A distinct parking text per page (shares words with PARKING, not shingles)."""
    words = ["parking", "fine", "penalty", "charge", "notice", "pay", "appeal", "permit", "meter", "warden",
             "vehicle", "registration", "days", "reduced", "rate", "challenge", "signs", "bay", "zone", "ticket"]
    return _sample(words, f"{words[0]}{n}")


def bins(n: int) -> str:
    words = ["bin", "collection", "day", "recycling", "garden", "waste", "missed", "blue", "green", "postcode",
             "week", "bulky", "furniture", "report", "empty", "kerb", "lid", "caddy", "food", "glass"]
    return _sample(words, f"{words[0]}{n}")
BINS = ("Bins are collected once a week. Check your bin collection day by postcode. Recycling goes in "
        "the blue bin and garden waste in the green bin. Put your bin out by 7am on collection day. "
        "Report a missed bin collection within two working days and we will return to empty it. "
        "Bulky waste collections can be booked for furniture and large items.")
NEWS = ("The mayor opened the new playground in the park on Saturday. Children from three schools "
        "joined the ceremony and the brass band played. The playground has a climbing frame, swings "
        "and a sandpit, and it was paid for by the lottery fund. Volunteers planted trees around it "
        "and the cafe served free lemonade to every family that came along.")
PRIVACY = ("How we use your personal data: we keep the information you give us only as long as we need "
           "it to deliver the service, we never sell it, and you can ask for a copy of everything we "
           "hold about you at any time by writing to the data protection officer at the town hall.")

# path: (title, text, body links, extra head html)
PAGES = {
    "/": ("Welcome to Testville", "Testville council services for residents: parking, bins and news from the town hall.",
          ["/parking/", "/bins/", "/news/", "/parking/pay", "/bins/days", "/parking/appeal"], ""),
    "/parking/": ("Parking fines", "Everything about parking in Testville: fines, appeals and permits, in one place.", ["/parking/pay", "/parking/appeal", "/parking/permits",
                                             "/parking/pay-copy", "/parking/pay-business", "/parking/old-rates",
                                             "/parking/fines-2015", "/parking/more", "/parking/broken",
                                             "/older", "/private/x", "/private/noindexed"], ""),
    "/parking/pay": ("Pay a parking fine", PARKING, [], ""),
    "/parking/pay-copy": ("Pay a parking fine", PARKING, [], ""),
    "/parking/pay-business": ("Pay a parking fine (businesses)", PARKING_B, [], ""),
    "/parking/appeal": ("Appeal a parking fine", parking(1), [], ""),
    "/parking/permits": ("Parking permits", parking(2),
                         ["/news/linked-from-task"], ""),
    "/parking/old-rates": ("Old parking rates", "Parking fine rates.", [], ""),
    "/parking/fines-2015": ("Parking fines 2015", parking(3), [],
                            '<meta name="dcterms.modified" content="2015-03-01">'),
    "/parking/more": ("More about parking fines", parking(4), ["/parking/more/details"], ""),
    "/parking/more/details": ("Parking fine details", parking(5),
                              ["/parking/more/details/exceptions"], ""),
    "/parking/more/details/exceptions": ("Parking fine exceptions", parking(6), [], ""),
    "/parking/sitemap-only": ("Parking fine reminders", parking(7), [], ""),
    "/parking/broken": ("Parking fine help", parking(8), ["/parking/missing"], ""),
    "/bins/": ("Bins and recycling", "Everything about bins in Testville: collection days, recycling and missed bins.", ["/bins/days", "/bins/missed", "/bins/canonical-variant",
                                            "/bins/conflict"], ""),
    "/bins/days": ("Bin collection days", BINS, [], ""),
    "/bins/missed": ("Report a missed bin", bins(1), [], ""),
    "/bins/canonical-variant": ("Bin days (print version)", bins(2), [],
                                '<link rel="canonical" href="/bins/days">'),
    "/bins/conflict": ("Bin days (old)", bins(3), [],
                       '<meta name="robots" content="noindex"><link rel="canonical" href="/bins/days">'),
    "/news/": ("News", "News from Testville council: what happened in the town this year, told by the press office.", ["/news/old-story", "/news/parking-story"], ""),
    "/news/old-story": ("Playground opened", NEWS, [], '<meta name="dcterms.modified" content="2012-05-01">'),
    "/news/parking-story": ("New parking fines", "News: new parking fines from April. " + parking(9), [], ""),
    "/news/linked-from-task": ("Parking news", ("Car park news: the new multi-storey car park opens next spring with spaces for bicycles, electric "
                                                "car chargers and a lift to every floor, the council said on Monday at the town hall."), [], ""),
    "/privacy": ("Privacy", PRIVACY, [], ""),
    "/private/noindexed": ("Staff only", "Internal staff notes. " + bins(5), [], '<meta name="robots" content="noindex">'),
    # crawled text that a spreadsheet would run as a formula, and characters XML forbids
    "/bins/hostile": ('=HYPERLINK("http://evil.example","click") \x01', "@SUM(1+1) " + bins(4) + " \x0b+cmd", [], ""),
}
NAV = ["/", "/parking/", "/bins/", "/news/", "/privacy"]

SERVER = {"redirects": [["/old-page", "/parking/pay", 301], ["/older", "/old-page", 301]]}
ROBOTS = "User-agent: *\nDisallow: /private/\nSitemap: __ORIGIN__/sitemap.xml\n"

TASK_TABLES = '''
[[tasks]]
id = "parking"
name = "Pay a parking fine"
description = "Pay or challenge a penalty charge notice for parking"
keywords = ["parking fine", "penalty charge"]
examples = ["{origin}/parking/pay", "{origin}/parking/appeal"]

[[tasks]]
id = "bins"
name = "Bin collection"
description = "Find your bin collection day or report a missed bin"
keywords = ["bin", "recycling"]
examples = ["{origin}/bins/days", "{origin}/bins/missed"]
'''
TASKS = TASK_TABLES + '''
[classifier]
labels = "labels.csv"

[audit]
protect = ["/privacy"]
thin_words = 30
stale_days = 365
deep_clicks = 3
near_duplicate_threshold = 0.6
'''

# labels pin the tasks of pages whose task the rules need to be sure of (the classifier is tested elsewhere)
LABELS = {"/news/": "none", "/news/old-story": "none", "/news/parking-story": "none",
          "/news/linked-from-task": "none", "/": "none", "/privacy": "none",
          "/parking/": "parking", "/parking/permits": "parking", "/parking/old-rates": "parking",
          "/parking/fines-2015": "parking",
          "/parking/more/details/exceptions": "parking", "/parking/sitemap-only": "parking",
          "/parking/broken": "parking", "/parking/pay-copy": "parking", "/parking/pay-business": "parking",
          "/bins/": "bins", "/bins/canonical-variant": "bins", "/bins/conflict": "bins"}

# path: (recommendation, reason codes that must be among the Reasons)
EXPECTED = {
    "/": ("keep", {"home"}),
    "/parking/pay": ("keep", set()),
    "/parking/pay-copy": ("merge", {"duplicate"}),
    "/parking/pay-business": ("merge", {"near-duplicate"}),
    "/parking/old-rates": ("improve", {"thin"}),
    "/parking/fines-2015": ("merge", {"superseded", "stale"}),  # names 2015: superseded by the parking page
    "/parking/more/details/exceptions": ("improve", {"deep"}),
    "/parking/sitemap-only": ("improve", {"orphan"}),
    "/parking/broken": ("fix", {"broken-links"}),
    "/parking/missing": ("fix", {"error"}),
    "/bins/canonical-variant": ("keep", {"canonicalised"}),
    "/bins/conflict": ("fix", {"noindex"}),
    "/news/": ("demote", {"no-task"}),
    "/news/old-story": ("remove", {"no-task", "stale"}),
    "/news/parking-story": ("remove", {"no-task"}),
    "/news/linked-from-task": ("noindex", {"no-task"}),
    "/privacy": ("keep", {"protected"}),
    "/old-page": ("keep", {"redirect"}),
    "/older": ("fix", {"redirect"}),
    "/private/x": ("keep", {"blocked"}),
}


def page_html(path: str, title: str, text: str, links: list, head: str) -> str:
    nav = "".join(f'<li><a href="{p}">{p.strip("/") or "Home"}</a></li>' for p in NAV)
    body = "".join(f'<li><a href="{p}">{p.rsplit("/", 1)[-1] or p}</a></li>' for p in links)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body><header><nav><ul>{nav}</ul></nav></header><main><h1>{title}</h1><p>{text}</p>"
            f"<ul>{body}</ul></main><footer><p>Testville council</p></footer></body></html>")


def build(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for path, (title, text, links, head) in PAGES.items():
        folder = root / path.strip("/")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(page_html(path, title, text, links, head), encoding="utf-8")
    (root / "robots.txt").write_text(ROBOTS, encoding="utf-8")
    urls = "".join(f"<url><loc>__ORIGIN__{p}</loc></url>" for p in PAGES)
    (root / "sitemap.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>'
                                      f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
                                      encoding="utf-8")
    (root / "_server.json").write_text(json.dumps(SERVER), encoding="utf-8")


def write_config(folder: Path, origin: str, extra: str = "") -> Path:
    (folder / "labels.csv").write_text("url,task\n" + "".join(f"{origin}{p},{t}\n" for p, t in LABELS.items()),
                                       encoding="utf-8")
    config = folder / "rules-site.toml"
    config.write_text(f'[site]\nname = "Testville"\nstart_urls = ["{origin}/"]\nautothrottle = false\n'
                      + TASKS.format(origin=origin) + extra, encoding="utf-8")
    return config
