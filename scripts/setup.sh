#!/usr/bin/env bash
# Install everything Soriloop needs, idempotently: Debian packages, uv, the locked Python
# dependencies in .venv, the npm front-end packages, compiled translations and the database schema.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_needed=()
command -v chromium >/dev/null 2>&1 || apt_needed+=(chromium)
command -v msgfmt >/dev/null 2>&1 || apt_needed+=(gettext)
command -v npm >/dev/null 2>&1 || apt_needed+=(npm)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || apt_needed+=(fonts-noto-cjk)
# Pango for WeasyPrint (PDF reports)
dpkg -s libpangoft2-1.0-0 >/dev/null 2>&1 || apt_needed+=(libpangoft2-1.0-0)
# HTTP load for the benches (bench/ingest.py, bench/surveys.py)
command -v wrk >/dev/null 2>&1 || apt_needed+=(wrk)
if [ ${#apt_needed[@]} -gt 0 ]; then
  say "Installing Debian packages: ${apt_needed[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_needed[@]}"
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if ! "$python" -m uv --version >/dev/null 2>&1; then
  say "Installing uv"
  "$python" -m pip install --quiet --user uv 2>/dev/null || "$python" -m pip install --quiet uv
fi
uv() { "$python" -m uv "$@"; }

if [ ! -x .venv/bin/python ]; then
  say "Creating .venv"
  uv venv --quiet --python 3.11 .venv
fi
say "Syncing Python packages from requirements.lock"
uv pip sync --quiet --python .venv/bin/python requirements.lock
uv pip install --quiet --python .venv/bin/python --no-deps -e .

# Front-end libraries (the chart library) from package-lock.json, served as static files.
if ! cmp -s package-lock.json node_modules/.soriloop-installed 2>/dev/null; then
  say "Installing front-end packages from package-lock.json"
  npm ci --omit=dev --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.soriloop-installed
fi

say "Compiling translations"
for po in locale/*/LC_MESSAGES/django.po; do
  msgfmt --check-format -o "${po%.po}.mo" "$po"
done

say "Migrating the database"
.venv/bin/soriloop manage migrate --no-input --verbosity 0
say "Ready. Start with: .venv/bin/soriloop serve --demo"
