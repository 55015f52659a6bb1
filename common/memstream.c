/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "macros.h"
#include "memstream.h"

FILE *memstream_init(MemStream *m) {
        assert(m);
        assert(!m->f);
        m->f = open_memstream(&m->buf, &m->size);
        return m->f;
}

int memstream_finalize(MemStream *m, char **ret) {
        int r;

        assert(m);
        assert(m->f);
        assert(ret);
        r = fclose(m->f);
        m->f = NULL;
        if (r != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(m->buf);
        return 0;
}

void memstream_done(MemStream *m) {
        if (m->f)
                (void) fclose(m->f);
        m->f = NULL;
        m->buf = mfree(m->buf);
}
