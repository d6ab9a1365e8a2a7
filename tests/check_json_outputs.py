#!/usr/bin/env python3
"""The JSON that weft writes, checked from outside (ctest json_outputs):
  - stats --json and diff --json of real recordings validate against
    docs/schema/stats-1.json and diff-1.json (tests/json_schema_check.py), and
    the validator rejects documents that break them (it can fail);
  - export --format json decodes, and agrees with stats: a thread per unit,
    each unit's state slices summing to its states' time (ns exact), a flow
    start and end per flow of the model, a depth counter sample per put and get;
  - diff's --fail-if gives the exit status scripts rely on;
  - memory: diff's rows per unit and peaks (bytes) are stats' figures, and
    export --format json has a counter per process with stats' samples.

    check_json_outputs.py WEFT SOURCE_DIR WORK_DIR
"""
import copy
import decimal
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import json_schema_check as jsc  # noqa: E402

weft, src, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(*args, ok=(0,)):
    p = subprocess.run([weft, *args], cwd=work, capture_output=True, text=True)
    if p.returncode not in ok:
        fail(f"weft {' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def schema(name):
    with open(os.path.join(src, "docs", "schema", name)) as f:
        s = json.load(f)
    jsc.check_schema(s)
    return s


stats_schema, diff_schema = schema("stats-1.json"), schema("diff-1.json")

# recordings: two sizes of one scenario, a two-run sweep, and one with locks
scn = os.path.join(src, "scenarios")
run("run", os.path.join(scn, "producer_consumer.scn"), "-q", "-o", "a.weft")
run("run", "producer_consumer", "-q", "-D", "consumers=1", "-o", "b.weft")
run("run", os.path.join(scn, "lock_contention.scn"), "-q", "-o", "lc.weft")
run("run", "producer_consumer", "-q", "--sweep", "consumers=1,2", "-o", "sw.weft")

for rec in ("a.weft", "b.weft", "lc.weft", "sw.weft"):
    doc = json.loads(run("stats", rec, "--json").stdout)
    errs = jsc.validate(doc, stats_schema, stats_schema)
    if errs:
        fail(f"stats --json of {rec} breaks the schema: {errs[:5]}")
    # the validator fails on a broken document
    bad = copy.deepcopy(doc)
    del bad["runs"][0]["makespan_ns"]
    bad["runs"][0]["units"][0]["cpu_ns"] = "many"
    if len(jsc.validate(bad, stats_schema, stats_schema)) < 2:
        fail("the validator accepts a stats document without makespan_ns and with a string for cpu_ns")

for args in (("a.weft", "b.weft"), ("sw.weft",), ("sw.weft", "--runs", "2,1"), ("a.weft", "lc.weft")):
    doc = json.loads(run("diff", *args, "--json").stdout)
    errs = jsc.validate(doc, diff_schema, diff_schema)
    if errs:
        fail(f"diff --json {args} breaks the schema: {errs[:5]}")
    bad = copy.deepcopy(doc)
    bad["pairs"][0]["rows"][0]["unit"] = "furlongs"
    if not jsc.validate(bad, diff_schema, diff_schema):
        fail("the validator accepts a diff row with an unknown unit")

# diff: figures matched by name, the unmatched units named, the summary there
d = json.loads(run("diff", "a.weft", "b.weft", "--json").stdout)
pair = d["pairs"][0]
rows = {r["path"]: r for r in pair["rows"]}
sa = json.loads(run("stats", "a.weft", "--json").stdout)["runs"][0]
sb = json.loads(run("stats", "b.weft", "--json").stdout)["runs"][0]
if rows["makespan"]["a"] != sa["makespan_ns"] or rows["makespan"]["b"] != sb["makespan_ns"]:
    fail("diff's makespan is not stats' makespan")
if rows["group:consumer.units"]["a"] != 3 or rows["group:consumer.units"]["b"] != 1:
    fail("diff's consumer group does not count 3 and 1 units")
if sorted(pair["only_a"]) != ["consumer.1", "consumer.2"] or pair["only_b"]:
    fail(f"only_a/only_b wrong: {pair['only_a']} {pair['only_b']}")
if rows["unit:consumer.2.cpu"]["b"] is not None:
    fail("a unit only in A has a value in B")
if not pair["summary"] or "makespan" not in pair["summary"][0]:
    fail(f"the summary does not start with the makespan: {pair['summary']}")
# --fail-if: exit 1 when a condition holds, 0 when none does, 2 for an unknown figure
ratio = sb["makespan_ns"] / sa["makespan_ns"]
hi, lo = ratio * 1.5 + 0.1, ratio * 0.5
p = run("diff", "a.weft", "b.weft", "--fail-if", f"makespan > {lo:.3f}x", ok=(1,))
if "holds" not in p.stderr:
    fail(f"--fail-if that holds does not say so: {p.stderr}")
run("diff", "a.weft", "b.weft", "--fail-if", f"makespan > {hi:.3f}x", "--fail-if", "lost > 0", ok=(0,))
p = run("diff", "a.weft", "b.weft", "--fail-if", "makespn > 1x", ok=(2,))
if "did you mean 'makespan'" not in p.stderr:
    fail(f"an unknown figure does not suggest the nearest: {p.stderr}")
p = run("diff", "a.weft", "b.weft", "--fail-if", "makespan >> 1x", ok=(2,))
p = run("diff", "a.weft", "b.weft", "--json", "--fail-if", f"object:jobs.items_per_s < {lo:.3f}x", ok=(0, 1))
if json.loads(p.stdout)["failed"] != (p.returncode == 1):
    fail("diff --json's failed disagrees with the exit status")

# export --format json: decode and compare with stats
for rec in ("a.weft", "lc.weft", "sw.weft"):
    run("export", rec, "--format", "json", "-o", rec + ".json")
    with open(os.path.join(work, rec + ".json")) as f:
        tr = json.load(f, parse_float=decimal.Decimal)
    st = json.loads(run("stats", rec, "--json").stdout)
    ev = tr["traceEvents"]
    for ri, r in enumerate(st["runs"]):
        pid = ri + 1
        names = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == pid}
        if sorted(names.values()) != sorted(u["name"] for u in r["units"]):
            fail(f"{rec} run {pid}: the JSON trace's threads are not the units")
        for ui, u in enumerate(r["units"]):
            ns = sum(int(e["dur"] * 1000) for e in ev if e["ph"] == "X" and e["pid"] == pid and e["tid"] == ui + 1)
            want = sum(v for k, v in u["states_ns"].items() if k != "done")
            if ns != want:
                fail(f"{rec} run {pid} {u['name']}: state slices sum to {ns} ns, stats says {want}")
            for e in ev:
                if e["ph"] == "X" and e["pid"] == pid and e["tid"] == ui + 1 and (e["ts"] * 1000) % 1 != 0:
                    fail(f"{rec}: a time that is not whole ns: {e['ts']}")
                    break
        nflows = sum(r["flows"].values())
        starts = [e for e in ev if e["ph"] == "s" and e["pid"] == pid]
        ends = [e for e in ev if e["ph"] == "f" and e["pid"] == pid]
        if len(starts) != nflows or len(ends) != nflows or {e["id"] for e in starts} != {e["id"] for e in ends}:
            fail(f"{rec} run {pid}: {len(starts)} flow starts and {len(ends)} ends for {nflows} flows")
        for o in r["objects"]:
            if o["kind"] == "queue":
                n = sum(1 for e in ev if e["ph"] == "C" and e["pid"] == pid and e["name"] == o["name"] + " depth")
                if n != o["puts"] + o["gets"] + 1:
                    fail(f"{rec} run {pid}: {n} depth samples of {o['name']} for {o['puts']} puts and {o['gets']} gets")

# memory (issue 16): diff's memory rows (bytes) are stats' figures; export --format json has a
# counter per process of each run, one sample per statm sample, resident and virtual as stats has them
mem_scn = os.path.join(work, "idle_mem.scn")
with open(mem_scn, "w") as f:
    f.write("backends threads, coroutines\nparam n = 200\nevent go\nbarrier ready n + 1\n"
            "actor idle * n { wait ready; wait go }\nactor main { wait ready; sleep 30ms; set go }\nexpect all_done\n")
run("run", mem_scn, "-q", "-o", "mem.weft")
st = json.loads(run("stats", "mem.weft", "--json").stdout)["runs"]
d = json.loads(run("diff", "mem.weft", "--json").stdout)
errs = jsc.validate(d, diff_schema, diff_schema)
if errs:
    fail(f"diff --json of mem.weft breaks the schema: {errs[:5]}")
rows = {r["path"]: r for r in d["pairs"][0]["rows"]}
for fig, key in (("resident_per_unit", "per_unit_resident"), ("virtual_per_unit", "per_unit_virtual"),
                 ("peak_resident", "peak_resident"), ("peak_virtual", "peak_virtual")):
    r = rows.get(fig)
    if not r or r["unit"] != "bytes":
        fail(f"diff has no {fig} row in bytes: {r}")
        continue
    for side, run_st in (("a", st[0]), ("b", st[1])):
        want = run_st["memory"][key]
        if abs(r[side] - want) > 1e-6 * max(1, abs(want)):
            fail(f"diff's {fig} ({side}) is {r[side]}, stats says {want}")
if rows.get("virtual_per_unit") and not rows["virtual_per_unit"]["b"] < rows["virtual_per_unit"]["a"]:
    fail(f"a task reserves no less than a thread: {rows['virtual_per_unit']}")
text = run("diff", "mem.weft").stdout
if "resident_per_unit" not in text or "virtual_per_unit" not in text:
    fail(f"diff's text has no memory rows:\n{text}")
run("export", "mem.weft", "--format", "json", "-o", "mem.json")
with open(os.path.join(work, "mem.json")) as f:
    ev = json.load(f)["traceEvents"]
for ri, r in enumerate(st):
    pid = ri + 1
    for p in r["memory"]["processes"]:
        name = f"memory: {p['name']} (pid {p['pid']})"
        cs = [e for e in ev if e["ph"] == "C" and e["pid"] == pid and e["name"] == name]
        if len(cs) != p["samples"] or any(e.get("cat") != "memory" for e in cs):
            fail(f"mem.weft run {pid}: {len(cs)} memory counter events of {name}, stats says {p['samples']} samples")
            continue
        if max(e["args"]["resident"] for e in cs) != p["peak_resident"] or \
           max(e["args"]["virtual"] for e in cs) != p["peak_virtual"] or \
           cs[-1]["args"]["resident"] != p["last_resident"]:
            fail(f"mem.weft run {pid}: the memory counter of {name} disagrees with stats")
        if [e["ts"] for e in cs] != sorted(e["ts"] for e in cs):
            fail(f"mem.weft run {pid}: the memory samples of {name} are not in time order")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("json outputs: ok")
