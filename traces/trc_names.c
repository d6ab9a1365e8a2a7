#include "traces/trc.h"

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
    default: return "object";
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
    default: return "unknown";
    }
}
