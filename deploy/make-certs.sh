#!/usr/bin/env bash
# Makes a test certificate authority and one certificate per member for NodeMesh's mutual TLS.
#   deploy/make-certs.sh DIR NAME...        e.g.  deploy/make-certs.sh deploy/certs driver worker
# Writes DIR/ca.pem (the trust every member gets: --tls-ca / NODEMESH_TLS_CA), and for each NAME
# DIR/NAME.pfx (PKCS#12 with the member's key: --tls-cert / NODEMESH_TLS_CERT; password in
# DIR/password, --tls-password / NODEMESH_TLS_PASSWORD) plus DIR/NAME.sha1 (its thumbprint, for
# --tls-pin). Also DIR/rogue.pfx, signed by a different CA: a member that must NOT be let in.
# For tests and trials only: the keys are unencrypted on disk apart from the PKCS#12 password.
set -euo pipefail
dir="${1:?usage: make-certs.sh DIR NAME...}"; shift
[ "$#" -gt 0 ] || set -- driver worker
command -v openssl >/dev/null || { echo "error: openssl is not installed (sudo apt-get install openssl)" >&2; exit 2; }
mkdir -p "$dir"
cd "$dir"
password="${NODEMESH_TLS_PASSWORD:-nodemesh}"
printf '%s' "$password" > password
ca() { # name
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$1" -keyout "$1.key" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
member() { # name, ca
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' "$1" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 825 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  openssl pkcs12 -export -inkey "$1.key" -in "$1.crt" -certfile "$2.pem" -passout "pass:$password" -out "$1.pfx"
  openssl x509 -in "$1.crt" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' > "$1.sha1"
  rm -f "$1.csr" "$1.ext" "$1.key" "$1.crt"
}
ca ca
for name in "$@"; do member "$name" ca; done
ca rogue-ca
member rogue rogue-ca
rm -f ca.key rogue-ca.key rogue-ca.pem ./*.srl
echo "certificates in $dir: ca.pem, $(printf '%s.pfx ' "$@")rogue.pfx (password in $dir/password)"
