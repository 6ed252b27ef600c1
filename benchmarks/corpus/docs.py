"""Documentation sites from Debian packages, each with ground truth from its own table of contents.

Every task below is a part, chapter or section of the manual's table of contents, chosen as the
manual's owner would name its top tasks; a page's truth is the task of the innermost chosen TOC entry
that lists it, ``none`` when no chosen entry does. A hub page listing entries of several tasks (a part
page, the home page) is left out as ambiguous, and so is any page the TOC lists under more than one
task. Example URLs are two ordinary pages of the task, never its chapter page.

- ``apache`` (apache2-doc): folders per section and a module index; truth from the sections of
  ``sitemap.html``.
- ``handbook`` (debian-handbook): one flat folder; every page belongs to the chapter whose entry
  precedes it in the book's table of contents.
- ``git`` (git-doc): man pages in one flat folder; truth from the headings under which git(1) lists
  commands and guides; the how-tos and API documents (each listed by its own index page) are none.
- ``postgres`` (postgresql-doc-15): ~1,170 pages in one flat folder; the index lists parts and
  chapters, each chapter's page lists its sections (grafted onto the index's tree). Internals,
  appendixes, release notes and the chapters an owner would not name are none.
- ``gimp-ro``, ``gimp-ru``, ``gimp-el``, ``gimp-zh``, ``gimp-ja`` (gimp-help-ro, -ru, -el, -zh-cn, -ja):
  the same DocBook manual in five languages (tasks written in each); the index holds the whole TOC.
  Tasks are chapters, plus the menus' sections that belong to them (the File menu to opening and
  exporting images, the Layer menu to layers ...); the other menus, dialogs, keys reference and
  appendixes are none. The translations are partial: about two pages in three are still English in
  Romanian, one in four in Japanese, and the Chinese one is hardly translated (3 pages in 100 are in
  Chinese: Chinese tasks over English pages).
- ``faq-zh`` (debian-faq-zh-cn): the Debian FAQ in Chinese, one page per chapter (16 pages), four
  tasks of three chapters each; small, so its figures are noisy.
- ``python`` (python3-doc): Sphinx, a folder per part; truth from the nested toctree of
  ``contents.html``: parts are tasks, and the standard library is split by its own chapters
  (library/index.html) into four tasks, the other library chapters being none; what's new, the FAQ
  and the back matter are none. The generated indexes and the search page are not crawled; the
  legacy distutils pages, outside the toctree, are crawled without truth.

- ``libreoffice-zh`` (libreoffice-help-zh-cn): the Calc and Writer help in Chinese, a folder per module
  (pages named by menu number: 01/12030000.html is Data > Sort), crawled from the start centre page.
  Its contents tree (``zh-CN/contents.js``, drawn by script; the pages link each other plainly)
  lists the guides under labels and the menus; the commands, dialogs and functions it does not list
  take their place from the menu page (or the function list) that lists them, two levels down. Tasks
  are labels of the tree, menus and Data-menu commands; the other labels and menus are none. About
  a quarter of the crawled pages are in no tree (toolbar buttons, deeper tabs) and have no truth.

apache, handbook, postgres and gimp-ru also have an opaque-URL twin (``register(..., opaque=True)``).
debian-reference-en is left out: 14 pages, one per chapter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import Site, package_folder, register

AMBIGUOUS = object()  # the task of a hub entry whose sub-entries belong to several tasks


def _tasks(base: str, rows) -> list:
    """Task dicts from rows of (id, name, description, keywords, example paths relative to ``base``)."""
    return [{"id": task, "name": name, "description": desc, "keywords": list(kw),
             "examples": [f"{base}/{e}" for e in ex]} for task, name, desc, kw, ex in rows]


@dataclass
class Entry:
    """One entry of a table of contents: its kind (DocBook's span class), its href, its sub-entries."""
    kind: str
    href: str
    children: list = field(default_factory=list)

    @property
    def page(self) -> str:
        return self.href.split("#")[0]


def docbook_toc(path: Path) -> list:
    """The nested ``dl`` of the first ``div.toc`` in a DocBook page, as a list of :class:`Entry`."""
    from lxml import html

    tocs = html.parse(str(path)).getroot().xpath('//div[@class="toc"]/dl')
    return _dl_entries(tocs[0]) if tocs else []


def _dl_entries(dl) -> list:
    entries = []
    for dt in dl.iterchildren("dt"):
        link = dt.find(".//a[@href]")
        if link is None or ":" in link.get("href"):
            continue
        span = link.getparent()
        entry = Entry(span.get("class", "") if span.tag == "span" else "", link.get("href"))
        dd = dt.getnext()
        if dd is not None and dd.tag == "dd" and dd.find("dl") is not None:
            entry.children = _dl_entries(dd.find("dl"))
        entries.append(entry)
    return entries


def toctree(path: Path) -> list:
    """The nested ``ul`` of a Sphinx page's toctree (``contents.html``) as a list of :class:`Entry`."""
    from lxml import html

    def entries(ul):
        out = []
        for li in ul.iterchildren("li"):
            link = li.find("a[@href]")
            if link is None:
                continue
            entry = Entry("li", link.get("href"))
            sub = li.find("ul")
            entry.children = entries(sub) if sub is not None else []
            out.append(entry)
        return out

    wrapper = html.parse(str(path)).getroot().xpath('//div[contains(@class, "toctree-wrapper")]/ul')
    return [e for ul in wrapper for e in entries(ul)]


def toc_truth(base: str, entries: list, owner: dict) -> dict:
    """``{url: task}`` from a table of contents. ``owner`` maps the href of a chosen entry (a part,
    chapter or section, without fragment) to its task; an entry takes the task of its innermost chosen
    ancestor or itself. An entry with no chosen ancestor takes the one task its sub-entries share
    (``none`` when nothing under it is chosen) and is ambiguous when they have several. Pages listed
    under more than one task, or only by ambiguous entries, are left out."""
    seen: dict = {}

    def visit(entry: Entry, inherited) -> set:
        task = owner.get(entry.href, inherited)
        below = set()
        for child in entry.children:
            below |= visit(child, task)
        if task is None:
            task = (next(iter(below)) if len(below) == 1 else AMBIGUOUS) if below else "none"
        seen.setdefault(entry.page, set()).add(task)
        return below | {task}

    for entry in entries:
        visit(entry, None)
    return {f"{base}/{page}": next(iter(tasks)) for page, tasks in seen.items()
            if len(tasks) == 1 and AMBIGUOUS not in tasks}


# --- apache2-doc: the sections of the sitemap ------------------------------------------------------

APACHE_TASKS = [  # section of sitemap.html -> (task id, name, description, keywords, examples)
    ("Apache Virtual Host documentation", "virtual-hosts", "Host several sites on one server",
     "Serve more than one web site from one Apache server with virtual hosts", ["virtual host", "name-based"],
     ["vhosts/name-based.html", "vhosts/examples.html"]),
    ("URL Rewriting Guide", "rewrite-urls", "Rewrite and redirect URLs",
     "Change, redirect or map request URLs with mod_rewrite rules", ["rewrite", "redirect", "RewriteRule"],
     ["rewrite/intro.html", "rewrite/remapping.html"]),
    ("Apache SSL/TLS Encryption", "ssl-tls", "Serve a site over HTTPS",
     "Set up SSL/TLS encryption and certificates", ["ssl", "tls", "certificate", "https"],
     ["ssl/ssl_howto.html", "ssl/ssl_faq.html"]),
    ("Apache modules", "modules", "Look up a module or directive",
     "Find what a module does and the syntax of its configuration directives", ["module", "directive", "syntax"],
     ["mod/mod_alias.html", "mod/mod_dir.html"]),
    ("Apache HTTP Server and Supporting Programs", "programs", "Run the server and its tools",
     "Command-line programs that start, stop and support the server", ["command", "options", "apachectl"],
     ["programs/apachectl.html", "programs/htpasswd.html"]),
    ("Guides, Tutorials, and HowTos", "howto", "Follow a how-to guide",
     "Step-by-step guides for common tasks such as authentication, CGI and SSI", ["how-to", "tutorial"],
     ["howto/auth.html", "howto/cgi.html"]),
    ("Developer Documentation", "develop-modules", "Write a module",
     "Develop your own modules against the Apache API", ["api", "hooks", "module development"],
     ["developer/modguide.html", "developer/hooks.html"]),
    ("Using the Apache HTTP Server", "use-the-server", "Install and configure the server",
     "Install, start, configure and run the server: configuration files, logs, URL mapping",
     ["install", "configuration", "logs"], ["install.html", "configuring.html"]),
]
APACHE_NONE = ["Release Notes", "Platform-specific Notes", "Apache Miscellaneous Documentation", "Glossary and Index"]


def apache_truth(base: str, root: Path) -> tuple[dict, list]:
    """Ground truth from the sitemap: every page belongs to the section that lists it; pages listed by
    sections of several tasks are left out."""
    sitemap = (root / "manual" / "en" / "sitemap.html").read_text(encoding="utf-8", errors="replace")
    owner = {section: task for section, task, *_ in APACHE_TASKS} | {s: "none" for s in APACHE_NONE}
    seen: dict = {}
    for block in re.findall(r'<div class="section"><h2>(.*?)</div>', sitemap, re.S):
        title = re.sub("<[^>]+>", "", block.split("</h2>")[0]).strip()
        for href in re.findall(r'href="([^"#]+)', block.split("</h2>", 1)[1]):
            if title in owner:
                seen.setdefault(f"{base}/manual/en/{href}", set()).add(owner[title])
    truth = {u: next(iter(t)) for u, t in seen.items() if len(t) == 1}
    tasks = [{"id": task, "name": name, "description": desc, "keywords": kw,
              "examples": [f"{base}/manual/en/{e}" for e in ex]} for _, task, name, desc, kw, ex in APACHE_TASKS]
    return truth, tasks


APACHE = register(Site(
    name="apache", shape="folders per section, a module index", language="en",
    root=package_folder("/usr/share/doc/apache2-doc"), start="/manual/en/index.html", include=r"/manual/en/",
    truth_and_tasks=apache_truth, package="apache2-doc"), opaque=True)


# --- debian-handbook: the book's table of contents -------------------------------------------------

HANDBOOK_TASKS = [  # chapter page -> (task id, name, description, keywords, two section pages as examples)
    ("packaging-system.html", "dpkg", "Understand and handle .deb packages",
     "Inspect, install and remove .deb packages with dpkg and understand their structure",
     ["dpkg", "package", ".deb", "control file"],
     ["sect.manipulating-packages-with-dpkg.html", "sect.package-meta-information.html"]),
    ("apt.html", "apt", "Install and upgrade software with APT",
     "Keep the system up to date and install software with apt, apt-get and aptitude",
     ["apt", "upgrade", "sources.list", "aptitude"], ["sect.apt-get.html", "sect.regular-upgrades.html"]),
    ("basic-configuration.html", "basic-config", "Configure network, accounts and printing",
     "Basic system configuration: network, host name, user accounts, locale, printing, boot loader",
     ["network", "user account", "locale", "printer"], ["sect.network-config.html", "sect.creating-accounts.html"]),
    ("unix-services.html", "unix-services", "Manage system services",
     "Run and manage the system's services: boot, remote login, rights, logs, scheduled tasks, backups",
     ["systemd", "ssh", "cron", "syslog"], ["sect.remote-login.html", "sect.syslog.html"]),
    ("network-infrastructure.html", "network-infra", "Build the network infrastructure",
     "Certificates, VPN, routing, IPv6, DNS and DHCP for the network", ["vpn", "dns", "dhcp", "routing"],
     ["sect.virtual-private-network.html", "sect.dhcp.html"]),
    ("network-services.html", "network-services", "Run network services",
     "Set up mail, web, file sharing, proxy and directory servers", ["postfix", "apache", "samba", "nfs", "ldap"],
     ["sect.http-web-server.html", "sect.windows-file-server-with-samba.html"]),
    ("workstation.html", "workstation", "Set up a desktop workstation",
     "Graphical desktop, office and web tools, and emulation on a workstation", ["desktop", "gnome", "browser", "office"],
     ["sect.graphical-desktops.html", "sect.web-browsers.html"]),
    ("security.html", "security", "Secure a system",
     "Firewall, monitoring, AppArmor, SELinux and dealing with a compromised machine",
     ["firewall", "security", "apparmor", "selinux"], ["sect.firewall-packet-filtering.html", "sect.apparmor.html"]),
]


def handbook_truth(base: str, root: Path) -> tuple[dict, list]:
    """Ground truth from the book's table of contents: every page belongs to the chapter whose entry
    precedes it; chapters that are not tasks are none."""
    toc = (root / "en-US" / "index.html").read_text(encoding="utf-8")
    toc = toc[toc.find('class="toc"'):]
    owner = {chapter: task for chapter, task, *_ in HANDBOOK_TASKS}
    truth, current = {}, None
    for kind, href in re.findall(r'<span class="(chapter|preface|appendix|section)"><a href="([^"]+)"', toc):
        page = href.split("#")[0]
        if kind != "section":
            current = owner.get(page, "none")
        truth.setdefault(f"{base}/en-US/{page}", current)
    tasks = [{"id": task, "name": name, "description": desc, "keywords": kw,
              "examples": [f"{base}/en-US/{e}" for e in ex]} for _, task, name, desc, kw, ex in HANDBOOK_TASKS]
    return truth, tasks


HANDBOOK = register(Site(
    name="handbook", shape="one flat folder, a table of contents of chapters", language="en",
    root=package_folder("/usr/share/doc/debian-handbook/html"), start="/en-US/index.html", include=r"/en-US/",
    truth_and_tasks=handbook_truth, package="debian-handbook"), opaque=True)


# --- git-doc: the headings of git(1) ---------------------------------------------------------------

GIT_TASKS = [  # sections of git.html -> (task id, name, description, keywords, examples)
    (("Main porcelain commands", "Reset, restore and revert"), "use-git", "Use Git day to day",
     "Everyday commands to record changes, branch, merge, share and look at history",
     ["commit", "branch", "merge", "push", "pull"], ["git-commit.html", "git-branch.html"]),
    (("Ancillary Commands",), "maintain", "Configure and look after a repository",
     "Configure Git, inspect and clean up a repository, and repair or rewrite its history",
     ["config", "reflog", "fsck", "blame"], ["git-config.html", "git-fsck.html"]),
    (("Interacting with Others",), "other-systems", "Work with other systems and by e-mail",
     "Exchange changes with Subversion, CVS, Perforce, and send patches by e-mail",
     ["svn", "cvs", "p4", "email", "patch"], ["git-svn.html", "git-send-email.html"]),
    (("Low-level commands (plumbing)", "Manipulation commands", "Interrogation commands", "Syncing repositories",
      "Internal helper commands"), "plumbing", "Script Git with low-level commands",
     "Plumbing commands that read and write objects, the index and refs, for scripts",
     ["plumbing", "object", "index", "tree", "ref"], ["git-cat-file.html", "git-update-index.html"]),
    (("Guides",), "guides", "Learn Git",
     "Tutorials and guides to Git's concepts, workflows and vocabulary",
     ["tutorial", "workflow", "glossary"], ["gittutorial.html", "gitworkflows.html"]),
    (("Repository, command and file interfaces",), "repo-files", "Set up a repository's special files",
     "Ignore files, attributes, hooks, submodules and the layout of a repository",
     ["gitignore", "attributes", "hooks", "submodules"], ["gitignore.html", "githooks.html"]),
    (("File formats, protocols and other developer interfaces",), "formats", "Look up file formats and protocols",
     "The on-disk formats and the network protocols Git uses", ["format", "protocol", "pack", "capabilities"],
     ["gitformat-pack.html", "gitprotocol-http.html"]),
]


def git_truth(base: str, root: Path) -> tuple[dict, list]:
    """Ground truth from git(1)'s own list of commands and guides: every page belongs to the section
    that lists it; the how-tos and the API documents (each listed by its own index page) are none."""
    page = (root / "git.html").read_text(encoding="utf-8")
    owner = {section: task for sections, task, *_ in GIT_TASKS for section in sections}
    seen: dict = {}
    parts = re.split(r'<h[23] id="[^"]+">([^<]*)', page)
    for title, body in zip(parts[1::2], parts[2::2]):
        if title.strip() in owner:
            for href in re.findall(r'href="([^"#:]+\.html)', body):
                seen.setdefault(f"{base}/{href}", set()).add(owner[title.strip()])
    for index, folder in (("howto-index.html", ""), ("technical/api-index.html", "technical/")):
        for href in re.findall(r'href="([^"#:]+\.html)', (root / index).read_text(encoding="utf-8")):
            seen.setdefault(f"{base}/{folder}{href}", set()).add("none")
    truth = {u: next(iter(t)) for u, t in seen.items() if len(t) == 1}
    tasks = [{"id": task, "name": name, "description": desc, "keywords": kw,
              "examples": [f"{base}/{e}" for e in ex]} for _, task, name, desc, kw, ex in GIT_TASKS]
    return truth, tasks


GIT = register(Site(
    name="git", shape="one flat folder of man pages, git(1) lists them under headings", language="en",
    root=package_folder("/usr/share/doc/git-doc"), start="/index.html", include=r"/",
    truth_and_tasks=git_truth, package="git-doc"))


# --- postgresql-doc-15: parts and chapters of the index, sections from each chapter's page ---------

POSTGRES_TASKS = [  # (TOC entries: parts, chapters) -> task id, name, description, keywords, examples
    (("tutorial.html",), "get-started", "Get started with PostgreSQL",
     "A first tour: create a database, then tables, queries, joins, views and transactions",
     ["tutorial", "getting started", "first database"], ["tutorial-createdb.html", "tutorial-join.html"]),
    (("sql-syntax.html", "ddl.html", "dml.html", "queries.html", "datatype.html", "functions.html", "typeconv.html",
      "textsearch.html", "mvcc.html"), "write-sql", "Write SQL",
     "Define tables and write queries: syntax, data types, functions and operators, full text search, transactions",
     ["sql", "select", "data type", "function", "table"], ["ddl-constraints.html", "functions-json.html"]),
    (("reference.html",), "reference", "Look up a command",
     "The syntax of every SQL command and of the client and server programs",
     ["syntax", "command", "create table", "psql", "pg_dump"], ["sql-createtable.html", "app-psql.html"]),
    (("install-binaries.html", "installation.html", "install-windows.html", "runtime.html"), "install",
     "Install and start the server",
     "Install PostgreSQL from packages or source, create a cluster, start and upgrade it",
     ["install", "initdb", "start server", "upgrade"], ["install-procedure.html", "server-start.html"]),
    (("runtime-config.html", "client-authentication.html", "user-manag.html", "managing-databases.html"),
     "configure", "Configure the server and access to it",
     "Server settings, client authentication (pg_hba.conf), roles and privileges, databases",
     ["postgresql.conf", "pg_hba.conf", "role", "authentication"],
     ["runtime-config-connection.html", "auth-pg-hba-conf.html"]),
    (("backup.html", "high-availability.html", "logical-replication.html"), "backup-replication",
     "Back up and replicate data", "Dump and restore, continuous archiving, standby servers and logical replication",
     ["backup", "restore", "replication", "standby"], ["backup-dump.html", "warm-standby.html"]),
    (("indexes.html", "performance-tips.html", "parallel-query.html", "maintenance.html", "monitoring.html",
      "diskusage.html", "jit.html"), "performance", "Monitor and tune performance",
     "Indexes, EXPLAIN, parallel query, vacuuming and statistics to keep the database fast",
     ["performance", "index", "explain", "vacuum", "statistics"], ["using-explain.html", "monitoring-stats.html"]),
    (("extend.html", "triggers.html", "event-triggers.html", "xplang.html", "plpgsql.html", "pltcl.html",
      "plperl.html", "plpython.html"), "server-functions", "Write functions and triggers",
     "Write functions, procedures and triggers in SQL, PL/pgSQL, C and other procedural languages",
     ["function", "pl/pgsql", "trigger", "procedure"], ["plpgsql-control-structures.html", "trigger-definition.html"]),
    (("libpq.html", "largeobjects.html", "ecpg.html"), "client-apps", "Connect from an application",
     "Use the C client library libpq, large objects and embedded SQL (ECPG) in programs",
     ["libpq", "connection", "ecpg", "client library"], ["libpq-connect.html", "libpq-exec.html"]),
]
CHAPTER_KINDS = {"preface", "chapter", "appendix", "reference", "bibliography", "index", "glossary"}


def postgres_truth(base: str, root: Path) -> tuple[dict, list]:
    """Ground truth from the table of contents: index.html lists parts and chapters, each chapter's
    page lists its sections; a page belongs to the task of its chapter (or part). The home page and the
    parts that mix tasks are left out."""
    entries = docbook_toc(root / "index.html")

    def graft(entry):
        if entry.kind in CHAPTER_KINDS and (root / entry.page).is_file():
            entry.children = docbook_toc(root / entry.page) or entry.children
        for child in entry.children:
            graft(child)

    for entry in entries:
        graft(entry)
    owner = {href: task for hrefs, task, *_ in POSTGRES_TASKS for href in hrefs}
    truth = toc_truth(base, entries, owner)
    truth.setdefault(f"{base}/legalnotice.html", "none")  # linked from the home page only
    return truth, _tasks(base, [row[1:] for row in POSTGRES_TASKS])


POSTGRES = register(Site(
    name="postgres", shape="one flat folder, parts, chapters and sections (Prev/Up/Next in every page)",
    language="en", root=package_folder("/usr/share/doc/postgresql-doc-15/html"), start="/index.html",
    include=r"/", truth_and_tasks=postgres_truth, package="postgresql-doc-15"), opaque=True)


# --- gimp-help-ro, -ru, -el, -zh-cn, -ja: one DocBook manual in five languages ---------------------

GIMP_ENTRIES = {  # task id -> the TOC entries (parts, chapters, sections of the Menus chapter) it covers
    "get-started": ("getting-started.html",),
    "open-export": ("gimp-images-in.html", "gimp-images-out.html", "gimp-file-menu.html"),
    "paint": ("gimp-painting.html",),
    "layers": ("gimp-image-combining.html", "gimp-layer-menu.html"),
    "colors": ("gimp-imaging-photos.html", "gimp-imaging-color-management.html", "gimp-colors-menu.html"),
    "tools": ("gimp-tools.html",),
    "filters": ("filters.html", "gimp-filters-menu.html"),
    "scripting": ("gimp-scripting.html",),
}
GIMP_EXAMPLES = {  # two ordinary pages per task, the same files in every language
    "get-started": ["gimp-concepts-main-windows.html", "gimp-concepts-undo.html"],
    "open-export": ["gimp-using-fileformats-opening.html", "gimp-file-open.html"],
    "paint": ["gimp-using-selections.html", "gimp-using-paths.html"],
    "layers": ["gimp-using-layers.html", "gimp-layer-mask-add.html"],
    "colors": ["gimp-tool-levels.html", "gimp-tool-curves.html"],
    "tools": ["gimp-tool-rect-select.html", "gimp-tool-clone.html"],
    "filters": ["gimp-filter-gaussian-blur.html", "gimp-filter-unsharp-mask.html"],
    "scripting": ["gimp-concepts-script-fu.html", "gimp-using-script-fu-tutorial.html"],
}
GIMP_WORDS = {  # language -> task id -> (name, description, keywords)
    "ro": {
        "get-started": ("Primii pași cu GIMP",
                        "Pornește GIMP, cunoaște ferestrele principale și rezolvă problemele când te blochezi",
                        ["primii pași", "ferestre", "interfață", "pornire"]),
        "open-export": ("Deschide și exportă imagini",
                        "Deschide fișiere, salvează-le, exportă-le în alte formate și pregătește imagini pentru web",
                        ["deschidere", "export", "salvare", "format de fișier"]),
        "paint": ("Pictează și selectează",
                  "Desenează cu pensula, creează selecții, căi și forme simple",
                  ["pensulă", "selecție", "cale", "desen"]),
        "layers": ("Lucrează cu straturi",
                   "Combină imagini cu straturi, măști și moduri de strat",
                   ["strat", "mască", "mod de strat", "transparență"]),
        "colors": ("Corectează culorile și fotografiile",
                   "Ajustează culorile, nivelurile și curbele, îmbunătățește fotografii și gestionează culorile",
                   ["culori", "niveluri", "curbe", "fotografie"]),
        "tools": ("Folosește instrumentele",
                  "Ce face fiecare instrument: de selecție, de pictură, de transformare și celelalte",
                  ["instrument", "trusa de instrumente", "opțiuni"]),
        "filters": ("Aplică filtre",
                    "Aplică neclaritate, deformează, luminează sau randează imaginea cu filtre",
                    ["filtru", "neclaritate", "efect", "zgomot"]),
        "scripting": ("Automatizează cu scripturi",
                      "Folosește și scrie scripturi Script-Fu și module",
                      ["script-fu", "script", "modul", "automatizare"]),
    },
    "ru": {
        "get-started": ("Начало работы с GIMP",
                        "Запустить GIMP, познакомиться с главными окнами и справиться с проблемами",
                        ["начало работы", "окна", "интерфейс", "запуск"]),
        "open-export": ("Открыть и экспортировать изображения",
                        "Открывать файлы, сохранять и экспортировать их в другие форматы, "
                        "готовить изображения для веба",
                        ["открыть", "экспорт", "сохранить", "формат файла"]),
        "paint": ("Рисовать и выделять",
                  "Рисовать кистью, создавать выделения, контуры и простые фигуры",
                  ["кисть", "выделение", "контур", "рисование"]),
        "layers": ("Работать со слоями",
                   "Совмещать изображения с помощью слоёв, масок и режимов наложения",
                   ["слой", "маска", "режим слоя", "прозрачность"]),
        "colors": ("Исправить цвета и фотографии",
                   "Настроить цвета, уровни и кривые, улучшить фотографии и управлять цветом",
                   ["цвет", "уровни", "кривые", "фотография"]),
        "tools": ("Пользоваться инструментами",
                  "Что делает каждый инструмент: выделения, рисования, преобразования и другие",
                  ["инструмент", "панель инструментов", "параметры инструмента"]),
        "filters": ("Применить фильтры",
                    "Размыть, исказить, осветить изображение или создать узор с помощью фильтров",
                    ["фильтр", "размывание", "эффект", "шум"]),
        "scripting": ("Автоматизировать сценариями",
                      "Пользоваться сценариями Script-Fu и расширениями и писать свои",
                      ["script-fu", "скрипт", "сценарий", "расширение"]),
    },
    "el": {
        "get-started": ("Ξεκινώντας με το GIMP",
                        "Εκκίνηση του GIMP, γνωριμία με τα κύρια παράθυρα και λύσεις όταν κολλήσετε",
                        ["ξεκίνημα", "παράθυρα", "διεπαφή", "εκκίνηση"]),
        "open-export": ("Άνοιγμα και εξαγωγή εικόνων",
                        "Άνοιγμα αρχείων, αποθήκευση και εξαγωγή σε άλλες μορφές, προετοιμασία εικόνων για τον ιστό",
                        ["άνοιγμα", "εξαγωγή", "αποθήκευση", "μορφή αρχείου"]),
        "paint": ("Ζωγραφική και επιλογές",
                  "Ζωγραφική με πινέλο, δημιουργία επιλογών, μονοπατιών και απλών σχημάτων",
                  ["πινέλο", "επιλογή", "μονοπάτι", "ζωγραφική"]),
        "layers": ("Εργασία με στρώσεις",
                   "Συνδυασμός εικόνων με στρώσεις, μάσκες και καταστάσεις στρώσεων",
                   ["στρώση", "μάσκα", "κατάσταση στρώσης", "διαφάνεια"]),
        "colors": ("Διόρθωση χρωμάτων και φωτογραφιών",
                   "Ρύθμιση χρωμάτων, σταθμών και καμπυλών, βελτίωση φωτογραφιών και διαχείριση χρώματος",
                   ["χρώματα", "στάθμες", "καμπύλες", "φωτογραφία"]),
        "tools": ("Χρήση των εργαλείων",
                  "Τι κάνει κάθε εργαλείο: επιλογής, ζωγραφικής, μετασχηματισμού και τα υπόλοιπα",
                  ["εργαλείο", "εργαλειοθήκη", "επιλογές εργαλείου"]),
        "filters": ("Εφαρμογή φίλτρων",
                    "Θόλωση, παραμόρφωση, φωτισμός ή απόδοση της εικόνας με φίλτρα",
                    ["φίλτρο", "θόλωση", "εφέ", "θόρυβος"]),
        "scripting": ("Αυτοματοποίηση με σενάρια",
                      "Χρήση και συγγραφή σεναρίων Script-Fu και πρόσθετων",
                      ["script-fu", "σενάριο", "πρόσθετο", "αυτοματοποίηση"]),
    },
    "zh": {
        "get-started": ("开始使用 GIMP",
                        "启动 GIMP，熟悉主窗口和撤销操作，遇到问题时找到解决办法",
                        ["开始使用", "主窗口", "启动", "撤销"]),
        "open-export": ("打开和导出图像",
                        "打开文件，保存并导出为其他文件格式，制作网络用途的图片",
                        ["打开", "导出", "保存", "文件格式"]),
        "paint": ("绘画和创建选区",
                  "用画笔绘画，创建和使用选区与路径，绘制简单图形",
                  ["画笔", "选区", "路径", "绘画"]),
        "layers": ("使用图层",
                   "用图层、图层蒙版和图层模式合并图像",
                   ["图层", "蒙版", "图层模式", "透明"]),
        "colors": ("调整颜色，改善照片",
                   "用色阶和曲线调整颜色，改善照片，进行色彩管理",
                   ["颜色", "色阶", "曲线", "照片", "色彩管理"]),
        "tools": ("使用工具",
                  "每个工具的作用：选择工具、绘画工具、变换工具和其他工具",
                  ["工具", "工具箱", "工具选项"]),
        "filters": ("应用滤镜",
                    "用模糊、扭曲、光照和阴影、渲染等滤镜处理图像",
                    ["滤镜", "模糊", "扭曲", "噪音"]),
        "scripting": ("用脚本自动处理",
                      "使用和编写 Script-Fu 脚本与插件",
                      ["script-fu", "脚本", "插件", "自动化"]),
    },
    "ja": {
        "get-started": ("GIMP を使い始める",
                        "GIMP を起動し、主なウィンドウと取り消しの使い方を覚え、困ったときの対処法を知る",
                        ["はじめに", "主なウィンドウ", "起動", "取り消し"]),
        "open-export": ("画像を開く・エクスポートする",
                        "ファイルを開き、保存して別のファイル形式にエクスポートし、ウェブ用の画像を作成する",
                        ["開く", "エクスポート", "保存", "ファイル形式"]),
        "paint": ("描画と選択範囲",
                  "ブラシで描画し、選択範囲やパスを作成して、単純な図形を描く",
                  ["ブラシ", "選択範囲", "パス", "描画"]),
        "layers": ("レイヤーを使う",
                   "レイヤー、レイヤーマスク、レイヤーモードで画像を組み合わせる",
                   ["レイヤー", "レイヤーマスク", "レイヤーモード", "透明"]),
        "colors": ("色の調整と写真の補正",
                   "レベルやトーンカーブで色を調整し、写真を補正し、色管理を行う",
                   ["色", "レベル", "トーンカーブ", "写真の補正", "色管理"]),
        "tools": ("ツールを使う",
                  "各ツールの働き：選択ツール、描画ツール、変形ツールなど",
                  ["ツール", "ツールボックス", "ツールオプション"]),
        "filters": ("フィルターをかける",
                    "ぼかし、変形、照明と投影、下塗りなどのフィルターで画像を加工する",
                    ["フィルター", "ぼかし", "ノイズ", "効果"]),
        "scripting": ("スクリプトで自動化する",
                      "Script-Fu スクリプトやプラグインを使い、自分で書く",
                      ["script-fu", "スクリプト", "プラグイン", "自動化"]),
    },
}


def gimp_truth(language: str):
    """``truth_and_tasks`` of the GIMP manual in ``language``: the index holds the whole table of
    contents; a page belongs to the task of its chapter, or of its section of the Menus chapter."""

    def truth_and_tasks(base: str, root: Path) -> tuple[dict, list]:
        owner = {href: task for task, hrefs in GIMP_ENTRIES.items() for href in hrefs}
        truth = toc_truth(base, docbook_toc(root / "index.html"), owner)
        words = GIMP_WORDS[language]
        return truth, _tasks(base, [(task, *words[task], GIMP_EXAMPLES[task]) for task in GIMP_ENTRIES])

    truth_and_tasks.__name__ = f"gimp_truth_{language}"
    return truth_and_tasks


GIMP_FOLDERS = {"zh": ("zh_CN", "gimp-help-zh-cn")}  # language -> (help folder, package) where not the code
GIMP_NOTES = {"ro": "about two pages in three still in English",
              "zh": "hardly translated: 3 pages in 100 are in Chinese, the rest English",
              "ja": "about one page in four still in English"}
GIMP = {language: register(Site(
    name=f"gimp-{language}", shape="one flat folder, a DocBook table of contents of parts, chapters and sections",
    language=language,
    root=package_folder(f"/usr/share/gimp/2.0/help/{GIMP_FOLDERS.get(language, (language,))[0]}"),
    start="/index.html", include=r"/", truth_and_tasks=gimp_truth(language),
    package=GIMP_FOLDERS.get(language, (None, f"gimp-help-{language}"))[1], notes=GIMP_NOTES.get(language, "")),
    opaque=language == "ru") for language in ("ro", "ru", "el", "ja")}


# --- debian-faq-zh-cn: the Debian FAQ in Chinese, a page per chapter --------------------------------

FAQ_ZH_TASKS = [  # (chapter pages) -> task id, name, description, keywords, examples
    (("getting-debian.zh-cn.html", "choosing.zh-cn.html", "compatibility.zh-cn.html"), "install",
     "获取和安装 Debian", "下载 Debian、选择合适的发布版本并了解硬件和软件兼容性",
     ["安装", "下载", "发布版本", "兼容性"], ["getting-debian.zh-cn.html", "choosing.zh-cn.html"]),
    (("ftparchives.zh-cn.html", "pkg-basics.zh-cn.html", "pkgtools.zh-cn.html"), "packages",
     "管理软件包", "了解 Debian 软件包和档案库，用 dpkg、apt 等工具安装和删除软件",
     ["软件包", "dpkg", "apt", "档案库"], ["pkg-basics.zh-cn.html", "pkgtools.zh-cn.html"]),
    (("uptodate.zh-cn.html", "kernel.zh-cn.html", "customizing.zh-cn.html"), "maintain",
     "升级和定制系统", "让系统保持最新，编译和更换内核，按需要定制系统",
     ["升级", "内核", "定制", "配置"], ["uptodate.zh-cn.html", "customizing.zh-cn.html"]),
    (("support.zh-cn.html", "contributing.zh-cn.html", "redistributing.zh-cn.html"), "community",
     "获得支持和参与 Debian", "在哪里求助、如何报告错误、怎样为 Debian 作出贡献或重新分发它",
     ["支持", "邮件列表", "错误报告", "贡献"], ["support.zh-cn.html", "contributing.zh-cn.html"]),
]


def faq_zh_truth(base: str, root: Path) -> tuple[dict, list]:
    """Ground truth from the FAQ's table of contents: every chapter is one page, grouped into tasks;
    the other chapters (definitions, available software, the next release, about the FAQ) are none."""
    owner = {href: task for hrefs, task, *_ in FAQ_ZH_TASKS for href in hrefs}
    truth = toc_truth(base, docbook_toc(root / "index.zh-cn.html"), owner)
    return truth, _tasks(base, [row[1:] for row in FAQ_ZH_TASKS])


FAQ_ZH = register(Site(
    name="faq-zh", shape="a handful of long pages, one per chapter", language="zh",
    root=package_folder("/usr/share/doc/debian/FAQ/zh-cn"), start="/index.zh-cn.html", include=r"/",
    truth_and_tasks=faq_zh_truth, package="debian-faq-zh-cn", notes="16 pages: few left to score"))


# --- python3-doc: Sphinx, a folder per part, the library split by its own chapters ------------------

PYTHON_TASKS = [  # (toctree entries: parts, library chapters) -> task id, name, description, keywords, examples
    (("tutorial/index.html",), "learn", "Learn Python",
     "The tutorial: a first tour of the language, from numbers and lists to classes and modules",
     ["tutorial", "introduction", "beginner"], ["tutorial/controlflow.html", "tutorial/datastructures.html"]),
    (("using/index.html", "installing/index.html"), "setup", "Install and run Python",
     "Install Python on your system, run the interpreter and install packages with pip",
     ["install", "command line", "environment variables", "pip"], ["using/cmdline.html", "using/windows.html"]),
    (("reference/index.html",), "language", "Look up the language's rules",
     "The language reference: syntax and semantics of expressions, statements, the data model and imports",
     ["syntax", "grammar", "data model", "statement"], ["reference/datamodel.html", "reference/expressions.html"]),
    (("howto/index.html",), "howto", "Follow a HOWTO",
     "In-depth guides to one topic each: logging, regular expressions, sorting, descriptors, sockets",
     ["howto", "guide"], ["howto/logging.html", "howto/regex.html"]),
    (("extending/index.html", "c-api/index.html"), "c-api", "Extend Python in C",
     "Write extension modules in C or C++, embed the interpreter, and the Python/C API reference",
     ["c api", "extension module", "embedding", "reference count"],
     ["extending/extending.html", "c-api/refcounting.html"]),
    (("library/intro.html", "library/functions.html", "library/constants.html", "library/stdtypes.html",
      "library/exceptions.html", "library/text.html", "library/binary.html", "library/datatypes.html",
      "library/numeric.html", "library/functional.html"), "data", "Work with built-in types, text and data",
     "Built-in functions and types, strings and regular expressions, collections, dates, numbers and itertools",
     ["built-in", "string", "list", "dict", "datetime"], ["library/stdtypes.html", "library/collections.html"]),
    (("library/filesys.html", "library/persistence.html", "library/archiving.html", "library/fileformats.html"),
     "files", "Read and write files",
     "Paths and directories, data persistence, compression and archives, CSV and config files",
     ["file", "path", "csv", "zip", "sqlite"], ["library/pathlib.html", "library/csv.html"]),
    (("library/allos.html", "library/concurrency.html"), "system", "Talk to the OS and run tasks concurrently",
     "Operating system services, logging, command-line arguments, threads, processes and subprocesses",
     ["os", "logging", "argparse", "threading", "subprocess"], ["library/os.html", "library/threading.html"]),
    (("library/ipc.html", "library/netdata.html", "library/markup.html", "library/internet.html"), "network",
     "Program for the network and the web", "Sockets and asyncio, e-mail and JSON, HTML and XML, HTTP and URLs",
     ["asyncio", "socket", "json", "http", "urllib"], ["library/asyncio.html", "library/urllib.request.html"]),
]


def python_truth(base: str, root: Path) -> tuple[dict, list]:
    """Ground truth from the nested toctree of contents.html: a page belongs to the task of its part
    (tutorial/, using/, ...) or, in the library, of its chapter (library/filesys.html lists pathlib ...);
    the library's other chapters, what's new, the FAQ and the back matter are none; the library's own
    index, which lists every chapter, is left out."""
    owner = {href: task for hrefs, task, *_ in PYTHON_TASKS for href in hrefs}
    truth = toc_truth(base, toctree(root / "contents.html"), owner)
    truth.setdefault(f"{base}/download.html", "none")  # linked from the home page only
    # Debian ships whatsnew/changelog.html compressed: the server cannot serve it
    truth = {url: task for url, task in truth.items() if (root / url[len(base) + 1:]).is_file()}
    return truth, _tasks(base, [row[1:] for row in PYTHON_TASKS])


PYTHON = register(Site(
    name="python", shape="a folder per part, the library's modules under chapters", language="en",
    root=package_folder("/usr/share/doc/python3-doc/html"), start="/index.html",
    include=r"^https?://[^/]+/(?!genindex|search\.html|py-modindex\.html|_sources/|_downloads/|_static/|_images/)",
    truth_and_tasks=python_truth, package="python3-doc"))


# --- libreoffice-help-zh-cn: the Calc and Writer help in Chinese, truth from contents.js -------------

LO_SCOPE = ("zh-CN/text/scalc/", "zh-CN/text/swriter/")  # the folders crawled
LO_TASKS = [  # (contents.js entries: labels "#0806", menus, commands) -> task id, name, description, keywords, examples
    (("#0803", "#0813", "#0811"), "calc-formulas", "使用公式和函数",
     "在 Calc 中输入公式、引用单元格并用函数计算：函数向导、按类别的函数清单和运算符",
     ["公式", "函数", "引用", "函数向导", "计算"],
     ["scalc/guide/formula_enter.html", "scalc/guide/relativ_absolut_ref.html"]),
    (("#0805", "zh-CN/text/scalc/main0105.html"), "calc-format", "格式化电子表格",
     "设置单元格、行和列的格式：数字与货币格式、条件格式、自动格式、行高和列宽",
     ["格式化", "单元格", "条件格式", "数字格式", "自动格式"],
     ["scalc/guide/cellstyle_conditional.html", "scalc/guide/format_value.html"]),
    (("#0806", "#0808", "#08101", "zh-CN/text/scalc/01/12030000.html", "zh-CN/text/scalc/01/12040100.html",
      "zh-CN/text/scalc/01/12040000.html", "zh-CN/text/scalc/01/12010000.html", "zh-CN/text/scalc/01/12020000.html",
      "zh-CN/text/scalc/01/12100000.html", "zh-CN/text/scalc/01/12050000.html"), "calc-sort-filter", "排序和筛选数据",
     "对数据区域排序，应用自动筛选、标准筛选和高级筛选，定义数据库区域，做分类汇总",
     ["排序", "筛选", "自动筛选", "数据区域", "分类汇总"],
     ["scalc/guide/autofilter.html", "scalc/guide/database_sort.html"]),
    (("#0809", "#08091", "zh-CN/text/scalc/01/12090000.html"), "calc-pivot", "使用数据透视表",
     "创建、编辑、筛选和更新数据透视表与数据透视图，汇总和分析数据",
     ["数据透视表", "数据透视图", "汇总", "分析"],
     ["scalc/guide/datapilot_createtable.html", "scalc/guide/datapilot_filtertable.html"]),
    (("#0212", "zh-CN/text/swriter/main0105.html"), "writer-format", "格式化文本文档",
     "设置字符、段落和页面的格式：页面方向、分页符、页眉和页脚、文字环绕、上标和下标",
     ["格式化", "字符", "段落", "页面", "分页符"],
     ["swriter/guide/page_break.html", "swriter/guide/text_capital.html"]),
    (("#021201", "zh-CN/text/swriter/main0115.html"), "writer-styles", "使用模板与样式",
     "创建、应用和更新段落样式和页面样式，使用其他文档或模板中的样式，管理模板",
     ["样式", "模板", "页面样式", "模板管理器"],
     ["swriter/guide/load_styles.html", "swriter/guide/stylist_update.html"]),
    (("#0205", "zh-CN/text/swriter/main0110.html"), "writer-tables", "在文本文档中使用表格",
     "插入表格，调整行高和列宽，合并和拆分单元格，在新页面上重复表格标题",
     ["表格", "插入表格", "行", "列", "单元格"],
     ["swriter/guide/table_insert.html", "swriter/guide/table_sizing.html"]),
    (("#0208",), "writer-toc", "创建目录与索引",
     "创建和更新目录、字母顺序索引和参考文献，定义和格式化索引条目",
     ["目录", "索引", "参考文献", "索引条目"],
     ["swriter/guide/indices_toc.html", "swriter/guide/indices_index.html"]),
]
LO_GRAFTED = ("#080201", "#020201", "#0803")  # labels whose pages list pages the tree does not: the menus, functions
LO_HUBS = ("zh-CN/text/shared/guide/startcenter.html", "zh-CN/text/scalc/main0000.html",
           "zh-CN/text/swriter/main0000.html", "zh-CN/text/scalc/guide/main.html",
           "zh-CN/text/swriter/guide/main.html", "zh-CN/text/scalc/main0100.html", "zh-CN/text/swriter/main0100.html")


def lo_contents(path: Path) -> list:
    """The contents tree of a LibreOffice help (``contents.js`` writes it as nested ``ul``s): a label
    (``<label for="0806">``) is an :class:`Entry` with href ``#0806``; a page's entry has its path (the
    ``?DbPAR=`` query dropped)."""
    from lxml import html

    text = path.read_text(encoding="utf-8")
    text = text[text.index("innerHTML='") + len("innerHTML='"):text.rindex("';")]
    text = text.replace("\\\n", "\n").replace("\\'", "'")

    def entries(ul):
        out = []
        for li in ul.iterchildren("li"):
            label, link, sub = li.find("label"), li.find("a[@href]"), li.find("ul")
            if label is not None:
                entry = Entry("label", "#" + label.get("for"))
            elif link is not None:
                entry = Entry("page", link.get("href").split("?")[0])
            else:
                continue
            entry.children = entries(sub) if sub is not None else []
            out.append(entry)
        return out

    return [e for ul in html.fragment_fromstring(text, create_parent="div").iterchildren("ul") for e in entries(ul)]


def lo_listed(root: Path, page: str) -> list:
    """The pages of the crawled folders a help page links to in its text (its ``DisplayArea``)."""
    from lxml import html

    file = root / page
    if not file.is_file():
        return []
    area = html.parse(str(file)).getroot().xpath('//div[@id="DisplayArea"]')
    hrefs = [a.get("href").split("#")[0].split("?")[0] for a in area[0].iter("a") if a.get("href")] if area else []
    return list(dict.fromkeys(h for h in hrefs if h.startswith(LO_SCOPE) and (root / h).is_file()))


def libreoffice_truth(base: str, root: Path) -> tuple[dict, list]:
    """Ground truth from the help's contents tree (``zh-CN/contents.js``): a page belongs to the task of
    its innermost chosen entry (a label of the tree, a menu, a command). The tree lists the guides and the
    menus; the commands, dialogs and functions it does not list take their place from the menu page (and
    the command page under it) or the function list that lists them, two levels down. The other labels and
    menus are none; the home pages and the hubs listing several tasks are left out."""
    entries = lo_contents(root / "zh-CN" / "contents.js")
    in_tree: set = set()

    def collect(entry):
        in_tree.add(entry.page)
        for child in entry.children:
            collect(child)

    for entry in entries:
        collect(entry)

    def graft(entry, levels):
        if levels and entry.kind == "page" and not entry.children:
            entry.children = [Entry("page", h) for h in lo_listed(root, entry.page) if h not in in_tree]
            for child in entry.children:
                graft(child, levels - 1)

    def find(entry):
        if entry.href in LO_GRAFTED:
            for child in entry.children:
                graft(child, 2)
        for child in entry.children:
            find(child)

    for entry in entries:
        find(entry)
    owner = {href: task for hrefs, task, *_ in LO_TASKS for href in hrefs}
    truth = toc_truth(base, entries, owner)
    for page in ("", *LO_HUBS):  # "": the labels' own (empty) page
        truth.pop(f"{base}/{page}", None)
    truth = {url: task for url, task in truth.items() if url[len(base) + 1:].startswith(LO_SCOPE)}
    return truth, _tasks(f"{base}/zh-CN/text", [row[1:] for row in LO_TASKS])


LIBREOFFICE_ZH = register(Site(
    name="libreoffice-zh", shape="a folder per module (Calc, Writer), pages numbered by menu, a JS contents tree",
    language="zh", root=package_folder("/usr/share/libreoffice/help"),
    start="/zh-CN/text/shared/guide/startcenter.html",
    include=r"/zh-CN/text/(scalc|swriter)/|/zh-CN/text/shared/guide/startcenter\.html$",
    truth_and_tasks=libreoffice_truth, package="libreoffice-help-zh-cn",
    notes="85% of pages in Chinese, 7% still English; a quarter of the pages are in no tree and have no truth"))
