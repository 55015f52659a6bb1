#!/usr/bin/python3
"""Add uevent -> on vfio-pci, from `udevadm monitor --kernel --property` output.

Usage: hotplug-times.py UEVENT_LOG ADDRESS KINDS_FILE

UEVENT_LOG holds the uevents as `udevadm monitor --kernel --udev --property` printed them
(KERNEL[MONOTONIC] or UDEV [MONOTONIC], ACTION DEVPATH (pci), then KEY=VALUE lines, a
blank line between events): the kernel's as sent, udevd's once its rules have run, when
listeners such as passthrud hear of the device. KINDS_FILE says, one
line per plug of ADDRESS in order, what that plug was ("setup", "persisted", "manual").
For every plug but the setup one, prints
  bench hotplug-KIND ROUND MS         the add uevent -> the bind uevent of vfio-pci
  bench hotplug-KIND-host ROUND MS    the add uevent -> the bind uevent of the host driver
  bench hotplug-KIND-udev ROUND MS    the add uevent -> udevd passes it on
and a line "hotplug KIND ROUND: drivers bound in order: A -> B" saying which drivers bound
in between. Exits 1 when a plug never reached vfio-pci.
"""
import re
import sys

HEAD = re.compile(r"^(KERNEL|UDEV)\s*\[([\d.]+)\]\s+(\S+)\s+(\S+) \(pci\)")


def events(path, address):
    """The uevents of ADDRESS, each with its DRIVER= property when it has one."""
    out, ev = [], None
    with open(path, errors="replace") as f:
        for line in f:
            m = HEAD.match(line)
            if m:
                ev = {"source": m.group(1), "ts": float(m.group(2)), "action": m.group(3), "devpath": m.group(4)}
                if ev["devpath"].endswith("/" + address):
                    out.append(ev)
            elif ev is not None and line.startswith("DRIVER="):
                ev["driver"] = line.strip().split("=", 1)[1]
    return out


def plugs(path, address):
    """Each add with the bind events that follow it, up to the next remove."""
    out, cur = [], None
    for ev in events(path, address):
        if ev["source"] == "UDEV":
            if ev["action"] == "add" and cur is not None and "udev_add" not in cur:
                cur["udev_add"] = ev["ts"]
            continue
        if ev["action"] == "add":
            cur = {"add": ev["ts"], "binds": []}
            out.append(cur)
        elif ev["action"] == "remove":
            cur = None
        elif ev["action"] == "bind" and cur is not None:
            cur["binds"].append((ev.get("driver", "?"), ev["ts"]))
    return out


def main():
    path, address, kinds_file = sys.argv[1:4]
    with open(kinds_file) as f:
        kinds = f.read().split()
    found = plugs(path, address)
    if len(found) != len(kinds):
        print(f"hotplug-times: {len(found)} add uevents for {address}, {len(kinds)} plugs", file=sys.stderr)
        return 1
    rounds, ok = {}, True
    for kind, p in zip(kinds, found):
        if kind == "setup":
            continue
        rounds[kind] = rounds.get(kind, 0) + 1
        r = rounds[kind]
        order = " -> ".join(d for d, _ in p["binds"]) or "nothing"
        print(f"hotplug {kind} {r}: drivers bound in order: {order}")
        vfio = [t for d, t in p["binds"] if d == "vfio-pci"]
        host = [t for d, t in p["binds"] if d != "vfio-pci"]
        if not vfio:
            ok = False
            continue
        print(f"bench hotplug-{kind} {r} {(vfio[-1] - p['add']) * 1000:.1f}")
        if host:
            print(f"bench hotplug-{kind}-host {r} {(host[0] - p['add']) * 1000:.1f}")
        if "udev_add" in p:
            print(f"bench hotplug-{kind}-udev {r} {(p['udev_add'] - p['add']) * 1000:.1f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
