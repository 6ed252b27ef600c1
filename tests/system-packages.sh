#!/bin/sh
# System programs that some tests use, from Debian's packages:
#   LibreOffice (headless), to check that a real spreadsheet program opens the audit workbook;
#   PostgreSQL (server programs), for the history on a real PostgreSQL server;
#   Redis (redis-server), for crawls with workers sharing one frontier.
# Installed when missing and when run as root with apt-get; otherwise the note says which tests skip.
missing=""
command -v soffice >/dev/null 2>&1 || missing="$missing libreoffice-calc-nogui"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing from Debian's packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq $missing >/dev/null; then
        exit 0
    fi
    echo "note: apt-get could not install$missing; the tests that need it will be skipped" >&2
else
    echo "note:$missing not installed (needs root and apt-get); the tests that need it will be skipped" >&2
fi
exit 0
