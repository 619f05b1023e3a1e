#!/usr/bin/env bash
# The Debian package as CPack builds it from this build directory: its files, its conffile, its
# maintainer scripts, Depends computed by dpkg-shlibdeps from what the binaries link, and a
# systemd unit that `systemd-analyze verify` accepts against the package's own files. Installing
# it into a fresh Debian chroot is tools/test-package's (slow: debootstrap; not in CI).
#   package_test.sh BUILD_DIR
set -euo pipefail
build="$1"
fail() { echo "package_test: $*" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

(cd "$build" && cpack -G DEB -B "$scratch/out" >"$scratch/cpack.log" 2>&1) ||
  { cat "$scratch/cpack.log"; fail "cpack failed"; }
deb="$(ls "$scratch"/out/sigd_*_amd64.deb)" || fail "no sigd_<version>_amd64.deb"
files="$(dpkg-deb -c "$deb")"
for f in ./usr/bin/sigd ./usr/bin/sigctl ./usr/lib/systemd/system/sigd.service ./etc/default/sigd; do
  grep -q " $f\$" <<<"$files" || fail "$f is not in the package"
done
info="$(dpkg-deb -I "$deb")"
depends="$(sed -n 's/^ Depends: //p' <<<"$info")"
for lib in adduser libgrpc++1.51 libspdlog1.10 libboost-json1.81.0 libhiredis0.14 libssl3 libjemalloc2; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -e "$deb" "$scratch/control"
grep -qx /etc/default/sigd "$scratch/control/conffiles" || fail "/etc/default/sigd is not a conffile"
for script in postinst prerm postrm; do
  [ -x "$scratch/control/$script" ] || fail "no $script"
done
grep -q "adduser --system" "$scratch/control/postinst" || fail "postinst does not create the user"

# The unit as the package installs it, verified by systemd on this machine with its ExecStart
# pointed at the packaged binary (systemd checks that the command exists).
dpkg-deb -x "$deb" "$scratch/root"
mkdir "$scratch/unit"
sed "s|^ExecStart=/usr/bin/sigd|ExecStart=$scratch/root/usr/bin/sigd|" \
  "$scratch/root/usr/lib/systemd/system/sigd.service" >"$scratch/unit/sigd.service"
grep -q "^ExecStart=$scratch/root/usr/bin/sigd\$" "$scratch/unit/sigd.service" ||
  fail "the unit does not start /usr/bin/sigd"
systemd-analyze verify "$scratch/unit/sigd.service" >"$scratch/verify.log" 2>&1 ||
  { cat "$scratch/verify.log"; fail "systemd-analyze verify"; }
if grep -q . "$scratch/verify.log"; then
  cat "$scratch/verify.log"; fail "systemd-analyze verify has remarks"
fi
"$scratch/root/usr/bin/sigd" --version | grep -q "^sigd " || fail "the packaged sigd does not run"
echo "package_test: ok ($(basename "$deb"), Depends: $depends)"
