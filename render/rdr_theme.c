/* Colours: states, owners, futures, flows. */
#include "render/rdr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//~ theme

static const uint32_t rdr_state_cols[TRC_ST__COUNT] = {
    [TRC_ST_RUNNING] = 0xfff0e442u,   /* yellow */
    [TRC_ST_COMPUTE] = 0xff009e73u,   /* bluish green */
    [TRC_ST_BLOCKED] = 0xffd55e00u,   /* vermillion */
    [TRC_ST_SLEEP] = 0xff56b4e9u,     /* sky blue */
    [TRC_ST_DONE] = 0xff5a6170u,      /* grey */
    [TRC_ST_IDLE] = 0xff3f6f96u,      /* steel blue, darker than sleep: waiting for work, drawn half height */
    [TRC_ST_GIL_WAIT] = 0xffe69f00u,  /* orange: ready to run Python code, waiting for the GIL (not blocked) */
    [TRC_ST_RUNNABLE] = 0xff0072b2u,  /* blue: preempted by the kernel, waiting for a CPU */
    [TRC_ST_FLUSH] = 0xffcc79a7u,     /* reddish purple: waiting for the recorder, not the scenario */
    [TRC_ST_UNKNOWN] = 0xff8c6d62u,   /* brownish grey: events lost (rdr_lanes.c hatches the gaps themselves) */
    [TRC_ST_READY] = 0xffa6d854u,     /* lime (GIL_WAIT has the orange): could run, waits for its loop (between running and blocked) */
};

uint32_t rdr_state_color(unsigned state) {
    if (state < TRC_ST__COUNT && rdr_state_cols[state]) return rdr_state_cols[state];
    /* a state the model gained after this table: still its own colour, the
     * legend names it (Okabe-Ito blue, orange, reddish purple, then greys) */
    static const uint32_t more[] = { 0xff0072b2u, 0xffe69f00u, 0xffcc79a7u, 0xff9aa0acu, 0xffc0c4ccu };
    return more[state % (sizeof more / sizeof more[0])];
}

uint32_t rdr_state_ghost_color(unsigned state) {
    return rdr_mix(RDR_COL_LANE, rdr_state_color(state), 0.22);
}

uint32_t rdr_owner_color(uint32_t unit) {
    /* Paul Tol's "light" scheme: pale enough that an owner never reads as a
     * state (the states are saturated), and told apart by colour-blind eyes */
    static const uint32_t pal[] = { 0xff77aaddu, 0xffee8866u, 0xffeedd88u, 0xffffaabbu,
                                    0xff99ddffu, 0xff44bb99u, 0xffbbcc33u, 0xffaaaa00u };
    return pal[unit % (sizeof pal / sizeof pal[0])];
}

static const uint32_t rdr_fut_cols[RDR_FK__COUNT] = {
    [RDR_FK_PENDING] = RDR_COL_FUT_PENDING,
    [RDR_FK_RUNNING] = RDR_COL_FUT_RUNNING,
    [RDR_FK_DONE] = RDR_COL_FUT_DONE,
    [RDR_FK_CANCELLED] = RDR_COL_FUT_CANCELLED,
    [RDR_FK_FAILED] = RDR_COL_FUT_FAILED,
};

uint32_t rdr_future_color(unsigned key) {
    return key < RDR_FK__COUNT ? rdr_fut_cols[key] : 0xffff00ffu;
}

uint32_t rdr_flow_color(unsigned kind) {
    switch (kind) {
    case TRC_FLOW_ITEM: return RDR_COL_FLOW_ITEM;
    case TRC_FLOW_HANDOFF: return RDR_COL_FLOW_HAND;
    case TRC_FLOW_SPAWN: return 0xff9be39bu;      /* green, dashed */
    case TRC_FLOW_JOIN: return 0xffb4bcd8u;       /* grey-blue, dashed */
    case TRC_FLOW_SUBMIT: return 0xffe8b85au;     /* amber: into the queue */
    case TRC_FLOW_TASK: return 0xff6fb0f0u;       /* blue: the run */
    case TRC_FLOW_CALLBACK: return 0xff3fcf8eu;   /* green, dashed */
    case TRC_FLOW_RESULT: return 0xff8ff0c4u;     /* mint: the outcome handed over */
    case TRC_FLOW_MESSAGE: return 0xfff0a04bu;    /* orange: bytes through a pipe */
    case TRC_FLOW_REQUEST: return 0xffc59af0u;    /* violet: a manager's request ... */
    case TRC_FLOW_REPLY: return 0xffe2c8ffu;      /* ... and its reply */
    case TRC_FLOW_SIGNAL: return RDR_COL_ALERT;   /* a signal that killed */
    default: return RDR_COL_FLOW_WAKE;            /* notify, set, barrier */
    }
}

bool rdr_flow_dashed(unsigned kind) {
    return kind == TRC_FLOW_SPAWN || kind == TRC_FLOW_JOIN || kind == TRC_FLOW_CALLBACK;
}

static const rdr_theme rdr_themes[RDR_THEME__COUNT] = {
    [RDR_THEME_DARK] = {
        .bg = RDR_COL_BG, .lane = RDR_COL_LANE, .lane_alt = RDR_COL_LANE_ALT, .panel = RDR_COL_PANEL,
        .text = RDR_COL_TEXT, .text_dim = RDR_COL_TEXT_DIM, .grid = RDR_COL_GRID, .playhead = RDR_COL_PLAYHEAD,
        .playhead_text = 0xff111318u, .tick = 0xff7a808cu, .tick_minor = 0xff4a505cu, .capacity = RDR_COL_CAPACITY,
        .mark = RDR_COL_MARK, .label_bg = 0xd0101216u, .tip_bg = 0xff272a32u, .tip_border = 0xff5a606cu,
        .tag_bg = 0xff3a3f4au, .alert = RDR_COL_ALERT, .alert_bg = 0xff3a1d1fu, .note_bg = 0xff2e2a1cu,
        .sel = 0xfff2f2f2u, .match = 0xffe69f00u, .scroll = 0xff4a505cu, .on_pastel = 0xff111318u,
        .hover_line = 0x60ffffffu, .queue = RDR_COL_QUEUE, .queue_edge = RDR_COL_QUEUE_EDGE,
    },
    [RDR_THEME_LIGHT] = {
        .bg = 0xfff7f7f4u, .lane = 0xffffffffu, .lane_alt = 0xfff1f2f4u, .panel = 0xffe6e8ecu,
        .text = 0xff1d2027u, .text_dim = 0xff5c626eu, .grid = 0xffd3d6dcu, .playhead = 0xff1d2027u,
        .playhead_text = 0xfff7f7f4u, .tick = 0xff7a808cu, .tick_minor = 0xffb4b8c0u, .capacity = 0xff30343cu,
        .mark = 0xff8a6d00u, .label_bg = 0xe0ffffffu, .tip_bg = 0xfffdfdfbu, .tip_border = 0xff9aa0acu,
        .tag_bg = 0xffd0d4dau, .alert = 0xffc8321eu, .alert_bg = 0xfffbe2dcu, .note_bg = 0xfffaf0d0u,
        .sel = 0xff1d2027u, .match = 0xffd55e00u, .scroll = 0xffa8adb6u, .on_pastel = 0xff111318u,
        .hover_line = 0x60000000u, .queue = 0xffa56cc8u, .queue_edge = 0xff6a3a8cu,
    },
};

const rdr_theme *rdr_theme_of(int id) {
    return &rdr_themes[id >= 0 && id < RDR_THEME__COUNT ? id : 0];
}
