"""A small municipal site for the audit's judgement: each page is a case a content strategist would not
sign if the rules got it wrong (a menu item removed, the council's minutes removed, a popular page
noindexed, an unrelated redirect, a merge into a removed page, an upcoming event removed, the same page
written for two audiences left alone). With an analytics export (GA4 page views).

``build(root)`` writes the site; ``write_config(folder, origin)`` the config, labels and analytics;
``EXPECTED`` says what each path must get: (recommendation, reason codes among the Reasons, redirect).
A redirect is None (none), 410, or the path of the 301 target.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

PARKING = ("Pay a parking fine online with a debit or credit card. The penalty charge notice shows the amount, "
           "the date and the notice number. Pay within 14 days to get the reduced rate of half the fine. You "
           "need the notice number and the vehicle registration number to pay. After 28 days the fine goes up "
           "and we send a charge certificate to the registered keeper of the vehicle. If you think the fine is "
           "wrong, challenge it before you pay: paying closes the case. You can also pay by phone or at the "
           "town hall counter during opening hours.")
PARKING_BUSINESS = PARKING.replace("with a debit or credit card", "with a business debit or credit card").replace(
    "to the registered keeper of the vehicle", "to the company that keeps the vehicle").replace(
    "You can also pay by phone", "Fleet managers can also pay several fines at once by phone")
COUNCIL_TAX = ("Pay your council tax by direct debit, online or by phone. Council tax bills are sent out in March "
               "for the year from April. Your bill shows your council tax band, the amount and the instalments. "
               "Set up a direct debit to pay your council tax in ten or twelve monthly instalments. If you miss "
               "an instalment we send a reminder, and after two reminders the whole year's council tax is due.")

THIS_YEAR = date.today().year  # the crawl's year: the season that ends in it is current, the one before is past
SEASON = f"{THIS_YEAR - 1}/{THIS_YEAR % 100:02d}"
SEASON_PATH = f"/council-tax/council-tax-{THIS_YEAR - 1}-{THIS_YEAR % 100:02d}"

# path: (title, main text, body links, extra head html)
PAGES = {
    "/": ("Welcome to Judgeford", "Judgeford council: pay a parking fine, pay your council tax, and more.",
          ["/residents/parking/pay-a-parking-fine", "/council-tax/pay", "/sections/leisure", "/sections/sport"], ""),
    "/residents/parking/pay-a-parking-fine": ("Pay a parking fine", PARKING, ["/residents/parking/appeal",
                                                                            "/businesses/parking/pay-a-parking-fine"], ""),
    "/businesses/parking/pay-a-parking-fine": ("Pay a parking fine (businesses)", PARKING_BUSINESS, [], ""),
    "/residents/parking/appeal": ("Challenge a parking fine", (
        "Challenge a parking fine if the signs were unclear, the meter was broken or you were not the driver. "
        "Write to us within 28 days with the penalty charge notice number and photos of the signs or the bay. "
        "We answer within 56 days; while we look at your challenge the fine does not go up."),
        ["/residents/parking/permit-zones", "/residents/parking/parking-fines-2015"], ""),
    # names a year, but says since when: still in force
    "/residents/parking/permit-zones": ("Parking permit zones since 2015", (
        "Residents of the old town park in zones A to D with a permit. The zone is on the sign at the entrance "
        "of each street; a permit is valid in your own zone only."), [], ""),
    # names a past year, already noindex, still much visited: superseded by the parking fine page
    "/residents/parking/parking-fines-2015": ("Parking fines 2015 tariffs", (
        "These were the parking fine tariffs in 2015: a fine was 60 euro, 30 euro when paid within two weeks."),
        [], '<meta name="robots" content="noindex">'),
    "/council-tax/pay": ("Pay your council tax", COUNCIL_TAX, ["/council-tax/discounts", "/council-tax/council-tax-2018-19",
                                                               SEASON_PATH, "/council-tax/annual-report-2019",
                                                               "/council-tax/discounts-archive", "/council-tax/payment-dates",
                                                               "/council-tax/moving-home"], ""),
    # already noindex, much visited, out of date by its own account (an archive) or by its date (stale):
    # never to be shown in search again; superseded by the council tax page
    "/council-tax/discounts-archive": ("Council tax discounts archive", (
        "Discounts of earlier years: the second home discount and the empty property discount, both ended."),
        [], '<meta name="robots" content="noindex">'),
    "/council-tax/payment-dates": ("Council tax payment dates", (
        "Instalments are due on the first of each month from April to January."), [],
        '<meta name="robots" content="noindex"><meta name="dcterms.modified" content="2019-05-01">'),
    # noindex, much visited, current: people may be searching for it
    "/council-tax/moving-home": ("Moving home: tell us for council tax", (
        "Tell us the date you move in or out and your new address; we close your account and send a final bill."),
        [], '<meta name="robots" content="noindex">'),
    # a past season: superseded by the council tax page
    "/council-tax/council-tax-2018-19": ("Council tax 2018/19", (
        "The band D council tax for 2018/19 was 1,640 euro, payable in ten instalments from April 2018."), [], ""),
    # the season that ends in the crawl's year: current
    SEASON_PATH: (f"Council tax {SEASON}", (
        f"The band D council tax for {SEASON} is 1,912 euro; band A pays six ninths of it, band H twice as much."),
        [], ""),
    # a record, whatever year it names (page kind budget)
    "/council-tax/annual-report-2019": ("Council tax annual report 2019", (
        "What the council collected in council tax in 2019, what it spent it on, and how many households had a "
        "discount."), [], ""),
    "/council-tax/discounts": ("Council tax discounts", (
        "You may pay less council tax if you live alone (a single person discount of 25 percent), if you are "
        "a student, or if someone in your home has a disability. Apply for a council tax discount online with "
        "your council tax account number; we change your bill and send you a new one."),
        ["/council-tax/paper-form", "/council-tax/old-leaflet"], ""),
    "/news/": ("News", "News from the town hall: what the council did this year and the years before.",
               ["/news/2018/", "/events/fireworks-2099", "/events/calendar/2099-01", "/council/councillors", "/gemeente/notulen-raadsvergadering",
                "/about/budget-2019", "/about/old-logo", "/about/old-logo-copy", "/old-news", "/news/bridge-street-closed",
                "/news/library-reopens", "/about/parking-tariffs-archive", "/news/2019/parking-wardens-2019"], ""),
    # dated on the page relative to the crawl (today): 20 days old, current; 200 days old, not any more
    "/news/bridge-street-closed": ("Bridge Street closed for repairs", (
        "Bridge Street is closed between the market square and the river for repairs to the bridge deck. "
        "Buses go round by Mill Lane; the footpath stays open. The work takes about six weeks."), [],
        f'<meta name="dcterms.modified" content="{(date.today() - timedelta(days=20)).isoformat()}">'),
    "/news/library-reopens": ("The library reopens after its refurbishment", (
        "The central library reopens on Monday after six months of work: a new children's corner, more study "
        "desks and longer opening hours on Thursdays. Come and see the new building."), [],
        f'<meta name="dcterms.modified" content="{(date.today() - timedelta(days=200)).isoformat()}">'),
    # hidden from search engines, yet the most read page after the home page
    "/about/parking-tariffs-archive": ("Parking tariffs archive", (
        "Parking tariffs of earlier years: what a space in the town centre car parks cost per hour, per day and "
        "for a season ticket, from 2015 to last year."), [], '<meta name="robots" content="noindex">'),
    "/news/2018/": ("News 2018", "All news from 2018: a new playground, roadworks on Bridge Street, the library "
                    "reopened after its refurbishment, and the Christmas market returned to the square.",
                    ["/news/2018/council-tax-bills-sent-out"], ""),
    # news about a task, naming a past year: the news rules judge it, it is not superseded
    "/news/2019/parking-wardens-2019": ("Parking wardens 2019", (
        "Six new parking wardens started work in 2019 to check the bays in the town centre and near the "
        "schools."), [], ""),
    "/news/2018/council-tax-bills-sent-out": ("Council tax bills sent out", (
        "Council tax bills for the year from April have been sent out this week. Check your council tax band "
        "and the amount on your bill, and set up a direct debit to pay your council tax in monthly "
        "instalments. Bills are sent out every March."), [], ""),
    "/about/cookies/": ("Cookies", "This site uses cookies to remember your choices and to count visits. You can "
                        "refuse the counting cookies; the site works without them.", [], ""),
    "/council/councillors": ("Your councillors", "Find your councillor by ward: names, parties, surgeries and "
                             "how to write to them. Thirty-nine councillors sit on the council.", [], ""),
    "/gemeente/notulen-raadsvergadering": ("Notulen van de raadsvergadering", (
        "De notulen van de vergaderingen van de gemeenteraad, met de besluitenlijst en de stemmingen, "
        "per vergadering sinds 2015."), [], ""),
    "/about/budget-2019": ("Budget 2019", "The council's budget for 2019: income from council tax and grants, "
                           "spending on services, and the reserves, as agreed by full council in February 2019.",
                           [], ""),
    "/sections/leisure": ("Leisure and culture", (
        "Swimming pools, sports halls, the museum, the library and the theatre: opening hours and prices of "
        "everything to do in your free time in Judgeford."), [], ""),
    "/sections/sport": ("Sport", "Page coming soon.", [], ""),
    "/events/fireworks-2099": ("Fireworks night 2099", (
        "Fireworks on the river bank on 5 November 2099 from 7pm. Free entry; food stalls and a bonfire. Bring "
        "a torch and dress warmly."), [], '<meta name="dcterms.modified" content="2099-11-05">'),
    "/events/calendar/2099-01": ("What's on", (
        "Concerts, markets and walks in the coming month: the calendar lists every event in the town with "
        "its place and time, and whether you need a ticket."), [], ""),
    "/about/old-logo": ("Our old logo", (
        "The old logo of the town, a swan on a blue shield, was used from 1974 until it was redrawn; the "
        "drawing is kept in the archive of the town hall for anyone who asks."), [], ""),
    "/about/old-logo-copy": ("Our old logo", (
        "The old logo of the town, a swan on a blue shield, was used from 1974 until it was redrawn; the "
        "drawing is kept in the archive of the town hall for anyone who asks."), [], ""),
}
NAV = ["/", "/residents/parking/pay-a-parking-fine", "/council-tax/pay", "/news/", "/about/cookies/"]
# /council-tax/paper-form was removed on purpose (410); /council-tax/old-leaflet is missing (404)
SERVER = {"redirects": [["/old-news", "/news/2018/", 301]], "gone": ["/council-tax/paper-form"]}

TASKS = '''
[[tasks]]
id = "parking"
name = "Pay a parking fine"
description = "Pay or challenge a penalty charge notice for parking"
keywords = ["parking fine", "penalty charge"]
examples = ["{origin}/residents/parking/pay-a-parking-fine"]

[[tasks]]
id = "council-tax"
name = "Pay council tax"
description = "Pay council tax or apply for a discount"
keywords = ["council tax", "direct debit"]
examples = ["{origin}/council-tax/pay"]

[classifier]
labels = "labels.csv"

[audit]
analytics = ["ga4.csv"]
thin_words = 10
'''

# every page's task is pinned: the rules are under test here, not the classifier
LABELS = {"/residents/parking/pay-a-parking-fine": "parking", "/businesses/parking/pay-a-parking-fine": "parking",
          "/residents/parking/appeal": "parking", "/council-tax/pay": "council-tax",
          "/council-tax/discounts": "council-tax", **{p: "none" for p in PAGES if p.startswith(
              ("/news", "/about", "/council/", "/gemeente", "/sections", "/events"))},
          "/residents/parking/permit-zones": "parking", "/residents/parking/parking-fines-2015": "parking",
          "/council-tax/council-tax-2018-19": "council-tax", SEASON_PATH: "council-tax",
          "/council-tax/annual-report-2019": "council-tax", "/council-tax/discounts-archive": "council-tax",
          "/council-tax/payment-dates": "council-tax", "/council-tax/moving-home": "council-tax", "/news/2019/parking-wardens-2019": "parking"}
VIEWS = {"/": 9000, "/residents/parking/pay-a-parking-fine": 2500, "/businesses/parking/pay-a-parking-fine": 40,
         "/council-tax/pay": 1800, "/news/": 3, "/news/2018/": 2, "/news/2018/council-tax-bills-sent-out": 3,
         "/about/cookies/": 2, "/sections/leisure": 3412, "/sections/sport": 2600, "/about/old-logo": 0, "/about/old-logo-copy": 0,
         "/old-news": 1, "/news/bridge-street-closed": 150, "/news/library-reopens": 150,
         "/about/parking-tariffs-archive": 5000, "/council-tax/council-tax-2018-19": 1200, SEASON_PATH: 900,
         "/council-tax/annual-report-2019": 40, "/news/2019/parking-wardens-2019": 30,
         "/residents/parking/permit-zones": 300, "/residents/parking/parking-fines-2015": 6000,
         "/council-tax/discounts-archive": 2000, "/council-tax/payment-dates": 2500, "/council-tax/moving-home": 1500}

# path: (recommendation, reason codes among the Reasons, redirect: None, 410 or the 301 target's path)
EXPECTED = {
    "/": ("keep", {"home"}, None),
    # in the menu of every page, unused: demoted first, never removed in one step
    "/news/": ("demote", {"no-task"}, None),
    # in the menu too, but a kind of page a public body keeps
    "/about/cookies/": ("keep", {"protected"}, None),
    "/council/councillors": ("keep", {"protected"}, None),
    "/gemeente/notulen-raadsvergadering": ("keep", {"protected"}, None),  # Dutch: minutes of the council
    "/about/budget-2019": ("keep", {"protected"}, None),
    # no task, 3,412 page views: popular, the reason names the traffic
    "/sections/leisure": ("keep", {"high-traffic"}, None),
    # no task, much visited, three words ("page coming soon"): people come and find little: improve, not keep
    "/sections/sport": ("improve", {"high-traffic", "thin"}, None),
    # removed; something links to it but no kept page is related: 410, not the council tax page
    "/news/2018/": ("remove", {"no-task"}, 410),
    # removed; its text is about paying council tax: 301 to the council tax page
    "/news/2018/council-tax-bills-sent-out": ("remove", {"no-task"}, "/council-tax/pay"),
    # newest date after the crawl: upcoming, neither stale nor removed
    "/events/fireworks-2099": ("keep", {"upcoming"}, None),
    # news dated on the page 20 days before the crawl, read by 150 people: current news, kept (and indexed)
    "/news/bridge-street-closed": ("keep", {"current"}, None),
    # the same 200 days on: still read, no longer current: noindex
    "/news/library-reopens": ("noindex", {"no-task"}, None),
    # no task, noindex, 5,000 page views: popular, kept; the reasons say the noindex may hide it from people
    "/about/parking-tariffs-archive": ("keep", {"high-traffic", "noindex"}, None),
    # an events calendar's month still to come, named only in its URL: upcoming too
    "/events/calendar/2099-01": ("keep", {"upcoming"}, None),
    # the same page for another audience, reworded (shingles alone miss it): merged into the residents' page
    "/businesses/parking/pay-a-parking-fine": ("merge", {"near-duplicate"}, "/residents/parking/pay-a-parking-fine"),
    # a copy of a page that is removed is not merged into a 410: both go
    "/about/old-logo": ("remove", {"no-task"}, 410),
    "/about/old-logo-copy": ("remove", {"no-task", "duplicate"}, 410),
    # the site's own redirect leads to a page that will answer 410: fix it, 410 too
    "/old-news": ("fix", {"redirect"}, 410),
    # removed on purpose (410): the removal is done, the link to it is what is left; a 404 may be a mistake
    "/council-tax/paper-form": ("fix", {"gone"}, None),
    "/council-tax/old-leaflet": ("fix", {"error"}, None),
    "/council-tax/discounts": ("fix", {"broken-links"}, None),
    "/residents/parking/pay-a-parking-fine": ("keep", set(), None),
    "/council-tax/pay": ("keep", set(), None),
    # a past season, with a current page for its task: merged into it
    "/council-tax/council-tax-2018-19": ("merge", {"superseded"}, "/council-tax/pay"),
    # the same, already noindex and still much visited: merged too, never shown in search again
    "/residents/parking/parking-fines-2015": ("merge", {"superseded", "noindex"}, "/residents/parking/pay-a-parking-fine"),
    # already noindex, out of date (an archive; stale), much visited: merged into the current page
    "/council-tax/discounts-archive": ("merge", {"superseded", "noindex"}, "/council-tax/pay"),
    "/council-tax/payment-dates": ("merge", {"superseded", "noindex", "stale"}, "/council-tax/pay"),
    # already noindex, current, much visited: kept; the reasons say the noindex may hide it from people
    "/council-tax/moving-home": ("keep", {"noindex"}, None),
    # not superseded: the season ending this year, "since 2015", a record (annual report), news about the task
    SEASON_PATH: ("keep", set(), None),
    "/residents/parking/permit-zones": ("keep", set(), None),
    "/council-tax/annual-report-2019": ("keep", set(), None),
}
NOT_SUPERSEDED = (SEASON_PATH, "/residents/parking/permit-zones", "/council-tax/annual-report-2019",
                  "/news/2019/parking-wardens-2019")


def page_html(title: str, text: str, links: list, head: str) -> str:
    nav = "".join(f'<li><a href="{p}">{p.strip("/") or "Home"}</a></li>' for p in NAV)
    body = "".join(f'<li><a href="{p}">{p.rstrip("/").rsplit("/", 1)[-1] or p}</a></li>' for p in links)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body><header><nav><ul>{nav}</ul></nav></header><main><h1>{title}</h1><p>{text}</p>"
            f"<ul>{body}</ul></main><footer><p>Judgeford council</p></footer></body></html>")


def build(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for path, (title, text, links, head) in PAGES.items():
        folder = root / path.strip("/")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(page_html(title, text, links, head), encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n", encoding="utf-8")
    (root / "_server.json").write_text(json.dumps(SERVER), encoding="utf-8")


def write_config(folder: Path, origin: str) -> Path:
    (folder / "labels.csv").write_text("url,task\n" + "".join(f"{origin}{p},{t}\n" for p, t in LABELS.items()),
                                       encoding="utf-8")
    (folder / "ga4.csv").write_text("# GA4 export\nPage path and screen class,Views\n"
                                    + "".join(f"{p},{v}\n" for p, v in VIEWS.items()), encoding="utf-8")
    config = folder / "judgement-site.toml"
    config.write_text(f'[site]\nname = "Judgeford"\nstart_urls = ["{origin}/"]\nautothrottle = false\n'
                      + TASKS.format(origin=origin), encoding="utf-8")
    return config
