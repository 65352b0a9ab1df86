# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Functions behind scripts/lab. Sourced, not run. Needs TOP and CACHE set.

# A failure inside $(...) fails the caller too.
shopt -s inherit_errexit

HOST_PKGS=(gcc-aarch64-linux-gnu busybox-static
	libnuma-dev flex bison bc libelf-dev libssl-dev dwarves cpio linux-kbuild-6.1
	linux-source-6.1 python3 python3-jsonschema python3-matplotlib xz-utils make gcc rsync
	shellcheck debootstrap man-db)

die() {
	echo "lab: error: $*" >&2
	exit 1
}

say() {
	echo "lab: $*" >&2
}

# Echo a command, then run it.
run_echo() {
	echo "+ $*" >&2
	"$@"
}

check_arch() {
	case ${1:-} in
	x86_64 | arm64) ;;
	*) die "unknown arch '${1:-}' (x86_64 or arm64)" ;;
	esac
}

# Debian's name for an arch.
deb_arch() {
	[ "$1" = x86_64 ] && echo amd64 || echo arm64
}

# --- the kernel matrix (scripts/kernels.conf) ---------------------------------

KERNELS_CONF=$TOP/scripts/kernels.conf
DEFAULT_KERNEL=6.1

kernel_names() {
	awk '!/^#/ && NF { print $1 }' "$KERNELS_CONF"
}

# kernel_conf K: K_SUITE K_VER K_ABI K_IMAGE K_CC from K's line.
kernel_conf() {
	local line
	line=$(awk -v k="$1" '!/^#/ && $1 == k' "$KERNELS_CONF")
	[ -n "$line" ] || die "unknown kernel '$1' ($(kernel_names | tr '\n' ' ')debug)"
	read -r _ K_SUITE K_VER K_ABI K_IMAGE K_CC <<<"$line"
}

# Where kernel K's files for Debian arch D live.
kernel_root() {
	echo "$CACHE/k/$1/$2"
}

# KNAME KABI KPKGVER KSUITE KCC KCHROOT of kernel K (fetched if missing).
kernel_env() {
	local k=${1:-$DEFAULT_KERNEL}
	[ -f "$CACHE/k/$k/kernel.env" ] || lab_setup_kernel "$k" >&2
	# shellcheck source=/dev/null
	. "$CACHE/k/$k/kernel.env"
	: "${KABI:?}" "${KSUITE:?}" "${KCC:?}" "${KPKGVER:?}"
}

# --- a private apt for the other suites --------------------------------------

# The machine's own Debian sources as one-line entries (only read, never
# changed): deb822 files and sources.list alike; other vendors' repos left out.
host_sources() {
	local f deb822=() oneline=()
	for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && deb822+=("$f"); done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && oneline+=("$f"); done
	{
		[ ${#deb822[@]} = 0 ] || awk '/^URIs:/ { u = $2 } /^Suites:/ { $1 = ""; s = $0 }
			/^$/ { if (u) for (i = split(s, a, " "); i > 0; i--) print u, a[i]; u = "" }
			END { if (u) for (i = split(s, a, " "); i > 0; i--) print u, a[i] }' "${deb822[@]}"
		[ ${#oneline[@]} = 0 ] || awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i, $(i + 1); break } }' \
			"${oneline[@]}"
	} | awk '$1 ~ /\/debian(-security)?\/?$/' | sort -u
}

# The Debian mirror the machine's own apt uses.
host_mirror() {
	local uri
	uri=$(host_sources | awk '$1 !~ /security/ { print $1; exit }')
	[ -n "$uri" ] || die "cannot find a Debian mirror in the machine's apt sources"
	echo "$uri"
}

APT_DIR=$CACHE/apt

# The binary package cache is kept (Debian's container images turn it off):
# without it every apt-cache call parses the lists again, 2-3 s each.
apt_opts() {
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list" -o Dir::Etc::SourceParts=-
		-o "Dir::State=$APT_DIR/state" -o "Dir::State::status=$APT_DIR/state/status"
		-o "Dir::Cache=$APT_DIR/cache" -o APT::Architectures::=amd64
		-o APT::Architectures::=arm64 -o Debug::NoLocking=1 -q
		-o Dir::Cache::pkgcache=pkgcache.bin)
}

# Lists of the machine's Debian suites and every suite of kernels.conf;
# fetched again when that list changes or is older than a day.
papt_update() {
	local mirror list
	apt_opts
	mirror=$(host_mirror)
	mkdir -p "$APT_DIR/state/lists/partial" "$APT_DIR/cache/archives/partial"
	touch "$APT_DIR/state/status"
	list=$({
		host_sources
		awk -v m="$mirror" '!/^#/ && NF { print m, $2 }' "$KERNELS_CONF"
		echo "$mirror $QEMU_SUITE"
	} | sort -u | awk '{ print "deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]", $1, $2, "main" }')
	if [ "$list" = "$(cat "$APT_DIR/sources.list" 2>/dev/null)" ] &&
		[ -n "$(find "$APT_DIR/state/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440)" ]; then
		return 0
	fi
	echo "$list" >"$APT_DIR/sources.list"
	run_echo apt-get "${APT_OPTS[@]}" update >&2 || die "private apt update failed"
}

# Newest version of PKG (kernel packages name their ABI: one suite has it).
papt_version() {
	apt_opts
	apt-cache "${APT_OPTS[@]}" madison "$1" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2; exit }'
}

# fetch_deb PKG VER ARCH ROOT: download (once) and unpack into ROOT.
fetch_deb() {
	local pkg=$1 ver=$2 arch=$3 root=$4 deb
	deb=$CACHE/debs/${pkg}_${ver//:/%3a}_$arch.deb
	mkdir -p "$CACHE/debs" "$root"
	if [ ! -s "$deb" ]; then
		apt_opts
		(cd "$CACHE/debs" && run_echo apt-get "${APT_OPTS[@]}" download "$pkg:$arch=$ver" >&2) ||
			die "cannot download $pkg=$ver ($arch); the archive has: $(papt_version "$pkg"); pin that in $KERNELS_CONF"
	fi
	[ -f "$root/.unpacked-$(basename "$deb")" ] && return 0
	run_echo dpkg -x "$deb" "$root" >&2
	touch "$root/.unpacked-$(basename "$deb")"
}

# The version and ABI of kernel K, `auto` resolved against its suite.
resolve_kernel() {
	kernel_conf "$1"
	[ "$K_ABI" != auto ] || K_ABI=$(discover_abi)
	if [ "$K_VER" = auto ]; then
		K_VER=$(papt_version "linux-headers-$K_ABI-common")
		[ -n "$K_VER" ] || die "kernel $1: no linux-headers-$K_ABI-common in $K_SUITE"
	fi
}

pkg_name() {
	local t=${1//%a/$K_ABI}
	echo "${t//%d/$2}"
}

# Headers build with host tools (linux-kbuild) and, where the kernel's
# compiler is not the host's, inside a chroot of the kernel's own suite.
fetch_headers() {
	local k=$1 d=$2 hroot=$3
	fetch_deb "linux-headers-$K_ABI-$d" "$K_VER" "$d" "$hroot"
	fetch_deb "linux-headers-$K_ABI-common" "$K_VER" all "$hroot"
	fetch_deb "$(kbuild_pkg)" "$K_VER" amd64 "$hroot"
	[ "$hroot" = "$(chroot_dir "$k")" ] || fix_headers "$hroot" "$d"
}

# Named by the series for ABIs like 6.1.0-57 (bookworm, bullseye), by the
# whole ABI for 6.12.95+deb12 and later.
kbuild_pkg() {
	if [[ $K_ABI =~ ^([0-9]+\.[0-9]+)\.0-[0-9]+$ ]]; then
		echo "linux-kbuild-${BASH_REMATCH[1]}"
	else
		echo "linux-kbuild-$K_ABI"
	fi
}

# Debian's headers include the -common tree and link scripts/ to the kbuild
# package by absolute path: point both into the cache.
fix_headers() {
	local root=$1 d=$2 hdr common kb
	hdr=$root/usr/src/linux-headers-$K_ABI-$d
	common=$root/usr/src/linux-headers-$K_ABI-common
	kb=$root/usr/lib/$(kbuild_pkg)
	if ! [ -d "$hdr" ] || ! [ -d "$common" ] || ! [ -d "$kb" ]; then
		die "headers incomplete in $root"
	fi
	sed -i "s|^include /usr/src/linux-headers-$K_ABI-common|include $common|" "$hdr/Makefile"
	local dir
	for dir in "$hdr" "$common"; do
		ln -sfn "$kb/scripts" "$dir/scripts"
		ln -sfn "$kb/tools" "$dir/tools"
	done
}

host_cc() {
	gcc -dumpversion | sed 's/^/gcc-/; s/\..*//'
}

# A chroot of the kernel's suite when its compiler is not the host's.
chroot_dir() {
	kernel_conf "$1"
	[ "$K_CC" = "$(host_cc)" ] || echo "$CACHE/chroot/$K_SUITE"
}

# The chroot's packages: the compiler for both arches, make, objtool's libelf,
# pahole (7.2's modfinal runs it).
chroot_pkgs() {
	echo "$1,make,libc6-dev,libelf1t64,dwarves,$1-aarch64-linux-gnu,binutils-aarch64-linux-gnu"
}

ensure_chroot() {
	local dir=$1 suite=$2 pkgs
	pkgs=$(chroot_pkgs "$3")
	[ "$(cat "$dir/.ready" 2>/dev/null)" = "$pkgs" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	run_echo debootstrap --variant=minbase "--include=$pkgs" "$suite" "$dir" "$(host_mirror)" >&2 ||
		die "debootstrap of $suite failed"
	echo "$pkgs" >"$dir/.ready"
}

# Fetch kernel K (both arches) and its headers; write its kernel.env.
lab_setup_kernel() {
	local k=$1 d root hroot ch
	papt_update
	resolve_kernel "$k"
	say "kernel $k: Debian $K_SUITE, ABI $K_ABI, package $K_VER, compiler $K_CC"
	ch=$(chroot_dir "$k")
	[ -z "$ch" ] || ensure_chroot "$ch" "$K_SUITE" "$K_CC"
	resolve_kernel "$k"
	for d in amd64 arm64; do
		root=$(kernel_root "$k" "$d")
		fetch_deb "$(pkg_name "$K_IMAGE" "$d")" "$K_VER" "$d" "$root"
		hroot=${ch:-$root}
		fetch_headers "$k" "$d" "$hroot"
	done
	cat >"$CACHE/k/$k/kernel.env" <<-EOF
		KNAME=$k
		KABI=$K_ABI
		KPKGVER=$K_VER
		KSUITE=$K_SUITE
		KCC=$K_CC
		KCHROOT=$ch
	EOF
}

# Userland for the guests (busybox) and the driver's static libnuma.
fetch_userland() {
	fetch_pkg "busybox-static" "$CACHE/amd64"
	fetch_pkg "busybox-static:arm64" "$CACHE/arm64"
	fetch_pkg "libnuma-dev:arm64" "$CACHE/arm64"
	fetch_pkg "libnuma1:arm64" "$CACHE/arm64"
}

# --- the emulator ------------------------------------------------------------

# Bookworm's QEMU 7.2 can go on running its translation of kernel text that
# another vCPU has just patched (text_poke(): kprobes, ftrace, jump labels).
# Seen here: a guest looping for ever on an int3 that memory no longer holds,
# and a jump to 0, after a module's probes came and went under load. QEMU 8.1
# fixed it ("accel/tcg: Always lock pages before translation"). The lab runs
# bookworm-backports' QEMU (built for bookworm), unpacked under the cache;
# the machine's own QEMU, if any, is left alone.
QEMU_SUITE=bookworm-backports
QEMU_PKGS=(qemu-system-x86 qemu-system-arm qemu-system-common qemu-system-data seabios)
QEMU_ROOT=$CACHE/qemu

qemu_bin() {
	echo "$QEMU_ROOT/usr/bin/qemu-system-$([ "$1" = arm64 ] && echo aarch64 || echo x86_64)"
}

# The suite's current version of PKG.
suite_version() {
	apt_opts
	apt-cache "${APT_OPTS[@]}" madison "$1" 2>/dev/null |
		awk -F'|' -v s=" $QEMU_SUITE/" '$3 ~ s { gsub(/ /, "", $2); print $2; exit }'
}

# Bookworm libraries the unpacked QEMU links against, installed if missing.
qemu_host_libs() {
	local deb=$1 missing=()
	local p
	# "a (>= 1), b | c": a and b (leading blanks off before the version).
	for p in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (|].*//' |
		grep -v -E '^(qemu-|seabios|ipxe)'); do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "need root to install QEMU's libraries: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive run_echo apt-get install -y -q "${missing[@]}" >&2
}

lab_setup_qemu() {
	local pkg ver want="" have
	for pkg in "${QEMU_PKGS[@]}"; do
		ver=$(suite_version "$pkg")
		[ -n "$ver" ] || die "no $pkg in $QEMU_SUITE (the lab's QEMU comes from there)"
		want+="$pkg=$ver "
	done
	have=$(cat "$QEMU_ROOT/.ready" 2>/dev/null || true)
	[ "$have" = "$want" ] && [ -x "$(qemu_bin x86_64)" ] && return 0
	rm -rf "$QEMU_ROOT"
	for pkg in $want; do
		fetch_deb "${pkg%%=*}" "${pkg#*=}" "$(qemu_deb_arch "${pkg%%=*}")" "$QEMU_ROOT"
	done
	for pkg in qemu-system-x86 qemu-system-arm qemu-system-common; do
		qemu_host_libs "$CACHE/debs/${pkg}_$(deb_ver "$want" "$pkg")_amd64.deb"
	done
	"$(qemu_bin x86_64)" --version >/dev/null || die "the unpacked QEMU does not run: $(qemu_bin x86_64)"
	echo "$want" >"$QEMU_ROOT/.ready"
	say "QEMU: $("$(qemu_bin x86_64)" --version | head -n 1)"
}

qemu_deb_arch() {
	case $1 in
	qemu-system-data | seabios) echo all ;;
	*) echo amd64 ;;
	esac
}

# deb_ver "PKG=VER ..." PKG: VER as it appears in the .deb's file name.
deb_ver() {
	local v
	v=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p")
	echo "${v//:/%3a}"
}

qemu_version() {
	[ -x "$(qemu_bin x86_64)" ] || { echo "not set up"; return 0; }
	"$(qemu_bin x86_64)" --version | head -n 1
}

# --- setup ---------------------------------------------------------------

missing_pkgs() {
	local p
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
	done
}

install_host_pkgs() {
	local missing
	missing=$(missing_pkgs)
	dpkg --print-foreign-architectures | grep -qx arm64 || {
		run_echo dpkg --add-architecture arm64
		APT_UPDATED=
	}
	if [ -n "$missing" ] || [ -z "${APT_UPDATED-x}" ]; then
		[ "$(id -u)" = 0 ] || die "need root to install: $missing"
		run_echo apt-get update -q
		APT_UPDATED=1
	fi
	if [ -n "$missing" ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive run_echo apt-get install -y -q $missing
	fi
	install_lean_pkgs
}

# dkms recommends the running kernel's headers: not needed, not installed.
LEAN_PKGS=(dkms)

install_lean_pkgs() {
	local p missing=()
	for p in "${LEAN_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive run_echo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The ABI version of Debian's current 6.1 kernel, e.g. 6.1.0-56.
discover_abi() {
	local dep
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$dep" ] || {
		apt-get update -q >/dev/null
		dep=$(apt-cache depends linux-image-amd64 |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	}
	[ -n "$dep" ] || die "cannot find Debian's linux-image-amd64 dependency"
	dep=${dep#linux-image-}
	echo "${dep%-amd64}"
}

# Download (once) the host suite's current PKG and unpack it into a root.
fetch_pkg() {
	local pkg=$1 root=$2 deb
	mkdir -p "$CACHE/debs" "$root"
	deb=$(find "$CACHE/debs" -maxdepth 1 -name "${pkg%%:*}_*_$(pkg_arch "$pkg").deb" | head -n 1)
	if [ -z "$deb" ]; then
		(cd "$CACHE/debs" && run_echo apt-get download -q "$pkg") ||
			die "cannot download package $pkg"
		deb=$(find "$CACHE/debs" -maxdepth 1 -name "${pkg%%:*}_*_$(pkg_arch "$pkg").deb" | head -n 1)
	fi
	[ -f "$root/.unpacked-$(basename "$deb")" ] && return 0
	run_echo dpkg -x "$deb" "$root"
	touch "$root/.unpacked-$(basename "$deb")"
}

pkg_arch() {
	case $1 in
	*:arm64) echo arm64 ;;
	*:all) echo all ;;
	*) echo amd64 ;;
	esac
}

# scripts/lab setup [--kernel K|all]: packages, userland, kernel K (6.1 by
# default; `all` for the whole matrix).
lab_setup() {
	local want=$DEFAULT_KERNEL k
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) want=${2:-}; shift 2 ;;
		*) die "setup: unknown option '$1' (--kernel K|all)" ;;
		esac
	done
	[ "$want" = all ] || [ "$want" = debug ] || kernel_conf "$want"
	install_host_pkgs
	mkdir -p "$CACHE"
	fetch_userland
	papt_update
	lab_setup_qemu
	if [ "$want" = all ]; then
		for k in $(kernel_names); do lab_setup_kernel "$k"; done
	elif [ "$want" != debug ]; then
		lab_setup_kernel "$want"
	fi
	say "cache ready in $CACHE"
}

lab_info() {
	local k
	[ "${1:-}" = --qemu ] && { qemu_version; return 0; }
	echo "cache: $CACHE"
	echo "qemu: $(qemu_version)"
	for k in $(kernel_names); do
		if [ -f "$CACHE/k/$k/kernel.env" ]; then
			kernel_env "$k"
			echo "kernel $k: $KABI (Debian $KSUITE, package $KPKGVER, compiler $KCC${KCHROOT:+ in $KCHROOT})"
		else
			echo "kernel $k: not fetched (scripts/lab setup --kernel $k)"
		fi
	done
}

# --- the KUnit/debug kernel ------------------------------------------------

# checkpatch.pl and kunit.py come from the host's linux-source-6.1.
SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz

kernel_src() {
	unpack_src "$SRC_TARBALL" "$CACHE/src/linux-source-6.1"
}

# unpack_src TARBALL DIR: unpack (once); print DIR.
unpack_src() {
	local tarball=$1 src=$2
	if [ ! -f "$src/.unpacked" ]; then
		[ -f "$tarball" ] || die "missing $tarball (run: scripts/lab setup)"
		mkdir -p "$(dirname "$src")"
		run_echo tar -C "$(dirname "$src")" -xJf "$tarball" >&2
		touch "$src/.unpacked"
	fi
	echo "$src"
}

# The debug kernel is built from the linux-source of this matrix kernel.
DEBUG_BASE=6.12

# The series of a kernel ABI (6.12.95+deb12 -> 6.12): Debian's
# linux-source-SERIES package.
kernel_series() {
	local v=${1%%[-+]*}
	echo "${v%.*}"
}

# source_tarball K SERIES VER: Debian's linux-source-SERIES tarball at
# package version VER, for kernel K: the host's /usr/src one when the
# installed package has that version, else fetched (once) through the
# private apt. Fails when the archive no longer has it.
source_tarball() {
	local k=$1 series=$2 ver=$3 have
	have=$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null || true)
	if [ "$have" = "$ver" ] && [ -f "/usr/src/linux-source-$series.tar.xz" ]; then
		echo "/usr/src/linux-source-$series.tar.xz"
		return 0
	fi
	papt_update
	fetch_deb "linux-source-$series" "$ver" all "$CACHE/k/$k/source"
	echo "$CACHE/k/$k/source/usr/src/linux-source-$series.tar.xz"
}

# linux-source of DEBUG_BASE, unpacked.
debug_src() {
	local series tarball
	resolve_kernel "$DEBUG_BASE"
	series=$(kernel_series "$K_ABI")
	tarball=$(source_tarball "$DEBUG_BASE" "$series" "$K_VER")
	unpack_src "$tarball" "$CACHE/src/$K_VER/linux-source-$series"
}

# The selftests and uapi headers of the linux-source matching the fetched
# kernel K (kernel.env): a tree already unpacked whole at that version is
# used as it is; else only those parts are unpacked, once. Prints its top.
selftest_tree() {
	local k=$1 tarball series dir
	kernel_env "$k"
	series=$(kernel_series "$KABI")
	for dir in "$CACHE/src/$KPKGVER/linux-source-$series" "$CACHE/src/linux-source-$series"; do
		if [ -f "$dir/.unpacked" ] && [ "$(src_version "$dir")" = "$KPKGVER" ]; then
			echo "$dir"
			return 0
		fi
	done
	dir=$CACHE/selftest-src/$KPKGVER/linux-source-$series
	# Each step checked: callers test this function, which turns errexit off.
	if [ ! -f "$dir/.unpacked" ]; then
		tarball=$(source_tarball "$k" "$series" "$KPKGVER") || return 1
		rm -rf "$dir"
		mkdir -p "$(dirname "$dir")"
		run_echo tar -C "$(dirname "$dir")" -xJf "$tarball" --wildcards \
			"linux-source-$series/tools/testing/selftests/*" \
			"linux-source-$series/include/uapi/*" >&2 || return 1
		echo "$KPKGVER" >"$dir/.version" && touch "$dir/.unpacked" || return 1
	fi
	echo "$dir"
}

# The package version a tree was unpacked from: recorded by selftest_tree;
# for debug_src's trees the directory above; for kernel_src's the host's
# installed linux-source package.
src_version() {
	if [ -f "$1/.version" ]; then
		cat "$1/.version"
	elif [[ $1 == */src/linux-source-* ]]; then
		dpkg-query -W -f='${Version}' "$(basename "$1")" 2>/dev/null || true
	else
		basename "$(dirname "$1")"
	fi
}

# Build dir of the debug kernel: keyed by the fragment's options (comments
# aside) and the source version.
kernel_dir() {
	local frag=$1 key
	resolve_kernel "$DEBUG_BASE"
	key=$( (grep -v '^#' "$frag"; echo "src=$K_VER arch=x86_64") | sha256sum | cut -c1-12)
	echo "$CACHE/kernel/x86_64-$key"
}

# Every option the fragment sets must survive olddefconfig.
check_config() {
	local frag=$1 cfg=$2 line bad=0
	while read -r line; do
		case $line in
		CONFIG_*=n) grep -qx "${line%=n}=y" "$cfg" && { say "config: $line did not hold"; bad=1; } ;;
		CONFIG_*) grep -qx "$line" "$cfg" || { say "config: $line did not hold"; bad=1; } ;;
		esac
	done <"$frag"
	[ $bad = 0 ] || die "kernel config $cfg lacks options of $frag"
}

# scripts/lab kernel [--config FRAG]: build (once) the KUnit/debug kernel.
lab_kernel() {
	local frag=$TOP/kunit/migrace.config out src
	while [ $# -gt 0 ]; do
		case $1 in
		--config) frag=$2; shift 2 ;;
		*) die "kernel: unknown option '$1'" ;;
		esac
	done
	out=$(kernel_dir "$frag")
	if [ -f "$out/.built" ]; then
		say "debug kernel cached: $out"
		echo "$out"
		return 0
	fi
	src=$(debug_src)
	mkdir -p "$out"
	cp "$frag" "$out/.config"
	run_echo make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >&2
	check_config "$frag" "$out/.config"
	run_echo make -s -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" >&2
	touch "$out/.built"
	say "debug kernel built: $out"
	echo "$out"
}

# --- build -----------------------------------------------------------------

# A kernel name as the user gives it: `stock` is the default kernel.
kernel_name() {
	case $1 in
	stock) echo "$DEFAULT_KERNEL" ;;
	*) echo "$1" ;;
	esac
}

check_kind() {
	case $2 in
	debug) [ "$1" = x86_64 ] || die "the debug kernel is built for x86_64 only" ;;
	*) kernel_conf "$2" ;;
	esac
}

flavor_of() {
	echo "$2-$1"
}

# Kernel build dir (KDIR) of a flavor, as seen by the compiler (inside the
# chroot for a kernel built there).
flavor_kdir() {
	local arch=$1 k=$2 d
	if [ "$k" = debug ]; then
		kernel_dir "$TOP/kunit/migrace.config"
		return
	fi
	kernel_env "$k"
	d=$(deb_arch "$arch")
	if [ -n "$KCHROOT" ]; then
		echo "/usr/src/linux-headers-$KABI-$d"
	else
		echo "$(kernel_root "$k" "$d")/usr/src/linux-headers-$KABI-$d"
	fi
}

flavor_image() {
	local arch=$1 k=$2
	if [ "$k" = debug ]; then
		echo "$(kernel_dir "$TOP/kunit/migrace.config")/arch/x86/boot/bzImage"
		return
	fi
	find "$(kernel_root "$k" "$(deb_arch "$arch")")" -name 'vmlinuz*' -type f | sort | head -n 1
}

cross_of() {
	[ "$1" = arm64 ] && echo aarch64-linux-gnu- || echo ""
}

# make_module ARCH K TREE: kbuild the module tree for flavor (ARCH, K).
make_module() {
	local arch=$1 k=$2 tree=$3 kdir cross cc=()
	KCHROOT=
	KCC=
	[ "$k" = debug ] || kernel_env "$k"
	kdir=$(flavor_kdir "$arch" "$k")
	cross=$(cross_of "$arch")
	if [ -z "$KCHROOT" ]; then
		[ -e "$kdir/Makefile" ] || die "no kernel tree at $kdir (run: scripts/lab setup)"
		# kernels.conf's compiler, where the headers name another (5.10's
		# gcc-10, which bookworm lacks: gcc-12 builds modules it loads).
		[ -z "$KCC" ] || cc=(CC="$cross$KCC")
		run_echo make -s -j"$(nproc)" -C "$kdir" M="$tree" ARCH="$arch" \
			CROSS_COMPILE="$cross" "${cc[@]}" W=1 modules >&2
		return
	fi
	# The kernel's own compiler lives in its suite's chroot: build a copy there.
	local inner
	inner=/build/$(flavor_of "$arch" "$k")
	mkdir -p "$KCHROOT$inner"
	rsync -a --delete "$tree/" "$KCHROOT$inner/"
	# A private mount namespace gives it a /proc (objtool reads it) that
	# goes away with the build. $1 of the inner sh is the chroot.
	# shellcheck disable=SC2016
	run_echo unshare --mount --fork sh -c 'mount -t proc proc "$1/proc" && shift && exec chroot "$@"' \
		sh "$KCHROOT" "$KCHROOT" make -s -j"$(nproc)" -C "$kdir" M="$inner" ARCH="$arch" \
		CROSS_COMPILE="$cross" CC="${cross:-x86_64-linux-gnu-}$KCC" W=1 modules >&2
	rsync -a --delete "$KCHROOT$inner/" "$tree/"
}

# Build migrace.ko (+ migrace_kunit.ko where the kernel has KUnit) and the
# static driver for one flavor, in a copy of the tree under the cache.
build_flavor() {
	local arch=$1 k=$2 out
	out=$CACHE/build/$(flavor_of "$arch" "$k")
	mkdir -p "$out/tree"
	# Kbuild's outputs stay (its .cmd files included): a build with
	# nothing changed relinks nothing.
	rsync -a --delete --exclude build --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude '*.mod' --exclude '*.mod.c' --exclude modules.order --exclude Module.symvers \
		"$TOP/Kbuild" "$TOP/module" "$TOP/kunit" "$out/tree/"
	make_module "$arch" "$k" "$out/tree"
	run_echo make -s -C "$TOP/userspace" ARCH="$arch" CC="$(cross_of "$arch")gcc" \
		NUMA_PREFIX="$CACHE/$(deb_arch "$arch")" BUILD="$out/userspace" \
		OUT="$out/migrace" >&2
	echo "$out"
}

# scripts/lab build --arch A [--kernel K] [--out DIR]
lab_build() {
	local arch=x86_64 k=$DEFAULT_KERNEL out="" b
	while [ $# -gt 0 ]; do
		case $1 in
		--arch) arch=${2:-}; shift 2 ;;
		--kernel) k=$(kernel_name "${2:-}"); shift 2 ;;
		--out) out=${2:-}; shift 2 ;;
		*) die "build: unknown option '$1' (--arch, --kernel, --out)" ;;
		esac
	done
	check_arch "$arch"
	check_kind "$arch" "$k"
	b=$(build_flavor "$arch" "$k")
	if [ -n "$out" ]; then
		mkdir -p "$out"
		cp "$b/tree/module/migrace.ko" "$b/migrace" "$out/"
		cp "$b"/tree/kunit/*.ko "$out/" 2>/dev/null || true
		say "built for $k $arch: $out/migrace.ko $out/migrace"
	fi
	echo "$b"
}

# --- run ---------------------------------------------------------------------

# The guest's virtio modules, in load order (absent ones are built in).
VIRTIO_MODS=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console)

add_virtio_mods() {
	local arch=$1 k=$2 root=$3 m f mdir d
	kernel_env "$k"
	d=$(deb_arch "$arch")
	mdir=$(find "$(kernel_root "$k" "$d")" -maxdepth 4 -type d -path "*/modules/$KABI-$d" | head -n 1)
	mkdir -p "$root/lib/virtio"
	[ -n "$mdir" ] && [ -d "$mdir/kernel/drivers" ] || return 0	# all built in
	for m in "${VIRTIO_MODS[@]}"; do
		f=$(find "$mdir/kernel/drivers" -name "$m.ko*" | head -n 1)
		[ -n "$f" ] || continue
		case $f in
		*.xz) xz -dc "$f" >"$root/lib/virtio/$m.ko" ;;
		*) cp "$f" "$root/lib/virtio/$m.ko" ;;
		esac
		echo "$m" >>"$root/lib/virtio/order"
	done
}

# Lay out the initramfs root: busybox, /init, our build, extra files, CMD.
make_root() {
	local arch=$1 kind=$2 build=$3 root=$4 f
	shift 4
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,out,migrace}
	cp "$CACHE/$(deb_arch "$arch")/bin/busybox" "$root/bin/busybox"
	cp "$TOP/scripts/guest-init" "$root/init"
	chmod 755 "$root/init"
	cp "$build"/tree/module/migrace.ko "$root/migrace/" 2>/dev/null || true
	cp "$build"/tree/kunit/*.ko "$root/migrace/" 2>/dev/null || true
	cp "$build/migrace" "$root/migrace/" 2>/dev/null || true
	[ "$kind" = debug ] || add_virtio_mods "$arch" "$kind" "$root"
	for f in "${ADD_FILES[@]}"; do
		cp -a "$f" "$root/migrace/"
	done
	if [ $# = 1 ]; then
		printf '%s\n' "$1" >"$root/cmd.sh"
	else
		printf '%q ' "$@" >"$root/cmd.sh"
		echo >>"$root/cmd.sh"
	fi
	echo "$KIND_INFO" >"$root/kernel-info"
	# What the audit calls kernel trouble, for a guest script counting it.
	printf '%s\n' "$AUDIT_RE" >"$root/migrace/audit.re"
}

make_initramfs() {
	local root=$1 out=$2
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
}

# Fill QEMU_ARGS: TCG, two NUMA nodes (half the CPUs and memory each), the
# verdict and out ports; x86_64 also gets a hot-removable DIMM on node 1.
qemu_args() {
	local arch=$1 image=$2 initrd=$3 cpus=$4 mem=$5 dir=$6 half=$(($5 / 2)) memopt
	memopt="${mem}M"
	[ "$arch" = x86_64 ] && memopt="${mem}M,slots=2,maxmem=$((mem + 1024))M"
	QEMU_ARGS=(-accel "tcg${TCG_THREAD:+,thread=${TCG_THREAD}}" -nographic -no-reboot -nic none -audio none
		-L "$QEMU_ROOT/usr/share/seabios" -L "$QEMU_ROOT/usr/share/qemu"
		-kernel "$image" -initrd "$initrd"
		-m "$memopt" -smp "$cpus,sockets=2,cores=$((cpus / 2)),threads=1"
		-object "memory-backend-ram,id=m0,size=${half}M"
		-object "memory-backend-ram,id=m1,size=$((mem - half))M"
		-numa "node,nodeid=0,cpus=0-$((cpus / 2 - 1)),memdev=m0"
		-numa "node,nodeid=1,cpus=$((cpus / 2))-$((cpus - 1)),memdev=m1"
		-device virtio-serial-pci
		-chardev "file,id=verdict,path=$dir/verdict" -device "virtserialport,chardev=verdict,name=verdict"
		-chardev "file,id=out,path=$dir/out.tar" -device "virtserialport,chardev=out,name=out")
	if [ "$arch" = x86_64 ]; then
		QEMU_ARGS=("$(qemu_bin x86_64)" -cpu max "${QEMU_ARGS[@]}"
			-object "memory-backend-ram,id=d1,size=512M" -device "pc-dimm,id=dimm1,memdev=d1,node=1"
			-append "console=ttyS0 panic=-1 memhp_default_state=offline $APPEND")
	else
		QEMU_ARGS=("$(qemu_bin arm64)" -M virt -cpu "max,pauth-impdef=on" "${QEMU_ARGS[@]}"
			-append "console=ttyAMA0 panic=-1 $APPEND")
	fi
	# LAB_QEMU_EXTRA: words added for debugging (a -monitor socket, -d int).
	local -a extra
	read -r -a extra <<<"${LAB_QEMU_EXTRA:-}"
	QEMU_ARGS=(env "QEMU_MODULE_DIR=$QEMU_ROOT/usr/lib/x86_64-linux-gnu/qemu" "${QEMU_ARGS[@]}"
		"${extra[@]}")
}

# First line of a console log that shows the kernel in trouble, or nothing.
AUDIT_RE='(BUG:|WARNING:|Oops|KASAN:|kmemleak:.*new suspected|possible circular locking|possible recursive locking|inconsistent lock state|soft lockup - CPU|hard LOCKUP|rcu_sched self-detected stall|rcu: INFO: .* stall|Kernel panic|general protection fault|list_add corruption|list_del corruption|UBSAN:|blocked for more than)'

# A console line that says the guest will not finish: stop it early.
HANG_RE='(blocked for more than|soft lockup - CPU|hard LOCKUP|rcu_sched self-detected stall|rcu: INFO: .* stall)'
HANG_GRACE=20

# watch_hang PID LOG: while PID runs, poll LOG; HANG_GRACE s after its first
# hang line (time for the trace to be printed), stop PID. Return: 0 if it
# had to (a guest that powers off in the grace is judged by its verdict and
# the audit, which also fails on the line).
watch_hang() {
	local pid=$1 log=$2 t
	while kill -0 "$pid" 2>/dev/null; do
		if grep -qaE "$HANG_RE" "$log"; then
			for ((t = 0; t < HANG_GRACE; t++)); do
				kill -0 "$pid" 2>/dev/null || return 1
				sleep 1
			done
			kill "$pid" 2>/dev/null
			return
		fi
		sleep 2
	done
	return 1
}

lab_audit() {
	local log=${1:-}
	[ -f "$log" ] || die "audit: no such log '$log'"
	local hit
	hit=$(grep -a -m1 -E "$AUDIT_RE" "$log" || true)
	if [ -n "$hit" ]; then
		echo "lab: console audit FAILED ($log): $(echo "$hit" | tr -d '\r')" >&2
		return 1
	fi
	return 0
}

# scripts/lab run --arch A [--kernel K|debug] [--cpus N] [--mem MB]
#   [--timeout S] [--add FILE]... [--out DIR] [--log FILE] [--no-build]
#   [--tcg-thread single|multi] -- CMD...
# --tcg-thread: QEMU's TCG threading (default: QEMU's own, multi where the
# guest and host allow); single runs every vCPU on one host thread: slower,
# and free of races between vCPU threads translating code another patches.
lab_run() {
	local arch=x86_64 kind=$DEFAULT_KERNEL cpus=4 mem=2048 timeout=300 outdir="" log="" build=1
	ADD_FILES=()
	TCG_THREAD=
	APPEND=${APPEND:-}
	while [ $# -gt 0 ]; do
		case $1 in
		--arch) arch=${2:-}; shift 2 ;;
		--kernel) kind=$(kernel_name "${2:-}"); shift 2 ;;
		--cpus) cpus=${2:-}; shift 2 ;;
		--mem) mem=${2:-}; shift 2 ;;
		--timeout) timeout=${2:-}; shift 2 ;;
		--add) ADD_FILES+=("${2:-}"); shift 2 ;;
		--out) outdir=${2:-}; shift 2 ;;
		--log) log=${2:-}; shift 2 ;;
		--no-build) build=0; shift ;;
		--tcg-thread)
			TCG_THREAD=${2:-}
			[[ $TCG_THREAD =~ ^(single|multi)$ ]] ||
				die "run: --tcg-thread '$TCG_THREAD' must be single or multi"
			shift 2
			;;
		--) shift; break ;;
		*) die "run: unknown option '$1'" ;;
		esac
	done
	check_arch "$arch"
	check_kind "$arch" "$kind"
	if ! [[ $cpus =~ ^[0-9]+$ ]] || [ "$cpus" -lt 2 ] || [ $((cpus % 2)) != 0 ]; then
		die "run: --cpus '$cpus' must be an even number >= 2"
	fi
	if ! [[ $mem =~ ^[0-9]+$ ]] || [ "$mem" -lt 512 ]; then
		die "run: --mem '$mem' must be MiB >= 512"
	fi
	[[ $timeout =~ ^[0-9]+$ ]] || die "run: --timeout '$timeout' must be seconds"
	[ $# -gt 0 ] || die "run: no command given (… -- CMD)"
	local f
	for f in "${ADD_FILES[@]}"; do [ -e "$f" ] || die "run: --add '$f' does not exist"; done
	guest_run "$arch" "$kind" "$cpus" "$mem" "$timeout" "$outdir" "$log" "$build" "$@"
}

# The script was interrupted: stop the guest (timeout passes TERM on to
# QEMU), wait for it, then remove its files.
guest_interrupted() {
	if [ -n "$GUEST_PID" ]; then
		kill "$GUEST_PID" 2>/dev/null
		wait "$GUEST_PID" 2>/dev/null
	fi
	rm -rf "$GUEST_WORK"
	exit "$1"
}

# guest_boot TIMEOUT LOG WORK: run QEMU_ARGS once, watching for a hang.
# Return: 1 if it hung (stopped by the watch); rc is QEMU's exit status.
guest_boot() {
	local timeout=$1 log=$2 work=$3 qpid hung=0
	: >"$work/verdict"
	: >"$work/out.tar"
	: >"$log"	# before the watch: an old run's hang line is no hang
	# A background job ignores ^C: stop the guest with the script.
	GUEST_PID=""
	trap 'guest_interrupted 130' INT
	trap 'guest_interrupted 143' TERM
	timeout --kill-after=5 "$timeout" "${QEMU_ARGS[@]}" </dev/null >"$log" 2>&1 &
	qpid=$!
	GUEST_PID=$qpid
	watch_hang "$qpid" "$log" && hung=1
	wait "$qpid" && rc=0 || rc=$?
	trap - INT TERM
	return "$hung"
}

guest_run() {
	local arch=$1 kind=$2 cpus=$3 mem=$4 timeout=$5 outdir=$6 log=$7 build=$8 bdir image work rc
	shift 8
	bdir=$CACHE/build/$(flavor_of "$arch" "$kind")
	[ "$build" = 1 ] && bdir=$(build_flavor "$arch" "$kind")
	[ "$kind" = debug ] || kernel_env "$kind"
	image=$(flavor_image "$arch" "$kind")
	[ -f "$image" ] || die "no kernel image for $kind $arch (run: scripts/lab setup --kernel $kind)"
	[ -x "$(qemu_bin "$arch")" ] || die "the lab's QEMU is not set up (run: scripts/lab setup)"
	work=$(mktemp -d "${TMPDIR:-/tmp}/migrace-guest.XXXXXX")
	GUEST_WORK=$work
	trap 'rm -rf "$GUEST_WORK"' RETURN
	KIND_INFO="$kind $arch $(basename "$image")"
	# KASAN + lockdep under TCG boot so slowly (ACPI setup alone takes tens of
	# seconds) that the default soft-lockup (20 s) and RCU stall (21 s)
	# detectors fire on boot itself: give them the emulation's time scale.
	[ "$kind" = debug ] && APPEND="$APPEND watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120"
	make_root "$arch" "$kind" "$bdir" "$work/root" "$@"
	make_initramfs "$work/root" "$work/initramfs.cpio.gz"
	[ -n "$log" ] || log=$CACHE/logs/$(flavor_of "$arch" "$kind")-$(date +%Y%m%d-%H%M%S).log
	mkdir -p "$(dirname "$log")"
	qemu_args "$arch" "$image" "$work/initramfs.cpio.gz" "$cpus" "$mem" "$work"
	echo "+ timeout $timeout ${QEMU_ARGS[*]}" >&2
	local t0=$SECONDS hung try
	for try in 1 2; do
		guest_boot "$timeout" "$log" "$work" && hung=0 || hung=1
		if [ "$try" = 2 ] || ! emulator_failed "$hung" "$log" "$work/verdict"; then
			break
		fi
	done
	# What the command printed (the console minus kernel messages).
	sed -n '/^guest: kernel/,/^guest: command exited/p' "$log" | tr -d '\r' |
		grep -v '^\[ *[0-9]*\.[0-9]*\]' || true
	say "guest ran $((SECONDS - t0)) s; console log: $log"
	if [ -n "$outdir" ] && [ -s "$work/out.tar" ]; then
		mkdir -p "$outdir"
		tar -C "$outdir" -xf "$work/out.tar" 2>/dev/null || say "guest output was cut short"
	fi
	if [ "$hung" = 1 ]; then
		say "guest FAILED: hung: its console shows '$(grep -a -m1 -E "$HANG_RE" "$log" | tr -d '\r')';" \
			"stopped ${HANG_GRACE}s later, at $((SECONDS - t0)) s of its ${timeout}s timeout"
		lab_audit "$log" || true
		return 1
	fi
	guest_verdict "$rc" "$timeout" "$log" "$work/verdict"
}

# emulator_failed HUNG LOG VERDICT: did the emulator, not the guest, end the
# run just made (QEMU's status in rc)? Then say so, keep its console as
# LOG.emulator and return 0: the caller boots once more. Two cases:
# - a hang before the guest's init ran (TCG: a timer that never fired); the
#   module is not loaded yet;
# - QEMU killed by a signal of its own (134: it aborted; 139: it crashed)
#   before the guest reported a status. A guest's panic powers QEMU off
#   (panic=-1, -no-reboot); our own stops are TERM and KILL (143, 137).
emulator_failed() {
	local hung=$1 log=$2 verdict=$3
	if [ "$hung" = 1 ]; then
		grep -qa '^guest: kernel' "$log" && return 1
		cp "$log" "$log.emulator"
		say "guest hung while booting, before its command: '$(grep -a -m1 -E "$HANG_RE" "$log" |
			tr -d '\r')' (console: $log.emulator); booting it once more"
		return 0
	fi
	if [ "$rc" -le 128 ] || [ "$rc" = 137 ] || [ "$rc" = 143 ] || grep -q '^rc=' "$verdict"; then
		return 1
	fi
	cp "$log" "$log.emulator"
	say "QEMU itself died (status $rc, signal $((rc - 128))) before the guest reported;" \
		"its last words: '$(tail -n 1 "$log" | tr -d '\r')' (console: $log.emulator); booting it once more"
	return 0
}

# The guest's exit status, from its own channel; audit the log.
guest_verdict() {
	local qrc=$1 timeout=$2 log=$3 verdict=$4 status
	status=$(sed -n 's/^rc=\([0-9]*\)$/\1/p' "$verdict" | tail -n 1)
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		say "guest FAILED: no power-off within ${timeout}s (hung guest); last line: $(tail -n 1 "$log" | tr -d '\r')"
		lab_audit "$log" || true
		return 1
	fi
	lab_audit "$log" || return 1
	if [ -z "$status" ]; then
		say "guest FAILED: it never reported an exit status (crash or early power-off; qemu rc $qrc);" \
			"the console's last line: $(tail -n 1 "$log" | tr -d '\r')"
		return 1
	fi
	say "guest command exited $status"
	return "$status"
}

# --- the kernel's migration selftest, built on the host (triage, bench) --------

# selftest_make ARCH K DIR: DIR/migration_test from K's linux-source, static
# for ARCH; DIR/selftest.host says how (or why not), as `key: value` lines:
# status, why, source, file, timeout (seconds for the whole binary), and
# readers_less (K where the source starts numa_num_task_cpus() - K readers).
selftest_make() {
	local arch=$1 k=$2 dir=$3 tree src d log=$3/build.log
	mkdir -p "$dir"
	: >"$log"
	if ! tree=$(selftest_tree "$k" 2>>"$log"); then
		st_status "$dir" "not run" "no linux-source for $k: $(tail -n 1 "$log")"
		return 0
	fi
	src=""
	for d in mm vm; do
		[ -f "$tree/tools/testing/selftests/$d/migration.c" ] || continue
		src=$tree/tools/testing/selftests/$d/migration.c
	done
	if [ -z "$src" ]; then
		st_status "$dir" "not run" "no tools/testing/selftests/{mm,vm}/migration.c in $tree"
		return 0
	fi
	if selftest_cc "$arch" "$tree" "$src" "$dir/migration_test" >>"$log" 2>&1; then
		st_status "$dir" built "" "source: $(basename "$tree") $(src_version "$tree")" \
			"file: ${src#"$tree"/}" "timeout: $(selftest_bound "$src")" \
			"readers_less: $(sed -n 's/.*numa_num_task_cpus() *- *\([0-9]\).*/\1/p' "$src" | head -n 1)"
	else
		st_status "$dir" "not run" "the build failed: $(grep -m1 error: "$log" || tail -n 1 "$log")"
	fi
}

# st_status DIR STATUS WHY [LINE]...
st_status() {
	local dir=$1
	{
		echo "status: $2"
		[ -z "$3" ] || echo "why: $3"
		shift 3
		[ $# = 0 ] || printf '%s\n' "$@"
	} >"$dir/selftest.host"
}

# selftest_cc ARCH TREE SRC OUT: migration.c and the helpers it includes
# (vm_util, hugepage/thp settings), as the kselftest Makefile would,
# statically. The host's uapi headers first; where the test needs newer ones
# (7.2), the source's own include/uapi.
selftest_cc() {
	local arch=$1 tree=$2 src=$3 out=$4 d cc numa=() srcs=(migration.c) h flags
	d=$(dirname "$src")
	cc=$(cross_of "$arch")gcc
	[ "$arch" = x86_64 ] ||
		numa=(-I"$CACHE/arm64/usr/include" -L"$CACHE/arm64/usr/lib/aarch64-linux-gnu")
	while read -r h; do
		[ -f "$d/$h.c" ] && srcs+=("$h.c")
	done < <(sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$src")
	for flags in "" "-D__EXPORTED_HEADERS__ -isystem $tree/include/uapi"; do
		# shellcheck disable=SC2086
		(cd "$d" && run_echo "$cc" -static -O2 -I.. -I. $flags "${numa[@]}" "${srcs[@]}" \
			-lnuma -lpthread -o "$out") && return 0
	done
	return 1
}

# selftest_bound SRC: seconds the whole selftest may take: each TEST_F's
# timeout (2 x RUNTIME in every version so far) plus 30 s.
selftest_bound() {
	local runtime n
	runtime=$(sed -n 's/^#define RUNTIME[^0-9]*\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
	n=$(grep -c '^TEST_F' "$1" || true)
	echo $(( ${n:-6} * 2 * ${runtime:-60} + 30 ))
}
