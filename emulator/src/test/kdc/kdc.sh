#!/usr/bin/env bash
# kdc.sh: a throw-away MIT Kerberos realm on loopback for tests of Negotiate/Kerberos.
#
#   kdc.sh start DIR   creates DIR (absolute or relative), a realm in it with a KDC on a free loopback
#                      port, the service principal HTTP/localhost in DIR/http.keytab and a user with a
#                      password whose ticket is already in DIR/ccache; prints the environment to use as
#                      KEY=VALUE lines (also written to DIR/env) and exits once the KDC answers.
#   kdc.sh stop DIR    stops that KDC (and nothing else) and waits for it to go.
#
# Printed: KRB5_CONFIG, KRB5_KTNAME (the acceptor's keytab), KRB5CCNAME (the user's ticket cache),
# KRB5_KDC_PROFILE, KDC_REALM, KDC_PORT, KDC_USER (user@REALM), KDC_PASSWORD, KDC_SERVICE, and
# NTLM_USER_FILE (the same user as DOMAIN:user:password, DOMAIN = the realm's first label, for gss-ntlmssp).
# Settings from the environment: KDC_REALM (default EMU.TEST), KDC_USER_NAME (default alice),
# KDC_USER_PASSWORD (default Secret-42). Needs Debian's krb5-kdc, krb5-admin-server (kadmin.local)
# and krb5-user (kinit). Every step is bounded in time; nothing is written outside DIR.
set -euo pipefail

die() { echo "kdc.sh: $*" >&2; exit 1; }

cmd=${1:-}
[ $# -eq 2 ] || die "usage: kdc.sh start|stop DIR"
mkdir -p "$2"
dir=$(cd "$2" && pwd)
case "$dir" in *[[:space:]]*) die "DIR must not contain white space (kadmin.local queries): $dir" ;; esac

# The Debian binaries live in /usr/sbin, which a test's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
export PATH

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    else
        echo $(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 30000 ))
    fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
    [ -f "$dir/kdc.pid" ] || return 0
    pid=$(cat "$dir/kdc.pid")
    rm -f "$dir/kdc.pid"
    # Only our KDC: the pid must still be a krb5kdc started with our profile.
    if [ -r "/proc/$pid/environ" ] && tr '\0' '\n' <"/proc/$pid/environ" | grep -qx "KRB5_KDC_PROFILE=$dir/kdc.conf"; then
        kill "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null || true
    fi
}

case "$cmd" in
stop) stop; exit 0 ;;
start) ;;
*) die "usage: kdc.sh start|stop DIR" ;;
esac

for b in krb5kdc kdb5_util kadmin.local kinit; do
    command -v $b >/dev/null 2>&1 || die "$b not found: install krb5-kdc krb5-admin-server krb5-user"
done
stop # a KDC left from an earlier run in the same DIR

realm=${KDC_REALM:-EMU.TEST}
user=${KDC_USER_NAME:-alice}
password=${KDC_USER_PASSWORD:-Secret-42}
rm -rf "$dir/principal"* "$dir/stash" "$dir/ccache" "$dir/http.keytab" "$dir/kdc.log"

attempt=0
while :; do
    attempt=$((attempt + 1))
    port=$(free_port)
    cat >"$dir/krb5.conf" <<CONF
[libdefaults]
    default_realm = $realm
    dns_lookup_realm = false
    dns_lookup_kdc = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    ticket_lifetime = 1h
    forwardable = false
[realms]
    $realm = {
        kdc = 127.0.0.1:$port
    }
[domain_realm]
    localhost = $realm
    .localhost = $realm
CONF
    cat >"$dir/kdc.conf" <<CONF
[kdcdefaults]
    kdc_ports = $port
    kdc_tcp_ports = $port
[realms]
    $realm = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        max_life = 1h
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }
[logging]
    kdc = FILE:$dir/kdc.log
CONF
    : >"$dir/kadm5.acl"
    export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
    if [ ! -f "$dir/stash" ]; then
        timeout 30 kdb5_util create -s -r "$realm" -P "kdc-master-$$" >"$dir/setup.log" 2>&1 ||
            die "kdb5_util failed: $(cat "$dir/setup.log")"
        timeout 30 kadmin.local -r "$realm" -q "addprinc -randkey HTTP/localhost" >>"$dir/setup.log" 2>&1 &&
        timeout 30 kadmin.local -r "$realm" -q "ktadd -k $dir/http.keytab HTTP/localhost" >>"$dir/setup.log" 2>&1 &&
        timeout 30 kadmin.local -r "$realm" -q "addprinc -pw $password $user" >>"$dir/setup.log" 2>&1 ||
            die "kadmin.local failed: $(cat "$dir/setup.log")"
    fi
    # -n: stays in the foreground, so $! is the KDC itself; setsid: a test's Ctrl-C does not orphan it oddly.
    setsid krb5kdc -n -r "$realm" </dev/null >>"$dir/kdc.log" 2>&1 &
    echo $! >"$dir/kdc.pid"
    i=0
    while ! port_open "$port" && [ $i -lt 100 ] && kill -0 "$(cat "$dir/kdc.pid")" 2>/dev/null; do
        sleep 0.1; i=$((i + 1))
    done
    port_open "$port" && break
    stop
    [ $attempt -lt 5 ] || die "the KDC did not start: $(tail -5 "$dir/kdc.log")"
done

export KRB5CCNAME="FILE:$dir/ccache"
printf '%s\n' "$password" | timeout 20 kinit "$user@$realm" >"$dir/kinit.log" 2>&1 ||
    { stop; die "kinit failed: $(cat "$dir/kinit.log")"; }

# NTLM (gss-ntlmssp) checks passwords in a file of DOMAIN:user:password lines; DOMAIN is the realm's
# first label, the NetBIOS name Windows would use.
domain=${realm%%.*}
printf '%s:%s:%s\n' "$domain" "$user" "$password" >"$dir/ntlm_users"
chmod 600 "$dir/ntlm_users"

cat >"$dir/env" <<ENV
KRB5_CONFIG=$dir/krb5.conf
KRB5_KTNAME=FILE:$dir/http.keytab
KRB5CCNAME=FILE:$dir/ccache
KRB5_KDC_PROFILE=$dir/kdc.conf
KDC_REALM=$realm
KDC_PORT=$port
KDC_USER=$user@$realm
KDC_PASSWORD=$password
KDC_SERVICE=HTTP/localhost@$realm
NTLM_USER_FILE=$dir/ntlm_users
ENV
cat "$dir/env"
