"""Classifier accuracy on real documentation that no one here wrote, with ground truth from each
site's own table of contents.

    apt-get install apache2-doc debian-handbook git-doc   # once, as root
    .venv/bin/python benchmarks/classify_accuracy.py

For each set: serve it on 127.0.0.1, crawl it with `longneck crawl`, write the task config a site
owner would (names, one-line descriptions, a few keywords, two example URLs per task), take the
ground truth from the site's own table of contents (pages it lists under more than one section are
left out as ambiguous), and score with the tasks' example pages held out:
  1. with no labels beyond the examples;
  2. after one round of 25 labels taken from the top of the label queue (answered from the truth).
Prints macro-F1 over the tasks plus `none`, per-class figures and the confusion table.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.classify import classify_run, evaluate_run  # noqa: E402
from audit.runs import run_config  # noqa: E402
from audit.demo.server import SiteServer  # noqa: E402

APACHE = Path("/usr/share/doc/apache2-doc/manual")
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


def apache_truth(base: str) -> tuple[dict, list]:
    sitemap = (APACHE / "en" / "sitemap.html").read_text(encoding="utf-8", errors="replace")
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


HANDBOOK = Path("/usr/share/doc/debian-handbook/html")
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


def handbook_truth(base: str) -> tuple[dict, list]:
    """Ground truth from the book's table of contents: every page belongs to the chapter whose entry
    precedes it; chapters that are not tasks are none."""
    toc = (HANDBOOK / "en-US" / "index.html").read_text(encoding="utf-8")
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


GIT = Path("/usr/share/doc/git-doc")
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


def git_truth(base: str) -> tuple[dict, list]:
    """Ground truth from git(1)'s own list of commands and guides: every page belongs to the section
    that lists it; the how-tos and the API documents (each listed by its own index page) are none."""
    page = (GIT / "git.html").read_text(encoding="utf-8")
    owner = {section: task for sections, task, *_ in GIT_TASKS for section in sections}
    seen: dict = {}
    parts = re.split(r'<h[23] id="[^"]+">([^<]*)', page)
    for title, body in zip(parts[1::2], parts[2::2]):
        if title.strip() in owner:
            for href in re.findall(r'href="([^"#:]+\.html)', body):
                seen.setdefault(f"{base}/{href}", set()).add(owner[title.strip()])
    for index, folder in (("howto-index.html", ""), ("technical/api-index.html", "technical/")):
        for href in re.findall(r'href="([^"#:]+\.html)', (GIT / index).read_text(encoding="utf-8")):
            seen.setdefault(f"{base}/{folder}{href}", set()).add("none")
    truth = {u: next(iter(t)) for u, t in seen.items() if len(t) == 1}
    tasks = [{"id": task, "name": name, "description": desc, "keywords": kw,
              "examples": [f"{base}/{e}" for e in ex]} for _, task, name, desc, kw, ex in GIT_TASKS]
    return truth, tasks


def crawl(base: str, start: str, include: str, out: Path, tasks: list) -> Path:
    cfg = out / "bench.toml"
    lines = ["[site]", f"name = 'bench'", f"start_urls = [{json.dumps(start)}]", f"include = [{json.dumps(include)}]",
             "autothrottle = false", "concurrency = 8"]
    for t in tasks:
        lines += ["[[tasks]]", f"id = {json.dumps(t['id'])}", f"name = {json.dumps(t['name'])}",
                  f"description = {json.dumps(t['description'])}", f"keywords = {json.dumps(t['keywords'])}",
                  f"examples = {json.dumps(t['examples'])}"]
    cfg.write_text("\n".join(lines) + "\n")
    run = out / "run"
    subprocess.run([sys.executable, "-m", "audit.cli", "crawl", str(cfg), "--out", str(run), "-q"], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return run


def reliability(name: str, run: Path, truth: dict) -> list:
    """Calibration of the confidence: accuracy per confidence band, raw and calibrated, and the expected
    calibration error (ECE). Returns (raw confidence, right) pairs for --calibrate."""
    import numpy as np

    config = run_config(run)
    result, _, _ = classify_run(run, config, exclude=set(truth))
    examples = {u for t in config.tasks for u in t["examples"]}
    table = result.table[result.table["url"].isin(truth.keys() - examples)]
    right = (table["task"] == table["url"].map(truth)).to_numpy()
    edges = [0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]

    def ece(conf):
        bands = np.digitize(conf, edges[1:-1])
        return sum((bands == b).mean() * abs(right[bands == b].mean() - conf[bands == b].mean()) for b in np.unique(bands))

    print(f"\n== {name}: calibration ({len(table)} pages; ECE raw {ece(table['raw_confidence'].to_numpy()):.3f}, "
          f"calibrated {ece(table['confidence'].to_numpy()):.3f})")
    print("band        pages  right  mean calibrated confidence")
    bands = np.digitize(table["confidence"].to_numpy(), edges[1:-1])
    for b in np.unique(bands):
        mask = bands == b
        print(f"{edges[b]:.1f}-{min(edges[b + 1], 1):.1f}   {mask.sum():>6}  {right[mask].mean():.2f}   "
              f"{table['confidence'].to_numpy()[mask].mean():.2f}")
    return list(zip(table["raw_confidence"], right))


def fit_calibration(pairs_by_set: dict) -> None:
    """Platt scaling of the raw confidence, fitted on all sets, and each set predicted from the others."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    def fit(pairs):
        raw = np.clip(np.array([p for p, _ in pairs]), 1e-4, 1 - 1e-4)
        model = LogisticRegression(C=1e6).fit(np.log(raw / (1 - raw)).reshape(-1, 1), [ok for _, ok in pairs])
        return float(model.coef_[0][0]), float(model.intercept_[0])

    every = [p for pairs in pairs_by_set.values() for p in pairs]
    print(f"\nPlatt scaling fitted on all sets: CALIBRATION = ({fit(every)[0]:.2f}, {fit(every)[1]:.2f})")
    for name, own in pairs_by_set.items():
        others = [p for other, pairs in pairs_by_set.items() if other != name for p in pairs]
        if others:
            a, b = fit(others)
            raw = np.clip(np.array([p for p, _ in own]), 1e-4, 1 - 1e-4)
            right = np.array([ok for _, ok in own])
            calibrated = 1 / (1 + np.exp(-(a * np.log(raw / (1 - raw)) + b)))
            bands = np.digitize(calibrated, [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
            ece = sum((bands == k).mean() * abs(right[bands == k].mean() - calibrated[bands == k].mean())
                      for k in np.unique(bands))
            print(f"fitted without {name}: a={a:.2f} b={b:.2f}; ECE on {name} {ece:.3f}")


def score(name: str, run: Path, truth: dict) -> None:
    config = run_config(run)
    labels = run / "truth.csv"
    labels.write_text("url,task\n" + "".join(f"{u},{t}\n" for u, t in truth.items()))
    started = time.perf_counter()
    zero = evaluate_run(run, config, labels)
    seconds = time.perf_counter() - started
    print(f"\n== {name}: {zero['scored']} pages scored; no labels beyond the examples (evaluate took {seconds:.1f} s)")
    print(zero["per_class"].to_string(index=False))
    print(f"macro-F1 {zero['macro_f1']:.3f}  accuracy {zero['accuracy']:.3f}")
    print(zero["confusion"].to_string())
    # one round of 25 labels from the top of the label queue, answered from the truth
    _, queue, _ = classify_run(run, config, exclude=set(truth), queue_size=200)
    answered = {u: truth[u] for u in queue["url"] if u in truth}
    chosen = dict(list(answered.items())[:25])
    one = evaluate_run(run, config, labels, train_labels=chosen)
    print(f"\n== {name}: after {len(chosen)} labels from the label queue ({one['scored']} pages scored)")
    print(one["per_class"].to_string(index=False))
    print(f"macro-F1 {one['macro_f1']:.3f}  accuracy {one['accuracy']:.3f}")


SWEEP = {  # parameter: values tried by --sweep, one at a time around the defaults
    "popular": [0.02, 0.05, 0.1], "hub_support": [1.0, 2.0, 3.0], "hub_vote": [0.3, 0.5, 0.7],
    "hub_window": [2, 3, 5],
}


def sweep(runs: dict) -> None:
    """Macro-F1 (no labels / after 25 queue labels) on every set, with one parameter of the classifier
    changed at a time: how far the figures depend on the values chosen."""
    from sklearn.metrics import f1_score

    from audit.classify import TaskClassifier, build_pages, label_queue
    from audit.runs import iter_pages

    loaded = {name: (run_config(run), build_pages(iter_pages(run)), truth) for name, (run, truth) in runs.items()}

    def f1(result, truth, skip):
        pairs = [(truth[u], t) for u, t in zip(result.table["url"], result.table["task"]) if u in truth and u not in skip]
        y_true, y_pred = [a for a, _ in pairs], [b for _, b in pairs]
        return f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro", zero_division=0)  # as evaluate

    print(f"\n== sweep: macro-F1 no labels / after 25 labels ({', '.join(loaded)})")
    for name, values in SWEEP.items():
        for value in values:
            scores = []
            for config, pages, truth in loaded.values():
                classifier = TaskClassifier(config.tasks, threshold=config.classifier["threshold"], **{name: value})
                examples = {u for t in config.tasks for u in t["examples"]}
                zero = classifier.fit_predict(pages, {})
                queue = label_queue(zero, pages, 200)
                chosen = dict(list({u: truth[u] for u in queue["url"] if u in truth}.items())[:25])
                one = classifier.fit_predict(pages, chosen)
                scores.append((f1(zero, truth, examples), f1(one, truth, examples | set(chosen))))
            print(f"{name:>12} = {value:<5}  " + "  ".join(f"{a:.3f} / {b:.3f}" for a, b in scores)
                  + f"   lowest {min(a for a, _ in scores):.3f} / {min(b for _, b in scores):.3f}")


SETS = {  # name: (package, folder served, truth, start path, include, fixed port for --keep)
    "apache": ("apache2-doc", APACHE.parent, apache_truth, "/manual/en/index.html", r"/manual/en/", 8731),
    "handbook": ("debian-handbook", HANDBOOK, handbook_truth, "/en-US/index.html", r"/en-US/", 8732),
    "git": ("git-doc", GIT, git_truth, "/index.html", r"/", 8733),
}


def main():
    """``.venv/bin/python benchmarks/classify_accuracy.py [apache] [handbook] [git] [--keep DIR] [--calibrate]
    [--sweep]``; ``--keep DIR``: crawl into DIR once and re-use it on later runs (to iterate on the
    classifier); ``--calibrate``: fit the confidence calibration (Platt scaling) on the sets and print
    it; ``--sweep``: the figures with one parameter changed at a time."""
    keep = Path(sys.argv[sys.argv.index("--keep") + 1]) if "--keep" in sys.argv else None
    chosen = [a for a in sys.argv[1:] if a in SETS] or list(SETS)
    pairs: dict = {}
    runs: dict = {}  # the crawls stay until the end (in a temporary folder without --keep), for --sweep
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            package, served, truth_of, start, include, port = SETS[name]
            if not served.is_dir():
                print(f"{name}: {package} is not installed (apt-get install {package}); skipped")
                continue
            with SiteServer(served, port=port if keep else 0) as server:
                base = server.url
                truth, tasks = truth_of(base)
                folder = (keep or Path(tmp)) / name
                folder.mkdir(parents=True, exist_ok=True)
                run = folder / "run"
                if not (run / "crawl.json").exists():
                    run = crawl(base, f"{base}{start}", include, folder, tasks)
                score(f"{package}", run, truth)
                pairs[name] = reliability(package, run, truth)
                runs[name] = (run, truth)
        if "--calibrate" in sys.argv and pairs:
            fit_calibration(pairs)
        if "--sweep" in sys.argv and runs:
            sweep(runs)


if __name__ == "__main__":
    main()
