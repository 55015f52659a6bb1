#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Checks dbus/org.passthru.Manager.conf on a real dbus-daemon: a private bus configured like
# the system bus (default deny, EXTERNAL auth) that includes only our policy. passthrud runs
# as root on a one-device umockdev testbed; the user "nobody" must be able to read and must
# be refused Properties.Set, unlisted methods and owning the name.
#
# Usage: test-bus-policy.sh PASSTHRUD POLICY_CONF UMOCKDEV_FILE
# Needs root (to run the daemon as root and the client as another user); exits 77 (skip)
# with the reason otherwise.

set -u

passthrud=$1
policy=$2
device=$3
failures=0
checks=0

skip() {
        echo "SKIP: $*"
        exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root to run passthrud as root and the client as nobody"
for tool in dbus-daemon busctl dbus-send gdbus setpriv umockdev-run; do
        command -v "$tool" >/dev/null || skip "$tool not installed"
done
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"

dir=$(mktemp -d)
chmod 0755 "$dir"
bus_pid=
daemon_pid=
cleanup() {
        [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
        [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null && wait "$bus_pid" 2>/dev/null
        rm -rf "$dir"
}
trap cleanup EXIT

address="unix:path=$dir/bus"
# The default policy of the distribution's system.conf, less everything that is not about
# access (servicedirs, syslog, pidfile, the launch helper): what a real system bus enforces.
cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>$address</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>$(realpath "$policy")</include>
</busconfig>
EOF

dbus-daemon --config-file="$dir/bus.conf" --nofork --nosyslog &
bus_pid=$!
for _ in $(seq 50); do
        [ -S "$dir/bus" ] && break
        sleep 0.1
done
[ -S "$dir/bus" ] || { echo "FAIL: dbus-daemon did not start"; exit 1; }

as_nobody() {
        setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"
}

# expect ok|denied|ERROR_NAME DESCRIPTION COMMAND...: "denied" must be the bus's own
# refusal, so a refusal by the daemon (or a missing method) cannot pass for the policy
# working; an error name means the bus let the call through and the daemon answered so.
expect() {
        local want=$1 what=$2 out rc
        shift 2
        out=$("$@" 2>&1)
        rc=$?
        checks=$((checks + 1))
        if [ "$want" = ok ] && [ $rc = 0 ]; then
                echo "ok $checks - $what"
        elif [ "$want" = denied ] && [ $rc != 0 ] && grep -q -e "Rejected send message" -e "not allowed to own" \
                -e "Failed to acquire bus name.*Permission denied" <<<"$out"; then
                echo "ok $checks - $what (bus refused)"
        elif [ "$want" != ok ] && [ "$want" != denied ] && [ $rc != 0 ] && grep -q -F "$want" <<<"$out"; then
                echo "ok $checks - $what ($want)"
        else
                echo "not ok $checks - $what: expected $want, got rc=$rc: $out"
                failures=$((failures + 1))
        fi
}

# Without root, passthrud must not get the name.
expect denied "nobody cannot run passthrud (owning the name)" \
        as_nobody umockdev-run -d "$device" -- "$passthrud" --bus-address="$address"

# Root's changing calls must reach the daemon's polkit step (no polkitd on this bus: the
# answer is NotAuthorized), so the daemon asks polkit for root too; without the option root
# is let through (tests/test-bind.c covers that). Its runtime and config directories are
# ours, never the machine's /run/passthru and /etc/passthru.
umockdev-run -d "$device" -- "$passthrud" --bus-address="$address" --polkit-for-root=yes \
        --runtime-dir="$dir/run" --config-dir="$dir/etc-passthru" &
daemon_pid=$!
for _ in $(seq 50); do
        busctl --address="$address" status org.passthru.Manager >/dev/null 2>&1 && break
        sleep 0.1
done

device_path=/org/passthru/devices/0000_00_02_0
manager=/org/passthru/Manager
for who in root nobody; do
        run=()
        [ $who = nobody ] && run=(as_nobody)
        # dbus-send prints the error's name and text, so a refusal by the bus can be told apart.
        s=("${run[@]}" dbus-send --bus="$address" --print-reply --dest=org.passthru.Manager)
        expect ok "$who: Introspect" "${s[@]}" $manager org.freedesktop.DBus.Introspectable.Introspect
        expect ok "$who: Peer.Ping" "${s[@]}" $manager org.freedesktop.DBus.Peer.Ping
        expect ok "$who: Properties.Get" "${s[@]}" $manager org.freedesktop.DBus.Properties.Get \
                string:org.passthru.Manager string:Version
        expect ok "$who: Properties.GetAll" "${s[@]}" $device_path org.freedesktop.DBus.Properties.GetAll \
                string:org.passthru.Device
        expect ok "$who: GetManagedObjects" "${s[@]}" /org/passthru \
                org.freedesktop.DBus.ObjectManager.GetManagedObjects
        expect ok "$who: ListDevices" "${s[@]}" $manager org.passthru.Manager.ListDevices
        expect ok "$who: ListDevicesPacked" "${s[@]}" $manager org.passthru.Manager.ListDevicesPacked
        expect ok "$who: ListGroups" "${s[@]}" $manager org.passthru.Manager.ListGroups
        expect ok "$who: GetDevice" "${s[@]}" $manager org.passthru.Manager.GetDevice string:0000:00:02.0
        expect ok "$who: CheckHost" "${s[@]}" $manager org.passthru.Manager.CheckHost
        expect ok "$who: GetConfig" "${s[@]}" $manager org.passthru.Manager.GetConfig
        expect ok "$who: GetVmConfig" "${s[@]}" $manager org.passthru.Manager.GetVmConfig \
                string:0000:00:02.0 string:qemu
        # Refused by the daemon's polkit check (no polkit here), so nothing is written.
        expect org.passthru.Error.NotAuthorized "$who: Persist reaches polkit" "${s[@]}" $manager \
                org.passthru.Manager.Persist string:0000:00:02.0 boolean:true
        # A plan needs no authorization; the real thing reaches the daemon, whose polkit
        # check fails closed here: this bus has no polkit.
        # a{sv} arguments need gdbus; it names the error too.
        g=("${run[@]}" gdbus call --address="$address" --dest=org.passthru.Manager)
        expect ok "$who: Bind with dry-run" "${g[@]}" --object-path=$manager \
                --method=org.passthru.Manager.Bind 0000:00:02.0 "{'dry-run': <true>}"
        expect ok "$who: Device.Unbind with dry-run" "${g[@]}" --object-path=$device_path \
                --method=org.passthru.Device.Unbind "{'dry-run': <true>}"
        expect org.passthru.Error.NotAuthorized "$who: Bind reaches polkit" "${g[@]}" \
                --object-path=$manager --method=org.passthru.Manager.Bind 0000:00:02.0 "{'group': <true>}"
        expect org.passthru.Error.NotAuthorized "$who: Device.Unbind reaches polkit" "${g[@]}" \
                --object-path=$device_path --method=org.passthru.Device.Unbind "{'group': <true>}"
        expect org.passthru.Error.NotAuthorized "$who: ApplyBootConfig reaches polkit" "${g[@]}" \
                --object-path=$manager --method=org.passthru.Manager.ApplyBootConfig "{}"
        expect org.passthru.Error.NotAuthorized "$who: SetResetMethod reaches polkit" "${g[@]}" \
                --object-path=$manager --method=org.passthru.Manager.SetResetMethod 0000:00:02.0 "['bus']" "{}"
        expect denied "$who: Properties.Set" "${s[@]}" $manager org.freedesktop.DBus.Properties.Set \
                string:org.passthru.Manager string:Version variant:string:x
        expect denied "$who: a method not allowed by the policy" "${s[@]}" $manager \
                org.passthru.Manager.Unlisted
done
expect denied "nobody: RequestName org.passthru.Manager" as_nobody dbus-send --bus="$address" \
        --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.RequestName string:org.passthru.Manager uint32:0

echo "$((checks - failures)) passed, $failures failed"
[ $failures = 0 ]
