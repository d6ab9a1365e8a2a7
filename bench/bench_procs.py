#!/usr/bin/env python3
"""The Python side of bench_procs: the same figures with multiprocessing.

    python3 bench/bench_procs.py [rounds]

Prints one "name<TAB>value" line per figure (bench_procs reads them):
start-up (us, median, from just before start() to the child's first
statement: threading.Thread, multiprocessing.Process with fork and spawn),
one-way latency (us, half a ping-pong round trip; a manager's per request)
and throughput (messages/s) for a Queue, a Pipe, a Value with its lock, a
SharedMemory with a Lock, and a Manager's Value proxy.
"""
import multiprocessing as mp
import statistics
import sys
import threading
import time
from multiprocessing import shared_memory

MSG = b"x" * 64


def _first(t0, q):
    q.put(time.monotonic_ns() - t0)


def startup(ctx, n):
    q = ctx.Queue()
    lat = []
    for _ in range(n):
        t0 = time.monotonic_ns()
        p = ctx.Process(target=_first, args=(t0, q))
        p.start()
        lat.append(q.get())
        p.join()
    return statistics.median(lat) / 1e3


def startup_thread(n):
    lat = []
    for _ in range(n):
        box = []
        t0 = time.monotonic_ns()
        t = threading.Thread(target=lambda: box.append(time.monotonic_ns() - t0))
        t.start()
        t.join()
        lat.append(box[0])
    return statistics.median(lat) / 1e3


# ---- ping-pong (one-way latency) and streams (throughput) --------------------------------

def _queue_pong(a, b, n):
    for _ in range(n):
        b.put(a.get())


def _pipe_pong(c, n):
    for _ in range(n):
        c.send_bytes(c.recv_bytes())


def _value_pong(v, cv, n):
    for _ in range(n):
        with cv:
            cv.wait_for(lambda: v.value % 2 == 1)
            v.value += 1
            cv.notify()


def _shm_pong(name, cv, v, n):
    s = shared_memory.SharedMemory(name=name)
    for _ in range(n):
        with cv:
            cv.wait_for(lambda: v.value % 2 == 1)
            bytes(s.buf[0:64])
            s.buf[64:128] = MSG
            v.value += 1
            cv.notify()
    s.close()


def _queue_sink(a, n):
    for _ in range(n):
        a.get()


def _pipe_sink(c, n):
    for _ in range(n):
        c.recv_bytes()


def _value_sink(v, n):
    while v.value < n:
        pass


def _shm_sink(name, cv, v, n):
    s = shared_memory.SharedMemory(name=name)
    for _ in range(n):
        with cv:
            cv.wait_for(lambda: v.value > 0)
            bytes(s.buf[0:64])
            v.value -= 1
            cv.notify()
    s.close()


def run_pair(target, args, body):
    p = mp.Process(target=target, args=args)
    p.start()
    t0 = time.perf_counter()
    body()
    t1 = time.perf_counter()
    p.join()
    return t1 - t0


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    mp.set_start_method("fork")
    out = {}
    out["start_thread"] = startup_thread(20)
    out["start_fork"] = startup(mp.get_context("fork"), 20)
    out["start_spawn"] = startup(mp.get_context("spawn"), 6)

    n = rounds
    # queue
    a, b = mp.Queue(), mp.Queue()
    def qp():
        for _ in range(n):
            a.put(MSG)
            b.get()
    out["lat_queue"] = run_pair(_queue_pong, (a, b, n), qp) / n / 2 * 1e6
    m = rounds * 10
    a = mp.Queue()
    def stream_q():
        for _ in range(m):
            a.put(MSG)
    p = mp.Process(target=_queue_sink, args=(a, m))
    p.start()
    t0 = time.perf_counter()
    stream_q()
    p.join()
    out["thr_queue"] = m / (time.perf_counter() - t0)

    # pipe
    x, y = mp.Pipe()
    def pp():
        for _ in range(n):
            x.send_bytes(MSG)
            x.recv_bytes()
    out["lat_pipe"] = run_pair(_pipe_pong, (y, n), pp) / n / 2 * 1e6
    r, w = mp.Pipe(duplex=False)
    p = mp.Process(target=_pipe_sink, args=(r, m))
    p.start()
    t0 = time.perf_counter()
    for _ in range(m):
        w.send_bytes(MSG)
    p.join()
    out["thr_pipe"] = m / (time.perf_counter() - t0)

    # a Value with its lock, and a condition on it
    v = mp.Value("l", 0)
    cv = mp.Condition(v.get_lock())
    def vp():
        for _ in range(n):
            with cv:
                v.value += 1
                cv.notify()
                cv.wait_for(lambda: v.value % 2 == 0)
    out["lat_value"] = run_pair(_value_pong, (v, cv, n), vp) / n / 2 * 1e6
    v = mp.Value("l", 0)
    p = mp.Process(target=_value_sink, args=(v, m))
    p.start()
    t0 = time.perf_counter()
    for _ in range(m):
        with v.get_lock():
            v.value += 1
    p.join()
    out["thr_value"] = m / (time.perf_counter() - t0)

    # shared memory with a lock and a condition
    s = shared_memory.SharedMemory(create=True, size=4096)
    v = mp.Value("l", 0)
    cv = mp.Condition(v.get_lock())
    def sp():
        for _ in range(n):
            with cv:
                s.buf[0:64] = MSG
                v.value += 1
                cv.notify()
                cv.wait_for(lambda: v.value % 2 == 0)
                bytes(s.buf[64:128])
    out["lat_shm"] = run_pair(_shm_pong, (s.name, cv, v, n), sp) / n / 2 * 1e6
    v = mp.Value("l", 0)
    cv = mp.Condition(v.get_lock())
    p = mp.Process(target=_shm_sink, args=(s.name, cv, v, m))
    p.start()
    t0 = time.perf_counter()
    for _ in range(m):
        with cv:
            cv.wait_for(lambda: v.value < 64)
            s.buf[0:64] = MSG
            v.value += 1
            cv.notify()
    p.join()
    out["thr_shm"] = m / (time.perf_counter() - t0)
    s.close()
    s.unlink()

    # a manager's Value proxy: one request per call
    with mp.Manager() as mgr:
        mv = mgr.Value("l", 0)
        t0 = time.perf_counter()
        for _ in range(n):
            mv.get()
        out["lat_manager"] = (time.perf_counter() - t0) / n * 1e6
        t0 = time.perf_counter()
        for _ in range(m):
            mv.get()
        out["thr_manager"] = m / (time.perf_counter() - t0)

    for k, val in out.items():
        print(f"{k}\t{val:.3f}")


if __name__ == "__main__":
    main()
