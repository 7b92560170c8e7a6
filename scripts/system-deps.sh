#!/bin/sh
# Debian packages emobox needs: espeak-ng (demo corpora); chromium (the browser the HTML
# report is tested in); with the argument "bench" also klettres-data (real speech clips for
# bench/extract.py). Installed when missing and root.
set -e
missing=""
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
if [ "$1" = "bench" ] && [ ! -d /usr/share/klettres ]; then
    missing="$missing klettres-data"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "emobox: missing system packages:$missing — install them (e.g. sudo apt-get install$missing) and rerun" >&2
    exit 1
fi
