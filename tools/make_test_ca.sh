#!/usr/bin/env bash
# Makes a throwaway test CA and server certificates for local_site.py's HTTPS mode.
#
# Usage: tools/make_test_ca.sh DIR
#
# Writes into DIR (created if needed), EC P-256, no prompts:
#   ca.key ca.crt                  the test CA (give ca.crt to `shoal crawl --ca-file`)
#   server.key server.crt          valid for IP 127.0.0.1 and DNS localhost
#   expired.key expired.crt        same names, but expired (notAfter in the past)
#   wronghost.key wronghost.crt    valid, but only for IP 127.0.0.2 and DNS wrong.test
#   intermediate.key intermediate.crt   a CA signed by the test CA
#   chained.key chained.crt        as server.*, signed by the intermediate; chained.crt
#                                  holds the leaf, then the intermediate (the chain a
#                                  server sends)
# The other server certificates are signed by the CA itself. Idempotent: files
# that already exist are kept, so the CA and its certificates stay consistent.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

new_key() {
  [ -s "$1" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# The CA: self-signed, allowed to sign.
new_key ca.key
if [ ! -s ca.crt ]; then
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=shoal test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.crt 2>/dev/null
fi

# sign NAME SAN NOT_BEFORE NOT_AFTER [ISSUER]  (dates as YYYYMMDDHHMMSSZ; ISSUER
# defaults to ca; SAN "CA" makes a CA that may sign leaves only)
sign() {
  local name=$1 san=$2 not_before=$3 not_after=$4 issuer=${5:-ca}
  new_key "$name.key"
  [ -s "$name.crt" ] && return 0
  openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr" 2>/dev/null
  if [ "$san" = CA ]; then
    cat >"$name.ext" <<EOF
[ v3 ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
EOF
  else
    cat >"$name.ext" <<EOF
[ v3 ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
EOF
  fi
  # `openssl ca` is the CLI that takes explicit start and end dates; give it a
  # minimal throwaway database.
  local db
  db=$(mktemp -d)
  : >"$db/index.txt"
  cat >"$db/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
EOF
  openssl rand -hex 16 >"$db/serial"
  openssl ca -batch -notext -config "$db/ca.cnf" -cert "$issuer.crt" -keyfile "$issuer.key" \
    -startdate "$not_before" -enddate "$not_after" \
    -extfile "$name.ext" -extensions v3 -in "$name.csr" -out "$name.crt" 2>"$db/log" || {
    cat "$db/log" >&2
    rm -rf "$db"
    exit 1
  }
  rm -rf "$db" "$name.csr" "$name.ext"
}

now=$(date -u +%s)
stamp() { date -u -d "@$1" +%Y%m%d%H%M%SZ; }
day=86400

sign server "IP:127.0.0.1,DNS:localhost" "$(stamp $((now - day)))" "$(stamp $((now + 3650 * day)))"
sign expired "IP:127.0.0.1,DNS:localhost" "$(stamp $((now - 30 * day)))" "$(stamp $((now - 2 * day)))"
sign wronghost "IP:127.0.0.2,DNS:wrong.test" "$(stamp $((now - day)))" "$(stamp $((now + 3650 * day)))"
sign intermediate CA "$(stamp $((now - day)))" "$(stamp $((now + 3650 * day)))"
if [ ! -s chained.crt ]; then
  sign chained.leaf "IP:127.0.0.1,DNS:localhost" "$(stamp $((now - day)))" "$(stamp $((now + 3650 * day)))" \
    intermediate
  mv chained.leaf.key chained.key
  cat chained.leaf.crt intermediate.crt >chained.crt.tmp
  rm chained.leaf.crt
  mv chained.crt.tmp chained.crt
fi
