"""Service sites for the corpus: the bundled demo municipality, and generated municipality and agency
sites shaped like real public-sector sites, each with ground truth taken from the site's own
organisation.

**demo** is Riverton (``audit/demo/site``), with the tasks of ``audit/demo/demo.toml``. Its truth is read
from the demo generator's own data (:mod:`audit.demo.generate_site`): a page in a task's section
(``TASKS[key]["base"]``, including the section's index, its old and noindex pages) belongs to that task,
and so does the same service written again for businesses or visitors (``BUSINESS_COPIES``,
``VISITOR_COPIES``); news, events, about, contact, campaigns, visitor pages, business pages that are not a
copy and the thin stubs are ``none``; a document belongs to the task of the pages that link it when they
agree. Hubs that list several tasks (the home page, /residents/, /businesses/, /visitors/) and the
commercial waste page (a business service beside "bins", not a copy of it) are left out. Which URLs exist
is read from the served folder the way the crawler meets them: every link and sitemap entry, normalised
as the crawler normalises, that the server answers with a file and robots.txt allows.

**Generated sites** come from :func:`build_town` (a municipality) and :func:`build_agency` (a national
benefits agency), deterministic from a seed (``random.Random(seed)``, no clock) and written as static HTML
with robots.txt, sitemap.xml and PDFs. The words are in :mod:`benchmarks.corpus.service_text`. What makes
them honest rather than easy:

- the owner names tasks in its own words, not in the words of the page titles ("Get rid of rubbish" vs
  "Missed bin collection", "Household recycling centre"), and picks two ordinary example pages;
- real services that are not top tasks (libraries, leisure, licensing, Pension Credit, Attendance
  Allowance ...) sit beside the top tasks with the same page template, and are ``none``;
- pages mention other services (cross links in text, "related" lists that cross sections), and news,
  press releases, speeches, statistics, consultations and committee agendas talk about the services
  ("New bin collection days from March") while being ``none``;
- the same service is written again for businesses (a near-duplicate in another folder); benefits share
  formulaic pages ("challenge a decision", "report a change", "contact", "when you'll be paid");
- forms (HTML form pages, PDF forms in a mixed documents folder, in the service's folder or in a central
  forms folder), leaflets, second pages of a service (fees, questions, who can apply), directories (a
  page per car park, school, library, roadworks notice; for non-task areas too), thin stubs, orphan pages
  only the sitemap lists, a cookie banner on every page and cookie/contact/opening-hours boilerplate
  inside some pages' text;
- an agency's top tasks come with staff manuals (decision makers' guides), publication pages for forms,
  local office pages; its browse pages and step-by-steps cross tasks.

Shapes vary with :class:`TownShape` (URL style ``folders``/``products``/``opaque``, mega-menu or not, an
"In this section" sidebar, the shares of business copies, sub-pages, stubs, orphans, news) and
:class:`AgencyShape`. A site is rebuilt into ``scratch / name`` when its ``_truth.json`` stamp (generator
version and shape) differs; bump :data:`VERSION` when the output changes.

**The truth rule for generated sites**: a page's task is the task of the section the generator put it in
(the service area of a town, the benefit of an agency); documents take the task of the page that
offers them; a business copy takes the task of the service it copies; a step-by-step guide takes the
task it was written for, even though it links other tasks' pages; news, events, council, corporate,
campaign, statistics, consultation and legal pages are ``none``; hub pages that list more than one task
(home, A to Z, the services index, the business hub, the forms index, most "browse" pages) are left out
of the truth. The truth is written to ``_truth.json`` beside the pages, keyed by path as linked (the
crawler's own normalised form; no page is linked under two spellings).

Variants registered: ``demo``, ``town-megamenu`` (folders per service area, a mega-menu, an A to Z),
``town-cms`` (the same shape behind opaque ``/node/N`` URLs, another seed), ``gemeente-nl`` (Dutch,
product-catalogue URLs ``/producten/...`` with themes under ``/onderwerpen/...``), ``agency-flat`` (a
benefits agency with GOV.UK-style flat URLs, browse pages, step-by-steps, guides, manuals).
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
import shutil
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import Site, register
from . import service_text as T

VERSION = "1"  # bump when the generator's output changes, so cached sites are rebuilt
ROOT = Path(__file__).resolve().parents[2]
DEMO_SITE = ROOT / "audit" / "demo" / "site"
DEMO_TOML = ROOT / "audit" / "demo" / "demo.toml"
NOW_YEAR = 2025  # the generated sites' "today": no clock


# ------------------------------------------------------------------------------------------------------
# pages, links and words
# ------------------------------------------------------------------------------------------------------

@dataclass
class Page:
    key: str                      # logical path (the folder-style URL); the URL style maps it to the served URL
    title: str
    label: str | None             # task id, "none", or None: left out of the truth
    body: str = ""                # HTML of <main>; links are written with link() and resolved when rendered
    crumbs: list = field(default_factory=list)   # [(key, text)] from home down to the parent
    aside: str = ""
    meta: str = ""
    date: str | None = None
    in_sitemap: bool = True
    doc: bytes | None = None      # a document (PDF) instead of an HTML page


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def link(key: str, text: str, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<a href="\x00{key}\x00"{c}>{esc(text)}</a>'


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def paras(sentences, rng, max_per=2) -> str:
    out, i = [], 0
    while i < len(sentences):
        n = rng.randint(1, max_per)
        out.append("<p>" + " ".join(esc(s) for s in sentences[i:i + n]) + "</p>")
        i += n
    return "".join(out)


class Filler:
    """Fills ``{slot}`` templates: the site's facts, else a fresh random detail on every use."""

    def __init__(self, rng: random.Random, data: dict, facts: dict):
        self.rng, self.data, self.facts = rng, data, facts
        self.lang = data["lang"]

    def number(self, n: int) -> str:
        s = f"{n:,}"
        return s.replace(",", ".") if self.lang == "nl" else s

    def money(self, lo: float, hi: float) -> str:
        value = self.rng.randint(int(lo * 100), int(hi * 100)) / 100
        s = f"{value:,.2f}"
        return s.replace(",", " ").replace(".", ",").replace(" ", ".") if self.lang == "nl" else s

    def value(self, name: str, extra: dict) -> str:
        r, slots = self.rng, self.data.get("slots", {})
        if name in extra:
            return str(extra[name])
        if name in self.facts:
            return str(self.facts[name])
        gen = {
            "street": lambda: r.choice(slots["streets"]), "ward": lambda: r.choice(slots["wards"]),
            "place": lambda: r.choice(slots["places"]), "weekday": lambda: r.choice(slots["weekdays"]),
            "month": lambda: r.choice(slots["months"]), "day": lambda: str(r.randint(1, 28)),
            "year": lambda: str(r.randint(NOW_YEAR - 3, NOW_YEAR)), "oldyear": lambda: str(r.randint(1995, 2006)),
            "n2": lambda: str(r.randint(2, 5)), "n3": lambda: str(r.randint(3, 10)), "n10": lambda: str(r.randint(10, 25)),
            "n100": lambda: str(r.randint(12, 95) * 10), "n1000": lambda: self.number(r.randint(11, 95) * 100),
            "fee": lambda: str(r.randint(15, 95)), "fee_small": lambda: str(r.randint(3, 15)),
            "fee_big": lambda: str(r.randint(10, 45) * 10), "fee2": lambda: str(r.randint(40, 190)),
            "big": lambda: self.number(r.randint(1200, 2400)), "pct": lambda: str(r.randint(2, 9)),
            "pct2": lambda: str(r.randint(40, 75)), "first": lambda: r.choice(slots["first"]),
            "last": lambda: r.choice(slots["last"]), "portfolio": lambda: r.choice(self.data.get("portfolios", ["finance"])),
            "n3d": lambda: str(r.randint(100, 999)), "n4d": lambda: str(r.randint(1000, 9999)),
            "rate": lambda: self.money(25, 115), "rate_hi": lambda: self.money(120, 230), "rate_m": lambda: self.money(300, 460),
        }.get(name)
        if gen is None:
            raise KeyError(name)
        return gen()

    def __call__(self, template: str, **extra) -> str:
        filler = self

        class Slots(dict):
            def __missing__(self, name):
                return filler.value(name, extra)

        out = template
        for _ in range(3):  # a fact may itself hold a slot ("the Customer Service Centre on {street}")
            if "{" not in out:
                break
            out = out.format_map(Slots())
        if template.startswith("{") and out:  # "the Town Hall is open ..." starts a sentence
            out = out[0].upper() + out[1:]
        return out


def minimal_pdf(title: str, lines: list[str]) -> bytes:
    from audit.demo.generate_site import minimal_pdf as pdf

    return pdf(title, [ln.encode("latin-1", "replace").decode("latin-1") for ln in lines])


def date_in(rng: random.Random, first_year: int, last_year: int = NOW_YEAR) -> str:
    return f"{rng.randint(first_year, last_year)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


# ------------------------------------------------------------------------------------------------------
# a municipality
# ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TownShape:
    seed: int
    lang: str = "en"               # "en" (English town) or "nl" (Dutch gemeente)
    urls: str = "folders"          # folders: /services/AREA/SLUG; products: /producten/SLUG; opaque: /node/N
    megamenu: bool = True          # ~30 service links in <nav> on every page (else the areas only)
    section_nav: bool = False      # an "In this section" sidebar on service pages (CMS style)
    keep_services: float = 0.96    # share of an area's services the site has (examples always kept)
    business_copies: float = 0.85  # share of business-flagged services written again for businesses
    sub_pages: float = 0.55        # two chances each of a long service having another page (fees, FAQ, who can apply)
    stubs: float = 0.06            # chance a service page is a thin stub
    orphans: float = 0.45          # chance a task area has an old page only the sitemap lists
    news_share: float = 0.23       # news items, press releases, speeches and their listings
    central_forms: float = 0.5     # share of forms kept in the central forms folder (else the area's)


TOWN_DATA = {"en": T.EN_TOWN, "nl": T.NL_TOWN}
SUFFIXES = {"en": {"fees": "fees", "faq": "faq", "eligibility": "who-can-apply"},
            "nl": {"fees": "kosten", "faq": "veelgestelde-vragen", "eligibility": "voorwaarden"}}


def build_town(shape: TownShape) -> tuple[dict, dict]:
    """(pages by key, site info) of one municipality."""
    rng = random.Random(shape.seed)
    D = TOWN_DATA[shape.lang]
    F, U = D["folders"], D["ui"]
    town = rng.choice(D["town_names"])
    facts = {"town": town, "town_lower": slugify(town)}
    facts["council"] = D["council_name"].format(town=town)
    fill = Filler(rng, D, facts)
    facts["phone"] = fill(D["slots"]["phone"])
    facts["office"] = fill(rng.choice(D["slots"]["offices"]))
    facts["depot"] = rng.choice(D["slots"]["depot"])
    pages: dict[str, Page] = {}

    def add(page: Page) -> Page:
        assert page.key not in pages, page.key
        pages[page.key] = page
        return page

    task_of_area = {t["area"]: t["id"] for t in D["tasks"]}
    examples = {(t["area"], e) for t in D["tasks"] for e in t["examples"]}
    home_crumb = ("/", U["home"])
    services_key = f"/{F['services']}/"
    services_crumb = (services_key, U["services"])
    news_root, az_key = f"/{F['news']}/", f"/{F['az']}/"
    general = U["general_team"]

    # which services the site has, and their titles
    areas = []
    for area in D["areas"]:
        label = task_of_area.get(area["id"], "none")
        kept = [s for s in area["services"]
                if (area["id"], s["slug"]) in examples or rng.random() < shape.keep_services]
        for s in kept:
            weights = [3] + [2] * (len(s["titles"]) - 1)
            s_title = rng.choices(s["titles"], weights=weights)[0]
            areas.append((area, label, s, fill(s_title)))
    by_area: dict[str, list] = {}
    for area, label, s, title in areas:
        by_area.setdefault(area["id"], []).append((s, title))
    area_key = {a["id"]: f"/{F['services']}/{a['slug']}/" for a in D["areas"]}

    def skey(area_id: str, slug: str) -> str:
        return f"{area_key[area_id]}{slug}"

    def title_of(area_id: str, slug: str) -> str | None:
        return next((t for s, t in by_area.get(area_id, []) if s["slug"] == slug), None)

    def contact_block(team: str) -> str:
        return f"<h2>{esc(U['contact'])}</h2><p>{esc(fill(rng.choice(D['boiler']['contact']), team=team))}</p>"

    def boilerplate(team: str, p_contact=0.55) -> str:
        out = ""
        if rng.random() < p_contact:
            out += contact_block(team)
        if rng.random() < 0.18:
            out += f"<p>{esc(fill(rng.choice(D['boiler']['hours'])))}</p>"
        if rng.random() < 0.3:
            out += f"<p>{esc(fill(rng.choice(D['boiler']['misc'])))}</p>"
        if rng.random() < 0.08:
            out += f'<p class="cookie-notice-inline">{esc(fill(rng.choice(D["boiler"]["cookie"])))}</p>'
        if rng.random() < 0.45:
            out += f'<div class="feedback"><p>{esc(U["helpful"])} {esc(U["yes_no"])}</p></div>'
        return out

    def updated(date: str) -> str:
        return f'<p class="last-updated">{esc(U["updated"])}: {date}</p>'

    def modified(date: str) -> str:
        return f'<meta name="dcterms.modified" content="{date}">'

    # forms and documents first (service pages link them)
    form_key, pdf_key = {}, {}
    for area, label, s, title in areas:
        if s["form"]:
            fslug = slugify(s["form"])
            central = rng.random() < shape.central_forms
            form_key[(area["id"], s["slug"])] = (f"/{F['forms']}/{fslug}" if central else skey(area["id"], fslug))
        if s["pdf"]:
            year = rng.randint(NOW_YEAR - 6, NOW_YEAR)
            pdf_key[(area["id"], s["slug"])] = f"/{F['documents']}/{slugify(s['pdf'])}-{year}.pdf"

    # service pages
    for area, label, s, title in areas:
        aid = area["id"]
        key = skey(aid, s["slug"])
        date = date_in(rng, NOW_YEAR - 5)
        crumbs = [home_crumb, services_crumb, (area_key[aid], area["title"])]
        if rng.random() < shape.stubs and (aid, s["slug"]) not in examples:
            body = f"<h1>{esc(title)}</h1><p>{esc(fill(rng.choice(U['stub'])))}</p>"
            add(Page(key, title, label, body, crumbs, date=date))
            continue
        sents = s["sentences"]
        rest = list(range(1, len(sents)))
        k = rng.randint(min(2, len(rest)), len(rest)) if rest else 0
        chosen = sorted(rng.sample(rest, k))
        body = f"<h1>{esc(title)}</h1><p class=\"lead\">{esc(fill(sents[0], team=area['team']))}</p>"
        texts = [fill(sents[i], team=area["team"]) for i in chosen]
        if len(texts) > 2 and rng.random() < 0.45:
            cut = rng.randint(1, len(texts) - 1)
            body += paras(texts[:cut], rng) + f"<h2>{esc(rng.choice(D['headings']))}</h2>" + paras(texts[cut:], rng)
        else:
            body += paras(texts, rng)
        if s["steps"] and rng.random() < 0.85:
            body += f"<h2>{esc(rng.choice(U['how']))}</h2><ol>" + "".join(f"<li>{esc(fill(x))}</li>" for x in s["steps"]) + "</ol>"
        if (aid, s["slug"]) in form_key:
            body += f'<p>{link(form_key[(aid, s["slug"])], rng.choice(U["apply_online"]), "button")}</p>'
        if (aid, s["slug"]) in pdf_key:
            body += f'<p>{link(pdf_key[(aid, s["slug"])], fill(s["pdf"]) + " (" + U["pdf"] + ")")}</p>'
        if rng.random() < 0.5:
            body += paras([fill(x) for x in rng.sample(area["pool"], min(len(area["pool"]), rng.randint(1, 2)))], rng)
        if rng.random() < 0.3:
            options = [c for c in D["cross"] if aid in c[4] and title_of(c[0], c[1])]
            if options:
                target, slug, sentence, text, _ = rng.choice(options)
                before, _, after = sentence.partition("{link}")
                body += f"<p>{esc(fill(before))}{link(skey(target, slug), text)}{esc(fill(after))}</p>"
        body += boilerplate(area["team"])
        if rng.random() < 0.7:
            body += updated(date)
        siblings = [(skey(aid, x["slug"]), t) for x, t in by_area[aid] if x["slug"] != s["slug"]]
        aside = ""
        if shape.section_nav:
            aside = (f'<aside class="section-nav" aria-label="{esc(U["in_section"])}"><h2>{esc(area["title"])}</h2><ul>'
                     + "".join(f"<li>{link(k2, t2)}</li>" for k2, t2 in [(key, title)] + siblings) + "</ul></aside>")
        if siblings and rng.random() < 0.8:
            related = rng.sample(siblings, min(len(siblings), rng.randint(2, 4)))
            if rng.random() < 0.25:  # a related link into another section
                others = [(skey(a2["id"], x["slug"]), t) for a2, _, x, t in areas if a2["id"] != aid]
                related.append(rng.choice(others))
            body += (f"<h2>{esc(rng.choice(U['related']))}</h2><ul class=\"related\">"
                     + "".join(f"<li>{link(k2, t2)}</li>" for k2, t2 in related) + "</ul>")
        add(Page(key, title, label, body, crumbs, aside=aside, meta=modified(date) if rng.random() < 0.5 else "", date=date))

        # more pages of the same service (fees, questions, who can apply)
        if len(sents) >= 4:
            n_sub = sum(rng.random() < shape.sub_pages for _ in range(2))
            subs = []
            kinds = ["faq", "eligibility"] + (["fees"] if any(c in x for x in sents for c in "£€") else [])
            for kind in rng.sample(kinds, n_sub):
                sub_title = D["sub_titles"][kind].format(title=title)
                extra = [fill(x) for x in rng.sample(sents[1:], min(3, len(sents) - 1))]
                sub_body = (f"<h1>{esc(sub_title)}</h1>" + paras([fill(x) for x in D["sub_lead"][kind]], rng) + paras(extra, rng)
                            + f"<p>{link(key, title)}</p>" + boilerplate(area["team"], 0.4))
                sub = add(Page(f"{key}/{SUFFIXES[shape.lang][kind]}", sub_title, label, sub_body, crumbs + [(key, title)], date=date))
                subs.append((sub.key, sub_title))
            if subs:
                pages[key].body += "<ul class=\"more\">" + "".join(f"<li>{link(k2, t2)}</li>" for k2, t2 in subs) + "</ul>"

        # forms and documents
        if (aid, s["slug"]) in form_key:
            fkey = form_key[(aid, s["slug"])]
            ftitle = s["form"]
            fbody = f"<h1>{esc(ftitle)}</h1><p>{esc(fill(U['form_intro'][0]))}</p>"
            if rng.random() < 0.6:
                fields = "".join(f'<p><label for="f{i}">{esc(n)}</label><input id="f{i}" name="f{i}"></p>'
                                 for i, n in enumerate(U["form_fields"]) if i < 4 or rng.random() < 0.5)
                fbody += (f'<form method="post" action="/{F["forms"]}/submit">{fields}<button type="submit">'
                          f"{esc(U['submit'])}</button></form><p>{esc(fill(U['form_intro'][1]))}</p>")
            else:
                dkey = f"/{F['documents']}/{slugify(ftitle)}.pdf"
                fbody += f"<p>{esc(fill(U['form_pdf'], title=ftitle))}</p><p>{link(dkey, ftitle + ' (' + U['pdf'] + ')')}</p>"
                add(Page(dkey, ftitle, label, doc=minimal_pdf(ftitle, [ftitle, fill(sents[0])] + [f"{n}: ...." for n in U["form_fields"]])))
            fbody += f"<p>{link(key, title)}</p>"
            fcrumbs = ([home_crumb, (f"/{F['forms']}/", U["forms_title"])] if fkey.startswith(f"/{F['forms']}/")
                       else crumbs + [(key, title)])
            add(Page(fkey, ftitle, label, fbody, fcrumbs, date=date))
        if (aid, s["slug"]) in pdf_key:
            dkey = pdf_key[(aid, s["slug"])]
            add(Page(dkey, fill(s["pdf"]), label, doc=minimal_pdf(fill(s["pdf"]), [fill(s["pdf"]), town] + [fill(x) for x in sents[:4]])))

        # the same service written for businesses: a near-duplicate in another folder
        if s["biz"] and rng.random() < shape.business_copies:
            btitle = fill(s["biz"])
            bsents = [fill(x) for x in sents]
            for a, b in D["business"]["swap"]:
                bsents = [x.replace(a, b) for x in bsents]
            bbody = (f"<h1>{esc(btitle)}</h1><p class=\"lead\">{esc(fill(rng.choice(D['business']['lead'])))}</p>"
                     + paras(bsents[:rng.randint(min(3, len(bsents)), len(bsents))], rng))
            if s["steps"]:
                bbody += f"<h2>{esc(rng.choice(U['how']))}</h2><ol>" + "".join(f"<li>{esc(fill(x))}</li>" for x in s["steps"]) + "</ol>"
            bbody += f"<p>{link(key, title)}</p>" + boilerplate(area["team"], 0.7)
            bkey = f"/{F['business']}/{area['slug']}/{s['slug']}"
            add(Page(bkey, btitle, label, bbody, [home_crumb, (f"/{F['business']}/", U["business"])],
                     date=date_in(rng, NOW_YEAR - 6, NOW_YEAR - 2)))

    # directories: one page per car park, school, library, roadworks notice ...
    directory_of = {}
    for area in D["areas"]:
        d = area.get("directory")
        if not d:
            continue
        label = task_of_area.get(area["id"], "none")
        index_key = f"{area_key[area['id']]}{d['slug']}/"
        index_title = fill(d["index"])
        crumbs = [home_crumb, services_crumb, (area_key[area["id"]], area["title"])]
        entries = []
        for name in rng.sample(d["names"], min(len(d["names"]), rng.randint(*d["count"]))):
            name = fill(name)
            t = fill(d["title"], name=name)
            k = rng.randint(2, len(d["sentences"]))
            sents = [d["sentences"][0]] + rng.sample(d["sentences"][1:], k - 1)
            body = f"<h1>{esc(t)}</h1>" + paras([fill(x, name=name) for x in sents], rng) + boilerplate(area["team"], 0.3)
            entries.append(add(Page(f"{index_key}{slugify(name)}", t, label, body, crumbs + [(index_key, index_title)],
                                    date=date_in(rng, NOW_YEAR - 3))))
        add(Page(index_key, index_title, label, f"<h1>{esc(index_title)}</h1><ul>"
                 + "".join(f"<li>{link(p.key, p.title)}</li>" for p in entries) + "</ul>" + boilerplate(area["team"], 0.3), crumbs))
        directory_of[area["id"]] = (index_key, index_title)

    # old pages nobody links any more, still in the sitemap
    for area in D["areas"]:
        label = task_of_area.get(area["id"])
        if not label or rng.random() >= shape.orphans:
            continue
        s, title = rng.choice(by_area[area["id"]])
        year = rng.randint(NOW_YEAR - 9, NOW_YEAR - 4)
        otitle = f"{title} ({year})"
        body = (f"<h1>{esc(otitle)}</h1><p>{esc(fill(U['old'], year=year))}</p>"
                + paras([fill(x) for x in s["sentences"][:3]], rng))
        add(Page(f"{skey(area['id'], s['slug'])}-{year}", otitle, label, body,
                 [home_crumb, services_crumb, (area_key[area["id"]], area["title"])],
                 meta=modified(f"{year}-03-01"), date=f"{year}-03-01"))

    # area index pages
    for area in D["areas"]:
        label = task_of_area.get(area["id"], "none")
        items = by_area[area["id"]]
        body = f"<h1>{esc(area['title'])}</h1>" + paras([fill(rng.choice(area["intro"]))], rng)
        if len(items) > 6 and rng.random() < 0.6:
            popular = rng.sample(items, 3)
            body += (f"<h2>{esc(U['popular'])}</h2><ul>" + "".join(f"<li>{link(skey(area['id'], s['slug']), t)}</li>" for s, t in popular)
                     + "</ul>")
        listed = [(skey(area["id"], s["slug"]), t) for s, t in items]
        if area["id"] in directory_of:
            listed.insert(rng.randint(0, len(listed)), directory_of[area["id"]])
        body += "<ul class=\"service-list\">" + "".join(f"<li>{link(k, t)}</li>" for k, t in listed) + "</ul>"
        body += contact_block(area["team"]) if rng.random() < 0.6 else ""
        add(Page(area_key[area["id"]], area["title"], label, body, [home_crumb, services_crumb]))

    # the business hub and business-only pages
    bhub = []
    for slug, title, sents in D["business"]["pages"]:
        key = f"/{F['business']}/{slug}"
        add(Page(key, title, "none", f"<h1>{esc(title)}</h1>" + paras([fill(x) for x in sents], rng) + boilerplate(general, 0.0),
                 [home_crumb, (f"/{F['business']}/", U["business"])]))
        bhub.append((key, title))
    bhub += [(p.key, p.title) for p in pages.values() if p.key.startswith(f"/{F['business']}/") and (p.key, p.title) not in bhub]
    add(Page(f"/{F['business']}/", U["business"], None,
             f"<h1>{esc(U['business'])}</h1><p>{esc(fill(U['biz_intro']))}</p><ul>"
             + "".join(f"<li>{link(k, t)}</li>" for k, t in sorted(bhub, key=lambda kt: kt[1])) + "</ul>", [home_crumb]))

    # central forms index
    central = [(p.key, p.title) for p in pages.values() if p.key.startswith(f"/{F['forms']}/") and not p.doc]
    if central:
        add(Page(f"/{F['forms']}/", U["forms_title"], None,
                 f"<h1>{esc(U['forms_title'])}</h1><p>{esc(U['forms_intro'])}</p><ul>"
                 + "".join(f"<li>{link(k, t)}</li>" for k, t in sorted(central, key=lambda kt: kt[1])) + "</ul>", [home_crumb]))

    # the services index and the A to Z
    add(Page(services_key, U["all_services"], None,
             f"<h1>{esc(U['all_services'])}</h1><p>{esc(U['services_intro'])}</p><ul>"
             + "".join(f"<li>{link(area_key[a['id']], a['title'])}<br>{esc(fill(a['intro'][0]))}</li>" for a in D["areas"]) + "</ul>",
             [home_crumb]))
    entries = sorted([(t, skey(a["id"], s["slug"])) for a, _, s, t in areas], key=lambda e: slugify(e[0]))
    letters: dict[str, list] = {}
    for t, k in entries:
        letters.setdefault(slugify(t)[:1].upper(), []).append((k, t))
    az = "".join(f"<h2 id=\"{c}\">{c}</h2><ul>" + "".join(f"<li>{link(k, t)}</li>" for k, t in items) + "</ul>"
                 for c, items in letters.items())
    add(Page(f"/{F['az']}/", U["az"], None, f"<h1>{esc(U['az'])}</h1><p>{esc(U['a_to_z_intro'])}</p>{az}", [home_crumb]))

    # council and democracy
    ckey = f"/{F['council']}/"
    CK = D["council_keys"]
    ccrumbs = [home_crumb, (ckey, U["council"])]
    council_pages = {}
    for slug, title, sents in D["council"]:
        key = f"{ckey}{slug}" if slug else ckey
        council_pages[slug] = add(Page(key, title, "none", f"<h1>{esc(title)}</h1>" + paras([fill(x) for x in sents], rng)
                                       + boilerplate(general, 0.2), [home_crumb] if not slug else ccrumbs))
    slots = D["slots"]
    names = set()
    people = []
    for _ in range(rng.randint(5, 8)):
        name = f"{rng.choice(slots['first'])} {rng.choice(slots['last'])}"
        if name in names:
            continue
        names.add(name)
        key = f"{ckey}{CK['members']}/{slugify(name)}"
        ward, party = rng.choice(slots["wards"]), rng.choice(slots["parties"])
        body = (f"<h1>{esc(U['councillor'])} {esc(name)}</h1><dl><dt>{esc(U['ward'])}</dt><dd>{esc(ward)}</dd>"
                f"<dt>{esc(U['party'])}</dt><dd>{esc(party)}</dd></dl>"
                + paras([fill(rng.choice(D["boiler"]["contact"][:2]), team=f"{U['councillor']} {name}")], rng))
        add(Page(key, f"{U['councillor']} {name}", "none", body, ccrumbs + [(council_pages[CK["members"]].key, council_pages[CK["members"]].title)]))
        people.append((key, f"{U['councillor']} {name}"))
    council_pages[CK["members"]].body += "<ul>" + "".join(f"<li>{link(k, t)}</li>" for k, t in people) + "</ul>"
    meetings = []
    for _ in range(rng.randint(5, 8)):
        committee = rng.choice(D["committees"])
        date = date_in(rng, NOW_YEAR - 2)
        key = f"{ckey}{CK['meetings']}/{slugify(committee)}-{date}"
        if key in pages:
            continue
        items = rng.sample(D["committee_items"], rng.randint(3, 5))
        mkey = f"/{F['documents']}/{slugify(U['minutes'])}-{slugify(committee)}-{date}.pdf"
        body = (f"<h1>{esc(committee)}, {date}</h1><h2>{esc(U['agenda'])}</h2><ol>" + "".join(f"<li>{esc(i)}</li>" for i in items)
                + f"</ol><p>{link(mkey, U['minutes'] + ' (' + U['pdf'] + ')')}</p>")
        add(Page(key, f"{committee}, {date}", "none", body, ccrumbs + [(council_pages[CK["meetings"]].key, U["meetings"])], date=date))
        add(Page(mkey, f"{U['minutes']} {committee} {date}", "none", doc=minimal_pdf(f"{U['minutes']} {committee}", [committee, date] + items)))
        meetings.append((key, f"{committee}, {date}"))
    council_pages[CK["meetings"]].body += (
        "<ul>" + "".join(f"<li>{link(k, t)}</li>" for k, t in sorted(meetings, reverse=True)) + "</ul>")
    jobs = []
    for job in rng.sample(D["jobs"], rng.randint(3, 5)):
        key = f"{ckey}{CK['jobs']}/{slugify(job)}"
        team = rng.choice([a["team"] for a in D["areas"]])
        body = (f"<h1>{esc(job)}</h1>" + paras([fill(x, team=team) for x in D["job_text"]], rng)
                + f"<p>{esc(U['closing'])}: {date_in(rng, NOW_YEAR, NOW_YEAR)}</p>")
        add(Page(key, job, "none", body, ccrumbs))
        jobs.append((key, job))
    council_pages[CK["jobs"]].body += (
        "<ul>" + "".join(f"<li>{link(k, t)}</li>" for k, t in jobs) + "</ul>")
    budget = council_pages[CK["budget"]]
    bdoc = f"/{F['documents']}/{slugify(budget.title)}-{NOW_YEAR}.pdf"
    budget.body += f"<p>{link(bdoc, budget.title + ' ' + str(NOW_YEAR) + ' (' + U['pdf'] + ')')}</p>"
    add(Page(bdoc, budget.title, "none", doc=minimal_pdf(budget.title, [budget.title, str(NOW_YEAR)] + [fill(x) for s2, _, x2 in D["council"] if s2 == CK["budget"] for x in x2])))
    council_pages[""].body += "<ul>" + "".join(f"<li>{link(p.key, p.title)}</li>" for s, p in council_pages.items() if s) + "</ul>"

    # campaigns
    camp = []
    for slug, title, sents in D["campaigns"]:
        key = f"/{F['campaigns']}/{slug}"
        title = fill(title)
        body = f"<h1>{esc(title)}</h1>" + paras([fill(x) for x in sents], rng)
        add(Page(key, title, "none", body, [home_crumb, (f"/{F['campaigns']}/", U["campaigns_title"])]))
        camp.append((key, title))
    add(Page(f"/{F['campaigns']}/", U["campaigns_title"], "none",
             f"<h1>{esc(U['campaigns_title'])}</h1><ul>" + "".join(f"<li>{link(k, t)}</li>" for k, t in camp) + "</ul>", [home_crumb]))

    # events
    ev = []
    for title, sents in D["events"]:
        for _ in range(1 + (rng.random() < 0.3)):
            year = rng.randint(NOW_YEAR - 2, NOW_YEAR + 1)
            t = fill(title, year=year)
            key = f"/{F['events']}/{slugify(t)}-{year}" if str(year) not in t else f"/{F['events']}/{slugify(t)}"
            if key in pages:
                continue
            date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            body = (f"<h1>{esc(t)}</h1><dl><dt>{esc(U['event_when'])}</dt><dd>{date}</dd><dt>{esc(U['event_where'])}</dt>"
                    f"<dd>{esc(fill('{place}'))}</dd><dt>{esc(U['event_cost'])}</dt><dd>{esc(U['free'])}</dd></dl>"
                    + paras([fill(x, year=year) for x in sents], rng))
            ld = json.dumps({"@context": "https://schema.org", "@type": "Event", "name": t, "startDate": date})
            add(Page(key, t, "none", body, [home_crumb, (f"/{F['events']}/", U["events"])],
                     meta=f'<script type="application/ld+json">{ld}</script>', date=date))
            ev.append((date, key, t))
    ev.sort(reverse=True)
    add(Page(f"/{F['events']}/", fill(U["events_title"]), "none",
             f"<h1>{esc(fill(U['events_title']))}</h1><ul>" + "".join(f"<li>{link(k, t)} ({d})</li>" for d, k, t in ev) + "</ul>",
             [home_crumb]))

    # contact
    ckey2 = f"/{F['contact']}/"
    hours_key = f"{ckey2}{'opening-hours' if shape.lang == 'en' else 'openingstijden'}"
    add(Page(ckey2, U["contact"], "none", f"<h1>{esc(U['contact'])}</h1>"
             + paras([fill(x, team=general) for x in D["boiler"]["contact"][:2]] + [fill(D["boiler"]["hours"][0])], rng)
             + f"<p>{link(hours_key, U['hours_title'])}</p>", [home_crumb]))
    add(Page(hours_key, U["hours_title"], "none", f"<h1>{esc(U['hours_title'])}</h1>"
             + paras([fill(x) for x in D["boiler"]["hours"]], rng), [home_crumb, (ckey2, U["contact"])]))

    # news: a quarter of the site, dated, talking about the services
    n_other = sum(1 for p in pages.values() if not p.doc) + 1  # + home
    n_news = round(shape.news_share * n_other / (1 - shape.news_share))
    years = list(range(NOW_YEAR - 7, NOW_YEAR + 1))
    n_items = max(10, n_news - len(years) - 1)
    news, seen_titles = [], set()
    speeches = list(D["speeches"])
    while len(news) < n_items:
        year = rng.choices(years, weights=[1 + i for i in range(len(years))])[0]
        kind = rng.choices(["news", "press", "speech"], weights=[70, 22, 8])[0]
        if kind == "speech":
            title_t, sents = rng.choice(speeches)
            aid = None
        else:
            aid, titles, sents = rng.choice(D["news"])
            title_t = rng.choice(titles)
        title = fill(title_t, year=year)
        if (title, year) in seen_titles:
            continue
        seen_titles.add((title, year))
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        key = f"/{F['news']}/{year}/{slugify(title)}"
        if key in pages:
            key += f"-{date[5:7]}"
            if key in pages:
                continue
        label_kind = {"news": U["news_item"], "press": U["press_release"], "speech": U["speech"]}[kind]
        body = f"<h1>{esc(title)}</h1><p class=\"meta\">{esc(U['published'])} {date} · {esc(label_kind)}</p>"
        body += paras([fill(x, year=year) for x in sents], rng)
        if kind != "speech" and rng.random() < 0.6:
            body += f"<p>{esc(fill(rng.choice(D['quote'])))}</p>"
        if aid and aid in by_area and rng.random() < 0.55:
            s, t = rng.choice(by_area[aid])
            body += f"<p>{link(skey(aid, s['slug']), t)}</p>"
        if kind == "press":
            body += f"<p class=\"notes\">{esc(fill(U['notes_editors']))}</p>"
        ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title, "datePublished": date})
        add(Page(key, title, "none", body, [home_crumb, (f"/{F['news']}/", U["news"]), (f"/{F['news']}/{year}/", str(year))],
                 meta=f'<script type="application/ld+json">{ld}</script>', date=date))
        news.append((date, key, title, year))
    news.sort(reverse=True)
    for year in years:
        items = [(d, k, t) for d, k, t, y in news if y == year]
        add(Page(f"/{F['news']}/{year}/", f"{U['news']} {year}", "none",
                 f"<h1>{esc(U['news'])} {year}</h1><ul>" + "".join(f"<li>{link(k, t)} ({d})</li>" for d, k, t in items) + "</ul>",
                 [home_crumb, (f"/{F['news']}/", U["news"])]))
    add(Page(f"/{F['news']}/", U["news_title"], "none",
             f"<h1>{esc(U['news_title'])}</h1><ul>" + "".join(f"<li>{link(k, t)} ({d})</li>" for d, k, t, _ in news[:12]) + "</ul>"
             + f"<h2>{esc(U['more_news'])}</h2><ul>" + "".join(f"<li>{link(news_root + str(y) + '/', str(y))}</li>" for y in reversed(years)) + "</ul>",
             [home_crumb]))

    # home page: the owner's most requested tasks first, then news and events
    popular = []
    for t in D["tasks"]:
        title = title_of(t["area"], t["examples"][0])
        popular.append((skey(t["area"], t["examples"][0]), title))
    body = (f"<h1>{esc(facts['council'])}</h1><p>{esc(fill(rng.choice(U['home_intro'])))}</p><h2>{esc(U['popular'])}</h2><ul>"
            + "".join(f"<li>{link(k, t)}</li>" for k, t in popular) + f"</ul><h2>{esc(U['latest_news'])}</h2><ul>"
            + "".join(f"<li>{link(k, t)}</li>" for _, k, t, _ in news[:4]) + f"</ul><h2>{esc(U['upcoming'])}</h2><ul>"
            + "".join(f"<li>{link(k, t)}</li>" for _, k, t in ev[:3]) + "</ul>"
            + f"<p>{link(services_key, U['all_services'])} · {link(az_key, U['az'])}</p>")
    add(Page("/", facts["council"], None, body))

    # the menu on every page
    if shape.megamenu:
        cols = []
        picked = 0
        for area in D["areas"]:
            items = by_area[area["id"]]
            n = 3 if area["id"] in task_of_area else rng.randint(1, 2)
            chosen = rng.sample(items, min(n, len(items)))
            picked += len(chosen)
            cols.append(f'<div class="mega-col"><h3>{link(area_key[area["id"]], area["title"])}</h3><ul>'
                        + "".join(f"<li>{link(skey(area['id'], s['slug']), t)}</li>" for s, t in chosen) + "</ul></div>")
        services_menu = f'<div class="mega-panel">{"".join(cols)}<p>{link(az_key, U["mega_more"])}</p></div>'
    else:
        services_menu = "<ul>" + "".join(f"<li>{link(area_key[a['id']], a['title'])}</li>" for a in D["areas"]) + "</ul>"
    menu = (f'<ul class="menu"><li class="has-panel">{link(services_key, U["services"])}{services_menu}</li>'
            f"<li>{link('/' + F['business'] + '/', U['business'])}</li><li>{link('/' + F['news'] + '/', U['news'])}</li>"
            f"<li>{link('/' + F['events'] + '/', U['events'])}</li><li>{link(ckey, U['council'])}</li>"
            f"<li>{link(ckey2, U['contact'])}</li></ul>")
    footer_links = [council_pages[s].key for s in council_pages if s in ("privacy", "cookies", "accessibility", "complaints",
                                                                          "freedom-of-information", "jobs", "toegankelijkheid",
                                                                          "klachten", "woo-verzoek", "vacatures")]
    footer = (" | ".join(link(k, pages[k].title) for k in footer_links) + f" | {link(az_key, U['az'])}"
              f"<p>{esc(fill(U['footer']))}</p>")
    site = {"kind": "town", "lang": D["lang"], "brand": facts["council"], "menu": menu, "footer": footer,
            "skip": U["skip"], "search": U["search"], "cookie": U["cookie_banner"], "accept": U["accept"],
            "cookie_link": link(council_pages[CK["cookies"]].key, U["cookie_settings"]),
            "tasks": [{"id": t["id"], "name": t["name"], "description": t["description"], "keywords": t["keywords"],
                       "examples": [skey(t["area"], e) for e in t["examples"]]} for t in D["tasks"]]}
    return pages, site


# ------------------------------------------------------------------------------------------------------
# a national benefits agency
# ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgencyShape:
    seed: int
    none_share: float = 0.29       # the share of none pages the news volume is sized to
    offices: int = 16              # local Jobcentre pages


DM_CHAPTERS = [
    ("introduction", "Introduction", ["This chapter introduces {name} and the law that governs it.",
                                      "Decision makers should read this guidance together with the regulations.",
                                      "References to paragraphs are to paragraphs in this guide."]),
    ("conditions-of-entitlement", "Conditions of entitlement", ["The decision maker must be satisfied that every condition is met.",
                                                                "Evidence may be needed for each condition."]),
    ("claims-and-backdating", "Claims and backdating", ["A claim for {name} must be made in the approved manner.",
                                                        "The date of claim is normally the date the claim is received.",
                                                        "In limited circumstances a claim can be backdated."]),
    ("amount-and-payment", "Amount and payment", ["Payment is made in arrears unless the regulations say otherwise.",
                                                  "Amounts are uprated every April."]),
    ("changes-and-revisions", "Changes of circumstances, revisions and supersessions", [
        "A decision may be revised if it was wrong when it was made.", "A supersession applies from the date of the change.",
        "The claimant must report relevant changes promptly."]),
    ("overpayments", "Overpayments and recovery", [
        "An overpayment is recoverable if it was caused by misrepresentation or by failure to disclose a material fact.",
        "The decision maker must identify the cause of the overpayment.", "Recovery may be made by deduction from ongoing benefit."]),
    ("evidence", "Evidence and medical reports", [
        "The decision maker must weigh all the evidence, including reports from health professionals.",
        "Where evidence conflicts, the reasons for preferring one piece of evidence must be recorded.",
        "Further evidence may be requested from the claimant or a third party with consent."]),
    ("appeals", "Appeals", [
        "A claimant may appeal to the First-tier Tribunal after mandatory reconsideration.",
        "The decision maker should prepare a response explaining the decision under appeal.",
        "The tribunal may confirm, change or set aside the decision."]),
]
THIRD_PERSON = [("you and your partner have", "the claimant and their partner have"), ("you or your partner get", "the claimant or their partner gets"),
                ("you're", "the claimant is"), ("you've", "the claimant has"), ("you'll", "the claimant will"), ("you have", "the claimant has"),
                ("you expect", "the claimant expects"), ("you spend", "the claimant spends"), ("you earn", "the claimant earns"),
                ("you were", "the claimant was"), ("you lived", "the claimant lived"), ("you live", "the claimant lives"),
                ("you get", "the claimant gets"), ("you need", "the claimant needs"), ("you reached", "the claimant reached"),
                ("you do", "the claimant does"), ("your ", "their "), ("you ", "the claimant ")]


def build_agency(shape: AgencyShape) -> tuple[dict, dict]:
    rng = random.Random(shape.seed)
    D = T.AGENCY
    facts = {"agency": D["name"], "town": "Leeds"}
    fill = Filler(rng, {"lang": "en", "slots": T.EN_TOWN["slots"]}, facts)
    pages: dict[str, Page] = {}
    home = ("/", "Home")

    def add(page: Page) -> Page:
        assert page.key not in pages, page.key
        pages[page.key] = page
        return page

    def ul(items) -> str:
        return "<ul>" + "".join(f"<li>{link(k, t)}</li>" for k, t in items) + "</ul>"

    # browse topic of each page: the first browse page that lists it gives its breadcrumb
    topic_of = {}
    for bslug, btitle, groups in D["browse"]:
        for _, refs in groups:
            for ref in refs:
                topic_of.setdefault(ref.split("/")[0], (f"/{bslug}", btitle))
    benefit_of = {b["slug"]: b for b in D["benefits"]}

    def crumbs_for(slug: str) -> list:
        c = [home, ("/browse/benefits", "Benefits")]
        topic = topic_of.get(slug)
        if topic and topic[0] != "/browse/benefits":
            c.append(topic)
        return c

    related_pool: dict[str, list] = {}

    def related_box(key: str, task: str | None) -> str:
        own = [kt for kt in related_pool.get(task or "none", []) if kt[0] != key]
        others = [kt for t2, items in related_pool.items() if t2 != (task or "none") for kt in items]
        items = rng.sample(own, min(len(own), rng.randint(2, 4)))
        if others and rng.random() < 0.5:
            items += rng.sample(others, rng.randint(1, 2))
        if not items:
            return ""
        return f'<aside class="related" aria-label="{D["related_title"]}"><h2>{D["related_title"]}</h2>{ul(items)}</aside>'

    # first pass: the pages of each benefit (bodies get related links in a second pass)
    later: list = []  # (page, task) that get a related box
    for b in D["benefits"]:
        task = b["task"]
        label = task or "none"
        name, slug = b["name"], b["slug"]
        line = b["line"]
        parts = D["parts"] if b["main"] else D["short_parts"]
        part_keys = [(f"/{slug}" + (f"/{p}" if p else ""), t) for p, t in parts]
        contents = "<nav class=\"contents\" aria-label=\"" + D["contents"] + "\"><h2>" + D["contents"] + "</h2><ol>" + "".join(
            f"<li>{link(k, t)}</li>" for k, t in part_keys) + "</ol></nav>"
        for i, (p, ptitle) in enumerate(parts):
            key = part_keys[i][0]
            if p == "":
                text = paras([fill(x) for x in b["overview"]], rng)
            elif p == "eligibility":
                text = (f"<p>{esc(fill(rng.choice(D['eligibility_lead']), name=name))}</p><ul>"
                        + "".join(f"<li>{esc(fill(x))}</li>" for x in b["eligibility"]) + "</ul>")
            elif p == "what-youll-get":
                text = paras([fill(x) for x in b["amounts"]], rng)
            elif p == "how-to-claim":
                text = paras([fill(x) for x in b["claim"]], rng)
                if b["pdfs"]:
                    pslug, ptitle2 = b["pdfs"][0]
                    text += f"<p>{link('/government/publications/' + pslug, ptitle2)}</p>"
                if b["main"]:
                    text += f"<p>{link(f'/{slug}-contact', line)}</p>"
            else:
                text = paras([fill(x) for x in b["further"]], rng)
            nav = ""
            if i + 1 < len(parts):
                nav = f'<p class="pagination">{D["next"]}: {link(part_keys[i + 1][0], part_keys[i + 1][1])}</p>'
            body = f"<h1>{esc(name)}</h1>{contents}<h2>{i + 1}. {esc(ptitle)}</h2>{text}{nav}"
            page = add(Page(key, f"{name}: {ptitle.lower()}" if p else name, label, body, crumbs_for(slug),
                            date=date_in(rng, NOW_YEAR - 3)))
            later.append((page, task))
        related_pool.setdefault(label, []).append((f"/{slug}", name))
        if b["main"]:
            for ckey, ctitle, sents in D["common"]:
                key = f"/{slug}-{ckey}"
                title = fill(ctitle, name=name, line=line)
                k = rng.randint(3, len(sents))
                body = f"<h1>{esc(title)}</h1>" + paras([fill(x, name=name, line=line) for x in sents[:k]], rng)
                if ckey != "contact":
                    body += f"<p>{link(f'/{slug}-contact', line)}</p>"
                page = add(Page(key, title, label, body, crumbs_for(slug), date=date_in(rng, NOW_YEAR - 4)))
                later.append((page, task))
        for group in ("situations", "pages"):
            for pslug, ptitle, sents in b[group]:
                body = f"<h1>{esc(ptitle)}</h1>" + paras([fill(x) for x in sents], rng)
                if rng.random() < 0.6:
                    body += f"<p>{link(f'/{slug}', name)}</p>"
                page = add(Page(f"/{pslug}", ptitle, label, body, crumbs_for(pslug), date=date_in(rng, NOW_YEAR - 4)))
                related_pool.setdefault(label, []).append((page.key, ptitle))
                later.append((page, task))
        for gslug, gtitle, sents in b["guidance"]:
            body = (f"<h1>{esc(gtitle)}</h1><p class=\"meta\">Guidance · Published {date_in(rng, NOW_YEAR - 6)}</p>"
                    + paras([fill(x) for x in sents] + [fill(x) for x in rng.sample(b["overview"], 2)], rng))
            add(Page(f"/guidance/{gslug}", gtitle, label, body, crumbs_for(slug)))
        for pslug, ptitle in b["pdfs"]:
            year = rng.randint(NOW_YEAR - 5, NOW_YEAR)
            h = hashlib.sha1(f"{shape.seed}{pslug}".encode()).hexdigest()[:24]
            dkey = f"/media/{h}/{pslug}.pdf"
            add(Page(dkey, ptitle, label, doc=minimal_pdf(ptitle, [ptitle, D["name"]] + [fill(x) for x in b["overview"][:3]])))
            body = (f"<h1>{esc(ptitle)}</h1><p class=\"meta\">Form · Updated {year}</p>"
                    f"<p>{esc(fill(b['overview'][0]))}</p><h2>Documents</h2><p>{link(dkey, ptitle + ' (PDF)')}</p>"
                    f"<p>{link(f'/{slug}', name)}</p>")
            add(Page(f"/government/publications/{pslug}", ptitle, label, body, crumbs_for(slug)))
        if b["main"]:  # the staff manual: decision makers' guide, chapter by chapter
            mkey = f"/guidance/{slug}-decision-makers-guide"
            chapters = []
            for cslug, ctitle, sents in DM_CHAPTERS:
                text = [fill(x, name=name) for x in sents]
                if cslug == "conditions-of-entitlement":
                    for cond in b["eligibility"]:
                        c = fill(cond)
                        for a, z in THIRD_PERSON:
                            c = c.replace(a, z)
                        text.append(f"Entitlement depends on whether {c}.")
                elif cslug in ("claims-and-backdating", "amount-and-payment"):
                    for x in (b["claim"] if cslug == "claims-and-backdating" else b["amounts"])[:2]:
                        x = " " + fill(x)
                        for a, z in THIRD_PERSON:
                            x = x.replace(" " + a, " " + z).replace(" " + a.capitalize(), " " + z.capitalize())
                        text.append(x.strip())
                ckey = f"{mkey}/{cslug}"
                add(Page(ckey, f"{name}: decision makers' guide, {ctitle.lower()}", label,
                         f"<h1>{esc(ctitle)}</h1><p class=\"meta\">{esc(name)}: decision makers' guide</p>" + paras(text, rng, 1),
                         crumbs_for(slug) + [(mkey, f"{name}: decision makers' guide")]))
                chapters.append((ckey, ctitle))
            add(Page(mkey, f"{name}: decision makers' guide", label,
                     f"<h1>{esc(name)}: decision makers' guide</h1><p>Guidance for staff who make decisions on {esc(name)} claims.</p>"
                     + "<ol>" + "".join(f"<li>{link(k, t)}</li>" for k, t in chapters) + "</ol>", crumbs_for(slug)))

    # local Jobcentres (the looking-for-work task)
    towns = ["Leeds", "Bradford", "Sheffield", "Hull", "York", "Wakefield", "Doncaster", "Barnsley", "Halifax", "Huddersfield",
             "Rotherham", "Harrogate", "Scarborough", "Grimsby", "Lincoln", "Derby"]
    offices = []
    for town in rng.sample(towns, shape.offices):
        street = rng.choice(T.EN_TOWN["slots"]["streets"])
        key = f"/contact-jobcentre/{slugify(town)}"
        body = (f"<h1>{esc(town)} Jobcentre</h1><p>{rng.randint(1, 120)} {esc(street)}, {esc(town)}</p>"
                f"<p>Opening hours: Monday to Friday, 9am to 5pm.</p><p>Telephone: 0800 {rng.randint(100, 999)} {rng.randint(1000, 9999)}.</p>"
                + paras([fill(x) for x in rng.sample(benefit_of["jobseekers-allowance"]["further"], 1)], rng))
        add(Page(key, f"{town} Jobcentre", "find-work", body, [home, ("/browse/benefits/looking-for-work", "Looking for work"),
                                                              ("/contact-jobcentre", "Contact your local Jobcentre")]))
        offices.append((key, f"{town} Jobcentre"))
    pages["/contact-jobcentre"].body += "<h2>Find a Jobcentre</h2>" + ul(sorted(offices, key=lambda kt: kt[1]))

    # step-by-step guides: one task each, linking pages of several
    for sslug, stitle, task, steps in D["steps"]:
        body = f"<h1>{esc(stitle)}</h1><ol class=\"step-by-step\">"
        for i, (step, refs) in enumerate(steps, 1):
            items = [(f"/{r}", pages[f"/{r}"].title) for r in refs if f"/{r}" in pages]
            body += f"<li><h2>{D['step_label']} {i}: {esc(step)}</h2>{ul(items)}</li>"
        body += "</ol>"
        add(Page(f"/{sslug}", stitle, task, body, [home, ("/browse/benefits", "Benefits")]))

    # corporate, news, speeches, statistics, consultations: none
    for slug, title, sents in D["corporate"]:
        add(Page(f"/{slug}", fill(title), "none", f"<h1>{esc(fill(title))}</h1>" + paras([fill(x) for x in sents], rng), [home]))
    pages["/contact-us"].body += ul([(f"/{b['slug']}-contact", b["line"]) for b in D["benefits"] if b["main"]])
    pages["/about-us"].body += ul([(f"/{s}", pages[f"/{s}"].title) for s, _, _ in D["corporate"] if s != "about-us"])
    stats, cons, speeches = [], [], []
    for slug, title, sents in D["stats"]:
        for year in rng.sample(range(NOW_YEAR - 3, NOW_YEAR + 1), 2):
            month = rng.choice(T.EN_TOWN["slots"]["months"])
            t = fill(title, year=year, month=month)
            key = f"/statistics/{slug}-{slugify(month)}-{year}"
            add(Page(key, t, "none", f"<h1>{esc(t)}</h1><p class=\"meta\">Official Statistics · {month} {year}</p>"
                     + paras([fill(x, year=year) for x in sents], rng), [home, ("/statistics", "Statistics")]))
            stats.append((key, t))
    for slug, title, sents in D["consultations"]:
        t = fill(title)
        add(Page(f"/consultations/{slug}", t, "none", f"<h1>{esc(t)}</h1>" + paras([fill(x) for x in sents], rng),
                 [home, ("/consultations", "Consultations")]))
        cons.append((f"/consultations/{slug}", t))
    for title, sents in D["speeches"]:
        year = rng.randint(NOW_YEAR - 4, NOW_YEAR)
        key = f"/speeches/{slugify(title)}-{year}"
        add(Page(key, title, "none", f"<h1>{esc(title)}</h1><p class=\"meta\">Speech · delivered {date_in(rng, year, year)}</p>"
                 + paras([fill(x) for x in sents], rng), [home, ("/speeches", "Speeches")]))
        speeches.append((key, title))
    counted = [p for p in pages.values() if not p.doc]
    n_none = sum(1 for p in counted if p.label == "none") + 4  # + the listings
    n_all = len(counted) + len(D["browse"]) + 5
    n_news = max(15, round((shape.none_share * n_all - n_none) / (1 - shape.none_share)))
    news = []
    while len(news) < n_news:
        title_t, sents = rng.choice(D["news"])
        year = rng.randint(NOW_YEAR - 5, NOW_YEAR)
        t = fill(title_t, year=year)
        key = f"/news/{slugify(t)}-{year}"
        if key in pages:
            continue
        date = date_in(rng, year, year)
        body = (f"<h1>{esc(t)}</h1><p class=\"meta\">Press release · {date}</p>" + paras([fill(x) for x in sents], rng))
        mentioned = [b for b in D["benefits"] if b["name"].split(" (")[0] in " ".join(sents) + t]
        if mentioned and rng.random() < 0.6:
            body += f"<p>{link('/' + mentioned[0]['slug'], mentioned[0]['name'])}</p>"
        add(Page(key, t, "none", body, [home, ("/news", "News")], date=date))
        news.append((date, key, t))
    news.sort(reverse=True)
    per = 20
    for i in range(0, len(news), per):
        key = "/news" if i == 0 else f"/news/page-{i // per + 1}"
        more = f"<p>{link(f'/news/page-{i // per + 2}', 'Older news')}</p>" if i + per < len(news) else ""
        add(Page(key, "News" if i == 0 else f"News: page {i // per + 1}", "none",
                 "<h1>News and communications</h1>" + ul([(k, t) for _, k, t in news[i:i + per]]) + more, [home]))
    add(Page("/statistics", "Statistics", "none", "<h1>Statistics</h1>" + ul(stats), [home]))
    add(Page("/consultations", "Consultations", "none", "<h1>Consultations</h1>" + ul(cons), [home]))
    add(Page("/speeches", "Speeches", "none", "<h1>Speeches</h1>" + ul(speeches), [home]))

    # browse pages: hubs with headings; their label is the tasks they list when those agree
    for bslug, btitle, groups in D["browse"]:
        body = f"<h1>{esc(btitle)}</h1>"
        labels = set()
        for heading, refs in groups:
            items = [(f"/{r}", pages[f"/{r}"].title) for r in refs if f"/{r}" in pages]
            labels |= {pages[k].label for k, _ in items}
            body += f"<h2>{esc(heading)}</h2>{ul(items)}"
        label = next(iter(labels)) if len(labels) == 1 else None
        crumbs = [home] if bslug == "browse/benefits" else [home, ("/browse/benefits", "Benefits")]
        add(Page(f"/{bslug}", btitle, label, body, crumbs))

    # related links
    for page, task in later:
        page.aside = related_box(page.key, task)

    home_body = ("<h1>" + esc(D["name"]) + "</h1><p>Benefits, pensions and help to find work.</p><h2>Popular</h2>"
                 + ul([("/sign-in-universal-credit", "Sign in to your Universal Credit account"), ("/check-state-pension", "Check your State Pension forecast"),
                       ("/apply-pip", "Apply for PIP"), ("/find-a-job", "Find a job"), ("/carers-allowance", "Carer's Allowance")])
                 + "<h2>Services and information</h2>" + ul([(f"/{b[0]}", b[1]) for b in D["browse"]])
                 + "<h2>News</h2>" + ul([(k, t) for _, k, t in news[:3]]))
    add(Page("/", D["name"], None, home_body))
    menu = ("<ul class=\"menu\">" + "".join(f"<li>{link(k, t)}</li>" for k, t in [
        ("/browse/benefits", "Benefits"), ("/browse/benefits/disability", "Disability"), ("/browse/benefits/carers", "Carers"),
        ("/browse/working/state-pension", "State Pension"), ("/browse/benefits/looking-for-work", "Looking for work"),
        ("/news", "News"), ("/about-us", "About us")]) + "</ul>")
    footer = " | ".join(link(f"/{s}", pages[f"/{s}"].title) for s in
                        ["accessibility", "cookies", "personal-information-charter", "complaints-procedure", "contact-us",
                         "freedom-of-information", "welsh-language-scheme"])
    site = {"kind": "agency", "lang": "en", "brand": D["name"], "menu": menu, "footer": footer,
            "skip": "Skip to main content", "search": "Search", "cookie": "We use some essential cookies to make this service work.",
            "accept": "Accept additional cookies", "cookie_link": link("/cookies", "View cookies"),
            "tasks": [{"id": t["id"], "name": t["name"], "description": t["description"], "keywords": t["keywords"],
                       "examples": [f"/{e}" for e in t["examples"]]} for t in D["tasks"]]}
    return pages, site


# ------------------------------------------------------------------------------------------------------
# URLs, rendering, writing
# ------------------------------------------------------------------------------------------------------

def url_map(pages: dict, style: str, folders: dict, rng: random.Random) -> dict:
    """key -> served path for one URL style."""
    if style in ("folders", "flat"):  # the logical paths are the URLs
        return {k: k for k in pages}
    if style == "products":
        s, topics, products, biz = folders["services"], folders["topics"], folders["products"], folders["business"]
        out = {}
        for k in pages:
            parts = k.strip("/").split("/")
            if parts[0] == s and len(parts) == 2 and k.endswith("/"):
                out[k] = f"/{topics}/{parts[1]}/"
            elif parts[0] == s and len(parts) >= 3:
                out[k] = f"/{products}/" + "/".join(parts[2:])
            elif parts[0] == s and k == f"/{s}/":
                out[k] = f"/{topics}/"
            elif parts[0] == biz and len(parts) == 3:
                out[k] = f"/{biz}/{parts[2]}"
            else:
                out[k] = k
        assert len(set(out.values())) == len(out), "product URLs collide"
        return out
    if style == "opaque":
        keys = [k for k in pages if k != "/"]
        numbers = rng.sample(range(40, 40 + 8 * len(keys)), len(keys))
        out = {"/": "/"}
        for k, n in zip(keys, numbers):
            if pages[k].doc is not None:
                out[k] = f"/sites/default/files/{NOW_YEAR - rng.randint(0, 5)}-{rng.randint(1, 12):02d}/{k.rsplit('/', 1)[-1]}"
            else:
                out[k] = f"/node/{n}"
        assert len(set(out.values())) == len(out)
        return out
    raise ValueError(style)


def render(page: Page, site: dict, urls: dict) -> str:
    def resolve(text: str) -> str:
        return re.sub("\x00([^\x00]*)\x00", lambda m: esc(urls[m.group(1)]), text)

    trail = ""
    if page.crumbs:
        items = "".join(f"<li>{link(k, t)}</li>" for k, t in page.crumbs)
        trail = (f'<nav aria-label="Breadcrumb" class="breadcrumb"><ol>{items}'
                 f'<li aria-current="page">{esc(page.title)}</li></ol></nav>')
    doc = f"""<!DOCTYPE html>
<html lang="{site['lang']}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(page.title)} | {esc(site['brand'])}</title>
{page.meta}
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<div class="cookie-banner" role="region" aria-label="Cookies"><p>{esc(site['cookie'])}</p><button type="button">{esc(site['accept'])}</button> {site['cookie_link']}</div>
<a class="skip-link" href="#main">{esc(site['skip'])}</a>
<header class="site-header">
<a class="logo" href="/">{esc(site['brand'])}</a>
<form class="search" action="/search" role="search"><label for="q">{esc(site['search'])}</label> <input id="q" name="q"> <button type="submit">{esc(site['search'])}</button></form>
<nav class="main-menu" aria-label="Main menu">{site['menu']}</nav>
</header>
{trail}
<div class="page">
{page.aside if 'section-nav' in page.aside else ''}
<main id="main">
{page.body}
</main>
{page.aside if 'section-nav' not in page.aside else ''}
</div>
<footer class="site-footer"><div>{site['footer']}</div></footer>
</body>
</html>
"""
    return resolve(doc)


def file_of(url: str) -> str:
    rel = url.lstrip("/")
    if rel == "" or rel.endswith("/"):
        return rel + "index.html"
    if "." in rel.rsplit("/", 1)[-1]:
        return rel
    return rel + "/index.html"


def write_site(pages: dict, site: dict, urls: dict, target: Path, stamp: dict) -> None:
    tmp = target.with_name(target.name + ".building")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    sitemap = []
    for key, page in pages.items():
        url = urls[key]
        path = tmp / file_of(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        if page.doc is not None:
            path.write_bytes(page.doc)
        else:
            path.write_text(render(page, site, urls), encoding="utf-8")
        if page.in_sitemap:
            lastmod = f"<lastmod>{page.date}</lastmod>" if page.date and len(page.date) == 10 else ""
            sitemap.append(f"<url><loc>__ORIGIN__{esc(url)}</loc>{lastmod}</url>")
    (tmp / "sitemap.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                                     + "\n".join(sitemap) + "\n</urlset>\n", encoding="utf-8")
    (tmp / "robots.txt").write_text("User-agent: *\nDisallow: /search\n\nSitemap: __ORIGIN__/sitemap.xml\n", encoding="utf-8")
    (tmp / "assets").mkdir(exist_ok=True)
    (tmp / "assets" / "site.css").write_text("body{font-family:sans-serif;max-width:70em;margin:auto}.mega-panel{display:flex;gap:1em}\n")
    (tmp / "404.html").write_text(render(Page("/404", "Page not found", None, "<h1>Page not found</h1>"), site, urls | {"/404": "/404"}),
                                  encoding="utf-8")
    truth = {urls[k]: p.label for k, p in pages.items() if p.label is not None}
    (tmp / "_truth.json").write_text(json.dumps({**stamp, "truth": truth, "tasks": [
        {**t, "examples": [urls[e] for e in t["examples"]]} for t in site["tasks"]]}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)


def generated(name: str, build, shape):
    """The ``root`` of a generated site: (re)builds it into ``scratch / name`` unless an identical build is there."""
    stamp = {"generator": VERSION, "name": name, "shape": asdict(shape)}
    urls_style = getattr(shape, "urls", "flat")
    folders = TOWN_DATA[shape.lang]["folders"] if isinstance(shape, TownShape) else {}

    def root(scratch: Path) -> Path:
        target = Path(scratch) / name
        marker = target / "_truth.json"
        if marker.exists():
            try:
                old = json.loads(marker.read_text(encoding="utf-8"))
                if all(old.get(k) == v for k, v in stamp.items()):
                    return target
            except (ValueError, OSError):
                pass
        pages, site = build(shape)
        urls = url_map(pages, urls_style, folders, random.Random(shape.seed + 1))
        write_site(pages, site, urls, target, stamp)
        return target

    return root


def truth_from_folder(base: str, root: Path) -> tuple[dict, list]:
    data = json.loads((Path(root) / "_truth.json").read_text(encoding="utf-8"))
    truth = {f"{base}{path}": label for path, label in data["truth"].items()}
    tasks = [{**t, "examples": [f"{base}{e}" for e in t["examples"]]} for t in data["tasks"]]
    return truth, tasks


# ------------------------------------------------------------------------------------------------------
# the demo site's truth, from the demo generator's own data
# ------------------------------------------------------------------------------------------------------

def linked_paths(root: Path) -> set:
    """Every path (with query) that the served folder links to or lists in its sitemap, normalised as the
    crawler normalises it, that the server answers with a file and robots.txt allows."""
    from urllib.parse import urljoin, urlsplit

    from crawler.urls import UrlNormalizer

    norm = UrlNormalizer()
    host = "http://site.invalid"
    rules = json.loads((root / "_server.json").read_text()) if (root / "_server.json").exists() else {}
    blocked = [ln.split(":", 1)[1].strip() for ln in (root / "robots.txt").read_text().splitlines()
               if ln.lower().startswith("disallow:") and ln.split(":", 1)[1].strip()] if (root / "robots.txt").exists() else []
    redirects = {r[0] for r in rules.get("redirects", [])}
    gone = set(rules.get("gone", []))
    calendar = rules.get("calendar")
    found = set()
    for file in root.rglob("*.html"):
        rel = file.relative_to(root).as_posix()
        page = "/" + (rel[:-len("index.html")] if rel.endswith("index.html") else rel)
        for href in re.findall(r"""href=["']([^"']+)["']""", file.read_text(encoding="utf-8")):
            if not href.startswith("#"):  # a link to a spot in the page itself names no other page
                found.add(urljoin(host + page, html.unescape(href)))
    sitemap = root / "sitemap.xml"
    if sitemap.exists():
        found |= {loc.replace("__ORIGIN__", host) for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap.read_text())}
    out = set()
    for url in found:
        n = norm(url)
        if not n or not n.startswith(host):
            continue
        full = n[len(host):] or "/"
        path = urlsplit(full).path
        if path in redirects or path in gone or any(path.startswith(b) for b in blocked):
            continue
        if calendar and path.rstrip("/") == calendar.rstrip("/"):
            continue
        local = root / path.lstrip("/")
        if local.is_file() or (local / "index.html").is_file():
            if not path.endswith(".css"):
                out.add(full)
    return out


def demo_truth_and_tasks(base: str, root: Path) -> tuple[dict, list]:
    from urllib.parse import urlsplit

    import audit.demo.generate_site as g

    config = tomllib.loads(DEMO_TOML.read_text(encoding="utf-8"))
    origin = "http://riverton.example"
    tasks = [{"id": t["id"], "name": t["name"], "description": t["description"], "keywords": t["keywords"],
              "examples": [e.replace(origin, base) for e in t["examples"]]} for t in config["tasks"]]
    # each of the generator's task sections is the section of the demo.toml task whose examples it holds
    section_task = {}
    for key, section in g.TASKS.items():
        owners = {t["id"] for t in config["tasks"] for e in t["examples"] if e.replace(origin, "").startswith(section["base"])}
        if len(owners) == 1:
            section_task[key] = owners.pop()
    copies = {p: section_task.get(k) for p, (k, *_rest) in {**g.BUSINESS_COPIES, **g.VISITOR_COPIES}.items()}
    none_exact = ({f"/businesses/{s}" for s in g.OTHER_BUSINESS if s != "commercial-waste"}
                  | {f"/visitors/{s}" for s in g.VISITOR_PAGES} | {s.rstrip("/") for s in g.STUBS})
    none_prefix = ("/news/", "/events/", "/about/", "/contact/", "/campaigns/")

    def label(path: str) -> str | None:
        for key, section in g.TASKS.items():
            if path.startswith(section["base"]) and key in section_task:
                return section_task[key]
        if path in copies:
            return copies[path]
        if path.rstrip("/") in none_exact or path.startswith(none_prefix) or path.rstrip("/") + "/" in none_prefix:
            return "none"
        return None

    paths = linked_paths(Path(root))
    truth = {}
    for full in sorted(paths):
        path = urlsplit(full).path
        if not path.startswith("/documents/"):
            lab = label(path)
            if lab is not None:
                truth[full] = lab
    # a document belongs to the task of the pages that link it, when they agree
    holders: dict[str, set] = {}
    for file in Path(root).rglob("*.html"):
        rel = file.relative_to(root).as_posix()
        page = "/" + (rel[:-len("index.html")] if rel.endswith("index.html") else rel)
        for href in re.findall(r"""href=["'](/documents/[^"']+)["']""", file.read_text(encoding="utf-8")):
            holders.setdefault(href, set()).add(label(page.rstrip("/")) if page != "/" else None)
    for doc, labels in holders.items():
        if doc in paths and len(labels) == 1 and None not in labels:
            truth[doc] = next(iter(labels))
    return {f"{base}{p}": t for p, t in truth.items()}, tasks


# ------------------------------------------------------------------------------------------------------
# the registered sites
# ------------------------------------------------------------------------------------------------------

register(Site(
    name="demo", shape="the bundled demo municipality (Riverton): folders per audience and task, ~190 pages",
    # the endless events calendar is the demo's crawler trap: which months a crawl reaches depends on the
    # crawler's bounds, so no truth can list them; it is kept out of scope
    language="en", root=lambda _scratch: DEMO_SITE, start="/", include=r"^(?!.*/events/calendar)",
    truth_and_tasks=demo_truth_and_tasks,
    notes="truth from audit.demo.generate_site's TASKS, copies and page lists; mixed hubs left out; calendar trap out of scope"))

TOWN_MEGAMENU = TownShape(seed=3101)
register(Site(
    name="town-megamenu",
    shape="generated English town: folders per service area, mega-menu, A to Z, news archive, business copies",
    language="en", root=generated("town-megamenu", build_town, TOWN_MEGAMENU), start="/", include=r"/",
    truth_and_tasks=truth_from_folder, notes="8 top tasks; libraries, leisure, parks, care, licensing ... are none"))

TOWN_CMS = TownShape(seed=4217, urls="opaque", section_nav=True)
register(Site(
    name="town-cms", shape="generated English town behind opaque /node/N URLs (structure only in menus, breadcrumbs, text)",
    language="en", root=generated("town-cms", build_town, TOWN_CMS), start="/", include=r"/",
    truth_and_tasks=truth_from_folder, notes="same generator as town-megamenu, another seed"))

GEMEENTE_NL = TownShape(seed=5303, lang="nl", urls="products", megamenu=False, keep_services=1.0, sub_pages=0.6, business_copies=0.9, news_share=0.21)
register(Site(
    name="gemeente-nl", shape="generated Dutch municipality: product catalogue /producten/..., themes /onderwerpen/...",
    language="nl", root=generated("gemeente-nl", build_town, GEMEENTE_NL), start="/",
    include=r"/", truth_and_tasks=truth_from_folder, notes="7 top tasks in Dutch"))

AGENCY_FLAT = AgencyShape(seed=6607)
register(Site(
    name="agency-flat", shape="generated benefits agency with flat GOV.UK-style URLs, browse pages, step-by-steps, manuals",
    language="en", root=generated("agency-flat", build_agency, AGENCY_FLAT), start="/", include=r"/",
    truth_and_tasks=truth_from_folder, notes="6 top tasks; other benefits (Pension Credit, Attendance Allowance ...) are none"))
