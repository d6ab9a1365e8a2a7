#!/usr/bin/env python3
"""Real CPython's side of bench_gil (bench/bench_gil.c runs it): the textbook's
GIL workloads, measured the way weft measures its own, one JSON object per line.

  bench_gil.py cpu MS N [MODES] N CPU-bound tasks of MS ms each: sequential, N threads,
                                N processes (fork), or those of MODES (a comma-separated
                                list of them): wall seconds of each
  bench_gil.py convoy IV K WAKES  one I/O thread sleeping 10 ms WAKES times beside K
                                CPU-bound threads, sys.setswitchinterval(IV ms): how late
                                it gets back (the sleep's overshoot: the GIL's wait)
  bench_gil.py handoff SECONDS  two CPU-bound threads: the gap between the last bytecode
                                of one holder and the first of the next (a hand-off)
  bench_gil.py version          the interpreter's version and switch interval

A task is a pure-Python loop calibrated to MS ms on this machine, as weft's
`compute` is calibrated in CPU time."""
import json
import multiprocessing as mp
import statistics
import resource
import sys
import threading
import time


def spin(n):
    x = 1
    for i in range(n):
        x = (x * 1103515245 + i) & 0xFFFFFFFF   # bounded: every iteration costs the same
    return x


def calibrate(ms):
    """Iterations of spin() that take ms of CPU on this thread (median of 5)."""
    n = 20000
    while True:
        t0 = time.thread_time()
        spin(n)
        dt = time.thread_time() - t0
        if dt > 0.02:
            break
        n *= 2
    rates = []
    for _ in range(5):
        t0 = time.thread_time()
        spin(n)
        rates.append(n / (time.thread_time() - t0))
    return int(statistics.median(rates) * ms / 1000.0)


def timed_spin(n, out):
    """spin(n), appending the CPU time it took on its thread to out."""
    c0 = time.thread_time()
    spin(n)
    out.append(time.thread_time() - c0)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu(ms, n, modes):
    """Wall seconds of each mode asked for (sequential, threads, processes), and
    beside each (key MODE_cpu) the CPU seconds its work took: on a VM whose
    vCPU speed drifts between seconds, the same iterations cost different CPU
    time from one mode to the next, while weft's compute is steered by CPU time."""
    iters = calibrate(ms)
    out = {"what": "cpu", "ms": ms, "n": n}
    for mode in modes.split(","):
        spent = []
        if mode == "sequential":
            t0 = time.perf_counter()
            for _ in range(n):
                timed_spin(iters, spent)
            out[mode] = time.perf_counter() - t0
            out[mode + "_cpu"] = sum(spent)
        elif mode == "threads":
            th = [threading.Thread(target=timed_spin, args=(iters, spent)) for _ in range(n)]
            t0 = time.perf_counter()
            for t in th:
                t.start()
            for t in th:
                t.join()
            out[mode] = time.perf_counter() - t0
            out[mode + "_cpu"] = sum(spent)
        elif mode == "processes":
            ctx = mp.get_context("fork")
            ps = [ctx.Process(target=spin, args=(iters,)) for _ in range(n)]
            c0 = children_cpu()
            t0 = time.perf_counter()
            for p in ps:
                p.start()
            for p in ps:
                p.join()
            out[mode] = time.perf_counter() - t0
            out[mode + "_cpu"] = children_cpu() - c0
    print(json.dumps(out))


def convoy(iv_ms, k, wakes):
    sys.setswitchinterval(iv_ms / 1000.0)
    stop = threading.Event()
    chunk = calibrate(1)

    def burn():
        while not stop.is_set():
            spin(chunk)

    cpus = [threading.Thread(target=burn) for _ in range(k)]
    for t in cpus:
        t.start()
    delays = []
    for _ in range(wakes):
        t0 = time.perf_counter()
        time.sleep(0.010)
        delays.append(time.perf_counter() - t0 - 0.010)
    stop.set()
    for t in cpus:
        t.join()
    sys.setswitchinterval(0.005)
    delays.sort()
    print(json.dumps({"what": "convoy", "interval_ms": iv_ms, "cpu_threads": k, "wakes": wakes,
                      "mean": statistics.mean(delays), "median": statistics.median(delays),
                      "p95": delays[int(0.95 * (len(delays) - 1))], "max": delays[-1]}))


def handoff(seconds):
    """Each thread notes its runs (from its first clock read after an absence to its
    last before the next one); merged by time, a hand-off is the gap between the end
    of one thread's run and the start of the next thread's."""
    stop = time.perf_counter_ns() + int(seconds * 1e9)
    runs = [[], []]

    def run(me):
        mine = runs[me]
        start = prev = time.perf_counter_ns()
        while prev < stop:
            now = time.perf_counter_ns()
            if now - prev > 20000:          # away for more than 20 us: a new run
                mine.append((start, prev))
                start = now
            prev = now
        mine.append((start, prev))

    th = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    merged = sorted([(a, b, k) for k in range(2) for (a, b) in runs[k]])
    gaps = sorted(merged[i + 1][0] - merged[i][1] for i in range(len(merged) - 1)
                  if merged[i + 1][2] != merged[i][2] and merged[i + 1][0] >= merged[i][1])
    print(json.dumps({"what": "handoff", "n": len(gaps), "median_ns": statistics.median(gaps) if gaps else 0,
                      "mean_ns": statistics.mean(gaps) if gaps else 0,
                      "p95_ns": gaps[int(0.95 * (len(gaps) - 1))] if gaps else 0,
                      "interval_ms": sys.getswitchinterval() * 1000}))


def main(argv):
    if len(argv) >= 4 and argv[1] == "cpu":
        cpu(int(argv[2]), int(argv[3]), argv[4] if len(argv) >= 5 else "sequential,threads,processes")
    elif len(argv) >= 5 and argv[1] == "convoy":
        convoy(float(argv[2]), int(argv[3]), int(argv[4]))
    elif len(argv) >= 3 and argv[1] == "handoff":
        handoff(float(argv[2]))
    elif len(argv) >= 2 and argv[1] == "version":
        print("CPython %s (switch interval %g ms)" % (sys.version.split()[0], sys.getswitchinterval() * 1000))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
