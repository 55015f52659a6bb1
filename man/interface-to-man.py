#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes org.passthru.Manager(5) from dbus/org.passthru.Manager.xml, so the manual page
says exactly what the API reference says (and the reference is what the daemon exports:
tests/test-introspection.c). The <!-- comment --> before an element documents it; a comment
starting with "Name:" has that prefix dropped.

  interface-to-man.py XML VERSION OUTPUT   write the page
  interface-to-man.py --check XML          fail unless every interface, method, property
                                           and signal has its comment
"""

import sys
import xml.etree.ElementTree as ET

MEMBERS = ("method", "property", "signal")


def parse(path):
    """The root element, and for each element the text of the comment before it."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.parse(path, parser).getroot()
    docs = {}
    for parent in list(root.iter()):
        doc = None
        for child in list(parent):
            if child.tag is ET.Comment:
                doc = child.text
                parent.remove(child)
            else:
                docs[child] = doc
                doc = None
    return root, docs


def header_comment(path):
    """The file's own comment, before <node>, which ElementTree does not keep."""
    text = open(path, encoding="utf-8").read()
    start, end = text.find("<!--"), text.find("-->")
    if start < 0 or start > text.find("<node"):
        return ""
    return text[start + 4:end]


def paragraphs(doc, name=None):
    """Comment text as paragraphs of joined lines, without the "Name:" prefix."""
    if not doc:
        return []
    text = " ".join(doc.split())
    if name and text.startswith(name + ":"):
        text = text[len(name) + 1:].strip()
        text = text[:1].upper() + text[1:]
    return [text] if text else []


def escape(text):
    text = text.replace("\\", "\\e")
    # A line starting with . or ' would be taken as a request.
    return "\\&" + text if text[:1] in (".", "'") else text


def args_signature(element, with_direction):
    parts = []
    for arg in element.findall("arg"):
        direction = arg.get("direction", "in") + " " if with_direction else ""
        parts.append(f"{direction}{arg.get('type')} {arg.get('name', '')}".strip())
    return ", ".join(parts)


def annotations(element):
    return [f"@{a.get('name')}(\"{a.get('value')}\")" for a in element.findall("annotation")]


def synopsis(interface):
    lines = [f"interface {interface.get('name')} {{"]
    for kind, title in (("method", "methods"), ("signal", "signals"), ("property", "properties")):
        members = interface.findall(kind)
        if not members:
            continue
        lines.append(f"  {title}:")
        for m in members:
            for a in annotations(m):
                lines.append(f"    {a}")
            if kind == "property":
                access = {"read": "readonly", "write": "writeonly", "readwrite": "readwrite"}[m.get("access")]
                lines.append(f"    {access} {m.get('type')} {m.get('name')};")
            else:
                lines.append(f"    {m.get('name')}({args_signature(m, kind == 'method')});")
    lines.append("};")
    return lines


def page(root, docs, header, version):
    out = [
        f'.TH "ORG\\&.PASSTHRU\\&.MANAGER" "5" "" "passthru {version}" "org.passthru.Manager"',
        ".SH NAME",
        "org.passthru.Manager \\- the D\\-Bus API of passthrud",
        ".SH DESCRIPTION",
        "passthrud(8) serves these interfaces on the system bus under the name",
        ".BR org.passthru.Manager .",
        "This page is written from the introspection XML installed as",
        ".IR org.passthru.Manager.xml ,",
        "which the test suite compares with what the daemon exports.",
        ".PP",
        ".nf",
    ]
    # The header's licence line is for the file, not the reader.
    out += [escape(line) for line in header.strip("\n").splitlines() if "SPDX-License-Identifier" not in line]
    out.append(".fi")
    for interface in root.findall("interface"):
        name = interface.get("name")
        out += [f'.SH "INTERFACE {name}"']
        out += [escape(p) for p in paragraphs(docs[interface])]
        out += [".PP", ".nf", ".RS 4"] + [escape(line) for line in synopsis(interface)] + [".RE", ".fi"]
        for kind, title in (("method", "Methods"), ("signal", "Signals"), ("property", "Properties")):
            members = interface.findall(kind)
            if not members:
                continue
            out.append(f".SS {title}")
            for m in members:
                out += [".PP", f".B {m.get('name')}", ".RS 4"]
                out += [escape(p) for p in paragraphs(docs[m], m.get("name"))]
                out.append(".RE")
    out += [
        ".SH SEE ALSO",
        ".BR passthrud (8),",
        ".BR passthructl (1),",
        ".BR busctl (1),",
        ".BR polkit (8)",
    ]
    return "\n".join(out) + "\n"


def undocumented(root, docs):
    missing = []
    for interface in root.findall("interface"):
        if not docs[interface]:
            missing.append(f"interface {interface.get('name')}")
        for kind in MEMBERS:
            for m in interface.findall(kind):
                if not paragraphs(docs[m], m.get("name")):
                    missing.append(f"{interface.get('name')}: {kind} {m.get('name')}")
    return missing


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        missing = undocumented(*parse(argv[2]))
        for m in missing:
            print(f"{argv[2]}: no <!-- comment --> documents {m}")
        return 1 if missing else 0
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    xml, version, output = argv[1:]
    text = page(*parse(xml), header_comment(xml), version)
    with open(output, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
