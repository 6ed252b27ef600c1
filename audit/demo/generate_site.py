"""Write the bundled demo site: Riverton, a fictional municipality of about 190 pages.

Run by hand after changing it (``python -m audit.demo.generate_site``); its output in ``site/`` is
committed, and ``tests/test_demo_site.py`` checks the two agree. Deterministic: no clock, seeded random.

What it holds, on purpose: seven evident top tasks; the same task written once per audience
(/residents/ and /businesses/); old news back to 2011; outdated event pages; thin stubs; PDFs; pages
only the sitemap lists (orphans); broken links (one from the home page); redirects and a redirect chain; a 410; a noindex page;
a robots.txt that blocks a section; and an endless events calendar (a crawler trap).
"""

from __future__ import annotations

import html
import json
import random
import shutil
from pathlib import Path

ORIGIN = "__ORIGIN__"
SITE = Path(__file__).parent / "site"
rng = random.Random(20261122)

NAV = [("/", "Home"), ("/residents/", "Residents"), ("/businesses/", "Businesses"), ("/visitors/", "Visitors"),
       ("/news/", "News"), ("/events/", "Events"), ("/contact/", "Contact")]
FOOTER = [("/about/", "About Riverton"), ("/about/privacy/", "Privacy"), ("/about/accessibility/", "Accessibility"),
          ("/about/cookies/", "Cookies"), ("/contact/", "Contact us")]

TASKS = {
    "parking": {
        "title": "Parking", "base": "/residents/parking/",
        "pages": {
            "pay-a-parking-fine": ("Pay a parking fine", [
                "You can pay a parking fine (penalty charge notice) online, by phone or at the town hall.",
                "You need the 10-character reference number printed on the penalty charge notice and the vehicle registration.",
                "If you pay within 14 days the fine is reduced by 50 percent. After 28 days a charge certificate adds 50 percent.",
                "Pay online with a debit or credit card. Payments are processed immediately and you receive an e-mail receipt.",
            ], ["Find the reference on your penalty charge notice", "Enter the reference and vehicle registration",
                "Pay by card and keep the receipt"]),
            "appeal-a-parking-fine": ("Challenge or appeal a parking fine", [
                "If you think a parking fine was issued wrongly you can challenge it before you pay.",
                "Send photos, a permit or a receipt for a parking ticket as evidence with your challenge.",
                "We reply within 14 days. While we consider the challenge the discount period for paying the penalty is frozen.",
                "If we reject the challenge you can appeal to the independent traffic penalty tribunal.",
            ], ["Gather evidence such as photos or a pay and display ticket", "Fill in the challenge form with the penalty reference",
                "Wait for our decision before paying"]),
            "parking-permits": ("Residents' parking permits", [
                "Residents in a controlled parking zone can apply for a parking permit for their vehicle.",
                "A permit costs 85 euro a year for the first car. Visitor parking vouchers are sold in books of ten.",
                "Parking without a valid permit in a permit zone can lead to a parking fine.",
            ], ["Check that your street is in a permit zone", "Apply online with proof of address and vehicle registration",
                "Or send the application form (Word) by post"]),
            "parking-fine-payment-plan": ("Pay a parking fine in instalments", [
                "If you cannot pay a parking fine at once you can ask for a payment plan.",
                "Call the parking services team with your penalty charge notice reference.",
            ], []),
        },
    },
    "passport": {
        "title": "Passports and ID cards", "base": "/residents/passports-and-id/",
        "pages": {
            "apply-for-a-passport": ("Apply for a passport", [
                "Book an appointment at the town hall civil affairs desk to apply for a passport.",
                "Bring your current passport or ID card, one recent passport photo that meets the photo requirements, and the fee.",
                "An adult passport costs 75 euro and is valid for 10 years. A passport for a child costs 56 euro and is valid for 5 years.",
                "Your new passport is ready to collect five working days after your application. You must collect it in person.",
            ], ["Book an appointment online", "Bring your old passport, a passport photo and the fee", "Collect the passport after five working days"]),
            "renew-an-id-card": ("Renew your identity card", [
                "An identity card can be renewed at the town hall from three months before it expires.",
                "Bring the old identity card and a passport photo. The fee for an identity card is 70 euro.",
                "Children need a parent present when they apply for an identity card.",
            ], ["Book an appointment", "Bring your old ID card and a photo"]),
            "lost-or-stolen-passport": ("Report a lost or stolen passport", [
                "Report a lost or stolen passport or identity card at the town hall as soon as possible.",
                "We cancel the lost passport so nobody can use it. You then apply for a new passport.",
                "Report a theft to the police as well and bring the police report to your appointment.",
            ], []),
            "passport-photo-requirements": ("Passport photo requirements", [
                "Your passport photo must be recent, in colour, 35 by 45 millimetres, with a plain light background.",
                "Look straight into the camera with a neutral expression. Glasses are allowed if your eyes are visible.",
            ], []),
            "urgent-passport": ("Get a passport urgently", [
                "Need a passport within days? An urgent passport application costs an extra 52 euro.",
                "Apply before 12:00 and collect your passport the next working day at the town hall.",
            ], []),
        },
    },
    "report": {
        "title": "Report a problem in the street", "base": "/residents/streets/",
        "pages": {
            "report-a-pothole": ("Report a pothole", [
                "Report a pothole in a road, pavement or cycle path so our road team can repair it.",
                "Mark the location on the map and add a photo. Dangerous potholes are made safe within 24 hours.",
                "You can follow the repair with the reference number we send you.",
            ], ["Mark the pothole on the map", "Add a photo and a description", "Follow the repair with your reference"]),
            "report-a-broken-streetlight": ("Report a broken streetlight", [
                "Report a streetlight that is out, flickering or damaged. Each lamp post has a number on it.",
                "Give the lamp post number and the street. Most streetlights are repaired within 7 working days.",
            ], ["Find the number on the lamp post", "Report it online with the street name"]),
            "report-graffiti": ("Report graffiti", [
                "Report graffiti on public buildings, bus shelters, bridges or street furniture.",
                "Offensive graffiti is removed within 24 hours of a report, other graffiti within 10 working days.",
            ], []),
            "report-fly-tipping": ("Report fly-tipping and dumped rubbish", [
                "Report rubbish dumped in the street, in a park or on a verge. Do not touch hazardous waste.",
                "Tell us what was dumped and where. We clear fly-tipping from public land within 3 working days.",
            ], []),
            "report-a-street-problem": ("Report a problem in the street", [
                "Report a problem in a public street or park: potholes, broken streetlights, graffiti, fly-tipping, broken benches or blocked drains.",
                "Use the online form, the Riverton app, or call the street problems line. Give the exact location.",
            ], ["Choose the kind of problem", "Mark the location and send the report"]),
        },
    },
    "bins": {
        "title": "Bins and recycling", "base": "/residents/waste/",
        "pages": {
            "bin-collection-days": ("Bin collection days", [
                "Find your bin collection day by entering your postcode. General waste is collected every two weeks.",
                "Recycling and general waste bins are collected on alternate weeks, garden waste every two weeks from March to November.",
                "Put your bin out by 7 am on your collection day with the lid closed.",
                "Collections after a bank holiday move one day later that week.",
            ], ["Enter your postcode", "See your collection days for general waste, recycling and garden waste"]),
            "missed-bin-collection": ("Report a missed bin collection", [
                "If your bin was not collected on your collection day, report a missed bin within two working days.",
                "We return to empty missed bins within three working days.",
            ], []),
            "bulky-waste-collection": ("Book a bulky waste collection", [
                "Book a collection of bulky waste such as furniture, mattresses and fridges.",
                "A collection of up to five items costs 35 euro. Put the items outside on the morning of the collection.",
            ], ["Book and pay online", "Put items out on the morning of the collection"]),
            "what-goes-in-which-bin": ("What goes in which bin", [
                "The blue bin is for paper, cardboard, cans and plastic bottles. The green bin is for garden waste.",
                "Food waste goes in the brown caddy. Everything else goes in the grey general waste bin.",
            ], []),
            "order-a-new-bin": ("Order a new or replacement bin", [
                "Order a new bin if yours is lost, stolen or broken. A replacement bin is delivered within 10 working days.",
            ], []),
        },
    },
    "counciltax": {
        "title": "Council tax", "base": "/residents/council-tax/",
        "pages": {
            "pay-your-council-tax": ("Pay your council tax", [
                "Pay your council tax by direct debit, online by card, or by bank transfer.",
                "Council tax is paid in ten monthly instalments from April to January unless you ask for twelve.",
                "You need your council tax account number, printed on your council tax bill.",
                "If you miss a payment we send a reminder; after two reminders the whole year's council tax becomes due.",
            ], ["Find your account number on your bill", "Choose direct debit or a card payment"]),
            "council-tax-bands": ("Council tax bands and charges", [
                "Every home is in a council tax band from A to H, based on its value.",
                "The yearly council tax for a band D home in Riverton is 1,912 euro.",
            ], []),
            "council-tax-discounts": ("Council tax discounts and reductions", [
                "You get a 25 percent council tax discount if you live alone.",
                "Students, carers and people on a low income may pay less council tax or none.",
            ], ["Check if you qualify", "Apply online with your council tax account number"]),
            "moving-home-council-tax": ("Moving home: tell us for council tax", [
                "Tell us when you move into, out of, or within Riverton so we can update your council tax account.",
                "We send a final council tax bill for your old address and a new bill for your new one.",
            ], []),
        },
    },
    "permit": {
        "title": "Planning and building permits", "base": "/residents/planning/",
        "pages": {
            "apply-for-a-building-permit": ("Apply for a building permit", [
                "You need a building permit (planning permission) for most extensions, new buildings and changes to the outside of a building.",
                "Apply online with drawings, a site plan and a description of the work. The fee depends on the building costs.",
                "We decide within 8 weeks. Neighbours can see the application and give their views.",
            ], ["Check whether you need a permit", "Prepare drawings and a site plan", "Apply online and pay the fee"]),
            "do-i-need-a-permit": ("Do I need a building permit?", [
                "Small changes such as a garden shed under 10 square metres or a rear extension up to 3 metres usually need no building permit.",
                "Listed buildings and homes in a conservation area always need a permit for changes to the outside.",
            ], []),
            "comment-on-a-planning-application": ("Comment on a planning application", [
                "You can view planning applications near you and comment on them within 21 days.",
            ], []),
        },
    },
    "birth": {
        "title": "Births, deaths and marriages", "base": "/residents/births-deaths-marriages/",
        "pages": {
            "register-a-birth": ("Register a birth", [
                "You must register a birth within 42 days at the Riverton register office.",
                "Book an appointment. Parents who are married can register alone; unmarried parents come together.",
                "Bring your ID. You receive a birth certificate; extra copies cost 11 euro.",
            ], ["Book an appointment within 42 days", "Bring ID for each parent"]),
            "register-a-death": ("Register a death", [
                "A death must be registered within 5 days. Book an appointment at the register office.",
                "Bring the medical certificate of cause of death.",
            ], []),
            "give-notice-of-marriage": ("Give notice of marriage", [
                "You must give notice of marriage at least 28 days before the ceremony at the register office.",
            ], []),
        },
    },
}

# The same task written again for businesses: near-duplicates of residents' pages
BUSINESS_COPIES = {
    "/businesses/parking/pay-a-parking-fine": ("parking", "pay-a-parking-fine", "Pay a parking fine for a company vehicle"),
    "/businesses/waste/bin-collection-days": ("bins", "bin-collection-days", "Bin collection days for businesses"),
    "/businesses/planning/apply-for-a-building-permit": ("permit", "apply-for-a-building-permit", "Apply for a building permit for business premises"),
    "/businesses/streets/report-a-street-problem": ("report", "report-a-street-problem", "Report a problem in the street near your business"),
    "/businesses/council-tax/pay-your-council-tax": ("counciltax", "pay-your-council-tax", "Pay your council tax (business premises)"),
}
# Exact duplicates: a copy printed for visitors
VISITOR_COPIES = {
    "/visitors/parking-fines": ("parking", "pay-a-parking-fine"),
    "/visitors/lost-passport": ("passport", "lost-or-stolen-passport"),
}

OTHER_BUSINESS = {
    "business-rates": ("Business rates", ["Business rates are charged on most non-domestic properties such as shops, offices and warehouses.",
                                          "Your business rates bill shows the rateable value and how to pay."]),
    "licences": ("Licences and permits for businesses", ["Apply for an alcohol licence, a street trading licence or a taxi licence.",
                                                        "Most licences are renewed every year."]),
    "start-a-business": ("Start a business in Riverton", ["Advice on starting a business: premises, rates, licences and support.",
                                                         "The business desk offers free meetings for new entrepreneurs."]),
    "commercial-waste": ("Commercial waste collection", ["Businesses must arrange collection of their commercial waste.",
                                                        "Riverton offers commercial waste contracts with weekly or daily collections."]),
    "tenders": ("Tenders and selling to the council", ["We publish tenders above 50,000 euro on the national tender portal."]),
    "markets": ("Market stalls", ["Rent a stall at the Saturday market on Town Square. Stalls cost 40 euro a day."]),
}
VISITOR_PAGES = {
    "things-to-do": ("Things to do in Riverton", ["Walk along the river, visit the castle museum and the botanical garden.",
                                                  "The old town has cafés, a weekly market and a cinema."]),
    "getting-here": ("Getting to Riverton", ["Riverton station has trains every 15 minutes to the city.",
                                            "Park and ride sites are signposted from the ring road."]),
    "museum": ("Castle museum", ["The castle museum is open Tuesday to Sunday from 10:00 to 17:00.", "Entry is free for children."]),
    "tourist-information": ("Tourist information office", ["The tourist information office on Town Square has maps and guided walks."]),
}
ABOUT_PAGES = {
    "": ("About Riverton council", ["Riverton council serves 86,000 residents.", "The council has 37 elected councillors."]),
    "councillors": ("Councillors", ["Find your councillor by ward. Councillors hold surgeries every month."]),
    "mayor": ("The mayor", ["The mayor chairs council meetings and represents Riverton at civic events."]),
    "council-meetings": ("Council meetings and minutes", ["Council meetings are held in public every six weeks.",
                                                          "Agendas and minutes are published here."]),
    "budget": ("Budget and spending", ["The council's yearly budget is 212 million euro.",
                                       "See the budget report (PDF) and spending over 500 euro."]),
    "jobs": ("Jobs at the council", ["We publish vacancies every week. Apply online."]),
    "privacy": ("Privacy statement", ["How Riverton council uses your personal data and your rights under data protection law."]),
    "accessibility": ("Accessibility statement", ["We want as many people as possible to be able to use this website."]),
    "cookies": ("Cookies", ["We use only necessary cookies and, with your consent, analytics cookies."]),
    "history": ("History of Riverton", ["Riverton received its town charter in 1312.", "The castle dates from the 12th century."]),
    "twin-towns": ("Twin towns", ["Riverton is twinned with three towns in Europe."]),
    "press-office": ("Press office", ["Journalists can contact the press office on working days."]),
}
STUBS = ["/residents/housing/", "/residents/health-and-care/", "/residents/libraries/", "/businesses/funding/",
         "/residents/parks/allotments", "/residents/schools/", "/about/strategy-2030", "/residents/volunteering",
         "/businesses/events-licence", "/residents/sport/"]
NEWS_TOPICS = [
    ("New bin collection calendar published", "bins", "The new bin collection calendar for the year is now online. Check your collection days by postcode."),
    ("Roadworks on Bridge Street", None, "Bridge Street will be closed for resurfacing for three weeks. Diversions are signposted."),
    ("Council tax bills sent out", "counciltax", "Council tax bills for the new year have been sent. Pay by direct debit to spread the cost."),
    ("Mayor opens new playground", None, "The mayor opened the new playground in Riverside Park on Saturday."),
    ("Parking charges change from April", "parking", "Parking charges in the town centre car parks change from 1 April."),
    ("Passport appointments: longer opening hours", "passport", "The civil affairs desk opens on Thursday evenings for passport appointments."),
    ("Winter gritting routes announced", None, "Gritting lorries will treat main roads when frost is forecast."),
    ("Library refurbishment complete", None, "The central library has reopened after a six-month refurbishment."),
    ("Record number of potholes repaired", "report", "Our road team repaired a record number of potholes reported by residents."),
    ("Consultation on the town centre plan", "permit", "Have your say on the plan for new buildings in the town centre."),
    ("Christmas market returns", None, "The Christmas market returns to Town Square with 60 stalls."),
    ("New councillor elected in East ward", None, "A by-election in East ward elected a new councillor."),
]
EVENTS = [("summer-festival-2018", "Summer festival 2018", "2018-07-14"), ("river-run-2019", "River run 2019", "2019-05-05"),
          ("christmas-lights-2019", "Christmas lights switch-on 2019", "2019-11-29"),
          ("heritage-weekend-2020", "Heritage weekend 2020 (cancelled)", "2020-09-12"),
          ("summer-festival-2021", "Summer festival 2021", "2021-07-10"), ("jazz-night-2021", "Jazz by the river 2021", "2021-08-20"),
          ("food-fair-2022", "Riverton food fair 2022", "2022-06-18"), ("fireworks-2022", "Fireworks night 2022", "2022-11-05"),
          ("open-day-town-hall-2023", "Town hall open day 2023", "2023-04-22"), ("book-festival-2023", "Book festival 2023", "2023-10-07"),
          ("summer-festival-2026", "Summer festival 2026", "2026-07-11"), ("christmas-market-2026", "Christmas market 2026", "2026-12-05")]


def page(path: str, title: str, body_html: str, crumbs=(), meta: str = "", lang: str = "en") -> str:
    nav = "".join(f'<li><a href="{h}">{html.escape(t)}</a></li>' for h, t in NAV)
    footer = " | ".join(f'<a href="{h}">{html.escape(t)}</a>' for h, t in FOOTER)
    trail = ""
    if crumbs:
        items = "".join(f'<li><a href="{h}">{html.escape(t)}</a></li>' for h, t in crumbs)
        trail = f'<nav aria-label="Breadcrumb" class="breadcrumb"><ol>{items}<li aria-current="page">{html.escape(title)}</li></ol></nav>'
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} - Riverton Council</title>
{meta}<link rel="stylesheet" href="/style.css">
</head>
<body>
<a class="skip-link" href="#content">Skip to content</a>
<header><a href="/" class="logo">Riverton Council</a>
<nav aria-label="Main"><ul>{nav}</ul></nav>
<form action="/search" role="search"><input name="q" aria-label="Search"><button>Search</button></form>
</header>
{trail}
<main id="content">
{body_html}
</main>
<footer><p>{footer}</p><p>Riverton Council, Town Hall, Market Street 1, Riverton. Phone 0800 123 456.</p></footer>
</body>
</html>
"""


def paragraphs(texts) -> str:
    return "".join(f"<p>{html.escape(t)}</p>" for t in texts)


def steps(items) -> str:
    if not items:
        return ""
    return "<h2>How it works</h2><ol>" + "".join(f"<li>{html.escape(s)}</li>" for s in items) + "</ol>"


def modified(date: str) -> str:
    return f'<meta name="dcterms.modified" content="{date}">\n'


def write(path: str, text: str, files: dict) -> None:
    rel = path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    elif "." not in rel.rsplit("/", 1)[-1]:
        rel += "/index.html"
    files[rel] = text


def minimal_pdf(title: str, lines: list[str], dated: str = "20190301") -> bytes:
    """A small valid PDF with real text (so PDF text extraction can be tested), created and modified on
    ``dated`` (YYYYMMDD), as its document properties say."""
    def esc(s):
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = "BT /F1 12 Tf 72 760 Td 16 TL " + " ".join(f"({esc(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({esc(title)}) /ModDate (D:{dated}120000) /CreationDate (D:{dated}120000) >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _fixed_zip(data: bytes, modified: str) -> bytes:
    """Re-pack an office file with fixed timestamps (openpyxl stamps 'modified' with the time of saving),
    so the generator's output is byte-for-byte stable."""
    import io
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2019, 3, 1, 12, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + modified.encode(), content)
            dst.writestr(fixed, content)
    return out.getvalue()


def docx_form() -> bytes:
    import io
    from datetime import datetime

    import docx

    document = docx.Document()
    document.core_properties.title = "Parking permit application form"
    document.core_properties.created = document.core_properties.modified = datetime(2019, 3, 1, 12, 0, 0)
    document.add_heading("Application for a residents' parking permit", 1)
    document.add_paragraph("Fill in this form to apply for a parking permit for your vehicle.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Vehicle registration", ""
    table.cell(1, 0).text, table.cell(1, 1).text = "Address", ""
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue(), "2019-03-01T12:00:00Z")


def xlsx_calendar() -> bytes:
    import io
    from datetime import datetime

    import openpyxl

    book = openpyxl.Workbook()
    book.properties.title = "Bin collection calendar 2019"
    book.properties.created = book.properties.modified = datetime(2019, 1, 2, 9, 0, 0)
    sheet = book.active
    sheet.title = "2019"
    sheet.append(["Week", "General waste", "Recycling"])
    for week in range(1, 9):
        sheet.append([week, "Monday" if week % 2 else "-", "-" if week % 2 else "Monday"])
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue(), "2019-01-02T09:00:00Z")


def build() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    sitemap: list[tuple[str, str]] = []

    # home page: top tasks first
    top = [("/residents/parking/pay-a-parking-fine", "Pay a parking fine"),
           ("/residents/passports-and-id/apply-for-a-passport", "Apply for a passport"),
           ("/residents/streets/report-a-street-problem", "Report a problem in the street"),
           ("/residents/waste/bin-collection-days", "Bin collection days"),
           ("/residents/council-tax/pay-your-council-tax", "Pay your council tax"),
           ("/residents/planning/apply-for-a-building-permit", "Apply for a building permit"),
           ("/residents/births-deaths-marriages/register-a-birth", "Register a birth")]
    links = "".join(f'<li><a href="{h}">{t}</a></li>' for h, t in top)
    news_links = "".join(f'<li><a href="/news/2026/{s}">{t}</a></li>' for s, t in
                         [("new-bin-collection-calendar-published", "New bin collection calendar published"),
                          ("parking-charges-change-from-april", "Parking charges change from April")])
    write("/", page("/", "Welcome to Riverton", f"<h1>Riverton Council</h1><p>Find and do what you need online, any time.</p>"
                    f"<h2>Most requested</h2><ul>{links}</ul><h2>Latest news</h2><ul>{news_links}</ul>"
                    f'<p><a href="/residents/">All services for residents</a></p>'), files)
    sitemap.append(("/", "2026-11-01"))

    # task pages and their hubs
    residents_hub = []
    bodies = {}
    for key, task in TASKS.items():
        base = task["base"]
        hub_items = []
        for slug, (title, texts, how) in task["pages"].items():
            path = base + slug
            related = [(base + s, t[0]) for s, t in task["pages"].items() if s != slug][:3]
            rel_html = "<h2>Related</h2><ul>" + "".join(f'<li><a href="{h}">{html.escape(t)}</a></li>' for h, t in related) + "</ul>"
            date = f"202{rng.randint(3, 6)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            bodies[(key, slug)] = f"<h1>{html.escape(title)}</h1>{paragraphs(texts)}{steps(how)}{rel_html}"
            if slug == "parking-permits":
                bodies[(key, slug)] += '<p><a href="/documents/parking-permit-application-form.docx">Application form (Word)</a></p>'
            if slug == "bin-collection-days":
                bodies[(key, slug)] += ('<p><a href="/documents/bin-collection-calendar-2019.xlsx">Collection calendar 2019 (Excel)</a> · '
                                        '<a href="/documents/bulky-waste-price-list.pdf">Bulky waste prices (PDF)</a></p>')
            write(path, page(path, title, bodies[(key, slug)],
                             crumbs=[("/", "Home"), ("/residents/", "Residents"), (base, task["title"])], meta=modified(date)), files)
            sitemap.append((path, date))
            hub_items.append(f'<li><a href="{path}">{html.escape(title)}</a></li>')
        if key == "parking":  # an old page kept out of search engines with meta noindex
            hub_items.append('<li><a href="/residents/parking/parking-fines-archive">Parking fine tariffs 2015</a></li>')
        write(base, page(base, task["title"], f"<h1>{html.escape(task['title'])}</h1><ul>{''.join(hub_items)}</ul>",
                         crumbs=[("/", "Home"), ("/residents/", "Residents")]), files)
        sitemap.append((base, "2025-01-15"))
        residents_hub.append(f'<li><a href="{base}">{html.escape(task["title"])}</a></li>')
    for stub in STUBS:
        if stub.startswith("/residents/"):
            residents_hub.append(f'<li><a href="{stub}">{html.escape(stub.strip("/").split("/")[-1].replace("-", " ").capitalize())}</a></li>')
    write("/residents/", page("/residents/", "Residents", f"<h1>Services for residents</h1><ul>{''.join(residents_hub)}</ul>",
                              crumbs=[("/", "Home")]), files)

    # the same tasks written for businesses (near-duplicates), and business-only pages
    business_hub = []
    for path, (key, slug, title) in BUSINESS_COPIES.items():
        _, texts, how = TASKS[key]["pages"][slug]
        texts = [texts[0].replace("You can", "Businesses can").replace("your", "your company's", 1)] + texts[1:]
        write(path, page(path, title, f"<h1>{html.escape(title)}</h1>{paragraphs(texts)}{steps(how)}",
                         crumbs=[("/", "Home"), ("/businesses/", "Businesses")], meta=modified("2019-06-03")), files)
        sitemap.append((path, "2019-06-03"))
        business_hub.append(f'<li><a href="{path}">{html.escape(title)}</a></li>')
    for slug, (title, texts) in OTHER_BUSINESS.items():
        path = f"/businesses/{slug}"
        write(path, page(path, title, f"<h1>{html.escape(title)}</h1>{paragraphs(texts)}",
                         crumbs=[("/", "Home"), ("/businesses/", "Businesses")]), files)
        sitemap.append((path, "2024-02-01"))
        business_hub.append(f'<li><a href="{path}">{html.escape(title)}</a></li>')
    business_hub.append('<li><a href="/businesses/funding/">Funding</a></li><li><a href="/businesses/events-licence">Events licence</a></li>')
    business_hub.append('<li><a href="/businesses/covid-19-support-grants">Covid-19 support grants</a></li>')  # broken
    write("/businesses/", page("/businesses/", "Businesses", f"<h1>Business services</h1><ul>{''.join(business_hub)}</ul>",
                               crumbs=[("/", "Home")]), files)

    # visitors: exact duplicates of resident pages, and visitor pages
    visitor_hub = []
    for path, (key, slug) in VISITOR_COPIES.items():
        title = TASKS[key]["pages"][slug][0]
        write(path, page(path, title, bodies[(key, slug)], crumbs=[("/", "Home"), ("/visitors/", "Visitors")]), files)
        visitor_hub.append(f'<li><a href="{path}">{html.escape(title)}</a></li>')
    for slug, (title, texts) in VISITOR_PAGES.items():
        path = f"/visitors/{slug}"
        write(path, page(path, title, f"<h1>{html.escape(title)}</h1>{paragraphs(texts)}",
                         crumbs=[("/", "Home"), ("/visitors/", "Visitors")]), files)
        visitor_hub.append(f'<li><a href="{path}">{html.escape(title)}</a></li>')
    visitor_hub.append('<li><a href="/visitors/old-town-walk">Old town walk</a></li>')  # redirected
    write("/visitors/", page("/visitors/", "Visitors", f"<h1>Visiting Riverton</h1><ul>{''.join(visitor_hub)}</ul>",
                             crumbs=[("/", "Home")]), files)

    # about pages, PDFs
    for slug, (title, texts) in ABOUT_PAGES.items():
        path = f"/about/{slug}" if slug else "/about/"
        extra = ""
        if slug == "budget":
            extra = '<p><a href="/documents/budget-2019.pdf">Budget report 2019 (PDF)</a> · <a href="/documents/budget-2024.pdf">Budget report 2024 (PDF)</a></p>'
        if slug == "council-meetings":
            extra = "<ul>" + "".join(f'<li><a href="/documents/minutes-20{y}-0{m}.pdf">Minutes 20{y}-0{m} (PDF)</a></li>'
                                      for y in (18, 19) for m in (3, 6)) + "</ul>"
        if slug == "":
            extra = "<ul>" + "".join(f'<li><a href="/about/{s}">{html.escape(t[0])}</a></li>' for s, t in ABOUT_PAGES.items() if s) + "</ul>"
        write(path, page(path, title, f"<h1>{html.escape(title)}</h1>{paragraphs(texts)}{extra}", crumbs=[("/", "Home"), ("/about/", "About")]), files)
        sitemap.append((path, "2022-03-10"))
    files["documents/budget-2019.pdf"] = minimal_pdf("Budget report 2019", ["Riverton council budget report 2019.", "Total budget 198 million euro.", "Spending on roads, waste collection and social care."])
    files["documents/budget-2024.pdf"] = minimal_pdf("Budget report 2024", ["Riverton council budget report 2024.", "Total budget 212 million euro."], dated="20240215")
    for y in (18, 19):
        for m in (3, 6):
            files[f"documents/minutes-20{y}-0{m}.pdf"] = minimal_pdf(f"Council minutes 20{y}-0{m}", [f"Minutes of the council meeting, month {m} of 20{y}.", "Present: the mayor and 31 councillors.", "The council agreed the parking strategy."],
                                                                        dated=f"20{y}0{m}28")
    files["documents/parking-permit-application-form.docx"] = docx_form()
    files["documents/bin-collection-calendar-2019.xlsx"] = xlsx_calendar()
    files["documents/bulky-waste-price-list.pdf"] = minimal_pdf("Bulky waste price list", ["Bulky waste collection: up to five items 35 euro.", "Fridges and freezers 20 euro each."], dated="20230401")

    # news: many years of it, most of it old
    news_by_year: dict[int, list] = {}
    for year in range(2011, 2027):
        for i in range(rng.randint(3, 5) if year < 2026 else 4):
            title, _task, text = NEWS_TOPICS[(year * 7 + i * 3) % len(NEWS_TOPICS)]
            title = f"{title}" if year >= 2025 else f"{title} ({year})"
            slug = title.lower().replace(":", "").replace("(", "").replace(")", "").replace(" ", "-")
            date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            path = f"/news/{year}/{slug}"
            if path in [p for p, _ in news_by_year.get(year, [])]:
                continue
            body = (f"<h1>{html.escape(title)}</h1><p class='date'>Published {date}</p>{paragraphs([text, 'For more information contact the press office.'])}")
            ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title, "datePublished": date})
            meta = f'<script type="application/ld+json">{ld}</script>\n'
            write(path, page(path, title, body, crumbs=[("/", "Home"), ("/news/", "News"), (f"/news/{year}/", str(year))], meta=meta), files)
            news_by_year.setdefault(year, []).append((path, title))
            sitemap.append((path, date))
    for year, items in news_by_year.items():
        lst = "".join(f'<li><a href="{p}">{html.escape(t)}</a></li>' for p, t in items)
        write(f"/news/{year}/", page(f"/news/{year}/", f"News {year}", f"<h1>News from {year}</h1><ul>{lst}</ul>",
                                     crumbs=[("/", "Home"), ("/news/", "News")]), files)
    years = "".join(f'<li><a href="/news/{y}/">{y}</a></li>' for y in sorted(news_by_year, reverse=True))
    write("/news/", page("/news/", "News", f"<h1>News</h1><ul>{years}</ul><p><a href='/news/?topic=parking&amp;sort=date'>Parking news</a> "
                         f"<a href='/news/?utm_source=newsletter&amp;utm_medium=email'>From the newsletter</a></p>", crumbs=[("/", "Home")]), files)

    # events: mostly past ones; the calendar is an endless trap
    ev = []
    for slug, title, date in EVENTS:
        path = f"/events/{slug}"
        body = f"<h1>{html.escape(title)}</h1><p>Date: {date}. Town Square, Riverton.</p><p>Free entry. Food stalls and music for all ages.</p>"
        ld = json.dumps({"@type": "Event", "name": title, "startDate": date, "dateModified": date})
        write(path, page(path, title, body, crumbs=[("/", "Home"), ("/events/", "Events")],
                         meta=f'<script type="application/ld+json">{ld}</script>\n'), files)
        ev.append(f'<li><a href="{path}">{html.escape(title)}</a></li>')
        sitemap.append((path, date))
    write("/events/", page("/events/", "Events", f"<h1>Events</h1><ul>{''.join(ev)}</ul><p><a href='/events/calendar?month=2026-11'>Events calendar</a></p>",
                           crumbs=[("/", "Home")]), files)

    # thin stubs
    for stub in STUBS:
        name = stub.strip("/").split("/")[-1].replace("-", " ").capitalize()
        write(stub, page(stub, name, f"<h1>{html.escape(name)}</h1><p>This page is coming soon.</p>", crumbs=[("/", "Home")]), files)

    # contact page, with a broken link and a link into the blocked section
    write("/contact/", page("/contact/", "Contact us", "<h1>Contact us</h1><p>Call 0800 123 456 on working days from 8:30 to 17:00, "
                            "or visit the town hall on Market Street.</p><p>E-mail <a href='mailto:info@riverton.example'>info@riverton.example</a>.</p>"
                            "<p><a href='/contact/opening-hours'>Opening hours</a> · <a href='/contact/complaints'>Make a complaint</a> · "
                            "<a href='/internal/staff-directory'>Staff directory</a> · <a href='/search-tips'>Search tips</a> · <a href='/contact/old-form'>Old contact form</a></p>",
                            crumbs=[("/", "Home")]), files)
    write("/contact/opening-hours", page("/contact/opening-hours", "Opening hours", "<h1>Opening hours</h1><p>The town hall is open Monday to Friday from 8:30 to 17:00, Thursday until 20:00.</p>", crumbs=[("/", "Home"), ("/contact/", "Contact")]), files)
    write("/internal/staff-directory", page("/internal/staff-directory", "Staff directory", "<h1>Staff directory</h1><p>Internal use only.</p>"), files)

    # a noindex page, and one with noindex sent as a header (see _server.json)
    write("/residents/parking/parking-fines-archive", page("/residents/parking/parking-fines-archive", "Parking fines 2015 tariffs",
          "<h1>Parking fines: 2015 tariffs</h1><p>These were the parking fine tariffs in 2015. A parking fine was 60 euro.</p>",
          meta='<meta name="robots" content="noindex, follow">\n', crumbs=[("/", "Home"), ("/residents/parking/", "Parking")]), files)
    write("/search-tips", page("/search-tips", "Search tips", "<h1>Search tips</h1><p>Use two or three words.</p>"), files)

    # orphans: in the sitemap, linked from nowhere
    orphans = {
        "/residents/parking/parking-fine-payment-options-2017": ("Parking fine payment options (2017)", ["From 2017 parking fines can also be paid at post offices.", "This service ended in 2020."]),
        "/residents/waste/christmas-collections-2019": ("Christmas bin collections 2019", ["Bin collections over Christmas 2019 move by one day."]),
        "/residents/passports-and-id/passport-fees-2016": ("Passport fees 2016", ["In 2016 an adult passport cost 65 euro."]),
        "/about/old-logo": ("Our old logo", ["The council logo used until 2014."]),
        "/residents/council-tax/council-tax-2018-19": ("Council tax 2018/19", ["The band D council tax for 2018/19 was 1,640 euro."]),
        "/campaigns/clean-streets-week": ("Clean streets week", ["Join clean streets week: pick up litter in your street.", "Report fly-tipping you find."]),
    }
    for path, (title, texts) in orphans.items():
        write(path, page(path, title, f"<h1>{html.escape(title)}</h1>{paragraphs(texts)}", meta=modified("2018-01-10")), files)
        sitemap.append((path, "2018-01-10"))

    files["404.html"] = page("/404", "Page not found", "<h1>Page not found</h1><p>Sorry, we could not find that page.</p>")
    files["style.css"] = "body{font-family:sans-serif;max-width:60em;margin:auto}nav ul{list-style:none;display:flex;gap:1em}\n"
    files["robots.txt"] = (f"User-agent: *\nDisallow: /internal/\nDisallow: /search\n\nSitemap: {ORIGIN}/sitemap.xml\n")
    urls = "".join(f"<url><loc>{ORIGIN}{p}</loc><lastmod>{d}</lastmod></url>\n" for p, d in sitemap)
    files["sitemap.xml"] = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                            f"{urls}</urlset>\n")
    files["_server.json"] = json.dumps({
        "redirects": [["/visitors/old-town-walk", "/visitors/things-to-do", 301],
                      ["/contact/old-form", "/contact/complaints-form", 302],
                      ["/contact/complaints-form", "/contact/complaints", 301],
                      ["/pay", "/residents/parking/pay-a-parking-fine", 301],
                      ["/contact/complaints", "/contact/", 301]],
        "gone": ["/residents/recycling-centre-2015"],
        "headers": {"/search-tips": {"X-Robots-Tag": "noindex"}, "/news/2011/": {"X-Robots-Tag": "noindex, nofollow"}},
        "calendar": "/events/calendar",
    }, indent=2) + "\n"
    # a link to the 410 page from an old news item, and a broken link to a missing page
    first_news = news_by_year[2015][0][0]
    rel = first_news.lstrip("/") + "/index.html"
    files[rel] = files[rel].replace("For more information contact the press office.",
                                    "For more information contact the press office. See also the "
                                    "<a href='/residents/recycling-centre-2015'>recycling centre</a> page and the "
                                    "<a href='/news/archive-2010'>2010 archive</a>.")
    return files


def main(target_dir: Path = SITE) -> None:
    files = build()
    if target_dir.exists():
        shutil.rmtree(target_dir)
    for rel, content in files.items():
        target = target_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    print(f"wrote {len(files)} files to {target_dir}")


if __name__ == "__main__":
    main()
