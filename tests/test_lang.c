/* The language as scenario authors need it (issues 9 and 10): UTF-8 text and
 * names, columns in characters, `not`, every limit checked after -D, hints
 * that point the right way, loops that can only spin, and overflow reported
 * alike at parse time and at run time. Messages that are part of the
 * interface are asserted word for word. */
#include "testutil.h"
#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

static sim_program *parse_ok(const char *text, const sim_define *defs, uint32_t ndefs) {
    diag d;
    diag_clear(&d);
    sim_program *p = NULL;
    int rc = sim_parse(&p, "t.scn", text, defs, ndefs, &d);
    ck_assert_msg(rc == 0, "unexpected error %d at %d:%d: %s", rc, d.line, d.col, d.msg);
    return p;
}

/* An error at line:col whose message and hint are exactly msg and hint (hint NULL: not checked). */
static void err_exact(const char *text, const sim_define *defs, uint32_t ndefs, int line, int col, const char *msg,
                      const char *hint) {
    diag d;
    diag_clear(&d);
    sim_program *p = NULL;
    int rc = sim_parse(&p, "t.scn", text, defs, ndefs, &d);
    ck_assert_msg(rc < 0, "expected the error '%s'", msg);
    ck_assert_ptr_null(p);
    ck_assert_msg(d.line == line && d.col == col, "'%s' at %d:%d, expected %d:%d", d.msg, d.line, d.col, line, col);
    ck_assert_str_eq(d.msg, msg);
    if (hint) ck_assert_str_eq(d.hint, hint);
}

static void err_at(const char *text, int line, int col, const char *msg, const char *hint) {
    err_exact(text, NULL, 0, line, col, msg, hint);
}

/* ---- UTF-8 ------------------------------------------------------------------ */

START_TEST(utf8_names_bom_and_strings) {
    sim_program *p = parse_ok("\xEF\xBB\xBFscenario \"生产者与消费者\"\n"
                              "param 数量 = 3\n"
                              "queue 任务 capacity=2\n"
                              "actor 生产者 * 2 { repeat 数量 { put 任务 }; mark \"生产完毕\" }\n"
                              "actor Καταναλωτής_1 { repeat 6 { get 任务 } }\n"
                              "expect order \"生产完毕\" < Καταναλωτής_1\n", NULL, 0);
    ck_assert_str_eq(p->title, "生产者与消费者");
    ck_assert_str_eq(p->params[0].name, "数量");
    ck_assert_int_eq(p->params[0].value, 3);
    ck_assert_str_eq(p->objects[0].name, "任务");
    ck_assert_str_eq(p->actors[0].name, "生产者");
    ck_assert_str_eq(p->actors[1].name, "Καταναλωτής_1");
    ck_assert_uint_eq(p->nunits, 3);
    ck_assert_str_eq(p->strings[0], "生产完毕");
    ck_assert_int_eq(p->actors[0].body->body->kind, SIM_S_PUT);
    /* columns count characters (the BOM is not one): the mark is the 39th of its line */
    ck_assert_int_eq(p->actors[0].pos.col, 7);
    ck_assert_int_eq(p->actors[0].body->next->pos.col, 39);
    sim_program_free(p);
    /* a full-width digit may follow letters, not start a name */
    p = parse_ok("lock 锁１\nactor a { lock 锁１ { sleep 1ms } }\n", NULL, 0);
    ck_assert_str_eq(p->objects[0].name, "锁１");
    sim_program_free(p);
}
END_TEST

START_TEST(utf8_columns_in_errors) {
    err_at("queue 任务 capacity=2\nactor 生产者 { put 任物 }\n", 2, 17, "unknown queue '任物'", "did you mean '任务'?");
    diag d;
    sim_program *p;
    ck_assert_int_lt(sim_parse(&p, "t.scn", "queue 任务 capacity=2\nactor 生产者 {\tput 任物 }\n", NULL, 0, &d), 0);
    ck_assert_str_eq(d.snippet, "actor 生产者 { put 任物 }");   /* the tab shown as one space */
    ck_assert_int_eq(d.col, 17);
    /* the caret's padding in terminal columns: 生产者 takes six */
    ck_assert_int_eq(utf8_columns(d.snippet, d.col - 1), 19);
    /* a BOM does not shift line 1's columns, nor show in its snippet */
    ck_assert_int_lt(sim_parse(&p, "t.scn", "\xEF\xBB\xBF" "actor 甲 { put 乙 }\n", NULL, 0, &d), 0);
    ck_assert_int_eq(d.col, 15);
    ck_assert_str_eq(d.snippet, "actor 甲 { put 乙 }");
    ck_assert_str_eq(d.msg, "unknown queue '乙'");
    /* a control character or a bidi override in the line is shown as U+FFFD, one character for one */
    ck_assert_int_lt(sim_parse(&p, "t.scn", "actor a { mark \"\xE2\x80\xAE x\" ; put q }\n", NULL, 0, &d), 0);
    ck_assert_str_eq(d.snippet, "actor a { mark \"\xEF\xBF\xBD x\" ; put q }");
    ck_assert_int_eq(d.col, 28);
}
END_TEST

START_TEST(fullwidth_punctuation_hints) {
    static const struct { const char *mark, *ascii; unsigned cp; } marks[] = {
        { "（", "(", 0xFF08 }, { "）", ")", 0xFF09 }, { "，", ",", 0xFF0C }, { "：", ":", 0xFF1A },
        { "＝", "=", 0xFF1D }, { "｛", "{", 0xFF5B }, { "｝", "}", 0xFF5D }, { "；", ";", 0xFF1B },
        { "。", ".", 0x3002 }, { "、", ",", 0x3001 }, { "“", "\"", 0x201C }, { "”", "\"", 0x201D },
    };
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
        char text[128], msg[128], hint[128];
        snprintf(text, sizeof text, "actor 工人 { sleep 1ms%s }\n", marks[i].mark);
        snprintf(msg, sizeof msg, "unexpected character '%s' (U+%04X)", marks[i].mark, marks[i].cp);
        snprintf(hint, sizeof hint, "this is a full-width or typographic mark: use the ASCII '%s'", marks[i].ascii);
        err_at(text, 1, 21, msg, hint);
    }
    err_at("actor a {\xE3\x80\x80sleep 1ms }\n", 1, 10, "unexpected character '\xE3\x80\x80' (U+3000)",
           "this is a full-width space: use an ordinary space");
    err_at("param x = 1 ≤ 2\nactor a { sleep 1ms }\n", 1, 13, "unexpected character '≤' (U+2264)", "write it as '<='");
}
END_TEST

START_TEST(unexpected_characters_shown_as_themselves) {
    err_at("actor a { sleep @ }\n", 1, 17, "unexpected character '@'", NULL);
    err_at("actor 甲 { sleep → }\n", 1, 17, "unexpected character '→' (U+2192)",
           "names may use letters of any script, digits and _; other text goes in a \"string\"");
    err_at("actor a { sleep 1ms\x01 }\n", 1, 20, "unexpected control character U+0001", NULL);
    err_at("actor a {\xE2\x80\x8B sleep 1ms }\n", 1, 10, "unexpected invisible character U+200B", NULL);
    err_at("actor a { if ! ok { sleep 1ms } }\n", 1, 14, "unexpected character '!'", "'not X' negates a condition; '!=' compares");
    err_at("actor a { mark \"a\x1b[2Jb\" }\n", 1, 18, "a string cannot hold the control character U+001B", NULL);
}
END_TEST

START_TEST(invalid_utf8_is_an_error_with_its_place) {
    const char *hint = "save the file as UTF-8 (from GBK, for example: iconv -f GBK -t UTF-8 in.scn > out.scn)";
    err_at("actor a {\n  sleep 1ms \xFF\n}\n", 2, 13, "invalid UTF-8 (byte 0xFF): a scenario is UTF-8 text", hint);
    /* GBK for 生产 */
    err_at("actor \xC9\xFA\xB2\xFA { sleep 1ms }\n", 1, 7, "invalid UTF-8 (byte 0xC9): a scenario is UTF-8 text", hint);
    err_at("# 注释 \xC0\xAF\nactor a { sleep 1ms }\n", 1, 6, "invalid UTF-8 (byte 0xC0): a scenario is UTF-8 text", hint);
    err_at("actor a { mark \"\xED\xA0\x80\" }\n", 1, 17, "invalid UTF-8 (byte 0xED): a scenario is UTF-8 text", hint);
    err_at("actor a { sleep 1ms }\n# 生\xE4\xBA", 2, 4, "invalid UTF-8 (byte 0xE4): a scenario is UTF-8 text", hint);
    /* the snippet of a line with an invalid byte is still valid UTF-8 */
    diag d;
    sim_program *p;
    ck_assert_int_lt(sim_parse(&p, "t.scn", "actor a { sleep 1ms \xFF }\n", NULL, 0, &d), 0);
    ck_assert_str_eq(d.snippet, "actor a { sleep 1ms \xEF\xBF\xBD }");
    /* a -D value is checked too */
    sim_define bad[] = { { .name = "n", .value = "\xFF" } };
    ck_assert_int_lt(sim_parse(&p, "t.scn", "param n = 1\nactor a { sleep 1ms }\n", bad, 1, &d), 0);
    ck_assert_str_eq(d.msg, "invalid UTF-8 (byte 0xFF): a scenario is UTF-8 text");
}
END_TEST

/* Found by the fuzzer: the byte-order mark test read past a text shorter than 3 bytes. */
START_TEST(short_texts) {
    err_at("", 1, 1, "the scenario has no actor", NULL);
    err_at("\xEF", 1, 1, "invalid UTF-8 (byte 0xEF): a scenario is UTF-8 text", NULL);
    err_at("\xEF\xBB", 1, 1, "invalid UTF-8 (byte 0xEF): a scenario is UTF-8 text", NULL);
    err_at("\xEF\xBB\xBF", 1, 1, "the scenario has no actor", NULL);
}
END_TEST

START_TEST(utf8_text_reaches_the_recording) {
    tu_ran r;
    tu_run_text(&r, "中文", "scenario \"生产者与消费者\"\nqueue 任务 capacity=2\n"
                            "actor 生产者 { repeat 3 { put 任务 }; mark \"生产完毕\" }\n"
                            "actor 消费者 { repeat 3 { get 任务 }; mark \"消费完毕\" }\nexpect all_done\n", NULL, 0);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_str_eq(r.run->scenario, "生产者与消费者");
    ck_assert_uint_eq(r.run->nunits, 2);
    ck_assert_str_eq(r.run->units[0].name, "生产者.0");
    ck_assert_str_eq(r.run->units[1].name, "消费者.0");
    ck_assert_str_eq(r.run->objects[0].name, "任务");
    bool made = false, taken = false;
    for (size_t i = 0; i < r.m.nmarks; i++) {
        made |= !strcmp(r.m.marks[i].text, "生产完毕");
        taken |= !strcmp(r.m.marks[i].text, "消费完毕");
    }
    ck_assert(made && taken);
    tu_ran_free(&r);
}
END_TEST

/* ---- not ------------------------------------------------------------------ */

START_TEST(not_has_pythons_precedence) {
    sim_program *p = parse_ok("param a = 1\nparam b = 2\n"
                              "param x = not a == b\n"       /* not (a == b): 1; (not a) == b would be 0 */
                              "param y = not 0 and 0\n"      /* (not 0) and 0: 0; not (0 and 0) would be 1 */
                              "param z = not not a\n"
                              "param w = not a or b > 1\n"   /* (not a) or (b > 1): 1 */
                              "param v = not (a < b)\n"
                              "actor t { if not timed_out { sleep 1ms } }\n", NULL, 0);
    ck_assert_int_eq(p->params[2].value, 1);
    ck_assert_int_eq(p->params[2].expr->kind, SIM_E_NOT);
    ck_assert_int_eq(p->params[2].expr->a->kind, SIM_E_BIN);
    ck_assert_int_eq(p->params[2].expr->a->op, '=');
    ck_assert_int_eq(p->params[3].value, 0);
    ck_assert_int_eq(p->params[3].expr->op, '&');
    ck_assert_int_eq(p->params[3].expr->a->kind, SIM_E_NOT);
    ck_assert_int_eq(p->params[4].value, 1);
    ck_assert_int_eq(p->params[5].value, 1);
    ck_assert_int_eq(p->params[6].value, 0);
    const sim_stmt *s = p->actors[0].body;
    ck_assert_int_eq(s->cond->kind, SIM_E_NOT);
    ck_assert_int_eq(s->cond->a->kind, SIM_E_LAST);
    ck_assert(!s->cond->is_const);
    sim_program_free(p);
    err_at("actor a { if not 2ms { sleep 1ms } }\n", 1, 18, "'not' needs a condition, not a duration",
           "compare it first, e.g. not (x > 1ms)");
    err_at("actor a { sleep 1ms * not ok }\n", 1, 23, "expected a value, found 'not'",
           "'not' negates a whole condition: put it in parentheses, e.g. 1 + (not ok)");
    err_at("param not = 1\nactor a { sleep 1ms }\n", 1, 7, "'not' is a word of the language: it cannot name something",
           "choose another name, e.g. not_");
    err_at("counter index\nactor a { sleep 1ms }\n", 1, 9, "'index' is a word of the language: it cannot name something",
           NULL);
}
END_TEST

START_TEST(not_runs) {
    tu_ran r;
    /* the holder keeps m until a has tried (not for a time: a loaded machine may wake a late) */
    tu_run_text(&r, "not", "lock m\ncounter c\nevent held\nevent tried\n"
                           "actor holder { lock m { set held; wait tried } }\n"
                           "actor a {\n wait held\n lock m timeout=1ms\n"
                           " if not timed_out { mark \"got it\" } else { mark \"gave up\" }\n set tried\n"
                           " if not c == 1 { mark \"c is not 1\" }\n incr c\n"
                           " if not c == 1 { mark \"never\" }\n}\n", NULL, 0);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_OK);
    ck_assert_uint_eq(r.m.nmarks, 2);
    ck_assert_str_eq(r.m.marks[0].text, "gave up");
    ck_assert_str_eq(r.m.marks[1].text, "c is not 1");
    tu_ran_free(&r);
}
END_TEST

/* ---- limits after -D ------------------------------------------------------- */

START_TEST(limits_are_checked_after_defines) {
    const char *bar = "param n = 2\nbarrier b n\nactor a * 2 { wait b }\n";
    sim_define zero[] = { { .name = "n", .value = "0" } };
    err_exact(bar, zero, 1, 2, 11, "a barrier's parties must be 1..4096, not 0", "the value comes from -D n=0");
    sim_define big[] = { { .name = "n", .value = "5000" } };
    err_exact(bar, big, 1, 2, 11, "a barrier's parties must be 1..4096, not 5000", "the value comes from -D n=5000");
    const char *sem = "param n = 1\nparam twice = n * 2\nsemaphore s twice\nactor a { acquire s }\n";
    sim_define neg[] = { { .name = "n", .value = "-1" } };
    err_exact(sem, neg, 1, 3, 13, "a semaphore's permits must be 0..1048576, not -2", "the value comes from -D n=-1");
    sim_define huge[] = { { .name = "n", .value = "5000000" } };
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse(&p, "t.scn", sem, huge, 1, &d), -ERR_LIMIT);
    ck_assert_str_eq(d.msg, "a semaphore's permits must be 0..1048576, not 10000000");
    ck_assert_int_eq(d.line, 3);
    err_exact("param n = 1\npool p workers=n\nactor a { sleep 1ms }\n", zero, 1, 2, 16,
              "a pool's workers must be 1..4096, not 0", "the value comes from -D n=0");
    err_exact("param n = 1\nqueue q capacity=n\nactor a { get q }\n", zero, 1, 2, 18,
              "a queue's capacity must be at least 1, not 0", "the value comes from -D n=0");
    sim_define sweep[] = { { .name = "n", .value = "0", .option = "--sweep" } };
    err_exact(bar, sweep, 1, 2, 11, "a barrier's parties must be 1..4096, not 0", "the value comes from --sweep n=0");
    /* within the limits, the overridden values are used */
    sim_define three[] = { { .name = "n", .value = "3" } };
    p = parse_ok(bar, three, 1);
    ck_assert_int_eq(p->objects[0].cap_value, 3);
    sim_program_free(p);
    /* sweep values that use a param follow it */
    p = parse_ok("param n = 1\nparam w = 1\npool p workers=w\nactor a { sleep 1ms }\nsweep w = n, n * 2\n", three, 1);
    ck_assert_uint_eq(p->nsweep, 2);
    ck_assert_int_eq(p->sweep_values[0], 3);
    ck_assert_int_eq(p->sweep_values[1], 6);
    sim_program_free(p);
}
END_TEST

/* ---- hints ------------------------------------------------------------------- */

START_TEST(hints_point_the_right_way) {
    const char *decls = "the declarations are: scenario, param, backend, backends, start_method, lock, rlock, rwlock, "
                        "semaphore, bounded_semaphore, queue, event, condition, barrier, counter, var, pipe, shm, "
                        "manager, pool, task, local, context, task_stack, actor, timer, sweep, expect, record, gil, "
                        "switch_interval "
                        "(see scenarios/README.md)";
    err_at("frobnicate x\nactor a { sleep 1ms }\n", 1, 1, "unknown declaration 'frobnicate'", decls);
    err_at("actor a { sleep 1ms }\n(\n", 2, 1, "expected a declaration, found '('", decls);
    err_at("actor a {\n  sleep 1ms\n}\n}\n", 4, 1, "this '}' closes no block",
           "the block opened at line 1 was closed at line 3 already; remove one '}'");
    err_at("actor a { sleep 1ms }\n  sleep 2ms\n}\n", 2, 3, "'sleep' is a step: it belongs inside an actor { ... }",
           "the block opened at line 1 was closed at line 1: is that '}' one too many?");
    /* unknown names in expressions: what is valid there, the closest name of any kind */
    err_at("actor a { sleep zzz }\n", 1, 17, "unknown name 'zzz'",
           "expressions read params, counters, locals, index, timed_out, ok: declare it first, e.g. param zzz = 1");
    err_at("counter hits\nactor a { if hitz > 1 { sleep 1ms } }\n", 2, 14, "unknown name 'hitz'",
           "did you mean 'hits' (a counter)?");
    err_at("local user\nactor a { if usr > 1 { sleep 1ms } }\n", 2, 14, "unknown name 'usr'", "did you mean 'user' (a local)?");
    err_at("actor a { if indx > 1 { sleep 1ms } }\n", 1, 14, "unknown name 'indx'",
           "did you mean 'index' (the unit's index)?");
    err_at("actor worker { sleep 1ms }\nactor b { repeat worker { sleep 1ms } }\n", 2, 18,
           "'worker' is an actor: only params, counters and locals have values", NULL);
    err_at("queue jobs capacity=1\nactor b { repeat jobz { get jobs } }\n", 2, 18, "unknown name 'jobz'",
           "did you mean 'jobs'? It is a queue, which has no value: expressions read params, counters, locals, index, "
           "timed_out and ok");
    /* join of a lock names the lock, and never suggests the joining actor itself */
    err_at("lock m\nactor a { join m }\n", 2, 16, "'m' is a lock: cannot join it",
           "join waits for the threads of an actor (join ACTOR) or for every item of a queue to be done (join QUEUE)");
    err_at("actor a { join b }\n", 1, 16, "unknown actor 'b'", "join names an actor (join ACTOR) or a queue (join QUEUE)");
    err_at("actor b { sleep 1ms }\nactor a { join c }\n", 2, 16, "unknown actor 'c'", "did you mean 'b'?");
    /* exponents */
    err_at("queue q capacity=1e12\nactor a { get q }\n", 1, 18, "'1e12': numbers are written without exponents",
           "write it as 1000000000000");
    err_at("param x = 2.5E3\nactor a { sleep 1ms }\n", 1, 11, "'2.5E3': numbers are written without exponents",
           "write it as 2500");
    err_at("param x = 1e-3\nactor a { sleep 1ms }\n", 1, 11, "'1e-3': numbers are written without exponents",
           "it is not a whole number: use a duration with a smaller unit (1.5ms = 1500us)");
    err_at("param x = 1e30\nactor a { sleep 1ms }\n", 1, 11, "'1e30': numbers are written without exponents",
           "it is larger than any value weft takes (the largest integer is 9223372036854775807)");
    /* a missing '}': the '{' that is never closed, not the next declaration */
    err_at("actor a {\n    repeat 3 {\n        sleep 1ms\n}\nactor b { sleep 1ms }\n", 1, 9, "this '{' is never closed",
           "a '}' is missing before line 5, where 'actor' starts a declaration");
    err_at("actor a {\n  sleep 1ms\n\nexpect all_done\n", 1, 9, "this '{' is never closed",
           "a '}' is missing before line 4, where 'expect' starts a declaration");
    err_at("actor a { repeat 2 { sleep 1ms\n", 1, 20, "this '{' is never closed",
           "a '}' is missing before the end of the file");
    /* -D / --sweep of an unknown param say which option it was */
    diag d;
    sim_program *p;
    sim_define sw[] = { { .name = "nosuch", .value = "1", .option = "--sweep" } };
    ck_assert_int_eq(sim_parse(&p, "t.scn", "param n = 1\nactor a { sleep 1ms }\n", sw, 1, &d), -ERR_USAGE);
    ck_assert_str_eq(d.msg, "--sweep nosuch: the scenario has no parameter 'nosuch'");
    ck_assert_str_eq(d.hint, "its parameters are: n");
    sim_define dd[] = { { .name = "nosuch", .value = "1" } };
    ck_assert_int_eq(sim_parse(&p, "t.scn", "actor a { sleep 1ms }\n", dd, 1, &d), -ERR_USAGE);
    ck_assert_str_eq(d.msg, "-D nosuch: the scenario has no parameter 'nosuch'");
    ck_assert_str_eq(d.hint, "it declares no param to override");
}
END_TEST

START_TEST(files_that_are_not_scenarios) {
    const char *rec = tmp_path("given.weft");
    FILE *f = fopen(rec, "wb");
    fwrite("WEFTREC\n\x01\x00\x00\x00", 1, 12, f);
    fclose(f);
    diag d;
    sim_program *p;
    ck_assert_int_eq(sim_parse_file(&p, rec, NULL, 0, &d), -ERR_SCENARIO);
    ck_assert_str_eq(d.msg, "this is a recording, not a scenario");
    ck_assert_str_eq(d.file, rec);
    char hint[1200];
    snprintf(hint, sizeof hint, "try weft view %s, or weft stats %s", rec, rec);
    ck_assert_str_eq(d.hint, hint);
    const char *bin = tmp_path("nul.scn");
    f = fopen(bin, "wb");
    fwrite("actor a {\0}", 1, 11, f);
    fclose(f);
    ck_assert_int_eq(sim_parse_file(&p, bin, NULL, 0, &d), -ERR_SCENARIO);
    ck_assert_str_eq(d.msg, "the file contains a NUL byte at byte 9: a scenario is UTF-8 text");
    ck_assert_str_eq(d.file, bin);   /* the path once, in its place */
}
END_TEST

/* ---- loops that can only spin (issue 10) ------------------------------------- */

START_TEST(loops_with_no_step_are_refused) {
    const char *hint = "give it something to do and a way out, e.g. loop { sleep 1ms; if ok { break } }";
    err_at("actor a { loop {} }\n", 1, 11, "a loop with no step can only spin", hint);
    err_at("actor a {\n  loop {\n  }\n}\n", 2, 3, "a loop with no step can only spin", hint);
    err_at("actor a { loop { if ok { } else { } } }\n", 1, 11, "a loop with no step can only spin", hint);
    err_at("actor a { loop { repeat 3 { } } }\n", 1, 11, "a loop with no step can only spin", hint);
    err_at("actor a { loop { loop { } } }\n", 1, 18, "a loop with no step can only spin", hint);
    err_at("task t { loop { } }\nactor a { sleep 1ms }\n", 1, 10, "a loop with no step can only spin", hint);
    /* a way out, or something to do, is enough */
    sim_program *p = parse_ok("counter c\nactor a { loop { break }; loop { if c > 0 { break } else { incr c } }; "
                              "loop { mark \"x\"; break } }\n", NULL, 0);
    ck_assert_int_eq(p->actors[0].body->kind, SIM_S_LOOP);
    sim_program_free(p);
}
END_TEST

/* ---- overflow (issue 10) ------------------------------------------------------ */

START_TEST(overflow_is_an_error_everywhere_alike) {
    err_at("param x = 9223372036854775807 + 1\nactor a { sleep 1ms }\n", 1, 31,
           "arithmetic overflow: 9223372036854775807 + 1 does not fit in 64 bits", NULL);
    err_at("param m = -9223372036854775807 - 1\nparam n = -m\nactor a { sleep 1ms }\n", 2, 11,
           "arithmetic overflow: -(-9223372036854775808) does not fit in 64 bits", NULL);
    err_at("param m = 3037000500 * 3037000500\nactor a { sleep 1ms }\n", 1, 22,
           "arithmetic overflow: 3037000500 * 3037000500 does not fit in 64 bits", NULL);
    err_at("actor a { sleep 9223372036.9s }\n", 1, 17, "duration '9223372036.9s' is too large", NULL);
    err_at("actor a { sleep 1.0000000000000000001s }\n", 1, 17,
           "duration '1.0000000000000000001s' is not a whole number of nanoseconds", NULL);
    err_at("actor a { sleep 0.999999999999us }\n", 1, 17, "duration '0.999999999999us' is not a whole number of nanoseconds",
           NULL);
    sim_program *p = parse_ok("param d = 0.000000001s + 1.5us + 0.25ms\nactor a { sleep d }\n", NULL, 0);
    ck_assert_int_eq(p->params[0].value, 1 + 1500 + 250000);
    sim_program_free(p);
    /* the same words at run time, where the value is only known then */
    tu_ran r;
    tu_run_text(&r, "ovf", "counter c = 9223372036854775807\nactor a {\n  repeat c + 1 { sleep 1ms }\n}\n", NULL, 0);
    ck_assert_uint_eq(r.res.end_reason, TRC_END_ERROR);
    ck_assert_str_eq(r.res.report, "ovf:3:12: arithmetic overflow: 9223372036854775807 + 1 does not fit in 64 bits (in a.0)\n");
    tu_ran_free(&r);
}
END_TEST

START_TEST(uniform_over_the_widest_ranges) {
    sim_program *p = parse_ok("local v\nactor a {\n let v = uniform -5 9223372036854775807\n"
                              " let v = uniform (-9223372036854775807 - 1) 9223372036854775807\n"
                              " let v = uniform (-9223372036854775807 - 1) -9223372036854775807\n}\n", NULL, 0);
    const sim_stmt *s = p->actors[0].body;
    uint64_t rng = 42;
    sim_eval_ctx ctx = { .rng = &rng };
    bool negative = false, above = false;
    for (int i = 0; i < 2000; i++) {
        int64_t v;
        diag d;
        ck_assert_int_eq(sim_eval(s->expr, p, &ctx, &v, &d), 0);
        ck_assert_int_ge(v, -5);
        above |= v > INT64_MAX / 2;
        ck_assert_int_eq(sim_eval(s->next->expr, p, &ctx, &v, &d), 0);
        negative |= v < 0;
        ck_assert_int_eq(sim_eval(s->next->next->expr, p, &ctx, &v, &d), 0);
        ck_assert(v == INT64_MIN || v == INT64_MIN + 1);
    }
    ck_assert(negative && above);   /* the draws cover the range */
    sim_program_free(p);
}
END_TEST

int main(void) {
    Suite *s = suite_create("lang");
    TCase *tc = tcase_create("lang");
    tcase_add_test(tc, utf8_names_bom_and_strings);
    tcase_add_test(tc, utf8_columns_in_errors);
    tcase_add_test(tc, fullwidth_punctuation_hints);
    tcase_add_test(tc, unexpected_characters_shown_as_themselves);
    tcase_add_test(tc, invalid_utf8_is_an_error_with_its_place);
    tcase_add_test(tc, short_texts);
    tcase_add_test(tc, utf8_text_reaches_the_recording);
    tcase_add_test(tc, not_has_pythons_precedence);
    tcase_add_test(tc, not_runs);
    tcase_add_test(tc, limits_are_checked_after_defines);
    tcase_add_test(tc, hints_point_the_right_way);
    tcase_add_test(tc, files_that_are_not_scenarios);
    tcase_add_test(tc, loops_with_no_step_are_refused);
    tcase_add_test(tc, overflow_is_an_error_everywhere_alike);
    tcase_add_test(tc, uniform_over_the_widest_ranges);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
