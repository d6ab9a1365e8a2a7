/* The SDL2 backend: executes draw lists with SDL_Renderer, text with SDL2_ttf.
 *
 * DESIGN
 *  - One thread: everything here runs on the thread that calls rdr_view_run /
 *    rdr_render_rgba. The view model and the draw list know nothing of SDL;
 *    this file only translates SDL input to rdr_event and rdr_cmd to SDL calls.
 *  - Text: each (font, colour, string) is rasterised once with
 *    TTF_RenderUTF8_Blended into a texture kept in a small LRU cache; a frame
 *    only blits. Labels repeat from frame to frame (names, tick labels), so the
 *    cache hits almost always; when it is full the entries unused for longest
 *    are dropped.
 *  - Headless (screenshots, tests): SDL_CreateSoftwareRenderer on a surface
 *    that wraps the caller's pixel buffer; no video subsystem, no display.
 *  - Interactive: the loop sleeps in SDL_WaitEventTimeout while nothing moves
 *    and redraws at the display rate (vsync, or ~60 Hz) while playing.
 */
#include "render/rdr_internal.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

//~ fonts

static bool rdr_file_exists(const char *p) {
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Depth-limited search for a file called `name` under dir. */
static bool rdr_find_file(const char *dir, const char *name, int depth, char *out, size_t cap) {
    if (depth < 0) return false;
    DIR *dp = opendir(dir);
    if (!dp) return false;
    struct dirent *de;
    bool found = false;
    char path[1024];
    while (!found && (de = readdir(dp))) {
        if (de->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (strcmp(de->d_name, name) == 0 && rdr_file_exists(path)) {
            snprintf(out, cap, "%s", path);
            found = true;
        }
    }
    if (!found) {
        rewinddir(dp);
        while (!found && (de = readdir(dp))) {
            if (de->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            struct stat st;
            if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) found = rdr_find_file(path, name, depth - 1, out, cap);
        }
    }
    closedir(dp);
    return found;
}

static int rdr_font_paths(const char *want, char *reg, char *bold, size_t cap, diag *d) {
    bold[0] = 0;
    const char *env = getenv("WEFT_FONT");
    if (want && *want) {
        if (!rdr_file_exists(want)) return diag_set(d, ERR_IO, "font '%s' not found", want);
        snprintf(reg, cap, "%s", want);
    } else if (env && *env) {
        if (!rdr_file_exists(env)) return diag_set(d, ERR_IO, "font '%s' (from $WEFT_FONT) not found", env);
        snprintf(reg, cap, "%s", env);
    } else {
        static const char *known[] = {
            "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
            "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
            "/usr/share/fonts/dejavu/DejaVuSansMono.ttf",
            "/usr/share/fonts/dejavu-sans-mono-fonts/DejaVuSansMono.ttf",
        };
        reg[0] = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !reg[0]; i++)
            if (rdr_file_exists(known[i])) snprintf(reg, cap, "%s", known[i]);
        if (!reg[0] && !rdr_find_file("/usr/share/fonts", "DejaVuSansMono.ttf", 4, reg, cap) &&
            !rdr_find_file("/usr/share/fonts", "DejaVuSans.ttf", 4, reg, cap))
            return diag_set(d, ERR_IO, "no font found: install fonts-dejavu-core or set WEFT_FONT to a .ttf file");
    }
    /* the bold face next to it, if it follows the DejaVu naming */
    size_t n = strlen(reg);
    if (n > 4 && strcmp(reg + n - 4, ".ttf") == 0 && n + 6 < cap) {
        snprintf(bold, cap, "%.*s-Bold.ttf", (int)(n - 4), reg);
        if (!rdr_file_exists(bold)) bold[0] = 0;
    }
    return 0;
}

//~ text cache

enum { RDR_TEX_CAP = 1024, RDR_TEX_SLOTS = 2048 };

typedef struct rdr_tex {
    uint64_t hash;
    uint32_t color;
    uint8_t font;
    uint16_t len;
    char *s;
    SDL_Texture *tex;
    int w, h;
    uint64_t used;              /* frame number of the last use */
} rdr_tex;

typedef struct rdr_sdl {
    SDL_Renderer *r;
    TTF_Font *font[2];
    TTF_Font *fallback;            /* a CJK font, for the glyphs the main one lacks (NULL: none found) */
    double scale;                  /* pixels per layout unit (hi-dpi windows, --scale screenshots) */
    rdr_tex tex[RDR_TEX_CAP];
    uint32_t ntex;
    int32_t slot[RDR_TEX_SLOTS];   /* open addressing: index into tex, -1 empty */
    uint64_t frame;
    size_t rasterised;             /* textures made so far: tests check the cache works */
    SDL_Rect *rects; size_t cap_rects;
    uint32_t color; bool blend, have_color;   /* the renderer's draw state */
    bool software;                 /* SDL's software renderer: see the fill note in rdr_sdl_exec */
} rdr_sdl;

/* Fonts for the scripts the main font lacks (Chinese, Japanese, Korean): the
 * first one found, glyph by glyph (fonts-wqy-microhei is what tools/setup.sh
 * installs; fonts-noto-cjk works too). $WEFT_FONT_FALLBACK overrides. */
static bool rdr_fallback_path(char *out, size_t cap) {
    const char *env = getenv("WEFT_FONT_FALLBACK");
    if (env) {
        if (!*env || !rdr_file_exists(env)) return false;   /* set empty: no fallback (tests) */
        snprintf(out, cap, "%s", env);
        return true;
    }
    static const char *known[] = {
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (rdr_file_exists(known[i])) { snprintf(out, cap, "%s", known[i]); return true; }
    return rdr_find_file("/usr/share/fonts", "wqy-microhei.ttc", 4, out, cap) ||
           rdr_find_file("/usr/share/fonts", "NotoSansCJK-Regular.ttc", 4, out, cap);
}

/* UTF-8 -> the next code point (U+FFFD for a broken byte); advances *i. */
static uint32_t rdr_utf8_next(const char *s, size_t len, size_t *i) {
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = len - *i;
    uint32_t c = p[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!n || n > left) { (*i)++; return 0xfffd; }
    if (n == 1) { (*i)++; return c; }
    c &= 0x7f >> n;
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80) { (*i)++; return 0xfffd; }
        c = c << 6 | (p[k] & 0x3f);
    }
    *i += n;
    return c;
}

/* Which font draws code point c: the main one if it has the glyph, else the
 * fallback if it has it, else the main one (its missing-glyph box). */
static TTF_Font *rdr_font_for(const rdr_sdl *b, TTF_Font *main_font, uint32_t c) {
    if (!b->fallback || c < 0x80 || TTF_GlyphIsProvided32(main_font, c)) return main_font;
    return TTF_GlyphIsProvided32(b->fallback, c) ? b->fallback : main_font;
}

/* Splits s into runs drawn by one font each; calls fn for each. */
typedef void (*rdr_run_fn)(void *ud, TTF_Font *f, const char *s, size_t len);
static void rdr_font_runs(const rdr_sdl *b, TTF_Font *main_font, const char *s, size_t len, rdr_run_fn fn, void *ud) {
    size_t i = 0, start = 0;
    TTF_Font *cur = NULL;
    while (i < len) {
        size_t at = i;
        TTF_Font *f = rdr_font_for(b, main_font, rdr_utf8_next(s, len, &i));
        if (cur && f != cur) { fn(ud, cur, s + start, at - start); start = at; }
        cur = f;
    }
    if (cur && len > start) fn(ud, cur, s + start, len - start);
}

static uint64_t rdr_tex_hash(int font, uint32_t color, const char *s, size_t len) {
    return fnv1a64(s, len) ^ ((uint64_t)color << 8 | (uint64_t)font) * 0x9e3779b97f4a7c15ull;
}

static void rdr_tex_reindex(rdr_sdl *b) {
    memset(b->slot, 0xff, sizeof b->slot);
    for (uint32_t i = 0; i < b->ntex; i++) {
        size_t s = b->tex[i].hash & (RDR_TEX_SLOTS - 1);
        while (b->slot[s] >= 0) s = (s + 1) & (RDR_TEX_SLOTS - 1);
        b->slot[s] = (int32_t)i;
    }
}

static int rdr_tex_cmp_used(const void *a, const void *c) {
    const rdr_tex *x = a, *y = c;
    return x->used > y->used ? -1 : x->used < y->used;   /* most recent first */
}

/* Drops the least recently used half. */
static void rdr_tex_evict(rdr_sdl *b) {
    qsort(b->tex, b->ntex, sizeof b->tex[0], rdr_tex_cmp_used);
    uint32_t keep = b->ntex / 2;
    for (uint32_t i = keep; i < b->ntex; i++) {
        SDL_DestroyTexture(b->tex[i].tex);
        free(b->tex[i].s);
    }
    b->ntex = keep;
    rdr_tex_reindex(b);
}

typedef struct rdr_runs_acc { const rdr_sdl *b; TTF_Font *main; SDL_Color c; SDL_Surface *part[64]; int y[64]; int n; bool fail; } rdr_runs_acc;
static void rdr_render_run(void *ud, TTF_Font *f, const char *s, size_t len) {
    rdr_runs_acc *a = ud;
    if (a->n >= 64) { a->fail = true; return; }
    char *z = xmalloc(len + 1);
    memcpy(z, s, len);
    z[len] = 0;
    SDL_Surface *p = TTF_RenderUTF8_Blended(f, z, a->c);
    free(z);
    if (!p) { a->fail = true; return; }
    a->y[a->n] = TTF_FontAscent(a->main) - TTF_FontAscent(f);   /* one baseline */
    a->part[a->n++] = p;
}

/* Text in one surface, each run in the font that has its glyphs. */
static SDL_Surface *rdr_render_runs(const rdr_sdl *b, TTF_Font *f, const char *z, size_t len, uint32_t color) {
    SDL_Color c = { (uint8_t)(color >> 16), (uint8_t)(color >> 8), (uint8_t)color, 255 };
    rdr_runs_acc a = { .b = b, .main = f, .c = c };
    rdr_font_runs(b, f, z, len, rdr_render_run, &a);
    SDL_Surface *out = NULL;
    if (a.n == 1 && !a.fail && a.y[0] == 0) return a.part[0];
    if (!a.fail && a.n > 0) {
        int w = 0, h = TTF_FontHeight(f);
        for (int i = 0; i < a.n; i++) {
            w += a.part[i]->w;
            if (a.y[i] + a.part[i]->h > h) h = a.y[i] + a.part[i]->h;
        }
        out = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
        if (out) {
            SDL_FillRect(out, NULL, 0);
            int x = 0;
            for (int i = 0; i < a.n; i++) {
                SDL_SetSurfaceBlendMode(a.part[i], SDL_BLENDMODE_NONE);   /* copy, runs do not overlap */
                SDL_BlitSurface(a.part[i], NULL, out, &(SDL_Rect){ x, a.y[i] > 0 ? a.y[i] : 0, a.part[i]->w, a.part[i]->h });
                x += a.part[i]->w;
            }
            SDL_SetSurfaceBlendMode(out, SDL_BLENDMODE_BLEND);
        }
    }
    for (int i = 0; i < a.n; i++) SDL_FreeSurface(a.part[i]);
    return out;
}

static const rdr_tex *rdr_tex_get(rdr_sdl *b, int font, uint32_t color, const char *s, size_t len) {
    uint64_t h = rdr_tex_hash(font, color, s, len);
    size_t at = h & (RDR_TEX_SLOTS - 1);
    for (; b->slot[at] >= 0; at = (at + 1) & (RDR_TEX_SLOTS - 1)) {
        rdr_tex *t = &b->tex[b->slot[at]];
        if (t->hash == h && t->color == color && t->font == font && t->len == len && memcmp(t->s, s, len) == 0) {
            t->used = b->frame;
            return t;
        }
    }
    TTF_Font *f = b->font[font ? 1 : 0];
    char *z = xmalloc(len + 1);
    memcpy(z, s, len);
    z[len] = 0;
    SDL_Surface *surf = rdr_render_runs(b, f, z, len, color);
    if (!surf) { free(z); return NULL; }
    SDL_Texture *tex = SDL_CreateTextureFromSurface(b->r, surf);
    int w = surf->w, hh = surf->h;
    SDL_FreeSurface(surf);
    if (!tex) { free(z); return NULL; }
    if ((color >> 24) != 0xff) SDL_SetTextureAlphaMod(tex, (uint8_t)(color >> 24));
    b->rasterised++;
    if (b->ntex == RDR_TEX_CAP) rdr_tex_evict(b);
    rdr_tex *t = &b->tex[b->ntex];
    *t = (rdr_tex){ .hash = h, .color = color, .font = (uint8_t)font, .len = (uint16_t)len, .s = z, .tex = tex,
                    .w = w, .h = hh, .used = b->frame };
    at = h & (RDR_TEX_SLOTS - 1);
    while (b->slot[at] >= 0) at = (at + 1) & (RDR_TEX_SLOTS - 1);
    b->slot[at] = (int32_t)b->ntex++;
    return t;
}

typedef struct rdr_measure_acc { int w; } rdr_measure_acc;
static void rdr_measure_run(void *ud, TTF_Font *f, const char *s, size_t len) {
    rdr_measure_acc *a = ud;
    char tmp[512];
    if (len >= sizeof tmp) len = sizeof tmp - 1;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    int w = 0, h = 0;
    a->w += TTF_SizeUTF8(f, tmp, &w, &h) == 0 ? w : (int)len * RDR_CHAR_W;
}

static int rdr_sdl_measure(void *ud, int font, const char *s, size_t len) {
    rdr_sdl *b = ud;
    rdr_measure_acc a = { 0 };
    rdr_font_runs(b, b->font[font ? 1 : 0], s, len, rdr_measure_run, &a);
    return b->scale != 1 ? (int)ceil(a.w / b->scale) : a.w;
}

//~ backend

static int rdr_sdl_open(rdr_sdl *b, SDL_Renderer *r, const char *font_path, double scale, diag *d) {
    memset(b, 0, sizeof *b);
    memset(b->slot, 0xff, sizeof b->slot);
    b->r = r;
    b->scale = scale > 0 ? scale : 1;
    if (b->scale != 1) SDL_RenderSetScale(r, (float)b->scale, (float)b->scale);
    int px = (int)lround(RDR_FONT_PX * b->scale);
    SDL_RendererInfo info;
    b->software = SDL_GetRendererInfo(r, &info) == 0 && info.name && strcmp(info.name, "software") == 0;
    char reg[1024], bold[1024];
    int rc = rdr_font_paths(font_path, reg, bold, sizeof reg, d);
    if (rc) return rc;
    if (TTF_Init() != 0) return diag_set(d, ERR_RUNTIME, "cannot start SDL_ttf: %s", TTF_GetError());
    b->font[0] = TTF_OpenFont(reg, px);
    if (!b->font[0]) {
        rc = diag_set(d, ERR_IO, "cannot open font '%s': %s", reg, TTF_GetError());
        TTF_Quit();
        return rc;
    }
    b->font[1] = bold[0] ? TTF_OpenFont(bold, px) : NULL;
    if (!b->font[1]) {
        b->font[1] = TTF_OpenFont(reg, px);
        if (b->font[1]) TTF_SetFontStyle(b->font[1], TTF_STYLE_BOLD);
        else b->font[1] = b->font[0];
    }
    TTF_SetFontHinting(b->font[0], TTF_HINTING_LIGHT);
    if (b->font[1] != b->font[0]) TTF_SetFontHinting(b->font[1], TTF_HINTING_LIGHT);
    char fb[1024];
    if (rdr_fallback_path(fb, sizeof fb)) b->fallback = TTF_OpenFont(fb, px);   /* none: boxes, not an error */
    return 0;
}

static void rdr_sdl_close(rdr_sdl *b) {
    for (uint32_t i = 0; i < b->ntex; i++) {
        SDL_DestroyTexture(b->tex[i].tex);
        free(b->tex[i].s);
    }
    b->ntex = 0;
    if (b->fallback) TTF_CloseFont(b->fallback);
    if (b->font[1] && b->font[1] != b->font[0]) TTF_CloseFont(b->font[1]);
    if (b->font[0]) { TTF_CloseFont(b->font[0]); TTF_Quit(); }
    free(b->rects);
    memset(b, 0, sizeof *b);
}

static rdr_text_metrics rdr_sdl_metrics(rdr_sdl *b) {
    return (rdr_text_metrics){ .measure = rdr_sdl_measure, .ud = b,
                               .line_h = (int)ceil(TTF_FontHeight(b->font[0]) / b->scale) };
}

/* Sets the draw colour, skipping calls that change nothing (each one costs a
 * command in SDL's queue). */
static void rdr_sdl_color(rdr_sdl *b, uint32_t c) {
    if (b->have_color && b->color == c) return;
    uint8_t a = (uint8_t)(c >> 24);
    bool blend = a != 0xff;
    if (!b->have_color || blend != b->blend) SDL_SetRenderDrawBlendMode(b->r, blend ? SDL_BLENDMODE_BLEND : SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(b->r, (uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c, a);
    b->color = c;
    b->blend = blend;
    b->have_color = true;
}

static void rdr_sdl_exec(rdr_sdl *b, const rdr_drawlist *dl) {
    SDL_Renderer *r = b->r;
    b->frame++;
    b->have_color = false;
    SDL_RenderSetClipRect(r, NULL);
    for (size_t i = 0; i < dl->n;) {
        const rdr_cmd *c = &dl->cmds[i];
        switch (c->kind) {
        case RDR_CMD_RECT: {
            /* batch a run of rects of one colour */
            size_t j = i, nr = 0;
            bool slice = b->software && (c->color >> 24) == 0xff;
            while (j < dl->n && dl->cmds[j].kind == RDR_CMD_RECT && dl->cmds[j].color == c->color) {
                const rdr_cmd *q = &dl->cmds[j++];
                if (slice && q->w >= 16 && q->w < 256) {
                    /* SDL's software fill writes rows of 64+ bytes with
                     * non-temporal stores, which cost ~200 ns per short row;
                     * strips under 16 px take its plain loop: ~15x faster for
                     * the medium-width spans that lanes are made of */
                    ARR_GROW(b->rects, nr + (size_t)q->w / 15 + 1, b->cap_rects);
                    for (int x = 0; x < q->w; x += 15)
                        b->rects[nr++] = (SDL_Rect){ q->x + x, q->y, q->w - x < 15 ? q->w - x : 15, q->h };
                } else {
                    ARR_GROW(b->rects, nr + 1, b->cap_rects);
                    b->rects[nr++] = (SDL_Rect){ q->x, q->y, q->w, q->h };
                }
            }
            rdr_sdl_color(b, c->color);
            SDL_RenderFillRects(r, b->rects, (int)nr);
            i = j;
            continue;
        }
        case RDR_CMD_LINE:
            rdr_sdl_color(b, c->color);
            SDL_RenderDrawLine(r, c->x, c->y, c->x + c->w, c->y + c->h);
            break;
        case RDR_CMD_TEXT: {
            const rdr_tex *t = rdr_tex_get(b, c->font, c->color, dl->text + c->text, c->len);
            if (t && b->scale != 1)   /* the texture is at device pixels: one texel per pixel */
                SDL_RenderCopyF(r, t->tex, NULL, &(SDL_FRect){ (float)c->x, (float)c->y, (float)(t->w / b->scale),
                                                                (float)(t->h / b->scale) });
            else if (t) SDL_RenderCopy(r, t->tex, NULL, &(SDL_Rect){ c->x, c->y, t->w, t->h });
            break;
        }
        case RDR_CMD_CLIP:
            if (c->w > 0 && c->h > 0) SDL_RenderSetClipRect(r, &(SDL_Rect){ c->x, c->y, c->w, c->h });
            else SDL_RenderSetClipRect(r, NULL);
            break;
        default: break;
        }
        i++;
    }
    SDL_RenderSetClipRect(r, NULL);
}

//~ headless

struct rdr_canvas {
    int w, h;                   /* layout units */
    int pw, ph;                 /* pixels (w, h times the scale) */
    uint32_t *px;
    SDL_Surface *surf;
    SDL_Renderer *r;
    rdr_sdl *b;
    rdr_text_metrics tm;
    rdr_drawlist dl;
};

void rdr_canvas_close(rdr_canvas *c) {
    if (!c) return;
    rdr_drawlist_free(&c->dl);
    if (c->b) { rdr_sdl_close(c->b); free(c->b); }
    if (c->r) SDL_DestroyRenderer(c->r);
    if (c->surf) SDL_FreeSurface(c->surf);
    free(c->px);
    free(c);
}

int rdr_canvas_open_scaled(rdr_canvas **out, int width, int height, double scale, const char *font_path, diag *d) {
    *out = NULL;
    if (!(scale > 0)) scale = 1;
    if (scale > 4) return diag_set(d, ERR_USAGE, "scale %g out of range (at most 4)", scale);
    int pw = (int)lround(width * scale), ph = (int)lround(height * scale);
    if (width <= 0 || height <= 0 || pw > 16384 || ph > 16384)
        return diag_set(d, ERR_USAGE, "bad canvas size %dx%d", width, height);
    rdr_canvas *c = xcalloc(1, sizeof *c);
    int rc;
    c->w = width;
    c->h = height;
    c->pw = pw;
    c->ph = ph;
    c->px = calloc((size_t)pw * (size_t)ph, sizeof *c->px);
    if (!c->px) { rc = diag_set(d, ERR_NOMEM, "no memory for a %dx%d canvas", pw, ph); goto fail; }
    c->surf = SDL_CreateRGBSurfaceWithFormatFrom(c->px, pw, ph, 32, pw * 4, SDL_PIXELFORMAT_ARGB8888);
    c->r = c->surf ? SDL_CreateSoftwareRenderer(c->surf) : NULL;
    if (!c->r) { rc = diag_set(d, ERR_RUNTIME, "cannot create a software renderer: %s", SDL_GetError()); goto fail; }
    c->b = xcalloc(1, sizeof *c->b);
    rc = rdr_sdl_open(c->b, c->r, font_path, scale, d);
    if (rc) { free(c->b); c->b = NULL; goto fail; }
    c->tm = rdr_sdl_metrics(c->b);
    *out = c;
    return 0;
fail:
    rdr_canvas_close(c);
    return rc;
}

int rdr_canvas_open(rdr_canvas **out, int width, int height, const char *font_path, diag *d) {
    return rdr_canvas_open_scaled(out, width, height, 1, font_path, d);
}

const rdr_text_metrics *rdr_canvas_metrics(rdr_canvas *c) { return &c->tm; }

void rdr_canvas_submit(rdr_canvas *c, const rdr_drawlist *dl) {
    rdr_sdl_exec(c->b, dl);
    SDL_RenderFlush(c->r);
}

void rdr_canvas_frame(rdr_canvas *c, rdr_view *v) {
    if (v->lay.width != c->w || v->lay.height != c->h) rdr_view_resize(v, c->w, c->h);
    rdr_build(v, &c->dl, &c->tm);
    rdr_canvas_submit(c, &c->dl);
}

const uint32_t *rdr_canvas_pixels(const rdr_canvas *c) { return c->px; }
void rdr_canvas_size(const rdr_canvas *c, int *pw, int *ph) { *pw = c->pw; *ph = c->ph; }
size_t rdr_canvas_rasterised(const rdr_canvas *c) { return c->b->rasterised; }

int rdr_render_rgba(const rdr_view_desc *desc, uint32_t *pixels, diag *d) {
    rdr_view v;
    int rc = rdr_view_init(&v, desc, d);
    if (rc) return rc;
    rdr_canvas *c;
    rc = rdr_canvas_open(&c, v.lay.width, v.lay.height, desc->font_path, d);
    if (!rc) {
        rdr_canvas_frame(c, &v);
        memcpy(pixels, c->px, sizeof *pixels * (size_t)c->w * (size_t)c->h);
        rdr_canvas_close(c);
    }
    rdr_view_release(&v);
    return rc;
}

int rdr_screenshot(const rdr_view_desc *desc, const char *png_path, diag *d) {
    rdr_view v;
    int rc = rdr_view_init(&v, desc, d);
    if (rc) return rc;
    rdr_canvas *c;
    rc = rdr_canvas_open_scaled(&c, v.lay.width, v.lay.height, desc->scale, desc->font_path, d);
    if (!rc) {
        rdr_canvas_frame(c, &v);
        rc = rdr_png_write(png_path, c->px, c->pw, c->ph, RDR_PNG_FAST, d);
        rdr_canvas_close(c);
    }
    rdr_view_release(&v);
    return rc;
}

int rdr_frames(const rdr_view_desc *desc, const rdr_frames_desc *fd, diag *d) {
    if (!fd || !fd->frame || !(fd->fps >= 1 && fd->fps <= 240))
        return diag_set(d, ERR_USAGE, "frames: fps %g out of range (1..240)", fd ? fd->fps : 0.0);
    rdr_view_desc vd = *desc;
    vd.play = true;
    if (vd.at < 0 && !vd.at_is_ns) vd.at = 0;   /* the animation starts at the start */
    rdr_view v;
    int rc = rdr_view_init(&v, &vd, d);
    if (rc) return rc;
    v.playing = v.playhead < (double)v.total;
    rdr_canvas *c;
    rc = rdr_canvas_open_scaled(&c, v.lay.width, v.lay.height, desc->scale, desc->font_path, d);
    if (rc) { rdr_view_release(&v); return rc; }
    uint32_t max = fd->max_frames ? fd->max_frames : 36000;
    uint32_t hold = (uint32_t)lround((fd->hold_s > 0 ? fd->hold_s : 1.0) * fd->fps), held = 0, n = 0;
    for (; n < max && held <= hold && !rc; n++) {
        rdr_canvas_frame(c, &v);
        rc = fd->frame(fd->ud, c->px, c->pw, c->ph, n, d);
        if (!v.playing) held++;
        rdr_view_tick(&v, 1.0 / fd->fps);
    }
    if (!rc && n >= max && held <= hold)
        rc = diag_set(d, ERR_LIMIT, "frames: stopped at %u frames (raise the speed or lower the fps)", max);
    rdr_canvas_close(c);
    rdr_view_release(&v);
    return rc;
}

//~ interactive

static bool rdr_sdl_key(const SDL_KeyboardEvent *k, rdr_event *ev) {
    SDL_Keycode s = k->keysym.sym;
    uint16_t m = k->keysym.mod;
    ev->kind = RDR_EV_KEY;
    ev->mods = (uint8_t)(((m & KMOD_SHIFT) ? RDR_MOD_SHIFT : 0) | ((m & (KMOD_CTRL | KMOD_GUI)) ? RDR_MOD_CTRL : 0));
    switch (s) {
    case SDLK_SPACE: ev->key = RDR_KEY_SPACE; break;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: ev->key = RDR_KEY_PLUS; break;
    case SDLK_MINUS: case SDLK_UNDERSCORE: case SDLK_KP_MINUS: ev->key = RDR_KEY_MINUS; break;
    case SDLK_HOME: ev->key = RDR_KEY_HOME; break;
    case SDLK_END: ev->key = RDR_KEY_END; break;
    case SDLK_LEFT: ev->key = RDR_KEY_LEFT; break;
    case SDLK_RIGHT: ev->key = RDR_KEY_RIGHT; break;
    case SDLK_UP: ev->key = RDR_KEY_UP; break;
    case SDLK_DOWN: ev->key = RDR_KEY_DOWN; break;
    case SDLK_PAGEUP: ev->key = RDR_KEY_PGUP; break;
    case SDLK_PAGEDOWN: ev->key = RDR_KEY_PGDN; break;
    case SDLK_ESCAPE: ev->key = RDR_KEY_ESC; break;
    case SDLK_RETURN: case SDLK_KP_ENTER: ev->key = RDR_KEY_ENTER; break;
    case SDLK_BACKSPACE: ev->key = RDR_KEY_BACKSPACE; break;
    case SDLK_TAB: ev->key = RDR_KEY_TAB; break;
    case SDLK_F1: ev->key = RDR_KEY_F1; break;
    case SDLK_SLASH: ev->key = RDR_KEY_CHAR; ev->ch = (m & KMOD_SHIFT) ? '?' : '/'; break;
    case SDLK_QUESTION: ev->key = RDR_KEY_CHAR; ev->ch = '?'; break;
    default:
        if ((s >= SDLK_a && s <= SDLK_z) || (s >= SDLK_0 && s <= SDLK_9)) {
            ev->key = RDR_KEY_CHAR;
            ev->ch = (uint32_t)s;
            break;
        }
        return false;
    }
    return true;
}

/* SDL event -> rdr_event; false if it means nothing to the view. Mouse
 * positions are in window points, which is what the layout is in. */
static bool rdr_sdl_translate(const SDL_Event *e, SDL_Window *win, rdr_event *ev) {
    memset(ev, 0, sizeof *ev);
    SDL_Keymod km = SDL_GetModState();
    ev->mods = (uint8_t)(((km & KMOD_SHIFT) ? RDR_MOD_SHIFT : 0) | ((km & (KMOD_CTRL | KMOD_GUI)) ? RDR_MOD_CTRL : 0));
    switch (e->type) {
    case SDL_QUIT: ev->kind = RDR_EV_QUIT; return true;
    case SDL_KEYDOWN: return rdr_sdl_key(&e->key, ev);
    case SDL_TEXTINPUT:
        ev->kind = RDR_EV_TEXT;
        snprintf(ev->text, sizeof ev->text, "%s", e->text.text);
        return true;
    case SDL_MOUSEMOTION: ev->kind = RDR_EV_MOVE; ev->x = e->motion.x; ev->y = e->motion.y; return true;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
        ev->kind = e->type == SDL_MOUSEBUTTONDOWN ? RDR_EV_DOWN : RDR_EV_UP;
        ev->x = e->button.x; ev->y = e->button.y;
        ev->button = e->button.button == SDL_BUTTON_LEFT ? 1 : e->button.button == SDL_BUTTON_RIGHT ? 2 : 3;
        return true;
    case SDL_MOUSEWHEEL: {
        ev->kind = RDR_EV_WHEEL;
        SDL_GetMouseState(&ev->x, &ev->y);
        double y = e->wheel.preciseY != 0 ? e->wheel.preciseY : e->wheel.y;
        if (e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED) y = -y;
        ev->wheel = y;
        return y != 0;
    }
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            ev->kind = RDR_EV_RESIZE;
            SDL_GetWindowSize(win, &ev->x, &ev->y);
            return true;
        }
        if (e->window.event == SDL_WINDOWEVENT_LEAVE) { ev->kind = RDR_EV_LEAVE; return true; }
        return false;
    default: return false;
    }
}

/* The loader thread: runs desc->load, then makes the view of what it loaded
 * and warms it (rdr_view_warm: the indexes the first frames would otherwise
 * build on the main thread, a long first frame on a big recording); the main
 * thread polls `done` each frame and joins it before reading what it made. */
typedef struct rdr_loader {
    rdr_view_desc *desc;
    rdr_view *v;
    const trc_model *models; uint32_t nmodels;
    int rc;
    diag d;
    _Atomic int done;
} rdr_loader;

static void *rdr_loader_main(void *arg) {
    rdr_loader *l = arg;
    diag_clear(&l->d);
    l->rc = l->desc->load(l->desc->load_ud, &l->models, &l->nmodels, &l->d);
    if (!l->rc) {
        l->desc->models = l->models;
        l->desc->nmodels = l->nmodels;
        l->rc = rdr_view_init(l->v, l->desc, &l->d);
        if (!l->rc) rdr_view_warm(l->v);
    }
    atomic_store(&l->done, 1);
    return NULL;
}

/* The loading screen (render/rdr_loading.c). */
static void rdr_loading_frame(rdr_sdl *b, int w, int h, const char *what, double secs) {
    rdr_drawlist dl = { 0 };
    rdr_text_metrics tm = rdr_sdl_metrics(b);
    rdr_loading_dl(&dl, &tm, w, h, what, secs);
    SDL_SetRenderDrawColor(b->r, 0, 0, 0, 255);
    SDL_RenderClear(b->r);
    rdr_sdl_exec(b, &dl);
    rdr_drawlist_free(&dl);
}

int rdr_view_run(const rdr_view_desc *desc_in, diag *d) {
    rdr_view v;
    memset(&v, 0, sizeof v);
    rdr_view_desc desc = *desc_in;
    int rc = 0;
    bool have_view = false;
    if (!desc.load) {
        rc = rdr_view_init(&v, &desc, d);
        if (rc) return rc;
        have_view = true;
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        rc = diag_set(d, ERR_RUNTIME, "cannot open a window: %s (no display? use --screenshot)", SDL_GetError());
        if (have_view) rdr_view_release(&v);
        return rc;
    }
    char title[256];
    snprintf(title, sizeof title, "weft \xe2\x80\x94 %s", have_view ? v.title : desc.load_what ? desc.load_what : "loading");
    int ww = desc.width > 0 ? desc.width : 1280, wh = desc.height > 0 ? desc.height : 720;
    SDL_Window *win = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, ww, wh,
                                       SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    SDL_Renderer *r = NULL;
    rdr_sdl *b = NULL;
    rdr_drawlist dl = { 0 };
    rdr_loader ld = { .desc = &desc, .v = &v };
    pthread_t th;
    bool loading = false;
    if (!win) {
        rc = diag_set(d, ERR_RUNTIME, "cannot open a window: %s", SDL_GetError());
        goto out;
    }
    r = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!r) r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        rc = diag_set(d, ERR_RUNTIME, "cannot create a renderer: %s", SDL_GetError());
        goto out;
    }
    SDL_RendererInfo info;
    bool vsync = SDL_GetRendererInfo(r, &info) == 0 && (info.flags & SDL_RENDERER_PRESENTVSYNC);
    /* hi-dpi: the layout is in window points, the renderer draws at device
     * pixels, text is rasterised at device pixels */
    int pw = ww, ph = wh;
    SDL_GetWindowSize(win, &ww, &wh);
    if (SDL_GetRendererOutputSize(r, &pw, &ph) != 0) { pw = ww; ph = wh; }
    double scale = ww > 0 && pw > ww ? (double)pw / ww : 1.0;
    b = xcalloc(1, sizeof *b);
    rc = rdr_sdl_open(b, r, desc.font_path, scale, d);
    if (rc) { free(b); b = NULL; goto out; }
    uint64_t freq = SDL_GetPerformanceFrequency(), last = SDL_GetPerformanceCounter(), t_open = last;
    if (desc.load) {   /* the window shows at once, with a progress bar, while the recording loads */
        desc.width = ww;   /* the view is made at the window's size (resized after if it changed) */
        desc.height = wh;
        if (pthread_create(&th, NULL, rdr_loader_main, &ld) != 0) {
            rc = diag_set(d, ERR_RUNTIME, "cannot start the loader thread");
            goto out;
        }
        loading = true;
        bool closed = false;
        while (!atomic_load(&ld.done)) {
            SDL_Event e;
            bool quit = false;
            while (SDL_PollEvent(&e)) quit |= e.type == SDL_QUIT || (e.type == SDL_KEYDOWN && (e.key.keysym.sym == SDLK_q || e.key.keysym.sym == SDLK_ESCAPE));
            if (quit) { closed = true; break; }   /* not v.quit: the loader is making v */
            SDL_GetWindowSize(win, &ww, &wh);
            rdr_loading_frame(b, ww, wh, desc.load_what, (double)(SDL_GetPerformanceCounter() - t_open) / (double)freq);
            SDL_RenderPresent(r);
            SDL_Delay(16);
        }
        pthread_join(th, NULL);   /* also when quitting early: the loader finishes, then everything is freed */
        loading = false;
        if (closed) {   /* closed while loading: nothing to show */
            if (!ld.rc) rdr_view_release(&v);
            rc = 0;
            goto out;
        }
        if (ld.rc) {
            rc = ld.rc;
            *d = ld.d;
            goto out;
        }
        have_view = true;   /* made and warmed by the loader */
        SDL_SetWindowTitle(win, title);
        snprintf(title, sizeof title, "weft \xe2\x80\x94 %s", v.title);
        SDL_SetWindowTitle(win, title);
    }
    SDL_GetWindowSize(win, &ww, &wh);
    rdr_view_resize(&v, ww, wh);
    rdr_text_metrics tm = rdr_sdl_metrics(b);
    bool dirty = true;
    last = SDL_GetPerformanceCounter();
    while (!v.quit) {
        SDL_Event e;
        rdr_event ev;
        if (!dirty && !v.playing && v.toast_s <= 0) {
            if (SDL_WaitEventTimeout(&e, 250)) {
                if (rdr_sdl_translate(&e, win, &ev)) rdr_view_event(&v, &ev);
                dirty = true;   /* exposure and the like redraw too */
            }
            last = SDL_GetPerformanceCounter();
        }
        while (SDL_PollEvent(&e)) {
            if (rdr_sdl_translate(&e, win, &ev)) rdr_view_event(&v, &ev);
            dirty = true;
        }
        uint64_t now = SDL_GetPerformanceCounter();
        double dt = (double)(now - last) / (double)freq;
        last = now;
        if (rdr_view_tick(&v, dt > 0.1 ? 0.1 : dt)) dirty = true;
        if (!dirty || v.quit) continue;
        uint64_t f0 = SDL_GetPerformanceCounter();
        rdr_build(&v, &dl, &tm);
        rdr_sdl_exec(b, &dl);
        v.frame_ms = (double)(SDL_GetPerformanceCounter() - f0) * 1000.0 / (double)freq;
        SDL_RenderPresent(r);
        dirty = false;
        if (!vsync && (v.playing || v.toast_s > 0)) {   /* ~60 Hz without vsync */
            double spent = (double)(SDL_GetPerformanceCounter() - now) / (double)freq;
            if (spent < 1.0 / 60) SDL_Delay((uint32_t)((1.0 / 60 - spent) * 1000));
        }
    }
out:
    if (loading) pthread_join(th, NULL);
    rdr_drawlist_free(&dl);
    if (b) { rdr_sdl_close(b); free(b); }
    if (r) SDL_DestroyRenderer(r);
    if (win) SDL_DestroyWindow(win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    if (have_view) rdr_view_release(&v);
    return rc;
}
