/* weft: the command. The only place that talks to people.
 *
 * Exit codes: 0 success; 1 the run failed an expectation or did not end as
 * expected (deadlock, stuck, timeout); 2 bad input or usage; 3 i/o or runtime
 * failure. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

bool cli_quiet;

void usage(FILE *f) {
    fprintf(f,
            "usage: weft <command> [options]\n"
            "\n"
            "  run S.scn [-o out.weft] [-D name=value]... [--sweep name=v1,v2,...] [--seed N]\n"
            "            [--timeout SECONDS] [--backend threads|coroutines] [--clock real|virtual]\n"
            "            [--export out.pftrace] [--view] [--png out.png] [--quiet]\n"
            "            [--record complete|drop] [--ring EVENTS] [--max-events N] [--accept-losses]\n"
            "                      run a scenario on real threads (or tasks on event loops) and record\n"
            "                      it. --clock virtual: a deterministic run on a virtual clock (the same\n"
            "                      seed gives the same events at the same times; sleeps take no real\n"
            "                      time). complete (the default): a unit whose buffer (--ring, 65536\n"
            "                      events) is full waits for the recorder, shown as 'recorder flush';\n"
            "                      drop: never waits, counts what it drops (the run fails on losses\n"
            "                      unless accepted); the run stops at --max-events (20000000; 0: none).\n"
            "                      Failed expectations, run-time errors and errors the run survived\n"
            "                      (a thread that died, a task's error never retrieved) go to stderr\n"
            "  view A.weft [B.weft ...] [--at 40%%|0.4|12ms] [--size WxH] [--theme dark|light] [--stage]\n"
            "            [--whole] [--screenshot out.png] [--frames DIR] [--video out.mp4|.webm|.gif]\n"
            "            [--fps N] [--scale 1..4]\n"
            "                      animate recordings in a window, side by side on one time axis (it opens\n"
            "                      at the start and plays; ? lists the keys), or render them: a PNG, a PNG\n"
            "                      per frame of the animation, a video through ffmpeg; the stage beside the\n"
            "                      timeline draws the objects as pictures (o toggles it, --stage in a PNG)\n"
            "  export A.weft -o out.pftrace\n"
            "                      write a Perfetto trace (open it in ui.perfetto.dev)\n"
            "  stats A.weft [--json]  makespan, time per state and waits per unit and object\n"
            "  check FILE [-D name=value]...\n"
            "                      validate a scenario (.scn, with overrides) or a recording (.weft):\n"
            "                      its lost events and every repair they made the reader do\n"
            "  list                the bundled scenarios\n"
            "\n"
            "Ctrl-C, SIGTERM or SIGHUP end a run cleanly: the recording is kept (end: interrupted),\n"
            "the expectations are not checked, and weft then ends with that signal.\n"
            "Outputs are written to a temporary file beside them and renamed when complete: a\n"
            "failed command leaves the earlier file as it was. An output equal to an input is\n"
            "refused. FIFOs and /dev/stdin work as inputs. Names and texts are printed with\n"
            "control characters escaped.\n"
            "\n"
            "See README.md and scenarios/README.md.\n");
}

int main(int argc, char **argv) {
#ifdef M_MMAP_THRESHOLD
    /* big arrays (a model of millions of events) grow by doubling: from their
     * own mappings they grow with mremap instead of being copied (glibc would
     * otherwise raise the threshold and move them around on the heap) */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    if (argc < 2) { usage(stderr); return EXIT_INPUT; }
    const char *cmd = argv[1];
    argv++;
    argc--;
    if (!strcmp(cmd, "run")) return cmd_run(argc, argv);
    if (!strcmp(cmd, "view")) return cmd_view(argc, argv);
    if (!strcmp(cmd, "export")) return cmd_export(argc, argv);
    if (!strcmp(cmd, "stats")) return cmd_stats(argc, argv);
    if (!strcmp(cmd, "check")) return cmd_check(argc, argv);
    if (!strcmp(cmd, "list")) return cmd_list(argc, argv);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) { usage(stdout); return 0; }
    if (!strcmp(cmd, "--version")) { printf("weft 0.1.0\n"); return 0; }
    fprintf(stderr, "weft: '%s' is not a weft command\n", cmd);
    usage(stderr);
    return EXIT_INPUT;
}
