/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Cockpit page of passthru. It talks to passthrud only over D-Bus (cockpit.dbus on the
 * system bus): the ObjectManager at /org/passthru for the devices and groups, the Manager
 * for host checks, Bind and Unbind. It follows the daemon's signals (InterfacesAdded/
 * Removed, PropertiesChanged, DriverChanged) and never polls. */
"use strict";

const BUS_NAME = "org.passthru.Manager";
const ROOT = "/org/passthru";
const MANAGER_PATH = "/org/passthru/Manager";
const MANAGER = "org.passthru.Manager";
const DEVICE = "org.passthru.Device";
const GROUP = "org.passthru.Group";
const PROPERTIES = "org.freedesktop.DBus.Properties";
const OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager";

/* superuser "try": in Cockpit's administrative-access mode the calls go through the
 * privileged bridge (polkit then sees root); in limited mode through the user's own, and
 * polkit asks or refuses as its rules say. */
const client = cockpit.dbus(BUS_NAME, { bus: "system", superuser: "try" });

const state = {
    objects: {}, /* path -> { interface -> { property -> value } } (values unwrapped) */
    manager: {},
    persist: null, /* the in-argument signature of Manager.Persist when the daemon has it */
    hasGetConfig: false,
    loaded: false,
};

const $ = id => document.getElementById(id);

function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false)
            continue;
        if (k === "class")
            e.className = v;
        else if (k === "text")
            e.textContent = v;
        else if (k.startsWith("on"))
            e.addEventListener(k.slice(2), v);
        else if (k.startsWith("data-"))
            e.setAttribute(k, v);
        else if (k in e)
            e[k] = v;
        else
            e.setAttribute(k, v);
    }
    for (const c of children.flat()) {
        if (c === null || c === undefined || c === false)
            continue;
        e.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
}

/* cockpit.dbus gives variants as {t, v}. */
function unwrap(props) {
    const out = {};
    for (const [k, v] of Object.entries(props || {}))
        out[k] = (v && typeof v === "object" && "v" in v && "t" in v) ? v.v : v;
    return out;
}

function hex4(n) {
    return Number(n).toString(16).padStart(4, "0");
}

/* The daemon's sentences quote commands in backticks: those parts as code, the rest as text. */
function prose(text) {
    return String(text).split("`").map((part, i) => i % 2 ? el("code", { text: part }) : part);
}

/* ---- errors and notices ---- */

/* The daemon's own sentence, and for a polkit refusal words that say so. */
function describeError(error) {
    const name = error && error.name ? error.name : "";
    const message = error && error.message ? error.message : String(error);
    if (name === "org.passthru.Error.NotAuthorized")
        return "Refused by the system's policy (polkit): " + message;
    if (error && error.problem === "access-denied")
        return "Not authorized: " + message;
    if (error && error.problem === "not-found" || name === "org.freedesktop.DBus.Error.ServiceUnknown")
        return "The passthru service (passthrud) is not running on this host: " + message;
    return message;
}

function errorKind(error) {
    return error && error.name === "org.passthru.Error.NotAuthorized" ? "not-authorized" : "error";
}

function notify(kind, text) {
    const box = el("div", { class: "alert " + (kind === "success" ? "alert-success" : "alert-danger"), role: "alert", "data-kind": kind },
                   el("span", { class: "alert-text", text }),
                   el("button", { class: "btn-close", type: "button", "aria-label": "Dismiss", text: "×", onclick: () => box.remove() }));
    $("alerts").prepend(box);
    /* The newest few; older notices are history the changes list keeps. */
    while ($("alerts").children.length > 3)
        $("alerts").lastChild.remove();
}

function logEvent(text) {
    const list = $("event-list");
    if (list.querySelector(".muted"))
        list.textContent = "";
    const time = new Date().toLocaleTimeString();
    list.prepend(el("li", {}, el("span", { class: "muted", text: time + " " }), text));
    while (list.children.length > 20)
        list.lastChild.remove();
}

/* ---- the model, kept up to date by signals ---- */

function setInterfaces(path, interfaces) {
    const obj = state.objects[path] || (state.objects[path] = {});
    /* A driver change anywhere may change a snippet's readiness: ask again when shown. */
    if (DEVICE in interfaces)
        vm.configs = {};
    for (const [iface, props] of Object.entries(interfaces))
        obj[iface] = Object.assign(obj[iface] || {}, unwrap(props));
}

function removeInterfaces(path, interfaces) {
    const obj = state.objects[path];
    if (!obj)
        return;
    for (const iface of interfaces)
        delete obj[iface];
    if (!Object.keys(obj).some(i => i.startsWith("org.passthru.")))
        delete state.objects[path];
}

function devices() {
    return Object.values(state.objects).map(o => o[DEVICE]).filter(Boolean);
}

function groups() {
    const out = {};
    for (const o of Object.values(state.objects))
        if (o[GROUP])
            out[o[GROUP].Number] = o[GROUP];
    return out;
}

let renderPending = false;
function scheduleRender() {
    if (renderPending)
        return;
    renderPending = true;
    window.setTimeout(() => {
        renderPending = false;
        render();
    }, 0);
}

/* ---- rendering ---- */

const STATUS_WORDS = { pass: "Pass", warn: "Warning", fail: "Failed", skip: "Skipped" };
const HOST_WORDS = { ready: "Ready", degraded: "Degraded", "not-ready": "Not ready" };
const STATE_WORDS = {
    host: "Host driver",
    vfio: "vfio-pci",
    unbound: "No driver",
    busy: "Changing…",
    stuck: "Stuck: needs a reboot",
};

function renderHeader() {
    const m = state.manager;
    const badge = $("host-status");
    if (m.HostStatus) {
        badge.hidden = false;
        badge.textContent = "Host: " + (HOST_WORDS[m.HostStatus] || m.HostStatus);
        badge.className = "badge status-" + m.HostStatus;
        badge.dataset.status = m.HostStatus;
    }
    $("version").textContent = m.Version ? "passthrud " + m.Version : "";
}

let checksShownOnce = false;
function renderChecks(rows) {
    const body = $("checks").tBodies[0];
    body.textContent = "";
    const count = status => rows.filter(r => r[1] === status).length;
    const counts = [[count("fail"), "failed"], [count("warn"), "with warnings"], [count("pass"), "passed"]]
            .filter(([n]) => n > 0).map(([n, w]) => n + " " + w);
    $("check-counts").textContent = counts.length ? "· " + counts.join(", ") : "";
    /* Folded away at first when everything passes; the person's choice after that. */
    if (!checksShownOnce)
        $("host").open = count("fail") + count("warn") > 0;
    checksShownOnce = true;
    for (const [id, status, summary, remedy] of rows) {
        body.append(el("tr", { "data-check": id, "data-status": status },
                       el("td", {}, el("span", { class: "badge status-" + status, text: STATUS_WORDS[status] || status })),
                       el("td", { class: "check-id", text: id }),
                       el("td", { text: summary }),
                       el("td", { class: "remedy" }, remedy ? prose(remedy) : el("span", { class: "muted", text: "Nothing to do" }))));
    }
}

/* ---- "Use in a VM": the snippets of Manager.GetVmConfig in a device's details ---- */

const VM_FORMATS = [["libvirt", "libvirt (virsh edit, in <devices>)"], ["qemu", "QEMU command line"], ["proxmox", "Proxmox VE"]];
const vm = {
    open: new Set(), /* addresses whose part is open; it stays open across re-renders */
    configs: {}, /* address -> { formats: [{ format, text, details }] } | { error } | { loading } */
};

function loadVmConfig(address) {
    if (vm.configs[address])
        return;
    vm.configs[address] = { loading: true };
    Promise.all(VM_FORMATS.map(([format]) =>
        client.call(MANAGER_PATH, MANAGER, "GetVmConfig", [address, format], { type: "ss" })
                .then(reply => ({ format, text: reply[0], details: unwrap(reply[1]) }))))
            .then(formats => { vm.configs[address] = { formats } })
            .catch(error => { vm.configs[address] = { error } })
            .finally(scheduleRender);
}

/* The clipboard API where the browser allows it, else a selection and the copy command. */
function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText)
        return navigator.clipboard.writeText(text);
    const area = el("textarea", { class: "copy-buffer", readOnly: true, value: text });
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    return copied ? Promise.resolve() : Promise.reject(new Error("The browser did not copy."));
}

function copyButton(text) {
    const button = el("button", { class: "btn btn-secondary btn-copy", type: "button", text: "Copy" });
    button.addEventListener("click", () => copyText(text).then(
        () => { button.textContent = "Copied"; button.dataset.copied = "true" },
        error => notify("error", "Could not copy: " + describeError(error))));
    return button;
}

function vmSnippets(c) {
    if (c.loading)
        return [el("p", { class: "muted", text: "Asking passthrud…" })];
    if (c.error)
        return [el("p", { class: "vm-error", text: describeError(c.error) })];
    const first = c.formats[0].details;
    const readiness = first.ready
        ? el("p", { class: "vm-ready", text: "Every function is on vfio-pci: " + first.devices.join(", ") + "." })
        : el("p", { class: "vm-pending" }, "Not on vfio-pci yet: " + first.pending.join(", ") + ". First: ",
             el("code", { text: first["bind-command"] }), " (or Bind above, with the group).");
    return [readiness, c.formats.map(({ format, text, details }) =>
        el("div", { class: "vm-snippet", "data-format": format },
           el("div", { class: "vm-snippet-head" },
              el("h4", { text: VM_FORMATS.find(f => f[0] === format)[1] }), copyButton(text)),
           el("pre", { text }),
           (details.notes || []).length ? el("ul", { class: "muted vm-notes" }, details.notes.map(n => el("li", {}, prose(n)))) : null))];
}

function vmPart(d) {
    const open = vm.open.has(d.Address);
    const part = el("details", { class: "vm-config", open }, el("summary", { text: "Use in a VM" }));
    part.addEventListener("toggle", () => {
        if (part.open === vm.open.has(d.Address))
            return;
        if (part.open)
            vm.open.add(d.Address);
        else
            vm.open.delete(d.Address);
        scheduleRender();
    });
    if (open) {
        loadVmConfig(d.Address);
        part.append(...vmSnippets(vm.configs[d.Address]).flat().filter(Boolean));
    }
    return part;
}

function deviceRow(d) {
    const bridge = d.Bridge;
    const actions = el("td", { class: "actions" });
    /* Bind is offered only where the daemon would do it: Blockers say why not. */
    if (d.Assignable && !bridge && (d.State === "host" || d.State === "unbound"))
        actions.append(el("button", { class: "btn btn-secondary btn-bind", type: "button", text: "Bind to vfio-pci", onclick: () => openPlan("Bind", d) }));
    if (d.State === "vfio")
        actions.append(el("button", { class: "btn btn-secondary btn-unbind", type: "button", text: "Give back to host", onclick: () => openPlan("Unbind", d) }));
    if (state.persist && !bridge) {
        const box = el("input", { type: "checkbox", class: "persist", checked: !!d.Persistent, onchange: () => setPersistent(d, box) });
        actions.append(el("label", { class: "check persist-label", title: "Put it back on vfio-pci at every boot and hotplug" }, box, " Keep at boot"));
    } else if (d.Persistent) {
        actions.append(el("span", { class: "badge", text: "Kept on vfio-pci at boot" }));
    }

    const name = [d.VendorName, d.DeviceName].filter(Boolean).join(" ") || "Unknown device";
    const blockers = (d.Blockers || []).length
        ? el("ul", { class: "blockers" }, d.Blockers.map(b => el("li", {}, prose(b))))
        : null;
    /* Holders that are Blockers too are already there, with their remedy. */
    const warnings = (d.Holders || []).filter(([what]) => !(d.Blockers || []).some(b => b.startsWith(what)));
    const holders = warnings.length
        ? el("ul", { class: "holders" }, warnings.map(([what, remedy]) => el("li", {}, "Held: " + what + " — ", el("code", { text: remedy }))))
        : null;
    const reset = !bridge && d.ResetVerdict ? " · reset: " + d.ResetVerdict : "";
    return el("tr", { "data-address": d.Address, "data-state": d.State, "data-driver": d.Driver, class: d.Assignable ? "" : "not-assignable" },
              el("td", { class: "address" }, el("code", { text: d.Address })),
              el("td", { class: "class", text: d.ClassName || ("Class " + d.Class.toString(16).padStart(6, "0")) }),
              el("td", { class: "name" },
                 el("div", { text: name }),
                 el("div", { class: "muted ids", text: "[" + hex4(d.VendorId) + ":" + hex4(d.DeviceId) + "]" + (d.BootVga ? " · boot display" : "") + reset }),
                 blockers, holders,
                 bridge ? null : vmPart(d)),
              el("td", { class: "driver" }, d.Driver ? el("code", { text: d.Driver }) : el("span", { class: "muted", text: "none" })),
              el("td", { class: "state" }, el("span", { class: "badge state-" + d.State, text: STATE_WORDS[d.State] || d.State })),
              el("td", { class: "assignable", text: d.Assignable ? "Yes" : "No" }),
              actions);
}

function render() {
    renderHeader();
    const byGroup = {};
    for (const d of devices())
        (byGroup[d.IommuGroup] || (byGroup[d.IommuGroup] = [])).push(d);
    const groupInfo = groups();
    const numbers = Object.keys(byGroup).map(Number).sort((a, b) => (a < 0) - (b < 0) || a - b);
    const container = $("groups");
    container.textContent = "";
    if (state.loaded && numbers.length === 0)
        container.append(el("p", { class: "muted", text: "passthrud sees no PCI devices." }));
    for (const n of numbers) {
        const members = byGroup[n].sort((a, b) => a.Address.localeCompare(b.Address));
        const g = groupInfo[n];
        const title = n < 0 ? "No IOMMU group" : "IOMMU group " + n;
        let viability = null;
        if (g && members.every(d => d.Bridge))
            viability = el("span", { class: "badge", text: "Bridges only: they stay with the host" });
        else if (g)
            viability = el("span", { class: "badge " + (g.Viable ? "status-pass" : "status-warn"), text: g.Viable ? "Ready for a VM" : "Not ready: members on host drivers" });
        container.append(el("div", { class: "card group", "data-group": String(n) },
                            el("div", { class: "card-header" }, el("h3", { text: title }), viability),
                            el("table", { class: "table devices" },
                               el("thead", {}, el("tr", {}, ["Address", "Class", "Device", "Driver", "State", "Assignable", ""].map(h => el("th", { text: h })))),
                               el("tbody", {}, members.map(deviceRow)))));
    }
}

/* ---- bind and unbind: the plan first, then on confirm the change ---- */

const plan = { method: null, device: null, serial: 0 };

/* flags "i": the call may wait for an interactive authorization, so in limited access
 * polkit can ask the person through Cockpit's agent instead of refusing outright. */
function call(method, address, options) {
    return client.call(MANAGER_PATH, MANAGER, method, [address, options], { type: "sa{sv}", flags: "i" })
            .then(reply => reply[0]);
}

function options(dryRun) {
    const o = {};
    if ($("plan-group").checked)
        o.group = { t: "b", v: true };
    if (state.persist && $("plan-persist").checked)
        o.persist = { t: "b", v: true };
    if (dryRun)
        o["dry-run"] = { t: "b", v: true };
    return o;
}

function showPlanError(error) {
    const box = $("plan-error");
    box.hidden = false;
    box.dataset.kind = errorKind(error);
    box.textContent = describeError(error);
}

function loadPlan() {
    const serial = ++plan.serial;
    const body = $("plan-table").tBodies[0];
    body.textContent = "";
    $("plan-error").hidden = true;
    $("plan-confirm").disabled = true;
    $("plan-intro").textContent = "Asking passthrud what would change…";
    $("plan-dialog").dataset.phase = "planning";
    call(plan.method, plan.device.Address, options(true))
            .then(changes => {
                if (serial !== plan.serial)
                    return;
                $("plan-dialog").dataset.phase = "plan";
                if (changes.length === 0) {
                    $("plan-intro").textContent = "Nothing needs changing.";
                    return;
                }
                const remembered = state.persist && $("plan-persist").checked;
                $("plan-intro").textContent = plan.method === "Bind"
                    ? "passthrud will make these changes" + (remembered ? " and keep them across reboots:" : ", until the next boot:")
                    : "passthrud will make these changes" + (remembered ? " and forget the device at boot:" : ":");
                for (const [address, before, after] of changes) {
                    body.append(el("tr", { "data-address": address },
                                   el("td", {}, el("code", { text: address })),
                                   el("td", { text: before || "none" }),
                                   el("td", { text: after || "none" })));
                }
                $("plan-confirm").disabled = false;
            })
            .catch(planFailed(serial));
}

/* The catch of a plan's dry run or of its call: the error in the dialog, unless another
 * call has started since (serial). */
function planFailed(serial) {
    return error => {
        if (serial !== plan.serial)
            return;
        $("plan-dialog").dataset.phase = "error";
        $("plan-intro").textContent = "";
        showPlanError(error);
    };
}

function openPlan(method, device) {
    plan.method = method;
    plan.device = device;
    const verb = method === "Bind" ? "Bind" : "Give back";
    $("plan-title").textContent = method === "Bind"
        ? "Bind " + device.Address + " to vfio-pci"
        : "Give " + device.Address + " back to the host";
    $("plan-group").checked = false;
    $("plan-group").disabled = device.IommuGroup < 0;
    $("plan-group-label").textContent = method === "Bind"
        ? "Take along every device of IOMMU group " + device.IommuGroup
        : "Give back every device of IOMMU group " + device.IommuGroup;
    /* With persistence, Bind and Unbind can also remember or forget the choice. */
    $("plan-persist-row").hidden = !state.persist;
    $("plan-persist").checked = false;
    $("plan-persist-label").textContent = method === "Bind"
        ? "Keep it on vfio-pci across reboots"
        : "Forget it: do not put it back on vfio-pci at boot";
    $("plan-confirm").textContent = verb;
    $("plan-dialog").dataset.method = method;
    $("plan-dialog").showModal();
    loadPlan();
}

function confirmPlan() {
    const serial = ++plan.serial;
    const { method, device } = plan;
    $("plan-confirm").disabled = true;
    $("plan-dialog").dataset.phase = "working";
    $("plan-intro").textContent = method === "Bind" ? "Binding…" : "Giving back…";
    call(method, device.Address, options(false))
            .then(changes => {
                if (serial !== plan.serial)
                    return;
                $("plan-dialog").close();
                const done = changes.map(([a, b, n]) => a + ": " + (b || "none") + " → " + (n || "none")).join("; ");
                notify("success", (method === "Bind" ? "Bound. " : "Given back. ") + (done || "Nothing needed changing."));
            })
            .catch(planFailed(serial));
}

/* ---- persistence: offered only when the daemon has Manager.Persist ---- */

function setPersistent(device, box) {
    const sig = state.persist;
    const args = sig === "sb" ? [device.Address, box.checked] : [device.Address, box.checked, {}];
    client.call(MANAGER_PATH, MANAGER, "Persist", args, { type: sig, flags: "i" })
            .then(() => loadConfig())
            .catch(error => {
                box.checked = !box.checked;
                notify(errorKind(error), describeError(error));
            });
}

function detectPersistence() {
    return client.call(MANAGER_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", [])
            .then(([xml]) => {
                const doc = new DOMParser().parseFromString(xml, "text/xml");
                const iface = [...doc.querySelectorAll("interface")].find(i => i.getAttribute("name") === MANAGER);
                if (!iface)
                    return;
                const method = name => [...iface.querySelectorAll("method")].find(m => m.getAttribute("name") === name);
                const persist = method("Persist");
                if (persist) {
                    const sig = [...persist.querySelectorAll("arg")]
                            .filter(a => (a.getAttribute("direction") || "in") === "in")
                            .map(a => a.getAttribute("type")).join("");
                    /* Only the forms this page knows how to call. */
                    if (sig === "sb" || sig === "sba{sv}")
                        state.persist = sig;
                }
                state.hasGetConfig = !!method("GetConfig");
            })
            .catch(() => {});
}

function loadConfig() {
    if (!state.hasGetConfig)
        return;
    client.call(MANAGER_PATH, MANAGER, "GetConfig", [])
            .then(reply => {
                const body = $("config-table").tBodies[0];
                body.textContent = "";
                /* Whatever shape the entries have (tuples or dictionaries), one row each. */
                const show = c => (c && typeof c === "object")
                    ? ("v" in c && "t" in c ? show(c.v) : JSON.stringify(c))
                    : String(c);
                const rows = Array.isArray(reply[0]) ? reply[0] : Object.entries(reply[0] || {});
                if (rows.length === 0)
                    body.append(el("tr", {}, el("td", { class: "muted", text: "No device is remembered." })));
                for (const row of rows) {
                    const cells = Array.isArray(row)
                        ? row.map(show)
                        : Object.entries(row || {}).map(([k, v]) => k + ": " + show(v));
                    body.append(el("tr", { class: "config-entry" }, cells.map(c => el("td", { text: c }))));
                }
                $("config").hidden = false;
            })
            .catch(error => notify(errorKind(error), describeError(error)));
}

/* ---- loading and signals ---- */

function loadChecks() {
    $("check-again").disabled = true;
    return client.call(MANAGER_PATH, MANAGER, "CheckHost", [])
            .then(([rows]) => renderChecks(rows))
            .catch(error => notify(errorKind(error), describeError(error)))
            .finally(() => { $("check-again").disabled = false });
}

function subscribe() {
    client.subscribe({ path: ROOT, interface: OBJECT_MANAGER }, (path, iface, signal, args) => {
        if (signal === "InterfacesAdded") {
            setInterfaces(args[0], args[1]);
            const d = args[1][DEVICE];
            if (d)
                logEvent("Device " + unwrap(d).Address + " appeared.");
        } else if (signal === "InterfacesRemoved") {
            const gone = state.objects[args[0]];
            if (gone && gone[DEVICE] && args[1].includes(DEVICE))
                logEvent("Device " + gone[DEVICE].Address + " went away.");
            removeInterfaces(args[0], args[1]);
        }
        scheduleRender();
    });
    client.subscribe({ path_namespace: ROOT, interface: PROPERTIES, member: "PropertiesChanged" }, (path, iface, signal, args) => {
        const [changedIface, changed] = args;
        if (path === MANAGER_PATH && changedIface === MANAGER) {
            Object.assign(state.manager, unwrap(changed));
            /* The readiness rows follow the same facts as HostStatus. */
            if ("HostStatus" in changed)
                loadChecks();
        } else if (state.objects[path]) {
            setInterfaces(path, { [changedIface]: changed });
            if (changedIface === DEVICE && "Persistent" in changed)
                loadConfig();
        }
        scheduleRender();
    });
    client.subscribe({ path: MANAGER_PATH, interface: MANAGER, member: "DriverChanged" }, (path, iface, signal, [address, oldDriver, newDriver]) => {
        logEvent("Driver of " + address + " changed: " + (oldDriver || "none") + " → " + (newDriver || "none") + ".");
    });
}

function loadObjects() {
    return client.call(ROOT, OBJECT_MANAGER, "GetManagedObjects", [])
            .then(([objects]) => {
                /* Merged: signals that came first are already in this answer too. */
                for (const [path, interfaces] of Object.entries(objects))
                    setInterfaces(path, interfaces);
            });
}

function loadManager() {
    return client.call(MANAGER_PATH, PROPERTIES, "GetAll", [MANAGER])
            .then(([props]) => Object.assign(state.manager, unwrap(props)));
}

function loadAll() {
    return Promise.all([loadObjects(), loadManager(), loadChecks(), detectPersistence()])
            .then(() => {
                state.loaded = true;
                render();
                loadConfig();
            })
            .catch(error => notify(errorKind(error), describeError(error)));
}

function start() {
    $("check-again").addEventListener("click", event => {
        event.preventDefault(); /* not a click on the summary: keep it open */
        loadChecks();
    });
    $("plan-group").addEventListener("change", loadPlan);
    $("plan-persist").addEventListener("change", loadPlan);
    $("plan-confirm").addEventListener("click", confirmPlan);
    $("plan-cancel").addEventListener("click", () => { plan.serial++; $("plan-dialog").close() });
    $("plan-dialog").addEventListener("cancel", () => { plan.serial++ });

    /* Subscribe first so nothing that happens while loading is missed. */
    subscribe();
    loadAll().finally(() => {
        $("app").setAttribute("aria-busy", "false");
        document.body.dataset.loaded = "true";
    });
    /* passthrud restarted (an upgrade, a crash): its objects are new, so read them again. */
    let lastOwner;
    client.addEventListener("owner", (event, owner) => {
        if (owner === null && lastOwner) {
            state.objects = {};
            scheduleRender();
            notify("error", "passthrud stopped. The page fills again when it is back.");
        } else if (owner && lastOwner === null) {
            logEvent("passthrud is back.");
            loadAll();
        }
        lastOwner = owner;
    });
    client.addEventListener("close", (event, options) => {
        notify("error", "Lost the connection to passthrud" + (options && options.problem ? " (" + options.problem + ")" : "") + ". Reload the page when the service is back.");
    });
}

if (document.readyState === "loading")
    document.addEventListener("DOMContentLoaded", start);
else
    start();
