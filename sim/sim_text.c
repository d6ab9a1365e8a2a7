/* Texts made while a scenario runs (a thread-local's `name=value`, a pool's
 * shutdown mark, a task's name), and the lines of the reports.
 *
 * Run-time strings live in run memory, because any unit may make one and
 * main writes them all after the run. Their table and its hash are made at
 * the run's start for the most strings a run keeps (SIM_MAX_RUN_STRINGS plus
 * the task names and the overflow text), so making one never grows a table:
 * only the copy of the text can find run memory exhausted, and then the
 * overflow text stands in for it.
 */
#include "sim/sim_internal.h"

#include <stdio.h>
#include <string.h>

static const char overflow_literal[] = "(more distinct texts than weft keeps)";

/* The overflow text, in run memory: a string's address is the same in every process only there. */
#define overflow_text (r->strs_overflow)

int rt_strings_init(rt *r) {
    r->cap_strs = (size_t)SIM_MAX_RUN_STRINGS + r->prog->ntasks + 2;
    r->nslots = 64;
    while (r->nslots < r->cap_strs * 2) r->nslots *= 2;   /* at most half full */
    r->strs = rt_alloc(r, r->cap_strs * sizeof *r->strs);
    r->slots = rt_alloc(r, r->nslots * sizeof *r->slots);
    char *ov = rt_alloc(r, sizeof overflow_literal);
    if (ov) memcpy(ov, overflow_literal, sizeof overflow_literal);
    r->strs_overflow = ov;
    return r->strs && r->slots && ov ? 0 : -ERR_NOMEM;
}

void rt_strings_free(rt *r) {
    for (size_t i = 0; i < r->nstrs; i++)
        if (r->strs[i] != overflow_text) rt_release(r, (void *)r->strs[i], strlen(r->strs[i]) + 1);
    rt_release(r, (void *)r->strs_overflow, sizeof overflow_literal);
    rt_release(r, r->strs, r->cap_strs * sizeof *r->strs);
    rt_release(r, r->slots, r->nslots * sizeof *r->slots);
}

/* Its slot in the hash (smon held): the one holding s, or a free one. */
static uint32_t *str_slot(rt *r, const char *s) {
    size_t mask = r->nslots - 1, h = (size_t)fnv1a64(s, strlen(s));
    for (;; h++) {
        uint32_t *sl = &r->slots[h & mask];
        if (!*sl || !strcmp(r->strs[*sl - 1], s)) return sl;
    }
}

uint32_t rt_intern(rt *r, sim_punit *self, const char *s) {
    r->ops->mon_lock(r->plat, self, r->smon);
    uint32_t *sl = str_slot(r, s);
    if (!*sl && r->nstrs >= SIM_MAX_RUN_STRINGS) sl = str_slot(r, s = overflow_text);
    if (!*sl) {
        size_t n = strlen(s) + 1;
        char *copy = rt_alloc(r, n);
        if (copy) memcpy(copy, s, n);
        else sl = str_slot(r, s = overflow_text);   /* run memory exhausted: the overflow text stands in */
        if (!*sl) {
            r->strs[r->nstrs++] = copy ? copy : overflow_text;
            *sl = (uint32_t)r->nstrs;
        }
    }
    uint32_t id = r->prog->nstrings + *sl - 1;
    r->ops->mon_unlock(r->plat, self, r->smon);
    return id;
}

void rt_rep(char *out, size_t cap, const char *fmt, ...) {
    size_t n = strlen(out);
    if (n + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
}
