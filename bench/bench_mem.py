#!/usr/bin/env python3
"""The Python side of bench_mem: what an idle unit costs in CPython.

    python3 bench/bench_mem.py [threads] [processes] [tasks]

Prints one "name<TAB>bytes" line per figure (bench_mem reads them), each the
growth of memory per unit, from /proc/PID/statm as weft's recorder reads it:

  threads_resident, threads_virtual      N threading.Thread, each blocked on
                                         one Event: this process's growth
  processes_resident, processes_virtual  N multiprocessing.Process (fork),
                                         each blocked on one Event: the
                                         children's sizes (resident counts
                                         the pages shared with the parent,
                                         as ps does) plus this process's
                                         growth
  tasks_resident, tasks_virtual          N asyncio tasks, each sleeping: this
                                         process's growth

Each figure is measured once every unit has started (a counter or a
barrier), before any is released.
"""
import asyncio
import multiprocessing as mp
import os
import sys
import threading

PAGE = os.sysconf("SC_PAGE_SIZE")


def statm(pid="self"):
    with open(f"/proc/{pid}/statm") as f:
        size, res = f.read().split()[:2]
    return int(res) * PAGE, int(size) * PAGE


def threads(n):
    go = threading.Event()
    started = threading.Semaphore(0)

    def idle():
        started.release()
        go.wait()

    r0, v0 = statm()
    ts = [threading.Thread(target=idle) for _ in range(n)]
    for t in ts:
        t.start()
    for _ in range(n):
        started.acquire()
    r1, v1 = statm()
    go.set()
    for t in ts:
        t.join()
    return (r1 - r0) / n, (v1 - v0) / n


def _child(started, go):
    started.release()
    go.wait()


def processes(n):
    ctx = mp.get_context("fork")
    go = ctx.Event()
    started = ctx.Semaphore(0)
    r0, v0 = statm()
    ps = [ctx.Process(target=_child, args=(started, go)) for _ in range(n)]
    for p in ps:
        p.start()
    for _ in range(n):
        started.acquire()
    r1, v1 = statm()
    rc = vc = 0
    for p in ps:
        r, v = statm(p.pid)
        rc += r
        vc += v
    go.set()
    for p in ps:
        p.join()
    return (r1 - r0 + rc) / n, (v1 - v0 + vc) / n


def tasks(n):
    out = {}

    async def main():
        started = 0
        go = asyncio.Event()

        async def idle():
            nonlocal started
            started += 1
            await go.wait()

        r0, v0 = statm()
        ts = [asyncio.create_task(idle()) for _ in range(n)]
        while started < n:
            await asyncio.sleep(0)
        r1, v1 = statm()
        go.set()
        await asyncio.gather(*ts)
        out["r"], out["v"] = (r1 - r0) / n, (v1 - v0) / n

    asyncio.run(main())
    return out["r"], out["v"]


def main():
    nt = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    np_ = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    nk = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    for name, fn, n in (("threads", threads, nt), ("processes", processes, np_), ("tasks", tasks, nk)):
        r, v = fn(n)
        print(f"{name}_resident\t{r:.0f}")
        print(f"{name}_virtual\t{v:.0f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
