#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Cockpit page in a real headless browser.

serve-testbed runs passthrud on the realistic umockdev testbed with a private dbus-daemon
and a mock polkit authority; a real cockpit-ws listens on 127.0.0.1 and runs
cockpit-bridge as a local session whose "system" bus is that private bus
(DBUS_SYSTEM_BUS_ADDRESS); Debian's chromium, driven by python3-selenium through Debian's
chromedriver, opens the page: alone, then in Cockpit's shell. Checks are made on the DOM
and against the daemon itself (busctl on the private bus); screenshots go to
$COCKPIT_ARTIFACTS. Last, the page runs against mock-cockpit.js, a stand-in for cockpit.js
with a daemon that has Persist and GetConfig, to click the switches without a real file.

Exit status: 0 passed, 1 failed, 77 skipped (cockpit, chromium or selenium missing; the
reason is printed). Run through `meson test --suite cockpit`.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

# Debian's python3-selenium lives in the system interpreter's path; a python3 of pyenv or a
# venv earlier in PATH does not see it.
try:
    import selenium  # noqa: F401
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)

SKIP = 77
TIMEOUT = 30
NVME = "0000:06:00.0"
GPU = "0000:01:00.0"
GPU_AUDIO = "0000:01:00.1"
HOTPLUG = "0000:00:05.0"


def log(*args):
    print(*args, flush=True)


def find_cockpit_ws():
    for p in ("/usr/libexec/cockpit-ws", "/usr/lib/cockpit/cockpit-ws"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("cockpit-ws")


def skip_reason():
    missing = []
    if not find_cockpit_ws():
        missing.append("cockpit-ws (Debian: cockpit-ws)")
    if not shutil.which("cockpit-bridge"):
        missing.append("cockpit-bridge (Debian: cockpit-bridge)")
    if not os.path.exists("/usr/share/cockpit/base1/cockpit.js") and not os.path.exists("/usr/share/cockpit/base1/cockpit.js.gz"):
        missing.append("Cockpit's base1 (Debian: cockpit-bridge)")
    if not os.path.exists("/usr/share/cockpit/shell/manifest.json"):
        missing.append("Cockpit's shell (Debian: cockpit-system)")
    if not shutil.which("chromium"):
        missing.append("chromium (Debian: chromium)")
    if not shutil.which("chromedriver"):
        missing.append("chromedriver (Debian: chromium-driver)")
    if not shutil.which("busctl"):
        missing.append("busctl (Debian: systemd)")
    try:
        import selenium  # noqa: F401,F811
    except ImportError:
        missing.append("python3-selenium")
    for var in ("SERVE_TESTBED", "PASSTHRUD", "COCKPIT_PAGE_DIR"):
        if not os.environ.get(var):
            missing.append("$" + var + " (run through meson test)")
    return ("missing: " + ", ".join(missing)) if missing else None


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    log("ok -", what)


def wait_for(cond, what, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            value = cond()
            if value:
                log("ok -", what)
                return value
        except Exception as e:  # a stale element while the page re-renders
            last = e
        time.sleep(0.1)
    raise Failure("timed out after %d s waiting for %s%s" % (timeout, what, " (%s)" % last if last else ""))


class Testbed:
    """serve-testbed: passthrud on the testbed, on a private bus; commands on its stdin."""

    def __init__(self, workdir):
        env = dict(os.environ)
        env["LD_PRELOAD"] = "libumockdev-preload.so.0"
        env["SYSTEMD_DEVICE_VERIFY_SYSFS"] = "0"
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        self.log_path = os.path.join(workdir, "serve-testbed.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([os.environ["SERVE_TESTBED"]], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log_file, text=True, bufsize=1)
        first = self.readline()
        if first.startswith("skip: "):
            self.proc.wait()
            raise SystemExit(first)
        if not first.startswith("unix:"):
            raise Failure("serve-testbed printed %r, not a bus address; its log: %s" % (first, self.log_path))
        self.address = first

    def readline(self):
        """The next line of serve-testbed's own, past GLib's TAP output."""
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise Failure("serve-testbed exited; its log: " + self.log_path)
            if line.startswith("serve: "):
                return line.removeprefix("serve: ").strip()

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.readline()
        if answer != "ok":
            raise Failure("serve-testbed %r answered %r" % (line, answer))

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode

    def busctl(self, *args, json_out=True):
        cmd = ["busctl", "--address=" + self.address] + (["--json=short"] if json_out else []) + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise subprocess.CalledProcessError(r.returncode, cmd, r.stdout, r.stderr)
        return json.loads(r.stdout) if json_out else r.stdout

    def list_devices(self):
        reply = self.busctl("call", "org.passthru.Manager", "/org/passthru/Manager", "org.passthru.Manager", "ListDevices")
        return reply["data"][0]

    def driver(self, address):
        path = "/org/passthru/devices/" + address.replace(":", "_").replace(".", "_")
        return self.busctl("get-property", "org.passthru.Manager", path, "org.passthru.Device", "Driver")["data"]

    def call_error(self, *args):
        """A call that must fail: busctl's message (the daemon's sentence)."""
        cmd = ["busctl", "--address=" + self.address, "call", "org.passthru.Manager", "/org/passthru/Manager",
               "org.passthru.Manager"] + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode == 0:
            raise Failure("%s succeeded, expected an error" % " ".join(args))
        return r.stderr.strip().removeprefix("Call failed: ")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cockpit:
    """cockpit-ws on loopback, its bridge on the private bus, the page from the source tree."""

    def __init__(self, workdir, bus_address):
        data = os.path.join(workdir, "data")
        shutil.copytree(os.environ["COCKPIT_PAGE_DIR"], os.path.join(data, "cockpit", "passthru"),
                        ignore=shutil.ignore_patterns("meson.build", "*.png"))
        home = os.path.join(workdir, "home")
        runtime = os.path.join(workdir, "runtime")
        os.makedirs(home)
        os.makedirs(runtime, mode=0o700)
        # A session bus of its own: without one, the bridge (or what it starts) would
        # autolaunch a session dbus-daemon that outlives the test.
        self.session_bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1",
                                             "--address=unix:path=" + os.path.join(workdir, "session-bus")],
                                            stdout=subprocess.PIPE, text=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        session_address = self.session_bus.stdout.readline().strip()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_RUNTIME_DIR": runtime,
            "XDG_DATA_HOME": data,  # the bridge finds packages in XDG_DATA_HOME/cockpit
            "XDG_CONFIG_DIRS": os.path.join(workdir, "config"),  # no cockpit.conf of the host
            "DBUS_SYSTEM_BUS_ADDRESS": bus_address,
            "DBUS_SESSION_BUS_ADDRESS": session_address,
            "LANG": "C.UTF-8",
        }
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(workdir, "cockpit-ws.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([find_cockpit_ws(), "--local-session=cockpit-bridge", "--no-tls",
                                      "--address=127.0.0.1", "--port=%d" % self.port],
                                     env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        end = time.monotonic() + TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > end:
                    raise Failure("cockpit-ws did not start; its log: " + self.log_path)
                time.sleep(0.1)

    def stop(self):
        # The whole process group: cockpit-ws, its bridge and what the bridge started
        # (an ssh-agent for the session).
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.log_file.close()
        self.session_bus.terminate()
        self.session_bus.wait()


def start_browser(workdir):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1800",
                "--user-data-dir=" + os.path.join(workdir, "chromium")):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver"),
                      log_path=os.path.join(workdir, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(TIMEOUT)
    return driver


class Page:
    def __init__(self, driver, artifacts):
        self.d = driver
        self.artifacts = artifacts

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def rows(self):
        """(address, driver, group) of each device row, as the page shows them."""
        return self.js("""
            return [...document.querySelectorAll('#groups .group tr[data-address]')].map(tr => [
                tr.dataset.address,
                tr.querySelector('td.driver code') ? tr.querySelector('td.driver code').textContent : '',
                Number(tr.closest('.group').dataset.group)]);""")

    def row_driver(self, address):
        return self.js("""
            const tr = document.querySelector('#groups tr[data-address="' + arguments[0] + '"]');
            return tr ? tr.dataset.driver : null;""", address)

    def click(self, selector):
        self.js("document.querySelector(arguments[0]).click();", selector)

    def dialog(self):
        return self.js("""
            const d = document.getElementById('plan-dialog');
            const err = document.getElementById('plan-error');
            return { open: d.open, phase: d.dataset.phase || '',
                     plan: [...document.querySelectorAll('#plan-table tbody tr')].map(tr => [...tr.cells].map(c => c.textContent)),
                     error: err.checkVisibility() ? err.textContent : null, kind: err.dataset.kind || '',
                     confirm: !document.getElementById('plan-confirm').disabled };""")

    def screenshot(self, name):
        path = os.path.join(self.artifacts, name + ".png")
        self.d.save_screenshot(path)
        log("# screenshot", path)
        return path


def run(tb, page, url):
    d = page.d
    d.get(url + "/cockpit/@localhost/passthru/index.html")
    wait_for(lambda: page.js("return document.body.dataset.loaded === 'true'"), "the page to load")
    check(page.js("return document.querySelectorAll('#alerts .alert').length") == 0,
          "no error on load: " + str(page.js("return document.getElementById('alerts').textContent")))
    # A mark in the window: if the page reloaded, it would be gone.
    page.js("window.passthruTestMark = 42;")
    # A probe: the console check at the end must see it, or it sees nothing at all.
    page.js("console.warn('passthru-test-probe');")

    # The table equals ListDevices.
    listed = tb.list_devices()
    expected = sorted((r[0], r[7], r[8]) for r in listed)
    wait_for(lambda: sorted(map(tuple, page.rows())) == expected, "the page's rows to equal ListDevices (%d devices)" % len(expected))
    rows = page.rows()
    groups_in_order = [g for _, _, g in rows]
    check(groups_in_order == sorted(groups_in_order, key=lambda g: (g < 0, g)), "devices are grouped by IOMMU group, in order")
    names = page.js("""return Object.fromEntries([...document.querySelectorAll('#groups tr[data-address]')].map(tr =>
                         [tr.dataset.address, [tr.querySelector('td.class').textContent, tr.querySelector('td.name').textContent,
                                               tr.querySelector('td.state').textContent, tr.querySelector('td.assignable').textContent]]));""")
    for r in listed:
        address, vendor, device, _, class_name, vendor_name, device_name = r[:7]
        cls, name, _, _ = names[address]
        if cls != class_name or "[%04x:%04x]" % (vendor, device) not in name or (device_name and device_name not in name):
            raise Failure("row %s shows %r / %r; ListDevices says %r, %r, %04x:%04x" % (address, cls, name, class_name, device_name, vendor, device))
    check(True, "each row shows the class, IDs and names of ListDevices")
    blockers = page.js("return [...document.querySelectorAll('#groups .blockers li')].map(li => li.textContent)")
    check(len(blockers) > 0 and all(len(b) > 10 for b in blockers), "the blockers' sentences are shown (%d)" % len(blockers))
    holders = page.js("return [...document.querySelectorAll('#groups tr[data-address=\"0000:01:00.1\"] .holders li')].map(li => li.textContent)")
    check(len(holders) == 1 and "pipewire of user" in holders[0] and "systemctl --user -M" in holders[0],
          "a holder that is no blocker is shown with its remedy (%r)" % holders)
    gpu_ids = page.js("return document.querySelector('#groups tr[data-address=\"0000:01:00.0\"] .ids').textContent")
    check(gpu_ids.endswith(" · reset: bus reset available"), "the reset verdict is shown (%r)" % gpu_ids)
    not_assignable = page.js("return [...document.querySelectorAll('#groups tr.not-assignable')].map(tr => [tr.dataset.address, tr.querySelector('.btn-bind') !== null])")
    check(len(not_assignable) > 0 and not any(has for _, has in not_assignable),
          "no Bind button on a device that is not assignable: %r" % not_assignable)
    bridges_only = page.js("return [...document.querySelectorAll('#groups .group')].filter(g => (g.querySelector('.card-header .badge') || { textContent: '' }).textContent.startsWith('Bridges only')).map(g => Number(g.dataset.group))")
    listed_groups = tb.busctl("call", "org.passthru.Manager", "/org/passthru/Manager", "org.passthru.Manager", "ListGroups")["data"][0]
    check(len(bridges_only) > 0 and all(not viable for number, viable, _ in listed_groups if number in bridges_only),
          "the groups shown as bridges only are not viable in ListGroups, as passthructl groups says: %r" % bridges_only)
    checks = page.js("return [...document.querySelectorAll('#checks tbody tr')].map(tr => tr.dataset.check)")
    check(len(checks) == 17 and "iommu-kernel" in checks and "boot-early" in checks,
          "the CheckHost rows are shown (%d)" % len(checks))
    shown = page.js("return [...document.querySelectorAll('#checks tbody tr')].map(tr => [tr.dataset.check, tr.dataset.status, tr.cells[2].textContent, tr.cells[3].textContent])")
    host = tb.busctl("call", "org.passthru.Manager", "/org/passthru/Manager", "org.passthru.Manager", "CheckHost")["data"][0]
    # Shown as the daemon wrote them; its backticks mark the commands, shown as code.
    expected_checks = [[i, st, summary, remedy.replace("`", "") if remedy else "Nothing to do"] for i, st, summary, remedy in host]
    check(shown == expected_checks, "the readiness rows equal CheckHost, remedies included (%d with a remedy)"
          % sum(1 for r in host if r[3]))
    check(page.js("return document.querySelectorAll('#checks td.remedy code').length") > 0, "commands in remedies are shown as code")
    persist_boxes = page.js("return [...document.querySelectorAll('input.persist')].map(b => b.checked)")
    check(len(persist_boxes) > 0 and not any(persist_boxes),
          "the daemon has Manager.Persist: persistence switches, none on (%d)" % len(persist_boxes))
    page.screenshot("overview")

    # "Use in a VM": a device's details show GetVmConfig's three snippets, each with a copy button.
    vm_part = '#groups tr[data-address="%s"] details.vm-config' % GPU_AUDIO
    check(page.js("return document.querySelector(arguments[0]) !== null && !document.querySelector(arguments[0]).open", vm_part),
          "the audio function has a closed 'Use in a VM' part")
    check(page.js("return document.querySelector('#groups tr[data-address=\"0000:00:01.0\"] details.vm-config') === null"),
          "a bridge has none")
    page.js("document.querySelector(arguments[0] + ' > summary').click();", vm_part)
    snippets = wait_for(lambda: page.js("""
        const s = [...document.querySelectorAll(arguments[0] + ' .vm-snippet')];
        return s.length === 3 ? s.map(x => [x.dataset.format, x.querySelector('pre').textContent]) : null;""", vm_part),
        "the three snippets of %s" % GPU_AUDIO)
    for fmt, text in snippets:
        expected = tb.busctl("call", "org.passthru.Manager", "/org/passthru/Manager", "org.passthru.Manager",
                             "GetVmConfig", "ss", GPU_AUDIO, fmt)["data"][0]
        check(text == expected, "the %s snippet is GetVmConfig's text: %r" % (fmt, text))
    check([f for f, _ in snippets] == ["libvirt", "qemu", "proxmox"], "libvirt, QEMU and Proxmox, in that order")
    check("multifunction=on" in snippets[1][1] and GPU in snippets[1][1], "the QEMU lines take the GPU along on one slot")
    pending = page.js("return document.querySelector(arguments[0] + ' .vm-pending').textContent", vm_part)
    check("passthructl bind --group " + GPU_AUDIO in pending, "it says how to get them to vfio-pci: %r" % pending)
    page.js("""Object.defineProperty(navigator, 'clipboard', { configurable: true, value: {
                   writeText: t => { window.passthruCopied = t; return Promise.resolve(); } } });""")
    page.js("document.querySelector(arguments[0] + ' .vm-snippet[data-format=\"qemu\"] .btn-copy').click();", vm_part)
    wait_for(lambda: page.js("return window.passthruCopied") == snippets[1][1], "the copy button to copy the QEMU lines")
    check(page.js("return document.querySelector(arguments[0] + ' .vm-snippet[data-format=\"qemu\"] .btn-copy').textContent", vm_part)
          == "Copied", "the button says it copied")
    page.screenshot("use-in-vm")
    page.js("document.querySelector(arguments[0] + ' > summary').click();", vm_part)
    wait_for(lambda: page.js("return !document.querySelector(arguments[0]).open", vm_part), "the part to close again")

    # A hotplug shows up without reload.
    tb.command("hotplug")
    wait_for(lambda: page.row_driver(HOTPLUG) == "e1000e", "the hotplugged NIC %s on e1000e in the page" % HOTPLUG)
    check(HOTPLUG in [a for a, _, _ in page.rows()] and page.js("return window.passthruTestMark") == 42,
          "the hotplug appeared without a reload")
    wait_for(lambda: page.js("return document.querySelector('#groups .group[data-group=\"11\"]') !== null"),
             "the NIC's IOMMU group 11 in the page")

    # Bind with the plan first, then confirm; then give it back.
    page.click('#groups tr[data-address="%s"] .btn-bind' % NVME)
    dlg = wait_for(lambda: (lambda s: s if s["phase"] == "plan" else None)(page.dialog()), "the dry-run plan of binding the NVMe")
    check(dlg["open"] and dlg["plan"] == [[NVME, "nvme", "vfio-pci"]] and dlg["confirm"] and dlg["error"] is None,
          "the plan says nvme → vfio-pci: %r" % dlg["plan"])
    check(tb.driver(NVME) == "nvme", "the dry run changed nothing in the daemon")
    page.screenshot("bind-plan")
    page.click("#plan-confirm")
    wait_for(lambda: page.row_driver(NVME) == "vfio-pci", "the NVMe on vfio-pci in the page")
    check(tb.driver(NVME) == "vfio-pci", "the daemon says the NVMe is on vfio-pci")
    # The PropertiesChanged signal may come before Bind's reply: wait for the reply's effects.
    wait_for(lambda: not page.dialog()["open"], "the dialog to close on Bind's reply")
    wait_for(lambda: "Bound. %s: nvme → vfio-pci" % NVME in page.js("return document.getElementById('alerts').textContent"),
             "the page to say what it bound")
    page.screenshot("bound")

    page.click('#groups tr[data-address="%s"] .btn-unbind' % NVME)
    dlg = wait_for(lambda: (lambda s: s if s["phase"] == "plan" else None)(page.dialog()), "the dry-run plan of giving the NVMe back")
    check(dlg["plan"] == [[NVME, "vfio-pci", "nvme"]], "the plan says vfio-pci → nvme: %r" % dlg["plan"])
    page.click("#plan-confirm")
    wait_for(lambda: page.row_driver(NVME) == "nvme", "the NVMe back on nvme in the page")
    check(tb.driver(NVME) == "nvme", "the daemon says the NVMe is back on nvme")
    wait_for(lambda: not page.dialog()["open"], "the dialog to close on Unbind's reply")

    # The group option changes the plan.
    page.click('#groups tr[data-address="%s"] .btn-bind' % GPU_AUDIO)
    dlg = wait_for(lambda: (lambda s: s if s["phase"] in ("plan", "error") else None)(page.dialog()), "the plan of binding the GPU's audio function alone")
    expected_error = tb.call_error("Bind", "sa{sv}", GPU_AUDIO, "1", "dry-run", "b", "true")
    check(dlg["phase"] == "error" and dlg["error"] == expected_error and not dlg["confirm"],
          "binding a member of a shared group alone shows the daemon's own sentence: %r" % dlg["error"])
    page.click("#plan-group")
    dlg = wait_for(lambda: (lambda s: s if s["phase"] == "plan" else None)(page.dialog()), "the plan with the group option")
    check(dlg["plan"] == [[GPU, "nouveau", "vfio-pci"], [GPU_AUDIO, "snd_hda_intel", "vfio-pci"]] and dlg["error"] is None,
          "the group plan takes the GPU along: %r" % dlg["plan"])
    page.screenshot("group-plan")
    page.click("#plan-cancel")
    check(not page.dialog()["open"], "cancel closes the dialog")
    check(tb.driver(GPU) == "nouveau" and tb.driver(GPU_AUDIO) == "snd_hda_intel", "cancel changed nothing")

    # A bind by another client shows up live.
    tb.busctl("call", "org.passthru.Manager", "/org/passthru/Manager", "org.passthru.Manager", "Bind", "sa{sv}", HOTPLUG, "0")
    wait_for(lambda: page.row_driver(HOTPLUG) == "vfio-pci", "another client's bind of %s in the page" % HOTPLUG)
    # The kernel unbinds it from e1000e, then vfio-pci binds it: DriverChanged for each, or
    # one "e1000e → vfio-pci" when the daemon reads the device after both (a loaded machine).
    wait_for(lambda: re.search(r"Driver of %s changed: (none|e1000e) → vfio-pci\." % re.escape(HOTPLUG),
                               page.js("return document.getElementById('event-list').textContent")),
             "the DriverChanged signals in the changes list: " + page.js("return document.getElementById('event-list').textContent"))

    # polkit says no.
    tb.command("polkit deny")
    page.click('#groups tr[data-address="%s"] .btn-bind' % NVME)
    wait_for(lambda: page.dialog()["phase"] == "plan", "the plan while polkit denies (a dry run needs no authorization)")
    page.click("#plan-confirm")
    dlg = wait_for(lambda: (lambda s: s if s["phase"] == "error" else None)(page.dialog()), "the refusal")
    denial = tb.call_error("Bind", "sa{sv}", NVME, "0")
    check(dlg["kind"] == "not-authorized" and "polkit" in dlg["error"] and dlg["error"].endswith(denial),
          "the page says polkit refused, with the daemon's sentence: %r" % dlg["error"])
    check(tb.driver(NVME) == "nvme", "the daemon did not bind it")
    page.screenshot("denied")
    page.click("#plan-cancel")
    tb.command("polkit allow")

    # passthrud restarts: the page reads the new daemon's objects again, still without reload.
    tb.command("restart")
    wait_for(lambda: "passthrud is back." in page.js("return document.getElementById('event-list').textContent"),
             "the page to see passthrud back after a restart")
    wait_for(lambda: sorted(map(tuple, page.rows())) == sorted((r[0], r[7], r[8]) for r in tb.list_devices()),
             "the page to equal the new daemon's ListDevices")
    check("passthrud stopped" in page.js("return document.getElementById('alerts').textContent"), "the page said passthrud stopped")

    # A hot-unplug too.
    tb.command("unplug")
    wait_for(lambda: HOTPLUG not in [a for a, _, _ in page.rows()], "the unplugged NIC gone from the page")
    check(page.js("return window.passthruTestMark") == 42, "no reload happened during the whole test")
    wait_for(lambda: sorted(map(tuple, page.rows())) == sorted((r[0], r[7], r[8]) for r in tb.list_devices()),
             "the page still equals ListDevices")
    page.screenshot("final")

    # The picture for the README: notices dismissed, the readiness rows folded.
    page.js("document.querySelectorAll('#alerts .btn-close').forEach(b => b.click());")
    page.click("#host > summary")
    check(page.js("return !document.getElementById('host').open && document.getElementById('check-counts').textContent.includes('failed')"),
          "the readiness rows fold away under their counts")
    page.js("window.scrollTo(0, 0);")
    page.screenshot("page")

    entries = d.get_log("browser")
    check(any("passthru-test-probe" in e.get("message", "") for e in entries),
          "the browser console is captured (%d entries)" % len(entries))
    console = [e for e in entries if e.get("level") == "SEVERE"]
    check(not console, "no errors in the browser console: %r" % console)


def run_shell(tb, page, url):
    """The page as a person opens it: in Cockpit's shell, from its menu, in an iframe."""
    d = page.d
    d.get(url + "/passthru")
    wait_for(lambda: page.js("return [...document.querySelectorAll('nav a, #host-apps a')].some(a => a.textContent.trim() === 'PCI passthrough')"),
             "\"PCI passthrough\" in Cockpit's menu (from manifest.json)")
    frame = wait_for(lambda: d.find_element("css selector", "iframe[name$='/passthru']"), "the page's iframe in the shell")
    d.switch_to.frame(frame)
    try:
        wait_for(lambda: page.js("return document.body.dataset.loaded === 'true'"), "the page to load in the shell")
        expected = sorted((r[0], r[7], r[8]) for r in tb.list_devices())
        wait_for(lambda: sorted(map(tuple, page.rows())) == expected, "the rows in the shell to equal ListDevices")
        page.click("#host > summary")  # the README's picture: devices in view
    finally:
        d.switch_to.default_content()
    page.screenshot("shell")


def run_mock(driver, artifacts, workdir):
    """The page against mock-cockpit.js: a daemon that has Persist(sb) and GetConfig."""
    root = os.path.join(workdir, "mock")
    shutil.copytree(os.environ["COCKPIT_PAGE_DIR"], os.path.join(root, "passthru"),
                    ignore=shutil.ignore_patterns("meson.build", "*.png"))
    os.makedirs(os.path.join(root, "base1"))
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mock-cockpit.js"),
                os.path.join(root, "base1", "cockpit.js"))
    page = Page(driver, artifacts)
    driver.get("file://" + os.path.join(root, "passthru", "index.html"))
    wait_for(lambda: page.js("return document.body.dataset.loaded === 'true'"), "the page to load on the mock")
    check(page.js("return window.mockDbusOptions.name === 'org.passthru.Manager' && window.mockDbusOptions.options.bus === 'system' "
                  "&& window.mockDbusOptions.options.superuser === 'try'"),
          "the page asks for org.passthru.Manager on the system bus with superuser \"try\"")
    boxes = page.js("return [...document.querySelectorAll('input.persist')].map(b => [b.closest('tr').dataset.address, b.checked])")
    check(boxes == [["0000:00:05.0", False], ["0000:00:06.0", True]], "with Persist, each device has its persistence switch: %r" % boxes)
    wait_for(lambda: page.js("return !document.getElementById('config').hidden && "
                             "document.querySelector('#config-table tr.config-entry').textContent.includes('applied')"),
             "GetConfig's entries and their states shown")
    page.click('tr[data-address="0000:00:05.0"] input.persist')
    wait_for(lambda: page.js("return window.mockCalls.some(c => c.method === 'Persist')"), "a Persist call")
    persist = page.js("return window.mockCalls.find(c => c.method === 'Persist')")
    check(persist["args"] == ["0000:00:05.0", True] and persist["opts"]["type"] == "sb",
          "the switch calls Persist('0000:00:05.0', true): %r" % persist)
    page.js("window.mockSignal('/org/passthru/devices/0000_00_05_0', 'org.freedesktop.DBus.Properties', 'PropertiesChanged',"
            " ['org.passthru.Device', {Persistent: {t: 'b', v: true}}, []]);")
    wait_for(lambda: page.js("return document.querySelector('tr[data-address=\"0000:00:05.0\"] input.persist').checked"),
             "the switch follows PropertiesChanged on Persistent")
    page.click('tr[data-address="0000:00:05.0"] .btn-bind')
    wait_for(lambda: page.dialog()["phase"] == "plan", "the bind plan on the mock")
    check(page.js("return document.getElementById('plan-persist').checkVisibility()"), "the dialog offers to keep it across reboots")
    page.click("#plan-persist")
    wait_for(lambda: page.js("return window.mockCalls.filter(c => c.method === 'Bind').length") == 2, "the plan asked again")
    options = page.js("return window.mockCalls.filter(c => c.method === 'Bind')[1].args[1]")
    check(options.get("persist") == {"t": "b", "v": True} and options.get("dry-run") == {"t": "b", "v": True},
          "the plan asks with persist and dry-run: %r" % options)
    page.screenshot("persist-mock")
    page.click("#plan-cancel")


def leftovers(workdir):
    """Processes still running with the test's directory in their environment (what the
    bridge or the browser started and nobody stopped): ended, and returned for the record."""
    mark = ("=" + workdir).encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if mark not in f.read():
                    continue
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            os.kill(int(pid), 15)
            found.append("%s %s" % (pid, cmd))
        except (OSError, ValueError):
            pass
    return found


def main():
    reason = skip_reason()
    if reason:
        log("1..0 # SKIP", reason)
        return SKIP
    artifacts = os.environ.get("COCKPIT_ARTIFACTS") or tempfile.mkdtemp(prefix="passthru-cockpit-artifacts-")
    os.makedirs(artifacts, exist_ok=True)
    for old in os.listdir(artifacts):
        if old.endswith((".png", ".log")):
            os.remove(os.path.join(artifacts, old))
    workdir = tempfile.mkdtemp(prefix="passthru-cockpit-")
    started = time.monotonic()
    tb = ws = driver = None
    failed = True
    try:
        tb = Testbed(workdir)
        log("# private bus:", tb.address)
        ws = Cockpit(workdir, tb.address)
        log("# cockpit-ws:", ws.url)
        driver = start_browser(workdir)
        run(tb, Page(driver, artifacts), ws.url)
        run_shell(tb, Page(driver, artifacts), ws.url)
        run_mock(driver, artifacts, workdir)
        failed = False
    except SystemExit as e:
        log("1..0 # SKIP", e)
        failed = None
    except Exception:
        traceback.print_exc()
        if driver:
            try:
                Page(driver, artifacts).screenshot("failure")
            except Exception:
                pass
    finally:
        if driver:
            driver.quit()
        if ws:
            ws.stop()
        status = tb.stop() if tb else 0
        left = leftovers(workdir)
        if left and failed is False:
            log("not ok - processes outlived the test (now ended):", "; ".join(left))
            failed = True
        for name in ("serve-testbed.log", "cockpit-ws.log", "chromedriver.log"):
            src = os.path.join(workdir, name)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(artifacts, name))
        shutil.rmtree(workdir, ignore_errors=True)
        if tb and status != 0 and failed is False:
            log("not ok - serve-testbed (passthrud's harness) exited with status", status)
            failed = True
    log("# %.1f s; artifacts in %s" % (time.monotonic() - started, artifacts))
    if failed is None:
        return SKIP
    log("cockpit: %d passed, %d failed" % (0 if failed else 1, 1 if failed else 0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
