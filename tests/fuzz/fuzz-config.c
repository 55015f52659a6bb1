/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The persistence store's parser on whatever /etc/passthru/devices.conf may hold, then its
 * editor: what parsed is rewritten with every entry removed and set again, and the result
 * must parse back to the same entries. Errors reach D-Bus: they must be valid UTF-8. */
#include "devices-conf.h"
#include "fuzz.h"

static void check_error(const ConfigError *e) {
        _cleanup_free_ char *text = NULL;

        if (config_error_to_string(e, &text) < 0)
                return;
        if (!utf8_is_valid(text))
                abort();
}

/* Removing an entry and setting it again leaves a file that parses to the same entries. */
static void round_trip(Config *c) {
        size_t n = config_n_entries(c), size;
        _cleanup_(config_freep) Config *again = NULL;
        const char *text;

        for (size_t i = 0; i < n; i++) {
                ConfigEntry copy = *config_entry(c, 0);

                copy.identity.serial = copy.identity.serial ? strdup(copy.identity.serial) : NULL;
                if (config_remove_entry(c, &copy.address) < 0 || config_set_entry(c, &copy) < 0)
                        abort();
                free(copy.identity.serial);
        }
        text = config_text(c, &size);
        if (config_parse(text, size, NULL, &again, NULL) < 0 || config_n_entries(again) != n)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(config_freep) Config *c = NULL;
        ConfigError error = {};

        fuzz_quiet();
        if (size > CONFIG_SIZE_MAX)
                return 0;
        if (config_parse((const char *) data, size, "fuzz.conf", &c, &error) < 0) {
                check_error(&error);
                config_error_done(&error);
                return 0;
        }
        round_trip(c);
        return 0;
}
