#!/bin/sh
# Makes the certificates test_tls.c uses, with the openssl command line, into the directory $1:
#   ca.pem      a CA (certificate and key), trusted once added to the emulator's store
#   a.pem b.pem server certificates for a.test and b.test signed by the CA (certificate, CA, key)
#   client.pem  a client certificate signed by the CA; self.pem a self-signed one (untrusted)
set -eu
command -v openssl >/dev/null || { echo "make_certs.sh: the openssl command is missing (package openssl)" >&2; exit 1; }
d=$1
mkdir -p "$d"
cd "$d"
[ -f done ] && exit 0
days=3650
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days $days -subj "/C=US/O=Emu Test/CN=Emu Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
cat ca.crt ca.key > ca.pem
leaf() { # name cn eku
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/C=US/O=Emu Test/CN=$2" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=%s\nsubjectAltName=DNS:%s\n' "$3" "$2" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days $days \
    -extfile "$1.ext" 2>/dev/null
  cat "$1.crt" ca.crt "$1.key" > "$1.pem"
}
leaf a a.test serverAuth
leaf b b.test serverAuth
leaf client client.test clientAuth
openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.crt -days $days -subj "/CN=self.test" \
  -addext "extendedKeyUsage=clientAuth" 2>/dev/null
cat self.crt self.key > self.pem
touch done
