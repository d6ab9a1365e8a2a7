/* Golden text dumps (weft export --format text) of every bundled scenario.
 *
 * Each scenario runs on the deterministic test platform (sim_plat_test: one
 * unit at a time, a virtual clock), so its recording, and so its text dump
 * with every time in it, is the same on every machine, build and load: the
 * whole dump is compared byte for byte with tests/golden/NAME.txt. The
 * alternative, real threads and a dump scrubbed of times and interleavings
 * (--scrub), would compare much less (per-unit sequences, and only where the
 * scenario does not race); the scrubbed form is checked here too, for being
 * the same for two real runs of a scenario that does not race.
 *
 * A new or changed scenario: WEFT_UPDATE_GOLDEN=1 build/tests/test_golden
 * writes the files; review them with git diff. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim.h"
#include "sim/sim_platform.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The text dump of a recording (malloc'ed), scrubbed or not. */
static char *dump(const char *path, bool scrub) {
    diag d = { 0 };
    trc_recording *rec;
    ck_assert_msg(trc_recording_load(&rec, path, &d) == 0, "%s: %s", path, d.msg);
    trc_model *m = calloc(rec->nruns ? rec->nruns : 1, sizeof *m);
    for (uint32_t i = 0; i < rec->nruns; i++)
        ck_assert_msg(trc_model_build(&m[i], &rec->runs[i], &d) == 0, "%s: %s", path, d.msg);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(trc_export_text(f, rec, m, scrub, NULL, NULL, &d), 0);
    fclose(f);
    for (uint32_t i = 0; i < rec->nruns; i++) trc_model_release(&m[i]);
    free(m);
    trc_recording_free(rec);
    return text;
}

static void run_on(const char *scn, const char *out, const sim_plat_ops *plat) {
    diag d = { 0 };
    sim_program *p;
    ck_assert_msg(sim_parse_file(&p, scn, NULL, 0, &d) == 0, "%s: %s", scn, d.msg);
    sim_result res;
    ck_assert_msg(sim_run(&res, p, &(sim_desc){ .out_path = out, .platform = plat }, &d) == 0, "%s: %s", scn, d.msg);
    sim_program_free(p);
}

START_TEST(every_bundled_scenario_dumps_as_its_golden_file) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/scenarios", WEFT_SOURCE_DIR);
    DIR *dp = opendir(dir);
    ck_assert_ptr_nonnull(dp);
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) && n < 256) {
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".scn")) names[n++] = strdup(de->d_name);
    }
    closedir(dp);
    qsort(names, n, sizeof *names, cmp_str);
    ck_assert_uint_gt(n, 10);
    bool update = getenv("WEFT_UPDATE_GOLDEN") && *getenv("WEFT_UPDATE_GOLDEN") == '1';
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        char scn[2048], gold[2048], rec[512];
        snprintf(scn, sizeof scn, "%s/%s", dir, names[i]);
        snprintf(gold, sizeof gold, "%s/tests/golden/%.*s.txt", WEFT_SOURCE_DIR, (int)strlen(names[i]) - 4, names[i]);
        snprintf(rec, sizeof rec, "golden_%zu.weft", i);
        const char *path = tmp_path(rec);
        /* The test platform stands in for threads: a scenario for another backend
         * (processes: real pipes, shared memory, signals) is covered by its own
         * suites (test_procs, the Perfetto ctests), not here. */
        {
            diag pd = { 0 };
            sim_program *p;
            ck_assert_msg(sim_parse_file(&p, scn, NULL, 0, &pd) == 0, "%s: %s", scn, pd.msg);
            bool threads = !p->backend || !strcmp(p->backend, "threads");
            sim_program_free(p);
            if (!threads) {
                ck_assert_msg(access(gold, F_OK) != 0, "%s: a golden file for a scenario not on threads", gold);
                free(names[i]);
                continue;
            }
        }
        run_on(scn, path, &sim_plat_test);
        char *text = dump(path, false);
        /* the same run twice: the same dump (the platform is deterministic) */
        run_on(scn, path, &sim_plat_test);
        char *again = dump(path, false);
        ck_assert_msg(!strcmp(text, again), "%s: two runs on the test platform dump differently", names[i]);
        free(again);
        if (update) {
            FILE *f = fopen(gold, "w");
            ck_assert_ptr_nonnull(f);
            fputs(text, f);
            fclose(f);
        } else {
            char *want;
            size_t len;
            diag d = { 0 };
            if (file_read_all(gold, &want, &len, &d) != 0) {
                fprintf(stderr, "%s: no golden file %s (WEFT_UPDATE_GOLDEN=1 writes it)\n", names[i], gold);
                bad++;
            } else {
                if (strcmp(want, text)) {
                    /* the first line that differs */
                    size_t k = 0, line = 1;
                    while (want[k] && want[k] == text[k]) line += want[k++] == '\n';
                    fprintf(stderr, "%s: the text dump differs from %s at line %zu\n", names[i], gold, line);
                    bad++;
                }
                free(want);
            }
        }
        free(text);
        free(names[i]);
    }
    ck_assert_msg(bad == 0, "%d bundled scenario(s) differ from their golden dumps", bad);
}
END_TEST

START_TEST(scrubbed_dump_is_stable_across_real_runs) {
    /* one producer, one consumer, a queue as large as the items: nothing races,
     * each unit's sequence is fixed, only times and interleavings vary */
    const char *text = "scenario \"steady\"\nqueue q capacity=10\n"
                       "actor producer { repeat 5 { compute 50us\n put q } }\n"
                       "actor consumer { repeat 5 { get q\n sleep 100us } }\n";
    const char *scn = tmp_path("steady.scn");
    FILE *f = fopen(scn, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    char *a, *b;
    run_on(scn, tmp_path("steady1.weft"), NULL);
    a = dump(tmp_path("steady1.weft"), true);
    run_on(scn, tmp_path("steady2.weft"), NULL);
    b = dump(tmp_path("steady2.weft"), true);
    /* a consumer may or may not block on an empty queue: its waits are the one thing that races */
    for (char **t = (char *[]){ a, b, NULL }; *t; t++) {
        char *w = *t, *o = w;
        for (char *p = w; *p;) {
            char *nl = strchr(p, '\n');
            size_t l = nl ? (size_t)(nl - p + 1) : strlen(p);
            if (!strstr(p, "wait_begin") || strstr(p, "wait_begin") > p + l) {
                if (!strstr(p, "wait_end") || strstr(p, "wait_end") > p + l) {
                    memmove(o, p, l);
                    o += l;
                }
            }
            p += l;
        }
        *o = 0;
    }
    ck_assert_msg(!strcmp(a, b), "two real runs scrub differently:\n%s\n---\n%s", a, b);
    ck_assert(strstr(a, "  unit \"producer.0\"\n    unit_start\n    compute_begin\n    compute_end\n    put obj=\"q\"\n"));
    ck_assert(!strstr(a, "makespan"));
    free(a);
    free(b);
}
END_TEST

int main(void) {
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("golden");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, every_bundled_scenario_dumps_as_its_golden_file);
    tcase_add_test(tc, scrubbed_dump_is_stable_across_real_runs);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
