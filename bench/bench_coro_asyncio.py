#!/usr/bin/env python3
"""The asyncio side of bench_coro: the same workloads in CPython's asyncio,
timed on the same machine, printed as `name value` lines bench_coro reads.

  bench_coro_asyncio.py gather UNIT_S        scenario 24: sequential A/B/C (2, 1, 3 units), then
                                             gather of the same, then gather of 5 x 1 unit
  bench_coro_asyncio.py semaphore UNIT_S INTERVAL_S
                                             scenario 25: 10 workers x 2 units behind
                                             Semaphore(3), with the racy and the locked
                                             rate limiter (8 requests each) at the same time
  bench_coro_asyncio.py switches N           N hand-overs between two tasks (asyncio.sleep(0))
  bench_coro_asyncio.py memory N             resident memory per idle task (N tasks awaiting an Event)
"""
import asyncio
import resource
import sys
import time


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


async def scenario24(unit):
    async def download(n):
        await asyncio.sleep(n * unit)
        return n
    for n in (2, 1, 3):                      # sequential
        await download(n)
    await asyncio.gather(download(2), download(1), download(3))
    await asyncio.gather(*(download(1) for _ in range(5)))


async def scenario25(unit, interval):
    cap = asyncio.Semaphore(3)

    async def work():
        async with cap:
            await asyncio.sleep(2 * unit)

    state = {"last": 0, "inflight": 0, "burst": 0}

    async def racy():
        if state["last"] > 0:
            await asyncio.sleep(interval)
        state["last"] += 1
        state["inflight"] += 1
        if state["inflight"] >= 5:
            state["burst"] += 1
        await asyncio.sleep(0.010)
        state["inflight"] -= 1

    lock = asyncio.Lock()

    async def locked():
        async with lock:
            await asyncio.sleep(interval)
        await asyncio.sleep(0.010)

    await asyncio.gather(asyncio.gather(*(work() for _ in range(10))),
                         asyncio.gather(*(racy() for _ in range(8))),
                         asyncio.gather(*(locked() for _ in range(8))))
    return state["burst"]


async def switches(n):
    async def pinger():
        for _ in range(n):
            await asyncio.sleep(0)
    t0 = time.process_time()
    await asyncio.gather(pinger(), pinger())
    return (time.process_time() - t0) / (2 * n)


async def memory(n):
    ev = asyncio.Event()

    async def idle():
        await ev.wait()
    before = rss_kib()
    tasks = [asyncio.create_task(idle()) for _ in range(n)]
    await asyncio.sleep(0)                   # every task runs to its await
    after = rss_kib()
    ev.set()
    await asyncio.gather(*tasks)
    return (after - before) * 1024 / n


def main():
    what = sys.argv[1]
    if what == "gather":
        t0 = time.perf_counter()
        asyncio.run(scenario24(float(sys.argv[2])))
        print("makespan_s", time.perf_counter() - t0)
    elif what == "semaphore":
        t0 = time.perf_counter()
        burst = asyncio.run(scenario25(float(sys.argv[2]), float(sys.argv[3])))
        print("makespan_s", time.perf_counter() - t0)
        print("burst", burst)
    elif what == "switches":
        print("switch_ns", asyncio.run(switches(int(sys.argv[2]))) * 1e9)
    elif what == "memory":
        print("bytes_per_task", asyncio.run(memory(int(sys.argv[2]))))
    print("python", sys.version.split()[0])


if __name__ == "__main__":
    main()
