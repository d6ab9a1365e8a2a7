/* cli: printing diagnostics and mapping error codes to exit statuses. Every
 * field is escaped (cli_esc.c): a path, a message or a scenario's line may
 * hold anything. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"

void print_diag(const char *what, const diag *d, int code) {
    const char *msg = d->msg[0] ? d->msg : err_str(code);
    if (d->line > 0) {
        fprintf(stderr, "%s:%d:%d: error: %s\n", esc(d->file), d->line, d->col, esc(d->msg));
        if (d->snippet[0]) {
            /* the caret under the column (in characters), counted as the escaped line shows it:
             * a CJK character takes two terminal columns, an escape its length */
            fprintf(stderr, "  %s\n  %*s^\n", esc(d->snippet), d->col > 1 ? esc_columns(d->snippet, d->col - 1) : 0, "");
        }
    } else if (d->has_offset) {
        fprintf(stderr, "weft: %s: at byte %llu: %s\n", esc(what), (unsigned long long)d->offset, esc(msg));
    } else if (d->file[0]) {
        fprintf(stderr, "weft: %s: %s\n", esc(d->file), esc(msg));
    } else {
        fprintf(stderr, "weft: %s%s%s\n", what ? esc(what) : "", what ? ": " : "", esc(msg));
    }
    if (d->hint[0]) fprintf(stderr, "hint: %s\n", esc(d->hint));
}

int exit_for(int rc) {
    switch (-rc) {
    case ERR_SCENARIO: case ERR_USAGE: case ERR_LIMIT: case ERR_FORMAT: case ERR_VERSION: case ERR_UNSUPPORTED:
        return EXIT_INPUT;
    default: return EXIT_IO;
    }
}
