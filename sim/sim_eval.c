/* Evaluating an expression: the parser folds constant ones with it, the
 * runtime evaluates the others when a step runs. Either way an error (an
 * overflow, a division by zero) names the sub-expression's line:col, with the
 * same words. */
#include "sim/sim_parse_internal.h"

#include <math.h>
#include <stdio.h>

uint64_t sim_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int eval_err(diag *d, const sim_program *p, sim_pos pos, int code, const char *msg) {
    if (d) {
        diag_clear(d);
        snprintf(d->file, sizeof d->file, "%s", p && p->path ? p->path : "");
        d->line = pos.line;
        d->col = pos.col;
        snprintf(d->msg, sizeof d->msg, "%s", msg);
    }
    return -code;
}

static int overflow(diag *d, const sim_program *p, const sim_expr *e, int64_t a, int64_t b) {
    char msg[160];
    if (e->kind == SIM_E_NEG)
        snprintf(msg, sizeof msg, "arithmetic overflow: -(%lld) does not fit in 64 bits", (long long)a);
    else if (e->kind == SIM_E_EXP)
        snprintf(msg, sizeof msg, "arithmetic overflow: exp %lld drew a value that does not fit in 64 bits", (long long)a);
    else
        snprintf(msg, sizeof msg, "arithmetic overflow: %lld %c %lld does not fit in 64 bits", (long long)a, e->op,
                 (long long)b);
    return eval_err(d, p, e->pos, ERR_LIMIT, msg);
}

/* Two's complement without relying on the implementation's conversion. */
static int64_t to_signed(uint64_t u) {
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

int sim_element(const sim_program *p, uint32_t base, int64_t v, sim_pos pos, uint32_t *out, diag *d) {
    const sim_object *o = &p->objects[base];
    if (v >= 0 && v < o->size) {
        *out = base + (uint32_t)v;
        return 0;
    }
    char msg[384];
    const char *kind = trc_obj_kind_name((unsigned)o->kind);
    if (o->size == 1)
        snprintf(msg, sizeof msg, "index %lld is out of range for '%s': an array of 1 %s, index 0", (long long)v,
                 o->array ? o->array : o->name, kind);
    else
        snprintf(msg, sizeof msg, "index %lld is out of range for '%s': an array of %lld %ss, 0 to %lld%s", (long long)v,
                 o->array ? o->array : o->name, (long long)o->size, kind, (long long)o->size - 1,
                 v < 0 ? " (a negative index does not count from the end, as in Python: (i + n) % n wraps)" : "");
    return eval_err(d, p, pos, ERR_SCENARIO, msg);
}

/* A selector ([backend=B] or [P=v]) that picked no recorded run. */
static void no_run_selected(char *msg, size_t cap, const sim_program *p, uint32_t param, int64_t v) {
    if (param == SIM_DIM_BACKEND)
        snprintf(msg, cap, "no run on backend %s was recorded (run with --backend or `backends` naming it)",
                 sim_backend_name((unsigned)v) ? sim_backend_name((unsigned)v) : "?");
    else snprintf(msg, cap, "no run with %s=%lld was recorded (run a sweep over %s)", p->params[param].name,
                  (long long)v, p->params[param].name);
}

int sim_eval(const sim_expr *e, const sim_program *p, sim_eval_ctx *ctx, int64_t *out, diag *d) {
    int64_t a, b;
    int rc;
    switch (e->kind) {
    case SIM_E_NUM: case SIM_E_DUR: *out = e->value; return 0;
    case SIM_E_PARAM: *out = p->params[e->param].value; return 0;
    case SIM_E_NEG:
        if ((rc = sim_eval(e->a, p, ctx, &a, d))) return rc;
        if (a == INT64_MIN) return overflow(d, p, e, a, 0);
        *out = -a;
        return 0;
    case SIM_E_CALL:
        if ((rc = sim_eval(e->a, p, ctx, &a, d)) || (rc = sim_eval(e->b, p, ctx, &b, d))) return rc;
        *out = e->fn[1] == 'i' ? (a < b ? a : b) : (a > b ? a : b);
        return 0;
    case SIM_E_NOT:
        if ((rc = sim_eval(e->a, p, ctx, &a, d))) return rc;
        *out = !a;
        return 0;
    case SIM_E_UNIFORM: case SIM_E_EXP: case SIM_E_CHOICE: case SIM_E_COUNTER: case SIM_E_LAST: case SIM_E_INDEX:
    case SIM_E_ARG: case SIM_E_LOCAL: case SIM_E_MAKESPAN: case SIM_E_SIZE: case SIM_E_ALIVE: case SIM_E_LOST:
    case SIM_E_VAR: case SIM_E_MEM: case SIM_E_NEVER_AWAITED:
        if (!ctx) return eval_err(d, p, e->pos, ERR_SCENARIO, "this value is only known while the scenario runs");
        break;
    case SIM_E_BIN:
        if ((rc = sim_eval(e->a, p, ctx, &a, d)) || (rc = sim_eval(e->b, p, ctx, &b, d))) return rc;
        switch (e->op) {
        case '+': if (__builtin_add_overflow(a, b, out)) return overflow(d, p, e, a, b); return 0;
        case '-': if (__builtin_sub_overflow(a, b, out)) return overflow(d, p, e, a, b); return 0;
        case '*': if (__builtin_mul_overflow(a, b, out)) return overflow(d, p, e, a, b); return 0;
        case '/': case '%':
            if (b == 0) return eval_err(d, p, e->pos, ERR_SCENARIO, "division by zero");
            if (a == INT64_MIN && b == -1) return overflow(d, p, e, a, b);
            *out = e->op == '/' ? a / b : a % b;
            return 0;
        case '<': *out = a < b; return 0;
        case '>': *out = a > b; return 0;
        case 'l': *out = a <= b; return 0;
        case 'g': *out = a >= b; return 0;
        case '=': *out = a == b; return 0;
        case '!': *out = a != b; return 0;
        case '&': *out = a && b; return 0;
        case '|': *out = a || b; return 0;
        default: BUG("unknown operator %d", e->op);
        }
    }
    switch (e->kind) {
    case SIM_E_UNIFORM: {
        if ((rc = sim_eval(e->a, p, ctx, &a, d)) || (rc = sim_eval(e->b, p, ctx, &b, d))) return rc;
        if (b < a) return eval_err(d, p, e->pos, ERR_SCENARIO, "uniform's upper bound is below its lower bound");
        /* in unsigned arithmetic: b - a may not fit in an int64 (uniform -5 9223372036854775807) */
        uint64_t span = (uint64_t)b - (uint64_t)a + 1;   /* 0: the whole 64-bit range */
        uint64_t r = sim_rng_next(ctx->rng);
        *out = to_signed((uint64_t)a + (span ? r % span : r));
        return 0;
    }
    case SIM_E_EXP: {
        if ((rc = sim_eval(e->a, p, ctx, &a, d))) return rc;
        if (a < 0) return eval_err(d, p, e->pos, ERR_SCENARIO, "exp's mean is negative");
        double u = ((double)(sim_rng_next(ctx->rng) >> 11) + 0.5) / 9007199254740992.0;
        double v = -log(u) * (double)a;
        if (!(v < 9.2e18)) return overflow(d, p, e, a, 0);
        *out = (int64_t)v;
        return 0;
    }
    case SIM_E_CHOICE: {
        uint32_t i = (uint32_t)(sim_rng_next(ctx->rng) % e->nitems);
        return sim_eval(e->items[i], p, ctx, out, d);
    }
    case SIM_E_COUNTER: case SIM_E_SIZE: case SIM_E_LOST: case SIM_E_VAR: {
        uint32_t oi = e->obj;
        if (e->index) {
            if ((rc = sim_eval(e->index, p, ctx, &a, d)) || (rc = sim_element(p, e->obj, a, e->index->start, &oi, d)))
                return rc;
        }
        int64_t (*get)(void *, uint32_t) = e->kind == SIM_E_COUNTER || e->kind == SIM_E_VAR ? ctx->counter
                                           : e->kind == SIM_E_SIZE                          ? ctx->qsize
                                                                                            : ctx->lost;
        if (!get) return eval_err(d, p, e->pos, ERR_SCENARIO, "this value is not known here");
        *out = get(ctx->user, oi);
        return 0;
    }
    case SIM_E_ALIVE:
        if (!ctx->alive) return eval_err(d, p, e->pos, ERR_SCENARIO, "this value is not known here");
        *out = ctx->alive(ctx->user, e->param);
        return 0;
    case SIM_E_LAST: *out = e->fn[0] == 't' ? ctx->last_timed_out : !ctx->last_timed_out; return 0;
    case SIM_E_INDEX: *out = ctx->index; return 0;
    case SIM_E_ARG: *out = ctx->arg; return 0;
    case SIM_E_LOCAL:
        if (ctx->tls && !(p->local_ctx && p->local_ctx[e->param])) *out = ctx->tls[e->param];
        else *out = ctx->locals ? ctx->locals[e->param] : 0;
        return 0;
    case SIM_E_MAKESPAN: {
        int64_t v = 0;
        if (e->a && (rc = sim_eval(e->a, p, ctx, &v, d))) return rc;
        if (!ctx->makespan || !ctx->makespan(ctx->user, e->param, v, out)) {
            char msg[256];
            if (e->param == UINT32_MAX) snprintf(msg, sizeof msg, "the makespan is not known here");
            else no_run_selected(msg, sizeof msg, p, e->param, v);
            return eval_err(d, p, e->pos, ERR_SCENARIO, msg);
        }
        return 0;
    }
    case SIM_E_MEM: {
        int64_t v = 0;
        const char *why = NULL;
        if (e->a && (rc = sim_eval(e->a, p, ctx, &v, d))) return rc;
        if (!ctx->mem || !ctx->mem(ctx->user, e->op, e->param, v, out, &why)) {
            char msg[320];
            const char *what = e->op == 'r' ? "resident_per_unit" : "virtual_per_unit";
            if (why) snprintf(msg, sizeof msg, "%s cannot be checked: %s", what, why);
            else if (e->param == UINT32_MAX) snprintf(msg, sizeof msg, "%s is not known here", what);
            else no_run_selected(msg, sizeof msg, p, e->param, v);
            return eval_err(d, p, e->pos, ERR_SCENARIO, msg);
        }
        return 0;
    }
    case SIM_E_NEVER_AWAITED:
        if (!ctx->never_awaited) return eval_err(d, p, e->pos, ERR_SCENARIO, "never_awaited is not known here");
        *out = ctx->never_awaited(ctx->user);
        return 0;
    default: break;
    }
    BUG("unknown expression kind %d", e->kind);
}

