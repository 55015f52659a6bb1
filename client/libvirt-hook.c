/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdio.h>

#include "bus.h"
#include "libvirt-hook.h"
#include "pci-address.h"
#include "strv.h"

/* libvirt's own default for a hostdev without managed= is "no": it leaves binding to us. */
#define UNMANAGED_PCI_SOURCES                                                              \
        "/domain/devices/hostdev[@mode='subsystem' and @type='pci' and (not(@managed) or " \
        "@managed='no')]/source/address"

/* A domain XML is a few kilobytes; this is far above any real one. */
#define DOMAIN_XML_MAX (16U * 1024 * 1024)

/* The daemon answers within its own operation timeout (20 s); a group may take a few. */
#define HOOK_CALL_TIMEOUT_USEC (120ULL * 1000 * 1000)

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc);
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathContextPtr, xmlXPathFreeContext);
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathObjectPtr, xmlXPathFreeObject);

static int read_stdin(char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        for (;;) {
                size_t n;

                if (allocated - size < 4096) {
                        char *grown = realloc(buf, allocated + 65536);

                        if (!grown)
                                return client_oom();
                        buf = grown;
                        allocated += 65536;
                }
                n = fread(buf + size, 1, allocated - size, stdin);
                size += n;
                if (size > DOMAIN_XML_MAX)
                        return client_error_errno(EFBIG, "The domain XML on stdin is larger than %u bytes.",
                                                  DOMAIN_XML_MAX);
                if (n == 0)
                        break;
        }
        if (ferror(stdin))
                return client_error_errno(EIO, "Failed to read the domain XML on stdin.");
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

static int attribute_number(xmlNodePtr node, const char *name, unsigned long max, unsigned long fallback,
                            unsigned long *ret) {
        xmlChar *text = xmlGetProp(node, (const xmlChar *) name);
        char *end;
        unsigned long v;

        if (!text) {
                *ret = fallback;
                return fallback <= max ? 0 : -EINVAL;
        }
        errno = 0;
        v = strtoul((const char *) text, &end, 0);
        if (errno != 0 || end == (char *) text || *end != '\0' || v > max) {
                xmlFree(text);
                return -EINVAL;
        }
        xmlFree(text);
        *ret = v;
        return 0;
}

/* <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/> as "0000:01:00.0". */
static int source_address(xmlNodePtr node, char ret[static PCI_ADDRESS_STRING_MAX]) {
        unsigned long domain, bus, slot, function;
        PciAddress a;

        if (attribute_number(node, "domain", 0xffff, 0, &domain) < 0 ||
            attribute_number(node, "bus", 0xff, ULONG_MAX, &bus) < 0 ||
            attribute_number(node, "slot", 0x1f, ULONG_MAX, &slot) < 0 ||
            attribute_number(node, "function", 7, ULONG_MAX, &function) < 0)
                return client_error_errno(EINVAL,
                                          "A PCI hostdev of the domain has no valid source address.");
        a = (PciAddress){ .domain = domain, .bus = bus, .slot = slot, .function = function };
        pci_address_format(&a, ret);
        return 0;
}

/* Every unmanaged PCI hostdev's host address, in the domain's order, each once. */
static int unmanaged_pci_hostdevs(const char *xml, size_t size, char ***ret) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr found = NULL;
        _cleanup_strv_free_ char **addresses = NULL;
        int r;

        /* No network, no entity expansion: the text is the domain libvirt gave us. */
        doc = xmlReadMemory(xml, (int) size, "domain.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
        if (!doc)
                return client_error_errno(EINVAL, "The domain XML on stdin is not well-formed XML.");
        ctx = xmlXPathNewContext(doc);
        if (ctx)
                found = xmlXPathEvalExpression((const xmlChar *) UNMANAGED_PCI_SOURCES, ctx);
        if (!found)
                return client_oom();
        for (int i = 0; found->nodesetval && i < found->nodesetval->nodeNr; i++) {
                char address[PCI_ADDRESS_STRING_MAX];

                r = source_address(found->nodesetval->nodeTab[i], address);
                if (r < 0)
                        return r;
                if (!strv_contains(addresses, address) && strv_extend(&addresses, address) < 0)
                        return client_oom();
        }
        *ret = TAKE_PTR(addresses);
        return 0;
}

/* Bind or Unbind with the group and the domain's name; a refusal is printed as it came. */
static int call_for_domain(sd_bus *bus, const char *member, const char *address, const char *domain,
                           bool quiet) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = bus_new_manager_call(bus, member, &call);
        if (r >= 0)
                r = sd_bus_message_append(call, "s", address);
        if (r >= 0)
                r = sd_bus_message_append(call, "a{sv}", 2, "group", "b", 1, "vm", "s", domain);
        if (r < 0)
                return client_error_errno(r, "Failed to build the %s call: %m", member);
        r = sd_bus_call(bus, call, HOOK_CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0 && !quiet)
                return bus_log_error(&error, r);
        return r;
}

/* All or nothing: when one function is refused, what this run bound goes back. */
static int prepare(sd_bus *bus, char **addresses, const char *domain) {
        int r;

        for (size_t i = 0; addresses[i]; i++) {
                r = call_for_domain(bus, "Bind", addresses[i], domain, false);
                if (r >= 0)
                        continue;
                client_error_errno(r, "Domain '%s' does not start: %s cannot be given to vfio-pci.", domain,
                                   addresses[i]);
                for (size_t j = 0; j < i; j++)
                        (void) call_for_domain(bus, "Unbind", addresses[j], domain, true);
                return r;
        }
        return 0;
}

static int release(sd_bus *bus, char **addresses, const char *domain) {
        int ret = 0;

        for (size_t i = 0; addresses[i]; i++) {
                int r = call_for_domain(bus, "Unbind", addresses[i], domain, false);

                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int verb_libvirt_hook(sd_bus *bus_unused, int argc, char *argv[], const ClientOptions *o) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **addresses = NULL;
        _cleanup_free_ char *xml = NULL;
        const char *domain = argv[1];
        bool starting = streq(argv[2], "prepare") && streq(argv[3], "begin");
        bool stopped = streq(argv[2], "release") && streq(argv[3], "end");
        size_t size = 0;
        int r;

        if (!starting && !stopped)
                return 0;
        r = read_stdin(&xml, &size);
        if (r >= 0)
                r = unmanaged_pci_hostdevs(xml, size, &addresses);
        if (r < 0 || !addresses)
                return r;
        r = bus_connect(o, &bus);
        if (r < 0)
                return r;
        return starting ? prepare(bus, addresses, domain) : release(bus, addresses, domain);
}
