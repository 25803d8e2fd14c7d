#!/usr/bin/env bash
# Installs the Debian packages Gridmap needs (PostgreSQL 15 + PostGIS 3, GDAL, GEOS, PROJ, a
# Python 3.11 with venv, and a TrueType CJK font the printable reports embed: reports/fonts.py). Idempotent: when everything is present it only asks dpkg and exits, so a
# second `make run` pays nothing. As root it installs; otherwise it prints the exact command to run.
set -euo pipefail

packages=(
  postgresql-15 postgresql-15-postgis-3 postgresql-contrib
  gdal-bin libgdal32 libgeos-c1v5 libproj25 proj-data
  python3-venv ca-certificates
  fonts-wqy-microhei
)
# Extra packages a caller may ask for (the test set-up adds the headless browser).
if [ "$#" -gt 0 ]; then packages+=("$@"); fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

# python3-venv only matters when the interpreter we will use cannot make a venv by itself
# (pyenv and python.org builds can); skip it in that case rather than force an install.
if printf '%s\n' "${missing[@]}" | grep -qx python3-venv; then
  if "${PYTHON:-python3.11}" -m venv --help >/dev/null 2>&1; then
    missing=($(printf '%s\n' "${missing[@]}" | grep -vx python3-venv || true))
  fi
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Gridmap needs these Debian packages, which are not installed:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "==> installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent on a fresh image; refresh them once per day at most.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  apt-get update -qq
fi
# Debian's postgresql-common creates a default "main" cluster on install; Gridmap runs its own
# private cluster instead, so stop the package from creating one that would hold port 5432.
mkdir -p /etc/postgresql-common
if [ ! -f /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
  echo "create_main_cluster = false" >> /etc/postgresql-common/createcluster.conf
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "==> system packages installed"
