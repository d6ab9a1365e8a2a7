/* cli: printing diagnostics and mapping error codes to exit statuses. */
#include <stdio.h>
#include "cli/cli.h"

void print_diag(const char *what, const diag *d, int code) {
    if (d->line > 0) {
        fprintf(stderr, "%s:%d:%d: error: %s\n", d->file, d->line, d->col, d->msg);
        if (d->snippet[0]) {
            /* the column counts characters; a CJK character takes two terminal columns */
            fprintf(stderr, "  %s\n  %*s^\n", d->snippet, d->col > 1 ? utf8_columns(d->snippet, d->col - 1) : 0, "");
        }
    } else if (d->has_offset) {
        fprintf(stderr, "weft: %s: at byte %llu: %s\n", what, (unsigned long long)d->offset, d->msg);
    } else if (d->file[0]) {
        fprintf(stderr, "weft: %s: %s\n", d->file, d->msg[0] ? d->msg : err_str(code));
    } else {
        fprintf(stderr, "weft: %s%s%s\n", what ? what : "", what ? ": " : "", d->msg[0] ? d->msg : err_str(code));
    }
    if (d->hint[0]) fprintf(stderr, "hint: %s\n", d->hint);
}

int exit_for(int rc) {
    switch (-rc) {
    case ERR_SCENARIO: case ERR_USAGE: case ERR_LIMIT: case ERR_FORMAT: case ERR_VERSION: case ERR_UNSUPPORTED:
        return EXIT_INPUT;
    default: return EXIT_IO;
    }
}

/* ---- shared helpers ---------------------------------------------------- */
