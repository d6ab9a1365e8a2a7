#include "traces/trc.h"

#include <stdio.h>
#include <string.h>

const char *trc_ev_name(unsigned kind) {
    switch (kind) {
#define X(name, num, str) case num: return str;
    TRC_EV_MAP(X)
#undef X
    default: return "unknown";
    }
}

const char *trc_op_name(unsigned op) {
    switch (op) {
#define X(name, num, str) case num: return str;
    TRC_OP_MAP(X)
#undef X
    default: return "unknown";
    }
}

const char *trc_outcome_name(unsigned o) {
    switch (o) {
#define X(name, num, str) case num: return str;
    TRC_OUTCOME_MAP(X)
#undef X
    default: return "unknown";
    }
}

const char *trc_state_name(unsigned s) {
    switch (s) {
#define X(name, num, str) case num: return str;
    TRC_STATE_MAP(X)
#undef X
    default: return "unknown";
    }
}

const char *trc_param_value(char *out, size_t cap, const trc_param *p) {
    if (p->is_duration && p->value >= 0) fmt_dur(out, cap, (uint64_t)p->value);
    else if (p->name && !strcmp(p->name, "gil") && (p->value == 0 || p->value == 1)) snprintf(out, cap, "%s", p->value ? "on" : "off");
    else snprintf(out, cap, "%lld", (long long)p->value);
    return out;
}

const char *trc_gil_drop_name(unsigned r) {
    switch (r) {
#define X(name, num, str) case num: return str;
    TRC_GIL_DROP_MAP(X)
#undef X
    default: return "unknown";
    }
}

bool trc_state_known(unsigned s) {
    switch (s) {
#define X(name, num, str) case num: return true;
    TRC_STATE_MAP(X)
#undef X
    default: return false;
    }
}

const char *trc_unit_kind_name(unsigned k) {
    switch (k) {
    case TRC_UNIT_THREAD: return "thread";
    case TRC_UNIT_PROCESS: return "process";
    case TRC_UNIT_TASK: return "task";
    case TRC_UNIT_LOOP: return "loop";
    default: return "unit";
    }
}

const char *trc_obj_kind_name(unsigned k) {
    switch (k) {
    case TRC_OBJ_LOCK: return "lock";
    case TRC_OBJ_QUEUE: return "queue";
    case TRC_OBJ_RLOCK: return "rlock";
    case TRC_OBJ_SEMAPHORE: return "semaphore";
    case TRC_OBJ_CONDITION: return "condition";
    case TRC_OBJ_EVENT: return "event";
    case TRC_OBJ_BARRIER: return "barrier";
    case TRC_OBJ_RWLOCK: return "rwlock";
    case TRC_OBJ_COUNTER: return "counter";
    case TRC_OBJ_POOL: return "pool";
    case TRC_OBJ_GIL: return "GIL";
    case TRC_OBJ_PIPE: return "pipe";
    case TRC_OBJ_SHM: return "shm";
    case TRC_OBJ_VAR: return "var";
    case TRC_OBJ_MANAGER: return "manager";
    default: return "object";
    }
}

const char *trc_queue_kind_name(unsigned k) {
    switch (k) {
    case TRC_QUEUE_FIFO: return "fifo";
    case TRC_QUEUE_LIFO: return "lifo";
    case TRC_QUEUE_PRIORITY: return "priority";
    default: return "unknown";
    }
}

const char *trc_flow_kind_name(unsigned k) {
    switch (k) {
    case TRC_FLOW_ITEM: return "item";
    case TRC_FLOW_HANDOFF: return "hand-off";
    case TRC_FLOW_NOTIFY: return "notify";
    case TRC_FLOW_SET: return "set";
    case TRC_FLOW_BARRIER: return "barrier";
    case TRC_FLOW_SPAWN: return "spawn";
    case TRC_FLOW_JOIN: return "join";
    case TRC_FLOW_SUBMIT: return "submit";
    case TRC_FLOW_TASK: return "task";
    case TRC_FLOW_CALLBACK: return "callback";
    case TRC_FLOW_RESULT: return "result";
    case TRC_FLOW_MESSAGE: return "message";
    case TRC_FLOW_REQUEST: return "request";
    case TRC_FLOW_REPLY: return "reply";
    case TRC_FLOW_SIGNAL: return "signal";
    default: return "unknown";
    }
}

const char *trc_future_state_name(unsigned s) {
    switch (s) {
    case TRC_FUT_NONE: return "not submitted";
    case TRC_FUT_PENDING: return "pending";
    case TRC_FUT_RUNNING: return "running";
    case TRC_FUT_FINISHED: return "finished";
    case TRC_FUT_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

const char *trc_counter_mode_name(unsigned m) {
    switch (m) {
    case TRC_CTR_ATOMIC: return "atomic";
    case TRC_CTR_LOCKED: return "locked";
    case TRC_CTR_RACY: return "racy";
    case TRC_CTR_SET: return "set";
    default: return "unknown";
    }
}

const char *trc_run_end_name(unsigned e) {
    switch (e) {
    case TRC_END_OK: return "ok";
    case TRC_END_DEADLOCK: return "deadlock";
    case TRC_END_STUCK: return "stuck";
    case TRC_END_TIMEOUT: return "timeout";
    case TRC_END_ERROR: return "error";
    case TRC_END_UNFINISHED: return "unfinished";
    case TRC_END_INTERRUPTED: return "interrupted";
    case TRC_END_LIMIT: return "event limit";
    default: return "unknown";
    }
}

const char *trc_signal_name(int sig) {
    switch (sig) {
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 6: return "SIGABRT";
    case 7: return "SIGBUS";
    case 8: return "SIGFPE";
    case 9: return "SIGKILL";
    case 11: return "SIGSEGV";
    case 13: return "SIGPIPE";
    case 15: return "SIGTERM";
    default: return NULL;
    }
}
