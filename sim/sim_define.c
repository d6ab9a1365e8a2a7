/* -D name=value (and --sweep name=v1,v2): a param's value replaced before
 * everything that uses it is evaluated. The value is an expression in the
 * scenario language, over the params. */
#include "sim/sim_parse_internal.h"

#include <stdio.h>
#include <stdlib.h>

int sim__apply_define(parser *ps, const sim_define *def) {
    sim_program *p = ps->p;
    const char *opt = def->option ? def->option : "-D";
    if (sim__gil_define_default(ps, def->name)) return ps->err;   /* -D gil=on on a scenario without a GIL */
    int pi = sim__find_param(p, def->name, strlen(def->name));
    if (pi < 0) {
        diag *d = ps->d;
        const char **names = xmalloc(sizeof *names * (p->nparams + 1));
        for (uint32_t i = 0; i < p->nparams; i++) names[i] = p->params[i].name;
        const char *c = sim__closest(def->name, names, p->nparams);
        free(names);
        if (d) {
            diag_clear(d);
            snprintf(d->file, sizeof d->file, "%s", ps->path);
            snprintf(d->msg, sizeof d->msg, "%s %s: the scenario has no parameter '%s'", opt, def->name, def->name);
            d->msg[utf8_cut(d->msg, strlen(d->msg))] = 0;
            if (c) snprintf(d->hint, sizeof d->hint, "did you mean '%s'?", c);
            else if (p->nparams) {
                size_t l = (size_t)snprintf(d->hint, sizeof d->hint, "its parameters are:");
                for (uint32_t i = 0; i < p->nparams && l < sizeof d->hint; i++)
                    l += (size_t)snprintf(d->hint + l, sizeof d->hint - l, " %s", p->params[i].name);
                d->hint[utf8_cut(d->hint, strlen(d->hint))] = 0;
            } else snprintf(d->hint, sizeof d->hint, "it declares no param to override");
        }
        return ps->err = -ERR_USAGE;
    }
    /* parse the value with the scenario lexer, as an expression over earlier params */
    parser sub = *ps;
    sub.src = def->value;
    sub.cur = def->value;
    sub.line = 1; sub.col = 1;
    sub.path = opt;
    if (!sim__check_utf8(&sub)) sim__next(&sub);
    sim_expr *e = sim__parse_expr(&sub);
    if (e && sub.t.kind != T_EOF) {
        char b[64];
        sim__perr(&sub, sub.t.pos, ERR_USAGE, "unexpected %s in the value", sim__tok_desc(&sub.t, b, sizeof b));
    }
    int64_t v = 0;
    if (!sub.err && e && e->type != p->params[pi].type)
        sim__perr(&sub, e->pos, ERR_USAGE, "%s %s: the parameter is %s, the value is %s", opt, def->name,
                  sim__type_name(p->params[pi].type), sim__type_name(e->type));
    if (!sub.err && e) sim__eval(&sub, e, &v);
    if (!sub.err && e) sim__gil_check_value(&sub, (uint32_t)pi, v, e->pos);
    if (sub.err || !e) {
        if (ps->d) {
            snprintf(ps->d->file, sizeof ps->d->file, "%s %s=%s", opt, def->name, def->value);
            ps->d->file[utf8_cut(ps->d->file, strlen(ps->d->file))] = 0;
        }
        return ps->err = sub.err ? sub.err : -ERR_USAGE;
    }
    p->params[pi].expr = e;
    p->params[pi].overridden = true;
    return 0;
}

