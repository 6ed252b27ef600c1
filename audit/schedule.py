"""Periodic re-audits: a systemd user timer (Persistent, so a run missed while the machine was off
happens at the next start) or a crontab entry, each running ``longneck run CONFIG --dated --out ROOT``.

``--dated`` makes every run write a new folder ROOT/YYYY-MM-DD (never one that exists, so a reviewed
workbook is never overwritten) and hold ROOT/.longneck.lock while it runs, so two runs never overlap.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .runs import RunError

EVERY = {  # --every: (systemd OnCalendar, cron schedule at 06:00 on the first day)
    "quarter": ("quarterly", "0 6 1 1,4,7,10 *"),
    "month": ("monthly", "0 6 1 * *"),
    "week": ("weekly", "0 6 * * 1"),
}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "site"


def command(config: Path, root: Path) -> list[str]:
    return [sys.executable, "-m", "audit.cli", "run", str(config.resolve()), "--dated", "--out", str(root.resolve()), "-q"]


def systemd_units(site: str, config: Path, root: Path, every: str) -> dict[str, str]:
    name = f"longneck-{slug(site)}"
    exec_start = " ".join(shlex.quote(part) for part in command(config, root))
    service = (f"[Unit]\nDescription=longneck content audit of {site}\n\n[Service]\nType=oneshot\n"
               f"WorkingDirectory={root.resolve()}\nExecStart={exec_start}\n")
    timer = (f"[Unit]\nDescription=longneck content audit of {site}, every {every}\n\n[Timer]\n"
             f"OnCalendar={EVERY[every][0]}\nPersistent=true\nRandomizedDelaySec=1h\n\n"
             f"[Install]\nWantedBy=timers.target\n")
    return {f"{name}.service": service, f"{name}.timer": timer}


def cron_line(site: str, config: Path, root: Path, every: str) -> str:
    run = " ".join(shlex.quote(part) for part in command(config, root))
    return f"{EVERY[every][1]} {run} >> {shlex.quote(str(root.resolve() / 'longneck.log'))} 2>&1  # longneck:{slug(site)}"


def _systemd_available() -> bool:
    if shutil.which("systemctl") is None:
        return False
    proc = subprocess.run(["systemctl", "--user", "show-environment"], capture_output=True, text=True)
    return proc.returncode == 0


def install(site: str, config: Path, root: Path, every: str, cron: bool = False) -> str:
    """Install the timer (or, with ``cron`` or without a systemd user session, the crontab entry);
    returns what was done, in words."""
    root.mkdir(parents=True, exist_ok=True)
    if not cron and _systemd_available():
        folder = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "systemd" / "user"
        folder.mkdir(parents=True, exist_ok=True)
        units = systemd_units(site, config, root, every)
        for name, text in units.items():
            (folder / name).write_text(text, encoding="utf-8")
        timer = next(n for n in units if n.endswith(".timer"))
        for args in (["daemon-reload"], ["enable", "--now", timer]):
            proc = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True)
            if proc.returncode != 0:
                raise RunError(f"systemctl --user {' '.join(args)} failed: {proc.stderr.strip()}")
        return (f"installed the systemd user timer {folder / timer} (every {every}, Persistent). "
                f"Check it with: systemctl --user list-timers {timer}")
    if shutil.which("crontab") is None:
        raise RunError("neither a systemd user session nor crontab is available here; "
                       "use --print and install the timer or crontab line yourself")
    current = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    lines = current.stdout.splitlines() if current.returncode == 0 else []
    tag = f"# longneck:{slug(site)}"
    lines = [line for line in lines if not line.endswith(tag)] + [cron_line(site, config, root, every)]
    proc = subprocess.run(["crontab", "-"], input="\n".join(lines) + "\n", capture_output=True, text=True)
    if proc.returncode != 0:
        raise RunError(f"crontab failed: {proc.stderr.strip()}")
    return (f"installed a crontab entry (every {every} at 06:00; cron does not catch up on runs missed "
            f"while the machine was off). Check it with: crontab -l")


def dated_folder(root: Path) -> Path:
    """A new folder ROOT/YYYY-MM-DD (or -2, -3 ... when that day already has one)."""
    day = time.strftime("%Y-%m-%d")
    folder, n = root / day, 1
    while folder.exists():
        n += 1
        folder = root / f"{day}-{n}"
    return folder


@contextmanager
def run_lock(root: Path):
    """Hold ROOT/.longneck.lock for the duration; a second run fails at once with a clear message."""
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    path = root / ".longneck.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            raise RunError(f"another longneck run holds {path} ({fh.read().strip() or 'pid unknown'}); "
                           "not starting a second one") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
