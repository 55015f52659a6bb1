# shellcheck shell=bash
# guest.sh — helpers for scenarios running inside the passthru test VM.
#
# Source it from a scenario:   . "$PASSTHRU_VM_LIB"
# A scenario is a bash script run as root after udev, the system bus and polkitd are up;
# it exits non-zero on any failed check. These helpers print every check they make, so the
# log read on the host tells what was checked and what failed.

set -euo pipefail

RESULTS=${PASSTHRU_VM_RESULTS:-/run/passthru-vm/results}
VM_FAILED=0

vm_log() { echo "--- $*"; }

# vm_check "what" CMD...: run CMD, print ok/FAIL; a failure is remembered (vm_done exits 1)
# but does not stop the scenario, so one run reports every broken check.
vm_check() {
    local what=$1; shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if [[ $rc -eq 0 ]]; then
        echo "ok   - $what"
    else
        echo "FAIL - $what (exit $rc: $*)"
        [[ -n $out ]] && sed 's/^/       | /' <<<"$out"
        VM_FAILED=1
    fi
    return 0
}

# vm_require "what" CMD...: like vm_check but stops the scenario at once on failure.
vm_require() {
    vm_check "$@"
    [[ $VM_FAILED -eq 0 ]] || { echo "FATAL: cannot go on after: $1"; exit 1; }
}

vm_fail() { echo "FAIL - $*"; VM_FAILED=1; }

# End of a scenario: exit status tells the verdict.
vm_done() {
    if [[ $VM_FAILED -eq 0 ]]; then echo "=== all checks passed"; exit 0; fi
    echo "=== some checks FAILED"; exit 1
}

# vm_wait SECONDS CMD...: poll CMD every 0.1 s until it succeeds; false after SECONDS.
vm_wait() {
    local tries=$(( $1 * 10 )); shift
    while (( tries-- > 0 )); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# vm_qmp JSON...: send QMP commands to this VM's QEMU through the host-side bridge (the
# guest cannot reach the QMP socket itself). Each argument is one QMP command as JSON, e.g.
#   vm_qmp '{"execute":"device_add","arguments":{"driver":"e1000e","id":"nic9","bus":"rp1"}}'
# Prints the responses (one JSON line per command); fails if any has "error" or no ack
# comes within 30 s. Events QEMU sends (DEVICE_DELETED, ...) accumulate in
# $RESULTS/qmp/events.jsonl.
vm_qmp() {
    local dir=$RESULTS/qmp name tries=300
    mkdir -p "$dir"
    name=$(date +%s%N)-$$
    printf '%s\n' "$@" >"$dir/$name.tmp"
    mv "$dir/$name.tmp" "$dir/$name.req"       # rename: the host sees a whole request
    while [[ ! -e $dir/$name.ack ]]; do
        (( tries-- > 0 )) || { echo "vm_qmp: no ack from the host bridge in 30 s" >&2; return 1; }
        sleep 0.1
    done
    cat "$dir/$name.ack"
    ! grep -q '"error"' "$dir/$name.ack"
}

# vm_qmp_event NAME [SECONDS]: wait for a QMP event (e.g. DEVICE_DELETED) to be logged.
vm_qmp_event() {
    vm_wait "${2:-30}" grep -q "\"event\": *\"$1\"" "$RESULTS/qmp/events.jsonl"
}

# Sysfs helpers ------------------------------------------------------------------------

# One line per PCI function, like `lspci -nnk`: address [class] [vendor:device] group
# driver. Reads sysfs with builtins and one find: every fork costs ~0.1 s under TCG.
vm_lspci() {
    local d a class vendor device dir name target
    local -A drv=() grp=()
    while read -r dir name target; do
        dir=${dir%/}; a=${dir##*/}
        if [[ $name == driver ]]; then drv[$a]=${target##*/}; else grp[$a]=${target##*/}; fi
    done < <(find /sys/bus/pci/devices/*/ -mindepth 1 -maxdepth 1 \
                 \( -name driver -o -name iommu_group \) -printf '%h %f %l\n')
    for d in /sys/bus/pci/devices/*; do
        a=${d##*/}
        read -r class <"$d/class"; read -r vendor <"$d/vendor"; read -r device <"$d/device"
        printf '%s [%s] [%s:%s] group=%s driver=%s\n' "$a" "${class:2:4}" "${vendor#0x}" \
            "${device#0x}" "${grp[$a]:--}" "${drv[$a]:--}"
    done
}

# IOMMU group number of a PCI address, "-" when there is none.
vm_group_of() {
    local l=/sys/bus/pci/devices/$1/iommu_group
    if [[ -L $l ]]; then basename "$(readlink "$l")"; else echo -; fi
}

# Driver bound to a PCI address, empty when none.
vm_driver_of() {
    local l=/sys/bus/pci/devices/$1/driver
    [[ -L $l ]] && basename "$(readlink "$l")"
    return 0
}

# PCI addresses with the given vendor:device (e.g. 8086:10d3), one per line.
vm_find_pci() {
    local d v=0x${1%%:*} p=0x${1##*:}
    for d in /sys/bus/pci/devices/*; do
        [[ $(<"$d/vendor") == "$v" && $(<"$d/device") == "$p" ]] && basename "$d"
    done
    return 0
}

vm_iommu_groups() {
    local g
    for g in /sys/kernel/iommu_groups/*; do
        [[ -d $g ]] || continue
        echo "group $(basename "$g"): $(ls "$g/devices" | tr '\n' ' ')"
    done
}

# passthru helpers ---------------------------------------------------------------------

vm_passthru_on_bus() {
    busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        NameHasOwner s org.passthru.Manager 2>/dev/null | grep -qx 'b true'
}

# vm_start_passthrud: start the installed daemon the way its unit says (the guest has no
# systemd, so ExecStart is read from the installed passthrud.service), log to the results
# share, and wait until it owns its bus name. Extra arguments are appended to ExecStart.
vm_start_passthrud() {
    local unit exec
    for unit in /lib/systemd/system/passthrud.service /usr/lib/systemd/system/passthrud.service; do
        [[ -f $unit ]] && break
    done
    vm_require "passthrud.service is installed" test -f "$unit"
    exec=$(sed -n 's/^ExecStart=//p' "$unit" | head -n1)
    vm_require "the unit has an ExecStart" test -n "$exec"
    # shellcheck disable=SC2086 # ExecStart is a command line: split it as systemd would.
    setsid $exec "$@" >>"$RESULTS/passthrud.log" 2>&1 </dev/null &
    VM_PASSTHRUD_PID=$!
    vm_require "passthrud owns org.passthru.Manager" vm_wait 60 vm_passthru_on_bus
}

# vm_stop_passthrud: SIGTERM, as systemd would stop it; it must exit cleanly.
vm_stop_passthrud() {
    kill -TERM "$VM_PASSTHRUD_PID"
    local rc=0
    wait "$VM_PASSTHRUD_PID" || rc=$?
    vm_check "passthrud exited cleanly on SIGTERM" test "$rc" -eq 0
}

# The lockdown row of passthructl check reads securityfs, which a systemd host mounts at boot.
vm_mount_securityfs() {
    mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security ||
        true
}

# vm_as_alice CMD...: run as the unprivileged user the guest creates.
# The root a package named in the scenario's `# vm: debs=` header was unpacked into.
vm_deb_root() {
    local arg
    for arg in $(cat /proc/cmdline); do
        [[ $arg == passthru.debs=* ]] || continue
        tr ',' '\n' <<<"${arg#passthru.debs=}" | grep -m1 "/debs/$1_"
        return 0
    done
    return 1
}

vm_as_alice() { runuser -u alice -- "$@"; }

# vm_uevents_during FILE CMD...: the kernel's uevents of PCI devices (bind, unbind, add,
# remove...) while CMD runs, into FILE.
vm_uevents_during() {
    local file=$1 pid; shift
    udevadm monitor --kernel --subsystem-match=pci >"$file" 2>&1 &
    pid=$!
    sleep 1                               # the monitor is listening before CMD starts
    "$@"
    udevadm settle --timeout=30 || true
    sleep 1
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

# A login session without logind ------------------------------------------------------

# The guest has no systemd-logind (guest-init is PID 1), so no process is in a login
# session, and polkitd ignores a fallback agent (pkttyagent --fallback, as passthructl and
# systemctl start it) for a caller outside any session. polkitd asks libsystemd's
# sd-login, which reads what logind would leave: the session from the process's cgroup
# (/proc/PID/cgroup ending in session-N.scope, cgroup v2 at /sys/fs/cgroup) and its state
# from /run/systemd/sessions/N and /run/systemd/users/UID. vm_fake_logind_session writes
# exactly that for one active local session on seat0; it is logind's bookkeeping, faked,
# and nothing else. The files and fields are the ones systemd 252's sd-login parses.
vm_fake_logind_session() {
    local user=$1 id=$2 uid slice
    uid=$(id -u "$user")
    mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
    slice=/sys/fs/cgroup/user.slice/user-$uid.slice
    mkdir -p "$slice/session-$id.scope" /run/systemd/sessions /run/systemd/users \
        /run/systemd/seats
    printf '%s\n' "UID=$uid" "USER=$user" "ACTIVE=1" "IS_DISPLAY=0" "STATE=active" \
        "REMOTE=0" "TYPE=tty" "ORIGINAL_TYPE=tty" "CLASS=user" "SCOPE=session-$id.scope" \
        "SERVICE=login" "SEAT=seat0" "VTNR=1" >"/run/systemd/sessions/$id"
    printf '%s\n' "NAME=$user" "STATE=active" "STOPPING=no" "SLICE=user-$uid.slice" \
        "SESSIONS=$id" "SEATS=seat0" "ACTIVE_SESSIONS=$id" "ONLINE_SESSIONS=$id" \
        "ACTIVE_SEATS=seat0" "ONLINE_SEATS=seat0" >"/run/systemd/users/$uid"
    printf '%s\n' "IS_SEAT0=1" "CAN_MULTI_SESSION=1" "CAN_TTY=1" "CAN_GRAPHICAL=0" \
        "ACTIVE=$id" "ACTIVE_UID=$uid" "SESSIONS=$id" "UIDS=$uid" >/run/systemd/seats/seat0
}

# vm_session_for_alice CMD...: run CMD as alice inside login session 1 (made on first
# use), the way pam_systemd would put a login shell into its session scope. Children
# inherit the cgroup, so everything CMD starts is in the session too.
vm_session_for_alice() {
    [[ -e /run/systemd/sessions/1 ]] || vm_fake_logind_session alice 1
    local procs
    procs=/sys/fs/cgroup/user.slice/user-$(id -u alice).slice/session-1.scope/cgroup.procs
    # The subshell moves itself into the scope, then becomes runuser.
    ( echo "$BASHPID" >"$procs" && exec runuser -u alice -- "$@" )
}

# Scenarios people read (tools/demo) ---------------------------------------------------

# vm_say TEXT...: a line of explanation before a step.
vm_say() { printf '\n'; printf '\033[1;36m%s\033[0m\n' "$@"; }

# vm_step CMD... / vm_step_alice CMD...: show the command at a root (#) or alice's ($)
# prompt and run it, its output shown indented (a kernel log line then does not pass for
# one of the console's own, which tests/vm/run --follow leaves out) and line by line as it
# comes (stdbuf: progress must not wait in a pipe's buffer). The status is the command's,
# said when not 0.
vm_step() { vm_show_step "root#" "$@"; }
vm_step_alice() { vm_show_step "alice\$" runuser -u alice -- "$@"; }
vm_show_step() {
    local prompt=$1 shown=$* rc
    shift
    [[ $prompt == alice* ]] && shown="$prompt ${*:5}"   # without runuser -u alice --
    printf '\033[1m%s\033[0m\n' "$shown"
    stdbuf -oL -eL "$@" 2>&1 | sed -u 's/^/  /'
    rc=${PIPESTATUS[0]}
    [[ $rc -eq 0 ]] || echo "  (exit status $rc)"
    return "$rc"
}

# The guest's own initramfs ------------------------------------------------------------

# vm_initramfs_tools_for_qemu: set up the guest's initramfs-tools (in its RAM overlays, for
# this boot only) so that update-initramfs builds an image a later boot under QEMU can run
# (tests/vm/run --initrd) and builds it fast under TCG, where every process costs ~0.1 s:
#   - the VM probe (lib/initramfs-probe): the twin's driver e1000e and 9p to mount the root,
#     and the init-bottom probe that reports the drivers and may hand over to a scenario;
#   - MODULES=list: only the modules the hooks ask for (passthru's: vfio-pci and what it
#     needs), not most of the kernel's tree as MODULES=most would copy;
#   - BUSYBOX=n: klibc's tools, not busybox's 400 applet links one `ln` each (passthru's
#     early-bind script is POSIX sh and needs neither; the probe brings its own busybox);
#   - zstd at level 1 instead of 9;
#   - no hooks for what this guest does not boot from: device-mapper (dmsetup), fsck of a
#     disk root, resume from swap, keymap, thermal. Each would cost seconds of forks.
vm_initramfs_tools_for_qemu() {
    local probe=$PASSTHRU_VM_DIR/lib/initramfs-probe hook
    install -D -m 755 "$probe/hook" /etc/initramfs-tools/hooks/passthru-vm-probe
    install -D -m 755 "$probe/init-bottom" /etc/initramfs-tools/scripts/init-bottom/passthru-vm-probe
    printf '%s\n' MODULES=list BUSYBOX=n COMPRESSLEVEL=1 >/etc/initramfs-tools/conf.d/passthru-vm
    for hook in dmsetup fsck resume keymap thermal; do
        rm -f "/usr/share/initramfs-tools/hooks/$hook"
    done
}
