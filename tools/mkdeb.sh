#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/mkdeb.sh WORKDIR VERSION ARCH OUT.deb
#
# Pack WORKDIR/root (a 'make install DESTDIR=WORKDIR/root PREFIX=/usr' tree,
# see 'make deb') into a Debian binary package, offline. Depends comes from
# dpkg-shlibdeps, i.e. from the ELF files' DT_NEEDED and the installed
# packages' shlibs/symbols files, not from a list kept by hand.
set -eu

work=$(cd "$1" && pwd) version=$2 arch=$3 out=$4
root=$work/root

[ -x "$root/usr/bin/faultline" ] || { echo "mkdeb: $root is not an installed tree" >&2; exit 1; }
for t in dpkg-deb dpkg-shlibdeps; do
	command -v $t >/dev/null || { echo "mkdeb: $t not found (apt-get install dpkg-dev)" >&2; exit 1; }
done

# Debian policy: man pages gzip -9n, a copyright file, no unstripped binaries.
gzip -9nf "$root"/usr/share/man/man8/*.8
docdir=$root/usr/share/doc/faultline
install -d "$docdir"
cat > "$docdir/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: faultline
Comment: Each source file's SPDX-License-Identifier line is authoritative.

Files: *
License: GPL-2.0-only
 The faultline and faultfs programs (userspace/cli, fusefs) and the BPF
 programs. On Debian systems, see /usr/share/common-licenses/GPL-2.

Files: include/faultline/* userspace/core/* userspace/probe/* userspace/syscall/*
 userspace/fs/* userspace/rpo/* userspace/workload/* userspace/history/* userspace/net/*
 userspace/cluster/* userspace/scenario/*
License: LGPL-2.1 or BSD-2-Clause
 libfaultline and its headers. On Debian systems, see
 /usr/share/common-licenses/LGPL-2.1.
EOF
find "$root/usr/bin" "$root/usr/lib" -type f \( -name faultline -o -name faultfs -o -name '*.so*' \) \
	-exec strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +

# dpkg-shlibdeps reads debian/control relative to the current directory.
libdir=$(dirname "$(find "$root/usr/lib" -name libfaultline.so.0 | head -n1)")
mkdir -p "$work/debian"
printf 'Source: faultline\n\nPackage: faultline\nArchitecture: any\n' > "$work/debian/control"
deps=$(cd "$work" && dpkg-shlibdeps -O -l"$libdir" -e root/usr/bin/faultline -e root/usr/bin/faultfs \
	-e "${libdir#$work/}/libfaultline.so.0" 2>"$work/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { cat "$work/shlibdeps.log" >&2; echo "mkdeb: dpkg-shlibdeps found nothing" >&2; exit 1; }
rm -rf "$work/debian"

# Not libraries, but run by faultfs and by mount(8): fusermount3, mount.fuse3.
deps="$deps, fuse3"

install -d -m 0755 "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: faultline
Version: $version
Architecture: $arch
Maintainer: faultline maintainers <faultline@localhost>
Installed-Size: $size
Depends: $deps
Section: admin
Priority: optional
Description: fault injection and recovery measurement for Linux
 faultline injects faults at the kernel boundary (syscall errors, delays
 and crash points through eBPF and seccomp; storage faults and power cuts
 through the faultfs FUSE overlay) and measures what a stateful service
 loses (RPO) and how long it takes to come back (RTO).
 .
 This package holds the faultline and faultfs programs, libfaultline
 (shared and static) with its headers and pkg-config file, the manual
 pages and the bash completion.
EOF
# libfaultline.so.0 is in the linker's default path: refresh its cache.
echo 'activate-noawait ldconfig' > "$root/DEBIAN/triggers"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
	xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/triggers" "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "mkdeb: $out ($(du -k "$out" | cut -f1) KiB), Depends: $deps"
