#!/bin/bash
# A throw-away x509 PKI for the testbed (tools/testbed.md, "PKI"), made
# with GnuTLS's certtool (Debian: gnutls-bin).
#
#   tools/mkpki.sh OUTDIR ADDR...
#
# OUTDIR/ca/              cacert.pem, cakey.pem (the testbed CA)
# OUTDIR/hosts/ADDR/      a tree to mount on that host's /etc/pki:
#   CA/cacert.pem
#   libvirt/servercert.pem, libvirt/private/serverkey.pem  (CN = SAN = ADDR)
#   libvirt/clientcert.pem, libvirt/private/clientkey.pem  (the host as a
#                                                           client: p2p)
#   qemu/ca-cert.pem, server-cert.pem, server-key.pem,
#        client-cert.pem, client-key.pem                    (TLS migration)
# OUTDIR/client/          cacert.pem, clientcert.pem, clientkey.pem: an
#                         admin's virsh, with ?pkipath=OUTDIR/client
# OUTDIR/bad/{otherca,expired,wrongdn}/   the same layout, for negative
#                         tests: a client certificate signed by another CA,
#                         one that expired, one whose DN is outside
#                         "O=convergd testbed".
# Every good DN is "O=convergd testbed,CN=..." so tls_allowed_dn_list can
# allow "*O=convergd testbed*".  Certificates are valid for 30 days.
set -eu

die() { echo "mkpki: error: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 OUTDIR ADDR..."
OUT=$1
shift
command -v certtool >/dev/null || die "certtool not found: install gnutls-bin"
for a in "$@"; do
    case $a in
    ""|*[!A-Za-z0-9.:-]*) die "bad address or host name '$a'" ;;
    esac
done

ORG="convergd testbed"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

key() {   # FILE
    certtool --generate-privkey --key-type=rsa --bits=2048 \
        --outfile "$1" 2>/dev/null
    chmod 600 "$1"
}

# cert OUT KEY TEMPLATE-LINES [CA-CERT CA-KEY]: self-signed without a CA.
cert() {
    local out=$1 k=$2 tmpl=$TMP/tmpl.$$
    printf '%s\n' "$3" >"$tmpl"
    if [ $# -ge 5 ]; then
        certtool --generate-certificate --load-privkey "$k" \
            --load-ca-certificate "$4" --load-ca-privkey "$5" \
            --template "$tmpl" --outfile "$out" 2>/dev/null
    else
        certtool --generate-self-signed --load-privkey "$k" \
            --template "$tmpl" --outfile "$out" 2>/dev/null
    fi || die "certtool could not make $out"
}

ca() {   # DIR CN
    mkdir -p "$1"
    key "$1/cakey.pem"
    cert "$1/cacert.pem" "$1/cakey.pem" "cn = \"$2\"
organization = \"$ORG\"
ca
cert_signing_key
expiration_days = 30"
}

# client_cert CERT KEY CN [CA-DIR] [EXTRA-TEMPLATE-LINES] [ORG]
client_cert() {
    local cadir=${4:-$OUT/ca} extra=${5:-expiration_days = 30}
    key "$2"
    cert "$1" "$2" "cn = \"$3\"
organization = \"${6:-$ORG}\"
tls_www_client
signing_key
encryption_key
$extra" "$cadir/cacert.pem" "$cadir/cakey.pem"
}

server_cert() {   # CERT KEY ADDR
    local san=dns_name
    case $3 in *[!0-9.]*) ;; *) san=ip_address ;; esac
    case $3 in *:*) san=ip_address ;; esac
    key "$2"
    cert "$1" "$2" "cn = \"$3\"
organization = \"$ORG\"
$san = \"$3\"
tls_www_server
signing_key
encryption_key
expiration_days = 30" "$OUT/ca/cacert.pem" "$OUT/ca/cakey.pem"
}

host() {   # ADDR
    local h=$OUT/hosts/$1
    mkdir -p "$h/CA" "$h/libvirt/private" "$h/qemu"
    chmod 700 "$h/libvirt/private"
    cp "$OUT/ca/cacert.pem" "$h/CA/cacert.pem"
    server_cert "$h/libvirt/servercert.pem" "$h/libvirt/private/serverkey.pem" "$1"
    client_cert "$h/libvirt/clientcert.pem" "$h/libvirt/private/clientkey.pem" "$1"
    cp "$OUT/ca/cacert.pem" "$h/qemu/ca-cert.pem"
    cp "$h/libvirt/servercert.pem" "$h/qemu/server-cert.pem"
    cp "$h/libvirt/private/serverkey.pem" "$h/qemu/server-key.pem"
    cp "$h/libvirt/clientcert.pem" "$h/qemu/client-cert.pem"
    cp "$h/libvirt/private/clientkey.pem" "$h/qemu/client-key.pem"
    chmod 600 "$h/qemu/server-key.pem" "$h/qemu/client-key.pem"
}

pkipath() {   # DIR CN [CA-DIR] [EXTRA] [ORG]: a ?pkipath= client dir
    mkdir -p "$1"
    cp "$OUT/ca/cacert.pem" "$1/cacert.pem"
    client_cert "$1/clientcert.pem" "$1/clientkey.pem" "$2" "${3:-}" \
        "${4:-}" "${5:-}"
}

mkdir -p "$OUT"
ca "$OUT/ca" "convergd testbed CA"
for a in "$@"; do
    host "$a"
done
pkipath "$OUT/client" admin
ca "$TMP/otherca" "some other CA"
pkipath "$OUT/bad/otherca" admin "$TMP/otherca"
pkipath "$OUT/bad/expired" admin "" 'activation_date = "2020-01-01 00:00:00"
expiration_date = "2020-02-01 00:00:00"'
pkipath "$OUT/bad/wrongdn" intruder "" "" elsewhere
echo "mkpki: CA, ${#} host(s), client and bad certificates in $OUT" >&2
