"""Per-language figures (issue 13): word counts against a reference, thin and stale shares, duplicate
clusters found against those planted, the language detected against the one declared, and the
classifier's macro-F1 on Debian's translated manuals.

    .venv/bin/pip install jieba     # optional: the reference count for Chinese (else: one per Han character)
    .venv/bin/python benchmarks/languages.py [--corpus DIR] [--f1]

1. **Municipal sites** built from the tests' texts (``tests/test_local_dates.py``, ``tests/test_scripts.py``)
   plus an English and a Japanese page written here: per language two pages dated 2012 (in the page's own
   format: ``Publicat: 05.06.2012``, ``2 ноября 2012 г.``, ``2012年9月14日`` ...), pages without a date, an
   exact copy of one page and a near-duplicate of another (its last word changed). One site, one folder
   per language, served by a static server (every Last-Modified is today) and audited with
   ``longneck run``; the figures are read from the run's ``pages.jsonl`` and its (English) workbook.
2. **Debian's translated manuals** as ``benchmarks/classify_accuracy.py --keep DIR`` crawled them
   (``--corpus DIR``; read only, except that ``--f1`` crawls into it a manual it lacks): word counts, thin and stale
   shares, exact and near-duplicate clusters found (nothing is planted there), and the share of pages
   whose language (declared, else detected) is the manual's. ``--f1`` also runs
   ``classify_accuracy.py --keep DIR --quick --only SITES`` (CPU-heavy: some 15 minutes on 2 cores) and
   prints each manual's leave-one-site-out macro-F1, without and with 25 labels. Words are counted
   again with this version's ``word_count`` (a kept crawl may hold the counts of an older version).

Reference word counts: jieba's words for Chinese (tokens holding a letter or digit); for the
space-separated languages, whitespace-separated tokens holding a letter or digit (longneck counts runs
of word characters, so "e-mail" and "8:30" are two); none for Japanese (no segmenter installed: longneck
counts one word per character, as word processors do).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.demo.server import SiteServer  # noqa: E402
from audit.signals import Collector, duplicate_clusters, newest_dated  # noqa: E402
from crawler.extract import detect_language  # noqa: E402
from crawler.words import word_count  # noqa: E402
from tests import test_local_dates as dated  # noqa: E402
from tests import test_scripts as scripts  # noqa: E402

THIN, STALE_DAYS, NEAR = 200, 730, 0.9  # the shipped [audit] thin_words, stale_days, near_duplicate_threshold
MANUALS = {"en": "handbook", "ro": "gimp-ro", "el": "gimp-el", "ru": "gimp-ru", "ja": "gimp-ja", "zh": "faq-zh",
           "zh ": "libreoffice-zh", "nl": "gemeente-nl"}  # "zh ": a second Chinese site

EN_TAX = ("<p>Last updated: 14 September 2012</p><p>Council tax is paid in ten monthly instalments from April "
          "to January. You can pay by direct debit, online with a debit card or at any post office. If you live "
          "alone you can apply for a single person discount of 25 per cent. Tell us within 21 days if you move "
          "home so that we can close your account and send a final bill.</p>")
EN_BINS = ("<p>Bins are collected once a week. Check your collection day by postcode. Recycling goes in the blue "
           "bin and garden waste in the green bin. Put your bin out by 7am on collection day and report a missed "
           "collection within two working days.</p>")
JA_ZEIKIN = ("<p>更新日：2012年9月14日</p><p>市県民税は、六月、八月、十月、翌年一月の四回に分けて納めます。"
             "納付書を使って金融機関やコンビニエンスストアで納めるほか、口座振替も利用できます。"
             "納期限を過ぎると延滞金がかかりますので、ご注意ください。</p>")
JA_GOMI = ("<p>公開日：2012年6月5日</p><p>燃えるごみは毎週月曜日と木曜日、資源ごみは第二水曜日に出してください。"
           "収集日の朝八時三十分までに、決められた集積所に出してください。</p>")

# language: [(path, lang attribute, title, body, meta, planted stale)]
SITES = {
    "en": [("tax.html", "en", "Council tax", EN_TAX, "", True),
           ("bins.html", "en", "Bin collections", EN_BINS, '<meta name="dcterms.modified" content="5 June 2012">',
            True),
           ("parking.html", "en", "Parking fines", f"<p>{scripts.EN}</p>", "", False)],
    "ro": [(p[4:], *dated.PAGES[p][:4], bool(dated.PAGES[p][4])) for p in dated.PAGES if p.startswith("/ro/")]
          + [("urbanism.html", "ro", "Certificat de urbanism", f"<p>{scripts.RO_COMMA}</p>", "", False)],
    "el": [(p[4:], *dated.PAGES[p][:4], True) for p in dated.PAGES if p.startswith("/el/")],
    "ru": [(p[4:], *dated.PAGES[p][:4], True) for p in dated.PAGES if p.startswith("/ru/")]
          + [("semya.html", "ru", "Состав семьи", f"<p>{scripts.RU}</p>", "", False)],
    "zh": [(p[4:], *dated.PAGES[p][:4], True) for p in dated.PAGES if p.startswith("/zh/")]
          + [("juzhu.html", "zh-CN", "居住证明办理指南", f"<p>{scripts.ZH}</p>", "", False)],
    "nl": [(p[4:], *dated.PAGES[p][:4], True) for p in dated.PAGES if p.startswith("/nl/")],
    "ja": [("zeikin.html", "ja", "市県民税", JA_ZEIKIN, "", True), ("gomi.html", "ja", "ごみの出し方", JA_GOMI, "", True),
           ("juminhyo.html", "ja", "住民票", f"<p>{scripts.JA}</p>", "", False)],
}
DECLARED = {lang: lang for lang in SITES}

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")  # Han and kana
_LAST_WORD = re.compile(r"(\w+)(\W*)$")


def reference_count(text: str, language: str) -> int | None:
    """A word count made another way: jieba for Chinese (one per Han character without it), whitespace
    tokens for the space-separated languages, None for Japanese."""
    if language.startswith("zh"):
        try:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            return sum(1 for w in jieba.lcut(text) if re.search(r"\w", w))
        except ImportError:
            return len(_HAN.findall(text))
    if language == "ja":
        return None
    return sum(1 for w in text.split() if re.search(r"\w", w))


def _near(body: str) -> str:
    """The body with its last word (in Chinese and Japanese, its last Han or kana character) changed."""
    text_end = body.rfind("</p>")
    head, tail = body[:text_end], body[text_end:]
    if _CJK.search(head[-10:]):
        i = max(m.start() for m in _CJK.finditer(head))
        return head[:i] + ("二" if head[i] != "二" else "三") + head[i + 1:] + tail
    return _LAST_WORD.sub(lambda m: m.group(1)[:-1] + ("x" if m.group(1)[-1] != "x" else "y") + m.group(2), head) + tail


def build_site(www: Path) -> dict:
    """The municipal site: {language: {"pages": [...], "stale": n planted, "exact": 1, "near": 1}}."""
    planted, links = {}, []
    for lang, pages in SITES.items():
        folder = www / lang
        folder.mkdir(parents=True)
        first, longest = pages[0], max(pages[1:], key=lambda p: len(p[3]))  # two clusters, not one
        extra = [("copy.html", first[1], first[2], first[3], first[4], first[5]),
                 ("near.html", longest[1], longest[2], _near(longest[3]), longest[4], longest[5])]
        for name, attr, title, body, meta, _ in pages + extra:
            (folder / name).write_text(dated.page(attr, title, body, meta), encoding="utf-8")
            links.append(f"<li><a href='/{lang}/{name}'>{title}</a></li>")
        planted[lang] = {"stale": sum(p[5] for p in pages + extra), "pages": len(pages) + 2, "exact": 1, "near": 1}
    (www / "index.html").write_text(dated.page("en", "Town hall", f"<p>Services.</p><ul>{''.join(links)}</ul>"),
                                    encoding="utf-8")
    return planted


def read_run(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "pages.jsonl").read_text(encoding="utf-8").splitlines() if line]


def duplicates(run: Path, records: list) -> dict:
    """{url: (cluster, "exact" | "near")} for the pages in a duplicate cluster, as the audit finds them."""
    collector = Collector(pages=run / "pages.jsonl")
    for record in records:
        collector.add(record)
    table, hashes = collector.finish()
    clusters = duplicate_clusters(table, hashes, NEAR)
    urls, content = table["url"].tolist(), table["content_hash"].tolist()
    members: dict = {}
    for row, cluster in clusters.items():
        members.setdefault(cluster, []).append(row)
    out = {}
    for cluster, rows in members.items():
        kind = "exact" if len({content[r] for r in rows}) == 1 else "near"
        for r in rows:
            out[urls[r]] = (cluster, kind)
    return out


def figures(records: list, language: str, dupes: dict, declared: str | None = None) -> dict:
    """Word counts (ours and the reference), thin and stale shares, duplicate clusters, language agreement."""
    pages = [r for r in records if r.get("status") == 200 and r.get("content_type") == "text/html"
             and r.get("main_text")]
    counts = [word_count(r["main_text"]) for r in pages]  # counted again: a kept crawl may predate the count
    ours = sum(counts)
    refs = [reference_count(r["main_text"], language) for r in pages]
    ref = None if any(x is None for x in refs) else sum(refs)
    stale = 0
    for r in pages:
        newest, _ = newest_dated(r.get("dates") or {}, r.get("date_sources"))
        crawled = datetime.fromisoformat(r["fetched_at"].replace("Z", "+00:00")).date() if r.get("fetched_at") \
            else date.today()
        stale += newest is not None and (crawled - newest).days > STALE_DAYS
    clusters = {c: kind for url, (c, kind) in dupes.items() if any(p["url"] == url for p in pages)}
    want = (declared or language).strip().split("-")[0]
    agree = sum(1 for r in pages if (r.get("language") or "").split("-")[0] == want)
    detected = sum(1 for r in pages if (detect_language(r["main_text"]) or "").split("-")[0] == want)
    return {"pages": len(pages), "words": ours, "ref": ref,
            "thin": sum(n < THIN for n in counts) / max(1, len(pages)),
            "thin_ref": None if ref is None else sum(x < THIN for x in refs) / max(1, len(pages)),
            "stale": stale, "exact": sum(k == "exact" for k in clusters.values()),
            "near": sum(k == "near" for k in clusters.values()), "language": agree, "detected": detected}


def _ratio(f) -> str:
    return "–" if not f["ref"] else f"{f['words'] / f['ref']:.2f}"


def municipal() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        planted = build_site(tmp / "www")
        with SiteServer(tmp / "www") as server:
            config = tmp / "site.toml"
            config.write_text(f'[site]\nname = "Primăria"\nstart_urls = ["{server.url}/index.html"]\n'
                              'autothrottle = false\n' + dated.TASKS.format(origin=server.url), encoding="utf-8")
            subprocess.run([sys.executable, "-m", "audit.cli", "run", str(config), "--out", str(tmp / "run"), "-q",
                            "--no-history", "--set", "report.language=en"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
            records = read_run(tmp / "run")
            dupes = duplicates(tmp / "run", records)
            print("Municipal sites (planted: stale pages, 1 exact and 1 near-duplicate cluster per language)\n")
            print(f"{'lang':<5} {'pages':>5} {'words':>6} {'ref':>6} {'ratio':>5}  {'thin':>5} {'thin(ref)':>9}  "
                  f"{'stale found/planted':>19}  {'exact':>5} {'near':>5}  {'lang = declared':>15} {'detected':>8}")
            for lang in SITES:
                mine = [r for r in records if f"/{lang}/" in r["url"]]
                f = figures(mine, lang, dupes, DECLARED[lang])
                p = planted[lang]
                print(f"{lang:<5} {f['pages']:>5} {f['words']:>6} {f['ref'] if f['ref'] is not None else '–':>6} "
                      f"{_ratio(f):>5}  {f['thin']:>5.0%} "
                      f"{'–' if f['thin_ref'] is None else format(f['thin_ref'], '.0%'):>9}  "
                      f"{str(f['stale']) + '/' + str(p['stale']):>19}  {str(f['exact']) + '/1':>5} "
                      f"{str(f['near']) + '/1':>5}  {str(f['language']) + '/' + str(f['pages']):>15} "
                      f"{str(f['detected']) + '/' + str(f['pages']):>8}")


def manuals(corpus: Path, with_f1: bool) -> None:
    print(f"\nDebian's translated manuals, as crawled in {corpus} (nothing planted: clusters are what the audit "
          "finds)\n")
    scores = f1(corpus) if with_f1 else {}
    print(f"{'lang':<5} {'site':<15} {'pages':>5} {'words':>8} {'ref':>8} {'ratio':>5}  {'thin':>5} {'thin(ref)':>9}  "
          f"{'stale':>5}  {'exact':>5} {'near':>5}  {'lang = site':>11} {'detected':>8}  {'macro-F1':>8} {'+25':>5}")
    for lang, site in MANUALS.items():
        run = corpus / site / "run"
        if not (run / "pages.jsonl").exists():
            print(f"{lang:<5} {site:<15} not in {corpus} (benchmarks/classify_accuracy.py --keep {corpus} {site})")
            continue
        records = read_run(run)
        f = figures(records, lang.strip(), duplicates(run, records))
        score = scores.get(site, ("", ""))
        n = f["pages"]
        print(f"{lang.strip():<5} {site:<15} {n:>5} {f['words']:>8} {f['ref'] if f['ref'] is not None else '–':>8} "
              f"{_ratio(f):>5}  {f['thin']:>5.0%} "
              f"{'–' if f['thin_ref'] is None else format(f['thin_ref'], '.0%'):>9}  {f['stale'] / max(1, n):>5.0%}  "
              f"{f['exact']:>5} {f['near']:>5}  {f['language'] / max(1, n):>11.0%} {f['detected'] / max(1, n):>8.0%}  "
              f"{score[0]:>8} {score[1]:>5}")


def f1(corpus: Path) -> dict:
    """{site: (macro-F1, after 25 labels)} from classify_accuracy.py --quick --only (leave one site out)."""
    sites = ",".join(s for s in MANUALS.values() if (corpus / s / "run" / "pages.jsonl").exists())
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "classify_accuracy.py"), "--keep", str(corpus),
                          "--quick", "--only", sites], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    scores = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[0] in MANUALS.values() and re.fullmatch(r"\d\.\d{3}", parts[2]):
            scores[parts[0]] = (parts[2], parts[3])
    return scores


def main() -> None:
    args = sys.argv[1:]
    municipal()
    if "--corpus" in args:
        manuals(Path(args[args.index("--corpus") + 1]), "--f1" in args)
    else:
        print("\nDebian's manuals: --corpus DIR (the folder benchmarks/classify_accuracy.py --keep DIR crawled into)")


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):  # the docstring is the usage
        print(__doc__)
        sys.exit(0)
    main()
