/* The command line as a tool: weft --version, weft help COMMAND and weft
 * COMMAND --help (the same text, exit 0, every option on one line), unknown
 * options and commands answered with the nearest one, the option parser's
 * forms (--name=value, a unique prefix, options after the arguments, "--"),
 * a bundled scenario run by name from another folder, export's formats and
 * progress (only on request when not on a terminal), and the README's table
 * of the bundled scenarios kept in step with scenarios/ and weft list. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct out { int status; char *text; } out;

/* Runs weft with args through the shell in dir (NULL: the source tree); text: stdout (+ stderr when both). */
static void weft_in(out *o, const char *dir, bool both, const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && %s %s%s", dir ? dir : WEFT_SOURCE_DIR, WEFT_BINARY, args, both ? " 2>&1" : " 2>/dev/null");
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, n = 0;
    o->text = malloc(cap);
    size_t k;
    while ((k = fread(o->text + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (n + 1 == cap) o->text = realloc(o->text, cap *= 2);
    }
    o->text[n] = 0;
    int st = pclose(p);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
static void weft(out *o, const char *args) { weft_in(o, NULL, true, args); }

/* The commands `weft help` lists. */
static int commands(char names[][32], int max) {
    out o;
    weft_in(&o, NULL, false, "help");
    ck_assert_int_eq(o.status, 0);
    const char *p = strstr(o.text, "commands:\n");
    ck_assert_ptr_nonnull(p);
    p += strlen("commands:\n");
    int n = 0;
    while (n < max && p[0] == ' ' && p[1] == ' ' && sscanf(p, " %31s", names[n]) == 1) {
        n++;
        p = strchr(p, '\n');
        if (!p) break;
        p++;
    }
    free(o.text);
    return n;
}

START_TEST(version_and_help_for_every_command) {
    out o;
    weft(&o, "--version");
    ck_assert_int_eq(o.status, 0);
    ck_assert_msg(!strncmp(o.text, "weft 0.", 7), "%s", o.text);
    free(o.text);
    char names[32][32];
    int n = commands(names, 32);
    static const char *const must[] = { "run", "view", "stats", "diff", "export", "check", "list", "help" };
    for (size_t i = 0; i < sizeof must / sizeof *must; i++) {
        bool found = false;
        for (int k = 0; k < n; k++) found |= !strcmp(names[k], must[i]);
        ck_assert_msg(found, "weft help does not list %s", must[i]);
    }
    for (int k = 0; k < n; k++) {
        char args[128];
        out a, b;
        snprintf(args, sizeof args, "%.31s --help", names[k]);
        weft_in(&a, NULL, false, args);
        ck_assert_msg(a.status == 0, "weft %s: exit %d", args, a.status);
        snprintf(args, sizeof args, "help %.31s", names[k]);
        weft_in(&b, NULL, false, args);
        ck_assert_msg(b.status == 0, "weft %s: exit %d", args, b.status);
        ck_assert_str_eq(a.text, b.text);
        char head[64];
        snprintf(head, sizeof head, "usage: weft %.31s", names[k]);
        ck_assert_msg(!strncmp(a.text, head, strlen(head)), "weft %s --help starts: %.60s", names[k], a.text);
        /* every option on one line: "  -x, --name ARG  help" or "      --name  help", text after it */
        const char *opts = strstr(a.text, "\noptions:\n");
        ck_assert_msg(opts, "weft %s --help lists no options", names[k]);
        int lines = 0;
        for (const char *p = opts + 10; *p == ' '; p = strchr(p, '\n') + 1) {
            const char *nl = strchr(p, '\n');
            ck_assert_ptr_nonnull(nl);
            const char *dd = strstr(p, "--");
            ck_assert_msg(dd && dd < nl, "an option line without --: %.*s", (int)(nl - p), p);
            const char *gap = strstr(dd, "  ");
            ck_assert_msg(gap && gap < nl - 2, "an option without its help on its line: %.*s", (int)(nl - p), p);
            lines++;
        }
        ck_assert_int_ge(lines, 1);
        ck_assert_msg(strstr(opts, "--help"), "weft %s --help does not list --help", names[k]);
        free(a.text);
        free(b.text);
    }
    /* the options each command is known by */
    weft(&o, "run --help");
    static const char *const run_opts[] = { "--output", "--define", "--sweep", "--seed", "--timeout", "--export",
                                            "--view", "--png", "--quiet", "--backend" };
    for (size_t i = 0; i < sizeof run_opts / sizeof *run_opts; i++)
        ck_assert_msg(strstr(o.text, run_opts[i]), "run --help lacks %s", run_opts[i]);
    free(o.text);
    weft(&o, "export --help");
    ck_assert(strstr(o.text, "--format") && strstr(o.text, "json") && strstr(o.text, "text") && strstr(o.text, "Chrome"));
    free(o.text);
    weft(&o, "help nosuch");
    ck_assert_int_eq(o.status, 2);
    free(o.text);
}
END_TEST

START_TEST(unknown_options_and_commands_suggest_the_nearest) {
    static const struct { const char *args, *want; } cases[] = {
        { "run --outptu x.weft producer_consumer", "did you mean --output?" },
        { "stats --jsno x.weft", "did you mean --json?" },
        { "export --formt json x.weft", "did you mean --format?" },
        { "diff --fail-iff 'makespan > 1x' a b", "did you mean --fail-if?" },
        { "view --screnshot a.png x.weft", "did you mean --screenshot?" },
        { "check --defien x=1 s.scn", "did you mean --define?" },
        { "exprot x.weft", "did you mean 'export'?" },
        { "stat x.weft", "did you mean 'stats'?" },
        { "export -f jsn x.weft", "did you mean json?" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        out o;
        weft(&o, cases[i].args);
        ck_assert_msg(o.status == 2, "weft %s: exit %d", cases[i].args, o.status);
        ck_assert_msg(strstr(o.text, cases[i].want), "weft %s says:\n%s", cases[i].args, o.text);
        free(o.text);
    }
    out o;
    weft(&o, "run --zzzzzzzzzz x.scn");   /* nothing near: no suggestion, but where to look */
    ck_assert_int_eq(o.status, 2);
    ck_assert(!strstr(o.text, "did you mean") && strstr(o.text, "weft run --help"));
    free(o.text);
    weft(&o, "stats --json=yes x.weft");
    ck_assert_int_eq(o.status, 2);
    ck_assert(strstr(o.text, "--json takes no value"));
    free(o.text);
    weft(&o, "export x.weft -o");
    ck_assert_int_eq(o.status, 2);
    ck_assert(strstr(o.text, "--output needs a value"));
    free(o.text);
}
END_TEST

START_TEST(option_forms_and_a_scenario_by_name) {
    const char *dir = tmp_path("elsewhere");
    char args[1024];
    snprintf(args, sizeof args, "mkdir -p %s", dir);
    ck_assert_int_eq(system(args), 0);
    out o;
    /* a bundled scenario by name, from another folder; --opt=value; the option after the argument */
    weft_in(&o, dir, true, "run producer_consumer --output=pc.weft -q -D items=12");
    ck_assert_msg(o.status == 0, "%s", o.text);
    free(o.text);
    weft_in(&o, dir, false, "stats pc.weft --json");
    ck_assert_int_eq(o.status, 0);
    ck_assert(strstr(o.text, "\"items\":12,"));
    free(o.text);
    /* a unique prefix of a long option; an ambiguous one is refused */
    weft_in(&o, dir, false, "export --form text --scr pc.weft -o -");
    ck_assert_int_eq(o.status, 0);
    ck_assert_msg(strstr(o.text, "scrubbed") && strstr(o.text, "unit \"consumer.0\""), "%s", o.text);
    free(o.text);
    weft_in(&o, dir, true, "diff --r 1,1 pc.weft");   /* --runs only */
    ck_assert_int_eq(o.status, 0);
    free(o.text);
    /* "--" ends the options: a file named like an option */
    weft_in(&o, dir, true, "export -f text -o -- -- pc.weft");
    ck_assert_int_eq(o.status, 0);
    free(o.text);
    snprintf(args, sizeof args, "%s/--", dir);
    FILE *f = fopen(args, "r");
    ck_assert_ptr_nonnull(f);   /* the output named "--" was written */
    fclose(f);
    weft_in(&o, dir, true, "run no_such_bundled_scenario -q");
    ck_assert_int_ne(o.status, 0);
    free(o.text);
    /* list --names: one name a line, without .scn */
    weft_in(&o, dir, false, "list --names");
    ck_assert_int_eq(o.status, 0);
    ck_assert(strstr(o.text, "producer_consumer\n") && !strstr(o.text, ".scn"));
    free(o.text);
    /* export formats: json decodes elsewhere (ctest json_outputs); an unknown one is refused */
    weft_in(&o, dir, true, "export pc.weft -f json");
    ck_assert_int_eq(o.status, 0);
    snprintf(args, sizeof args, "%s/pc.json", dir);
    f = fopen(args, "r");
    ck_assert_ptr_nonnull(f);
    char head[32] = "";
    ck_assert_uint_gt(fread(head, 1, sizeof head - 1, f), 10);
    fclose(f);
    ck_assert_msg(!strncmp(head, "{\"displayTimeUnit\"", 18), "%s", head);
    free(o.text);
}
END_TEST

START_TEST(progress_only_on_a_terminal_and_erased) {
    const char *dir = tmp_path("progress");
    char args[1024];
    snprintf(args, sizeof args, "mkdir -p %s", dir);
    ck_assert_int_eq(system(args), 0);
    out o;
    weft_in(&o, dir, true, "run producer_consumer -q -D items=8 -o p.weft");
    ck_assert_int_eq(o.status, 0);
    free(o.text);
    /* not a terminal: not a byte of progress */
    weft_in(&o, dir, true, "export p.weft -f text -o p.txt");
    ck_assert_int_eq(o.status, 0);
    ck_assert_msg(!strchr(o.text, '\r') && !strstr(o.text, "exporting"), "%s", o.text);
    free(o.text);
    /* forced (as on a terminal): a line that is erased at the end */
    snprintf(args, sizeof args, "cd %s && WEFT_PROGRESS=always %s export p.weft -f json -o p2.json 2>&1 >/dev/null", dir,
             WEFT_BINARY);
    FILE *p = popen(args, "r");
    char err[4096] = "";
    size_t n = fread(err, 1, sizeof err - 1, p);
    err[n] = 0;
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_msg(strstr(err, "exporting: 100%"), "%s", err);
    size_t l = strlen(err);
    ck_assert_msg(l >= 4 && !strcmp(err + l - 4, "\r\033[K"), "the progress line is not erased at the end");
    /* a run longer than half a second: its elapsed time and events, then erased (the run's stdout is elsewhere) */
    snprintf(args, sizeof args, "cd %s && WEFT_PROGRESS=always %s run producer_consumer -D items=1600 -o long.weft 2>&1 >/dev/null",
             dir, WEFT_BINARY);
    p = popen(args, "r");
    n = fread(err, 1, sizeof err - 1, p);
    err[n] = 0;
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_msg(strstr(err, "\rrunning: ") && strstr(err, "events recorded"), "%s", err);
    l = strlen(err);
    ck_assert_msg(l >= 4 && !strcmp(err + l - 4, "\r\033[K"), "the run's progress line is not erased: %s", err);
}
END_TEST

START_TEST(readme_lists_every_bundled_scenario) {
    char path[1024];
    snprintf(path, sizeof path, "%s/README.md", WEFT_SOURCE_DIR);
    char *readme;
    size_t len;
    diag d = { 0 };
    ck_assert_int_eq(file_read_all(path, &readme, &len, &d), 0);
    /* the scenario table: the lines from "| file | teaches |" to the first line not starting with "|" */
    const char *t = strstr(readme, "| file | teaches |");
    ck_assert_ptr_nonnull(t);
    const char *end = t;
    while (*end == '|') { end = strchr(end, '\n'); ck_assert_ptr_nonnull(end); end++; }
    /* every .scn in scenarios/ is named in it, and every name in it is there */
    snprintf(path, sizeof path, "%s/scenarios", WEFT_SOURCE_DIR);
    DIR *dp = opendir(path);
    ck_assert_ptr_nonnull(dp);
    struct dirent *de;
    int nfiles = 0;
    char listed[8192] = "";
    while ((de = readdir(dp))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".scn")) continue;
        nfiles++;
        char want[300];
        snprintf(want, sizeof want, "`%s`", de->d_name);
        const char *hit = strstr(t, want);
        ck_assert_msg(hit && hit < end, "README's scenario table lacks %s", de->d_name);
        snprintf(want, sizeof want, "%.*s\n", (int)l - 4, de->d_name);
        strncat(listed, want, sizeof listed - strlen(listed) - 1);
    }
    closedir(dp);
    int named = 0;
    for (const char *p = t; (p = strstr(p, ".scn`")) && p < end; p++) {
        const char *b = p;
        while (b > t && b[-1] != '`') b--;
        char name[256];
        snprintf(name, sizeof name, "%s/scenarios/%.*s.scn", WEFT_SOURCE_DIR, (int)(p - b), b);
        FILE *f = fopen(name, "r");
        ck_assert_msg(f, "README's table names %s, which is not in scenarios/", name);
        fclose(f);
        named++;
    }
    ck_assert_int_eq(named, nfiles);
    /* and weft list names the same ones */
    out o;
    weft_in(&o, NULL, false, "list --names");
    ck_assert_int_eq(o.status, 0);
    int nlist = 0;
    for (const char *p = o.text; *p; p = strchr(p, '\n') + 1) {
        char want[300];
        snprintf(want, sizeof want, "%.*s\n", (int)(strchr(p, '\n') - p), p);
        ck_assert_msg(strstr(listed, want), "weft list names %s, not in scenarios/", want);
        nlist++;
    }
    ck_assert_int_eq(nlist, nfiles);
    free(o.text);
    free(readme);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cli_help");
    TCase *tc = tcase_create("cli_help");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, version_and_help_for_every_command);
    tcase_add_test(tc, unknown_options_and_commands_suggest_the_nearest);
    tcase_add_test(tc, option_forms_and_a_scenario_by_name);
    tcase_add_test(tc, progress_only_on_a_terminal_and_erased);
    tcase_add_test(tc, readme_lists_every_bundled_scenario);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
