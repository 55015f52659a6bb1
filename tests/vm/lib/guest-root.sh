# shellcheck shell=sh
# guest-root.sh — make the host's read-only root a guest root the VM can write to, and
# bring in what the test harness shares (POSIX sh: it runs under busybox in an initramfs).
#
# Sourced by two initramfs images, each after it has mounted the host root (9p tag
# hostroot) at NEWROOT:
#   - the harness's own (tests/vm/mkinitramfs), whose /init then switch_roots into
#     guest-init;
#   - Debian's, built in the guest by update-initramfs (tests/vm/lib/initramfs-probe hands
#     over to guest-init after its probe, so that a scenario runs after the reboot).
#
# vm_root_setup NEWROOT RUN: tmpfs-backed overlays over /etc /usr /var, tmpfs on /tmp /home
# /root, the guest kernel's modules at /lib/modules/VERSION, the `meson install --destdir`
# tree copied over the root, and under RUN/passthru-vm the results share, the state share
# (bound to /boot and /etc/passthru) and tests/vm itself. RUN is the directory that becomes
# the guest's /run: NEWROOT/run for the harness (a tmpfs is mounted there), /run for
# Debian's initramfs (whose init moves its own /run onto the root's after init-bottom).
#
# The caller defines fail MESSAGE (never returns). Parameters come from the kernel command
# line as passthru.NAME=VALUE (ignored by the kernel, visible in /proc/cmdline).

# Value of passthru.$1= on the kernel command line (empty when absent).
param() {
	for w in $(cat /proc/cmdline); do
		case $w in passthru.$1=*) echo "${w#*=}"; return ;; esac
	done
}

# mount 9p share TAG at DIR with OPTIONS (ro or rw)
vm_mount_share() {
	mkdir -p "$2"
	mount -t 9p -o "trans=virtio,version=9p2000.L,$3,msize=262144" "$1" "$2" || fail "mount $1"
}

vm_root_setup() {
	newroot=$1
	run=$2
	KDIR=$(param kdir)
	KVER=$(param kver)
	[ -n "$KDIR" ] && [ -n "$KVER" ] || fail "passthru.kdir/kver missing"

	# Hold on to the guest kernel's modules before anything is mounted over the host path
	# (the cache could live under /tmp or /run); moved into place once /usr is writable.
	mkdir -p /kmods
	mount -o bind "$newroot$KDIR/lib/modules/$KVER" /kmods || fail "bind $KDIR/lib/modules/$KVER"

	# Writable layers live in one tmpfs; the host never sees a write.
	mkdir -p /rw
	mount -t tmpfs -o mode=0755 rw /rw
	for d in etc usr var; do
		mkdir -p "/rw/$d.upper" "/rw/$d.work"
		mount -t overlay overlay \
			-o "lowerdir=$newroot/$d,upperdir=/rw/$d.upper,workdir=/rw/$d.work" "$newroot/$d" ||
			fail "overlay on /$d"
	done
	[ "$run" = "$newroot/run" ] && mount -t tmpfs -o mode=0755,nosuid,nodev run "$run"
	mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$newroot/tmp"
	mount -t tmpfs -o mode=0755 home "$newroot/home"
	mount -t tmpfs -o mode=0700 roothome "$newroot/root"

	# The guest kernel's modules at /lib/modules/VERSION (/lib -> usr/lib: in the /usr overlay).
	mkdir -p "$newroot/lib/modules/$KVER" || fail "/lib/modules/$KVER not creatable (no merged /usr?)"
	mount -o move /kmods "$newroot/lib/modules/$KVER" || fail "move kernel modules into place"

	[ "$(param destdir)" = 1 ] && vm_copy_destdir "$newroot"

	# Logs and verdicts go back to the host through this writable share.
	vm_mount_share results "$run/passthru-vm/results" rw
	# State kept across boots (tests/vm/run --state): /boot, where update-initramfs writes the
	# guest's own initramfs, and /etc/passthru, where the daemon keeps its configuration.
	if [ "$(param state)" = 1 ]; then
		vm_mount_share state "$run/passthru-vm/state" rw
		mkdir -p "$newroot/etc/passthru"
		mount -o bind "$run/passthru-vm/state/boot" "$newroot/boot" || fail "bind /boot"
		mount -o bind "$run/passthru-vm/state/etc-passthru" "$newroot/etc/passthru" ||
			fail "bind /etc/passthru"
	fi
	# tests/vm itself (guest-init, lib, scenarios) comes as its own share: the source tree may
	# sit under /tmp or /home, which the guest covers with tmpfs.
	vm_mount_share vmtests "$run/passthru-vm/tests" ro
}

# The project's `meson install --destdir` tree, copied over the guest root. A top-level
# entry that is a symlink on the host (lib -> usr/lib, bin, sbin) is followed.
vm_copy_destdir() {
	vm_mount_share destdir /destdir ro
	for e in /destdir/*; do
		[ -e "$e" ] || continue
		top=${e#/destdir/}
		dst=$1/$top
		if [ -L "$dst" ]; then dst=$1/$(readlink "$dst"); fi
		if [ -d "$e" ]; then
			mkdir -p "$dst" && cp -a "$e/." "$dst/" || fail "copy destdir/$top"
		else
			cp -a "$e" "$dst" || fail "copy destdir/$top"
		fi
		echo "initramfs: destdir/$top -> ${dst#"$1"}"
	done
	umount /destdir
}
