#!/usr/bin/python3
"""Where one passthructl call spends its time, from the bus's side.

Usage: bus-phases.py MONITOR_LOG CALLS_LOG

MONITOR_LOG is `dbus-monitor --system --profile` output (one message a line: type,
timestamp, serial, sender, destination, then path/interface/member or the reply serial).
CALLS_LOG holds "NAME ROUND T0 T1" lines: a client process started at T0 and exited at T1
(seconds, the guest's wall clock, as the monitor's timestamps). For each call, the client's
Hello, its method call, the daemon's CheckAuthorization to polkit and its answer, and the
reply to the client split it into phases; prints "bench phase-NAME-PHASE ROUND MS" lines:

  start    T0 -> the client's Hello (exec, dynamic linking, connecting)
  call     Hello -> the method call reaches the bus
  polkit   the daemon's CheckAuthorization -> polkitd's answer (absent: never asked)
  daemon   the method call -> the reply, less polkit's part (plan, worker, the kernel)
  exit     the reply -> the process has exited
"""
import sys


def read_monitor(path):
    msgs = []
    with open(path, errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 6 or p[0] not in ("mc", "mr", "err", "sig"):
                continue
            m = {"type": p[0], "ts": float(p[1]), "serial": p[2], "sender": p[3], "dest": p[4]}
            if p[0] in ("mr", "err"):
                m["reply_serial"] = p[5]
            elif len(p) >= 8:
                m["member"] = p[7]
            msgs.append(m)
    return msgs


def first(msgs, after, pred):
    return next((m for m in msgs if m["ts"] >= after and pred(m)), None)


def reply_to(msgs, call):
    return first(msgs, call["ts"], lambda m: m["type"] in ("mr", "err") and m["dest"] == call["sender"]
                 and m["reply_serial"] == call["serial"])


def phases(msgs, t0, t1):
    hello = first(msgs, t0, lambda m: m["type"] == "mc" and m.get("member") == "Hello")
    if not hello:
        return None
    client = hello["sender"]
    call = first(msgs, hello["ts"], lambda m: m["type"] == "mc" and m["sender"] == client
                 and m.get("member") in ("Bind", "Unbind"))
    reply = call and reply_to(msgs, call)
    if not reply:
        return None
    daemon = reply["sender"]
    ask = first(msgs, call["ts"], lambda m: m["type"] == "mc" and m["sender"] == daemon
                and m.get("member") == "CheckAuthorization" and m["ts"] <= reply["ts"])
    answer = ask and reply_to(msgs, ask)
    polkit = answer["ts"] - ask["ts"] if answer else None
    out = {"start": hello["ts"] - t0, "call": call["ts"] - hello["ts"],
           "daemon": reply["ts"] - call["ts"] - (polkit or 0), "exit": t1 - reply["ts"]}
    if polkit is not None:
        out["polkit"] = polkit
    return out


def main():
    msgs = read_monitor(sys.argv[1])
    with open(sys.argv[2]) as f:
        for line in f:
            name, rnd, t0, t1 = line.split()
            ph = phases(msgs, float(t0), float(t1))
            if ph is None:
                print(f"bus-phases: no Hello, call or reply found for {name} round {rnd}", file=sys.stderr)
                continue
            for k, v in ph.items():
                print(f"bench phase-{name}-{k} {rnd} {v * 1000:.1f}")


if __name__ == "__main__":
    main()
