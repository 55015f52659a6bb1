#!/bin/sh
# Every manual page renders without a warning from groff (man --warnings), at the usual
# 80 columns: a warning is a page that reads wrong (text running into the next entry, a
# line that cannot be set, a bad request). Usage: test-man.sh PAGE...
status=0
for page in "$@"; do
        warnings=$(MANWIDTH=80 MAN_KEEP_FORMATTING=1 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
        if [ -n "$warnings" ]; then
                echo "$page:"
                echo "$warnings"
                status=1
        else
                echo "$page: no warnings"
        fi
done
exit $status
