#!/bin/sh
# Compiles mod_xmpp_invites.erl against the installed ejabberd and its XMPP library.
# Usage: build.sh [OUTDIR]   (default: this folder). Needs erlc (Debian: erlang-base).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
ejabberd_include=${EJABBERD_INCLUDE:-$(ls -d /usr/lib/*/ejabberd-*/include /usr/lib/ejabberd*/include /opt/ejabberd*/lib/ejabberd-*/include 2>/dev/null | head -n 1)}
xmpp_lib=${XMPP_LIB:-$(ls -d /usr/lib/erlang/lib/p1_xmpp-* /usr/lib/erlang/lib/xmpp-* /opt/ejabberd*/lib/xmpp-* 2>/dev/null | head -n 1)}
[ -n "$ejabberd_include" ] && [ -f "$ejabberd_include/logger.hrl" ] || { echo "ejabberd's headers not found; set EJABBERD_INCLUDE" >&2; exit 1; }
[ -n "$xmpp_lib" ] && [ -f "$xmpp_lib/include/xmpp.hrl" ] || { echo "the xmpp library's headers not found; set XMPP_LIB" >&2; exit 1; }
# include_lib("xmpp/include/xmpp.hrl") is searched in -I folders first: give it an "xmpp" folder.
libs=$(mktemp -d)
trap 'rm -rf "$libs"' EXIT
ln -s "$xmpp_lib" "$libs/xmpp"
mkdir -p "$out"
erlc -o "$out" -pa "$(dirname "$ejabberd_include")/ebin" -I "$ejabberd_include" -I "$libs" -I "$(dirname "$xmpp_lib")" "$here/mod_xmpp_invites.erl"
echo "$out/mod_xmpp_invites.beam"
