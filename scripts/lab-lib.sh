# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Functions behind scripts/lab. Sourced, not run. Needs TOP and CACHE set.

HOST_PKGS=(qemu-system-x86 qemu-system-arm gcc-aarch64-linux-gnu busybox-static
	libnuma-dev flex bison bc libelf-dev libssl-dev dwarves cpio linux-kbuild-6.1
	linux-source-6.1 python3 python3-jsonschema xz-utils make gcc rsync shellcheck)

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

kernel_env() {
	[ -f "$CACHE/kernel.env" ] || die "no kernel in $CACHE (run: scripts/lab setup)"
	# shellcheck source=/dev/null
	. "$CACHE/kernel.env"
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

# Download (once) and unpack a package into a root.
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
	*:all | *-common | linux-source* | linux-kbuild*) echo all ;;
	*) echo amd64 ;;
	esac
}

# Debian's headers Makefile includes the -common tree by absolute path, and
# its scripts link to the host's linux-kbuild-6.1. Rewrite the include so the
# tree works from the cache.
fix_headers() {
	local root=$1 abi=$2 arch=$3 hdr
	hdr=$root/usr/src/linux-headers-$abi-$arch
	[ -d "$hdr" ] || die "headers missing in $hdr"
	sed -i "s|^include /usr/src/linux-headers-$abi-common|include $CACHE/common/usr/src/linux-headers-$abi-common|" \
		"$hdr/Makefile"
	local d
	for d in "$hdr" "$CACHE/common/usr/src/linux-headers-$abi-common"; do
		ln -sfn /usr/lib/linux-kbuild-6.1/scripts "$d/scripts"
		ln -sfn /usr/lib/linux-kbuild-6.1/tools "$d/tools"
	done
}

lab_setup() {
	local abi ver
	install_host_pkgs
	abi=$(discover_abi)
	say "Debian 6.1 kernel ABI: $abi"
	mkdir -p "$CACHE"
	fetch_pkg "linux-headers-$abi-common:all" "$CACHE/common"
	fetch_pkg "linux-image-$abi-amd64-unsigned" "$CACHE/amd64"
	fetch_pkg "linux-headers-$abi-amd64" "$CACHE/amd64"
	fetch_pkg "busybox-static" "$CACHE/amd64"
	fetch_pkg "linux-image-$abi-arm64-unsigned:arm64" "$CACHE/arm64"
	fetch_pkg "linux-headers-$abi-arm64:arm64" "$CACHE/arm64"
	fetch_pkg "busybox-static:arm64" "$CACHE/arm64"
	fetch_pkg "libnuma-dev:arm64" "$CACHE/arm64"
	fetch_pkg "libnuma1:arm64" "$CACHE/arm64"
	fix_headers "$CACHE/amd64" "$abi" amd64
	fix_headers "$CACHE/arm64" "$abi" arm64
	ver=$(basename "$(find "$CACHE/debs" -name "linux-image-$abi-amd64-unsigned_*.deb" | head -n 1)" |
		cut -d_ -f2)
	cat >"$CACHE/kernel.env" <<-EOF
		KABI=$abi
		KPKGVER=$ver
	EOF
	say "cache ready in $CACHE (kernel $abi, package $ver)"
}

lab_info() {
	kernel_env
	echo "cache: $CACHE"
	echo "kernel: $KABI (Debian package $KPKGVER)"
}

# --- the KUnit/debug kernel ------------------------------------------------

SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz

kernel_src() {
	local src=$CACHE/src/linux-source-6.1
	if [ ! -f "$src/.unpacked" ]; then
		[ -f "$SRC_TARBALL" ] || die "missing $SRC_TARBALL (run: scripts/lab setup)"
		mkdir -p "$CACHE/src"
		run_echo tar -C "$CACHE/src" -xJf "$SRC_TARBALL"
		touch "$src/.unpacked"
	fi
	echo "$src"
}

# Build dir of the debug kernel: keyed by the fragment and the source version.
kernel_dir() {
	local frag=$1 srcver key
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed (run: scripts/lab setup)"
	key=$( (cat "$frag"; echo "src=$srcver arch=x86_64") | sha256sum | cut -c1-12)
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
	src=$(kernel_src)
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

# Flavor: stock-x86_64, stock-arm64 (Debian's kernels) or debug-x86_64 (ours).
flavor_of() {
	echo "$2-$1"
}

# Kernel build dir (KDIR) and boot image of a flavor.
flavor_kdir() {
	local arch=$1 kind=$2
	if [ "$kind" = debug ]; then
		kernel_dir "$TOP/kunit/migrace.config"
		return
	fi
	kernel_env
	echo "$CACHE/$(deb_arch "$arch")/usr/src/linux-headers-$KABI-$(deb_arch "$arch")"
}

flavor_image() {
	local arch=$1 kind=$2
	if [ "$kind" = debug ]; then
		echo "$(kernel_dir "$TOP/kunit/migrace.config")/arch/x86/boot/bzImage"
		return
	fi
	kernel_env
	echo "$CACHE/$(deb_arch "$arch")/boot/vmlinuz-$KABI-$(deb_arch "$arch")"
}

cross_of() {
	[ "$1" = arm64 ] && echo aarch64-linux-gnu- || echo ""
}

# Build migrace.ko (+ migrace_kunit.ko where the kernel has KUnit) and the
# static driver for one flavor, in a copy of the tree under the cache.
build_flavor() {
	local arch=$1 kind=$2 out kdir cross
	out=$CACHE/build/$(flavor_of "$arch" "$kind")
	kdir=$(flavor_kdir "$arch" "$kind")
	[ -e "$kdir/Makefile" ] || die "no kernel tree at $kdir (run: scripts/lab setup${kind:+ / scripts/lab kernel})"
	cross=$(cross_of "$arch")
	mkdir -p "$out/tree"
	rsync -a --delete --exclude build --exclude '*.o' --exclude '*.ko' \
		"$TOP/Kbuild" "$TOP/module" "$TOP/kunit" "$out/tree/"
	run_echo make -s -C "$kdir" M="$out/tree" ARCH="$arch" CROSS_COMPILE="$cross" W=1 modules >&2
	run_echo make -s -C "$TOP/userspace" ARCH="$arch" CC="${cross}gcc" \
		NUMA_PREFIX="$CACHE/$(deb_arch "$arch")" BUILD="$out/userspace" \
		OUT="$out/migrace" >&2
	echo "$out"
}

# scripts/lab build --arch A [--kernel stock|debug]
lab_build() {
	local arch=x86_64 kind=stock
	while [ $# -gt 0 ]; do
		case $1 in
		--arch) arch=${2:-}; shift 2 ;;
		--kernel) kind=${2:-}; shift 2 ;;
		*) die "build: unknown option '$1'" ;;
		esac
	done
	check_arch "$arch"
	check_kind "$arch" "$kind"
	build_flavor "$arch" "$kind"
}

check_kind() {
	case $2 in
	stock) ;;
	debug) [ "$1" = x86_64 ] || die "the debug kernel is built for x86_64 only" ;;
	*) die "unknown kernel '$2' (stock or debug)" ;;
	esac
}

# --- run ---------------------------------------------------------------------

# The guest's virtio modules, in load order (absent ones are built in).
VIRTIO_MODS=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console)

add_virtio_mods() {
	local arch=$1 root=$2 m f mdir
	kernel_env
	mdir=$CACHE/$(deb_arch "$arch")/lib/modules/$KABI-$(deb_arch "$arch")
	mkdir -p "$root/lib/virtio"
	for m in "${VIRTIO_MODS[@]}"; do
		f=$(find "$mdir/kernel/drivers" -name "$m.ko" | head -n 1)
		[ -n "$f" ] || continue
		cp "$f" "$root/lib/virtio/"
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
	[ "$kind" = stock ] && add_virtio_mods "$arch" "$root"
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
	QEMU_ARGS=(-accel tcg -nographic -no-reboot -kernel "$image" -initrd "$initrd"
		-m "$memopt" -smp "$cpus,sockets=2,cores=$((cpus / 2)),threads=1"
		-object "memory-backend-ram,id=m0,size=${half}M"
		-object "memory-backend-ram,id=m1,size=$((mem - half))M"
		-numa "node,nodeid=0,cpus=0-$((cpus / 2 - 1)),memdev=m0"
		-numa "node,nodeid=1,cpus=$((cpus / 2))-$((cpus - 1)),memdev=m1"
		-device virtio-serial-pci
		-chardev "file,id=verdict,path=$dir/verdict" -device "virtserialport,chardev=verdict,name=verdict"
		-chardev "file,id=out,path=$dir/out.tar" -device "virtserialport,chardev=out,name=out")
	if [ "$arch" = x86_64 ]; then
		QEMU_ARGS=(qemu-system-x86_64 -cpu max "${QEMU_ARGS[@]}"
			-object "memory-backend-ram,id=d1,size=512M" -device "pc-dimm,id=dimm1,memdev=d1,node=1"
			-append "console=ttyS0 panic=-1 $APPEND")
	else
		QEMU_ARGS=(qemu-system-aarch64 -M virt -cpu "max,pauth-impdef=on" "${QEMU_ARGS[@]}"
			-append "console=ttyAMA0 panic=-1 $APPEND")
	fi
}

# First line of a console log that shows the kernel in trouble, or nothing.
AUDIT_RE='(BUG:|WARNING:|Oops|KASAN:|kmemleak:.*new suspected|possible circular locking|possible recursive locking|inconsistent lock state|soft lockup - CPU|hard LOCKUP|rcu_sched self-detected stall|rcu: INFO: .* stall|Kernel panic|general protection fault|list_add corruption|list_del corruption|UBSAN:|blocked for more than)'

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

# scripts/lab run --arch A [--kernel stock|debug] [--cpus N] [--mem MB]
#   [--timeout S] [--add FILE]... [--out DIR] [--log FILE] [--no-build] -- CMD...
lab_run() {
	local arch=x86_64 kind=stock cpus=4 mem=2048 timeout=300 outdir="" log="" build=1
	ADD_FILES=()
	APPEND=${APPEND:-}
	while [ $# -gt 0 ]; do
		case $1 in
		--arch) arch=${2:-}; shift 2 ;;
		--kernel) kind=${2:-}; shift 2 ;;
		--cpus) cpus=${2:-}; shift 2 ;;
		--mem) mem=${2:-}; shift 2 ;;
		--timeout) timeout=${2:-}; shift 2 ;;
		--add) ADD_FILES+=("${2:-}"); shift 2 ;;
		--out) outdir=${2:-}; shift 2 ;;
		--log) log=${2:-}; shift 2 ;;
		--no-build) build=0; shift ;;
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

guest_run() {
	local arch=$1 kind=$2 cpus=$3 mem=$4 timeout=$5 outdir=$6 log=$7 build=$8 bdir image work rc
	shift 8
	bdir=$CACHE/build/$(flavor_of "$arch" "$kind")
	[ "$build" = 1 ] && bdir=$(build_flavor "$arch" "$kind")
	image=$(flavor_image "$arch" "$kind")
	[ -f "$image" ] || die "no kernel image $image (run: scripts/lab setup)"
	command -v "qemu-system-$( [ "$arch" = arm64 ] && echo aarch64 || echo x86_64)" >/dev/null ||
		die "qemu for $arch is not installed (run: scripts/lab setup)"
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
	: >"$work/verdict"
	: >"$work/out.tar"
	[ -n "$log" ] || log=$CACHE/logs/$(flavor_of "$arch" "$kind")-$(date +%Y%m%d-%H%M%S).log
	mkdir -p "$(dirname "$log")"
	qemu_args "$arch" "$image" "$work/initramfs.cpio.gz" "$cpus" "$mem" "$work"
	echo "+ timeout $timeout ${QEMU_ARGS[*]}" >&2
	local t0=$SECONDS
	timeout --kill-after=5 "$timeout" "${QEMU_ARGS[@]}" </dev/null >"$log" 2>&1 && rc=0 || rc=$?
	# What the command printed (the console minus kernel messages).
	sed -n '/^guest: kernel/,/^guest: command exited/p' "$log" | tr -d '\r' |
		grep -v '^\[ *[0-9]*\.[0-9]*\]' || true
	say "guest ran $((SECONDS - t0)) s; console log: $log"
	if [ -n "$outdir" ] && [ -s "$work/out.tar" ]; then
		mkdir -p "$outdir"
		tar -C "$outdir" -xf "$work/out.tar" 2>/dev/null || say "guest output was cut short"
	fi
	guest_verdict "$rc" "$timeout" "$log" "$work/verdict"
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
		say "guest FAILED: it never reported an exit status (crash or early power-off; qemu rc $qrc)"
		return 1
	fi
	say "guest command exited $status"
	return "$status"
}
