#!/bin/sh
# Install every Debian package faultline needs to build, test and run.
# Idempotent: packages already present are skipped, and apt is only asked
# when something is missing.
set -eu

PACKAGES="
	make gcc clang llvm pkg-config
	libbpf-dev bpftool libelf-dev zlib1g-dev
	libfuse3-dev fuse3 libisal-dev
	libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libnftables-dev
	libcmocka-dev libyaml-dev libjansson-dev
	libsqlite3-dev libhiredis-dev libpq-dev libmariadb-dev
	libclang-rt-14-dev
	iproute2 iptables strace fiu-utils sudo fio iperf3
	gnuplot-nox chromium
	qemu-system-x86 busybox-static cpio
	redis-server redis-sentinel postgresql mariadb-server mariadb-client python3
	restic pgbackrest
	etcd-server etcd-client patroni
	openssh-server openssh-client
"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing:$missing" >&2
	echo "install-deps: run as root (sudo $0) to install them" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The rpo tests and managed services start their own redis, PostgreSQL,
# MariaDB, etcd and patroni servers, the net bench its own iperf3 server and
# the remote test its own sshd (in a netns): keep the packages from starting
# system-wide ones
# (policy-rc.d 101 = do not start).
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	own_policy=1
fi
trap '[ -n "$own_policy" ] && rm -f "$policy"' EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
