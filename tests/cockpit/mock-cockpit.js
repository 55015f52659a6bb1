/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for Cockpit's base1/cockpit.js, for test-cockpit.py's check of what the page
 * does with a daemon that has Manager.Persist and GetConfig (which passthrud does not have
 * yet). cockpit.dbus() answers from window.mockReplies and records every call in
 * window.mockCalls; signals are delivered with window.mockSignal(). */
"use strict";

window.mockCalls = [];
window.mockSubscriptions = [];

const v = (t, value) => ({ t, v: value });

function mockDevice(address, extra) {
    return Object.assign({
        Address: v("s", address), VendorId: v("q", 0x8086), DeviceId: v("q", 0x10d3),
        Class: v("u", 0x020000), ClassName: v("s", "Ethernet controller"),
        VendorName: v("s", "Intel Corporation"), DeviceName: v("s", "82574L Gigabit Network Connection"),
        Driver: v("s", "e1000e"), IommuGroup: v("i", 11), State: v("s", "host"),
        Assignable: v("b", true), Blockers: v("as", []), Bridge: v("b", false),
        BootVga: v("b", false), Persistent: v("b", false),
    }, extra || {});
}

window.mockReplies = {
    "org.freedesktop.DBus.Introspectable.Introspect": [
        "<node><interface name='org.passthru.Manager'>" +
        "<method name='Persist'><arg type='s' direction='in'/><arg type='b' direction='in'/></method>" +
        "<method name='GetConfig'><arg type='a(sss)' direction='out'/></method>" +
        "</interface></node>"],
    "org.freedesktop.DBus.ObjectManager.GetManagedObjects": [{
        "/org/passthru/devices/0000_00_05_0": { "org.passthru.Device": mockDevice("0000:00:05.0") },
        "/org/passthru/devices/0000_00_06_0": {
            "org.passthru.Device": mockDevice("0000:00:06.0", {
                Driver: v("s", "vfio-pci"), State: v("s", "vfio"), IommuGroup: v("i", 12), Persistent: v("b", true),
            }),
        },
        "/org/passthru/groups/11": { "org.passthru.Group": { Number: v("i", 11), Viable: v("b", false) } },
        "/org/passthru/groups/12": { "org.passthru.Group": { Number: v("i", 12), Viable: v("b", true) } },
    }],
    "org.freedesktop.DBus.Properties.GetAll": [{
        Version: v("s", "0.2.0"), HostStatus: v("s", "ready"), IommuEnabled: v("b", true),
    }],
    "org.passthru.Manager.CheckHost": [[["iommu-kernel", "pass", "IOMMU on", ""]]],
    "org.passthru.Manager.GetConfig": [[["0000:00:06.0", "8086:10d3", "applied"]]],
    "org.passthru.Manager.Persist": [],
    "org.passthru.Manager.Bind": args => [[[args[0], "e1000e", "vfio-pci"]]],
};

window.mockSignal = function (path, iface, member, args) {
    for (const { match, callback } of window.mockSubscriptions) {
        if ((match.path && match.path !== path) || (match.path_namespace && !path.startsWith(match.path_namespace)) ||
            (match.interface && match.interface !== iface) || (match.member && match.member !== member))
            continue;
        callback(path, iface, member, args);
    }
};

window.cockpit = {
    dbus(name, options) {
        window.mockDbusOptions = { name, options };
        return {
            call(path, iface, method, args, opts) {
                window.mockCalls.push({ path, iface, method, args, opts });
                const reply = window.mockReplies[iface + "." + method];
                if (reply === undefined)
                    return Promise.reject({ name: "org.freedesktop.DBus.Error.UnknownMethod", message: "No method " + method });
                return Promise.resolve(typeof reply === "function" ? reply(args) : reply);
            },
            subscribe(match, callback) {
                window.mockSubscriptions.push({ match, callback });
                return { remove() {} };
            },
            addEventListener() {},
        };
    },
};
