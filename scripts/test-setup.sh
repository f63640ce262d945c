#!/usr/bin/env bash
# Run first by `npm test` and `npm run test:reliability` (their pre scripts): makes sure the
# real servers and the browser the tests run are installed. As root on Debian it installs
# the missing Debian packages and stops the services the packages start (the tests run their
# own servers on free loopback ports); otherwise it prints the one apt-get line to run and
# stops. Nothing happens when everything is there.
set -euo pipefail

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# package -> a file it provides, for machines without dpkg
declare -A PROVIDES=(
  [prosody]=/usr/bin/prosody
  [prosody-modules]=/usr/lib/prosody/modules/mod_privilege
  [lua-dbi-sqlite3]=/usr/lib/x86_64-linux-gnu/lua/5.4/dbd/sqlite3.so
  [ejabberd]=/usr/sbin/ejabberdctl
  [erlang-base]=/usr/bin/erlc
  [chromium]=/usr/bin/chromium
  [postgresql]=/usr/lib/postgresql
  [systemd]=/usr/bin/systemd-analyze
  [nginx]=/usr/sbin/nginx
  [caddy]=/usr/bin/caddy
  [logrotate]=/usr/sbin/logrotate
)
# systemd (systemd-analyze), nginx, caddy and logrotate check and run the files of deploy/.
# erlang-base (erlc) compiles ejabberd-module/mod_xmpp_invites.erl for the in-app tests;
# Debian's ejabberd depends on it already.
PACKAGES=(prosody prosody-modules lua-dbi-sqlite3 ejabberd erlang-base chromium postgresql systemd nginx caddy logrotate)

missing=()
for p in "${PACKAGES[@]}"; do
  if command -v dpkg-query >/dev/null 2>&1; then installed "$p" || missing+=("$p")
  else [ -e "${PROVIDES[$p]}" ] || missing+=("$p"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-setup: the tests need ${missing[*]}, which are not installed. Install them (Debian, as root) with:" >&2
  echo "  $line" >&2
  exit 1
fi

echo "test-setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian starts a package's service on install; the tests never use those. Only the services
# of packages installed just now are stopped, never ones an admin runs on purpose.
stop() { { systemctl stop "$@" || service "$1" stop; } >/dev/null 2>&1 || true; }
for p in "${missing[@]}"; do
  case "$p" in
    prosody) stop prosody ;;
    ejabberd)
      stop ejabberd
      # ejabberd's start also started epmd; the tests' nodes do not use it (ERL_DIST_PORT).
      { systemctl stop epmd.socket epmd.service || true; } >/dev/null 2>&1
      epmd -kill >/dev/null 2>&1 || true ;;
    postgresql) stop postgresql ;;
    nginx) stop nginx ;;
    caddy) stop caddy ;;
  esac
done
echo "test-setup: done" >&2
