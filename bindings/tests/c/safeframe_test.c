/*
 * The C ABI, tested from C: every case of oracle-cases.json (flattened by oracle_cases.py), the
 * faulty models, in-place redaction, bad input and the thread-local last error.
 *
 *   safeframe_test ORACLE_DIR CASES_FILE
 *
 * Prints one line per failed check and a closing "C ABI: N passed, M failed" line.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safeframe.h"

static int passed, failed;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (cond) {                                        \
            passed++;                                      \
        } else {                                           \
            failed++;                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
        }                                                  \
    } while (0)

static const char *ACTIONS[] = {"allow", "warn", "blur", "block"};
static const char *CATEGORIES[] = {"drawing", "hentai", "neutral", "porn", "sexy"};
static const char *PRESETS[] = {"child", "teen", "adult"};

typedef struct {
    char name[128];
    int width, height;
    unsigned char quad[4][3]; /* top-left, top-right, bottom-left, bottom-right */
    float scores[5];
    char action[3][16], category[3][16];
} Case;

/* RGBA pixels of a case, rows `stride` bytes apart, padding bytes 0x5A. */
static unsigned char *image(const Case *c, size_t stride, size_t *len) {
    *len = stride * (size_t)(c->height - 1) + (size_t)c->width * 4;
    unsigned char *p = malloc(*len);
    memset(p, 0x5A, *len);
    for (int y = 0; y < c->height; y++)
        for (int x = 0; x < c->width; x++) {
            int q = (y < c->height / 2 ? 0 : 2) + (x < c->width / 2 ? 0 : 1);
            unsigned char *px = p + (size_t)y * stride + (size_t)x * 4;
            px[0] = c->quad[q][0];
            px[1] = c->quad[q][1];
            px[2] = c->quad[q][2];
            px[3] = 255;
        }
    return p;
}

static const char *category_name(int category) {
    return category == SAFEFRAME_CATEGORY_NONE ? "-" : CATEGORIES[category];
}

static const char *last_error(void) {
    const char *e = safeframe_last_error();
    return e ? e : "(none)";
}

static int read_quads(FILE *f, Case *c) {
    for (int q = 0; q < 4; q++)
        for (int k = 0; k < 3; k++) {
            int v;
            if (fscanf(f, "%d", &v) != 1) return 0;
            c->quad[q][k] = (unsigned char)v;
        }
    return 1;
}

static void oracle_case(SafeFrameNativeFilter *filters[3], const Case *c, float tolerance) {
    size_t stride = (size_t)c->width * 4 + 8, len;
    for (int p = 0; p < 3; p++) {
        unsigned char *pixels = image(c, stride, &len);
        SafeFrameVerdict v;
        int status = safeframe_check(filters[p], pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &v);
        CHECK(status == SAFEFRAME_OK, "%s: check failed: %s", c->name, last_error());
        float diff = 0;
        for (int k = 0; k < 5; k++) diff = fmaxf(diff, fabsf(v.scores[k] - c->scores[k]));
        CHECK(diff <= tolerance, "%s: scores differ by %g", c->name, diff);
        CHECK(strcmp(ACTIONS[v.action], c->action[p]) == 0 && strcmp(category_name(v.category), c->category[p]) == 0,
              "%s under %s: got %s/%s, want %s/%s", c->name, PRESETS[p], ACTIONS[v.action], category_name(v.category),
              c->action[p], c->category[p]);
        /* In place: the same verdict, and a blocked frame is black and opaque, padding untouched. */
        SafeFrameVerdict w;
        status = safeframe_filter_in_place(filters[p], pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &w);
        CHECK(status == SAFEFRAME_OK && w.action == v.action && w.category == v.category, "%s: in place differs", c->name);
        if (w.action == SAFEFRAME_ACTION_BLOCK) {
            int ok = 1;
            for (int y = 0; y < c->height; y++)
                for (size_t x = 0; x < stride && (size_t)y * stride + x < len; x++) {
                    unsigned char b = pixels[(size_t)y * stride + x];
                    unsigned char want = x >= (size_t)c->width * 4 ? 0x5A : (x % 4 == 3 ? 255 : 0);
                    if (b != want) ok = 0;
                }
            CHECK(ok, "%s under %s: block did not fill exactly the pixels", c->name, PRESETS[p]);
        }
        free(pixels);
    }
}

static void faulty_case(const char *oracle_dir, const char *pack, const Case *c, const char *expect) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", oracle_dir, pack);
    SafeFrameNativeFilter *filter = safeframe_filter_new(dir, "adult", false, 1);
    if (!filter) {
        CHECK(strcmp(expect, "error") == 0, "%s/%s: load failed: %s", pack, c->name, last_error());
        return;
    }
    size_t len, stride = (size_t)c->width * 4;
    unsigned char *pixels = image(c, stride, &len);
    SafeFrameVerdict v;
    int status = safeframe_check(filter, pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &v);
    if (strcmp(expect, "ok") == 0) {
        CHECK(status == SAFEFRAME_OK, "%s/%s: %s", pack, c->name, last_error());
    } else {
        CHECK(status == SAFEFRAME_ERROR_INVALID_SCORES || status == SAFEFRAME_ERROR_INFERENCE,
              "%s/%s: status %d, want an error", pack, c->name, status);
        CHECK(strstr(last_error(), "model output rejected") != NULL || strstr(last_error(), "inference") != NULL,
              "%s/%s: last error `%s`", pack, c->name, last_error());
        /* Fail closed: even under the adult preset the frame is blocked before the error returns. */
        status = safeframe_filter_in_place(filter, pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &v);
        int black = 1;
        for (size_t i = 0; i < len; i++)
            if (pixels[i] != (i % 4 == 3 ? 255 : 0)) black = 0;
        CHECK(status != SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.category == SAFEFRAME_CATEGORY_NONE && black,
              "%s/%s: not blocked on error", pack, c->name);
    }
    free(pixels);
    safeframe_filter_free(filter);
}

static void bad_input(const char *oracle_dir) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/oracle", oracle_dir);
    CHECK(safeframe_filter_new(NULL, "child", false, 1) == NULL, "NULL pack_dir accepted");
    CHECK(strcmp(last_error(), "pack_dir is NULL") == 0, "last error `%s`", last_error());
    CHECK(safeframe_filter_new("/nonexistent/pack", "child", false, 1) == NULL, "missing pack accepted");
    CHECK(strstr(last_error(), "/nonexistent/pack") != NULL, "last error `%s`", last_error());
    CHECK(safeframe_filter_new(dir, "{\"rules\":[]}", false, 1) == NULL, "empty policy accepted");
    CHECK(strstr(last_error(), "policy: field `rules`") != NULL, "last error `%s`", last_error());
    CHECK(safeframe_filter_new(dir, "child", false, 0) == NULL, "0 threads accepted");
    CHECK(strstr(last_error(), "intra_threads") != NULL, "last error `%s`", last_error());
    CHECK(safeframe_filter_from_handle(12345678) == NULL, "forged handle accepted");
    /* Execution providers: the host's ONNX Runtime is CPU-only. */
    SafeFrameNativeFilter *ep = safeframe_filter_new_with_provider(dir, "child", false, 1, SAFEFRAME_EP_CPU, false);
    CHECK(ep != NULL, "CPU provider failed: %s", last_error());
    safeframe_filter_free(ep);
    CHECK(safeframe_filter_new_with_provider(dir, "child", false, 1, SAFEFRAME_EP_XNNPACK, false) == NULL &&
              strstr(last_error(), "execution provider XNNPACK is not available") != NULL,
          "XNNPACK: `%s`", last_error());
    CHECK(safeframe_filter_new_with_provider(dir, "child", false, 1, SAFEFRAME_EP_COREML, false) == NULL &&
              strstr(last_error(), "CoreML") != NULL,
          "CoreML: `%s`", last_error());
    ep = safeframe_filter_new_with_provider(dir, "child", false, 1, SAFEFRAME_EP_NNAPI, true);
    CHECK(ep != NULL, "NNAPI with CPU fallback failed: %s", last_error());
    safeframe_filter_free(ep);
    CHECK(safeframe_filter_new_with_provider(dir, "child", false, 1, 9, false) == NULL &&
              strstr(last_error(), "unknown execution provider 9") != NULL,
          "provider 9: `%s`", last_error());

    SafeFrameNativeFilter *filter = safeframe_filter_new(dir, "child", false, 1);
    CHECK(filter != NULL, "oracle did not load: %s", last_error());
    CHECK(safeframe_last_error() == NULL, "success left an error behind");
    unsigned char pixels[64 * 4];
    memset(pixels, 128, sizeof pixels);
    SafeFrameVerdict v;
    CHECK(safeframe_check(NULL, pixels, sizeof pixels, 8, 8, 32, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "NULL filter accepted");
    CHECK(strcmp(last_error(), "filter is NULL") == 0, "last error `%s`", last_error());
    CHECK(safeframe_check(filter, NULL, 256, 8, 8, 32, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "NULL pixels accepted");
    CHECK(safeframe_check(filter, pixels, 100, 8, 8, 32, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_ERROR_INVALID_FRAME,
          "short buffer accepted");
    CHECK(strstr(last_error(), "buffer of 100 bytes is too small") != NULL, "last error `%s`", last_error());
    CHECK(safeframe_filter_in_place(filter, pixels, sizeof pixels, 8, 8, 31, SAFEFRAME_FORMAT_RGBA8, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME,
          "short stride accepted");
    CHECK(strstr(last_error(), "row stride 31") != NULL, "last error `%s`", last_error());
    CHECK(safeframe_check(filter, pixels, sizeof pixels, 8, 8, 32, 99, &v) == SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "bad format accepted");
    CHECK(safeframe_check(filter, pixels, sizeof pixels, 0, 8, 32, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_ERROR_INVALID_FRAME,
          "zero width accepted");
    CHECK(safeframe_check(filter, pixels, sizeof pixels, 100000, 1, 400000, SAFEFRAME_FORMAT_RGBA8, &v) ==
              SAFEFRAME_ERROR_FRAME_TOO_LARGE,
          "huge frame accepted");
    CHECK(safeframe_check(filter, pixels, sizeof pixels, 8, 8, 32, SAFEFRAME_FORMAT_RGBA8, NULL) == SAFEFRAME_OK,
          "NULL verdict pointer refused: %s", last_error());
    CHECK(safeframe_last_error() == NULL, "success left an error behind");
    safeframe_filter_free(filter);
    safeframe_filter_free(NULL);
    CHECK(strlen(safeframe_version()) > 0, "empty version");
}

/* NV12 in two separate planes (a CVPixelBuffer's layout): red is blocked in place and stays
 * NV12 (Y 16, CbCr 128 in video range), padding untouched; grey passes byte-identical; bad
 * planes are errors with a message. */
static void nv12_planes(const char *oracle_dir) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/oracle", oracle_dir);
    SafeFrameNativeFilter *filter = safeframe_filter_new(dir, "child", false, 1);
    CHECK(filter != NULL, "oracle did not load: %s", last_error());
    if (!filter) return;
    enum { W = 34, H = 22, YS = 40, CS = 36, PAD = 0x5A };
    unsigned char y[YS * H], uv[CS * (H / 2)];
    for (int rotation = 0; rotation < 360; rotation += 90) {
        /* BT.601 video range: red is (81, 90, 240), grey 128 is (126, 128, 128). */
        for (int i = 0; i < YS * H; i++) y[i] = (i % YS) < W ? 81 : PAD;
        for (int i = 0; i < CS * (H / 2); i++) uv[i] = (i % CS) < W ? ((i % 2) ? 240 : 90) : PAD;
        SafeFrameVerdict v;
        int status = safeframe_filter_nv12_in_place(filter, y, sizeof y, YS, uv, sizeof uv, CS, W, H, rotation, false, &v);
        CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.category == SAFEFRAME_CATEGORY_PORN,
              "nv12 red at %d degrees: status %d action %d category %d (%s)", rotation, status, v.action, v.category,
              last_error());
        int ok = 1;
        for (int i = 0; i < YS * H; i++) ok &= y[i] == ((i % YS) < W ? 16 : PAD);
        for (int i = 0; i < CS * (H / 2); i++) ok &= uv[i] == ((i % CS) < W ? 128 : PAD);
        CHECK(ok, "nv12 red at %d degrees: planes not blocked exactly in place", rotation);
    }
    for (int i = 0; i < YS * H; i++) y[i] = (i % YS) < W ? 126 : PAD;
    for (int i = 0; i < CS * (H / 2); i++) uv[i] = (i % CS) < W ? 128 : PAD;
    unsigned char y0[sizeof y], uv0[sizeof uv];
    memcpy(y0, y, sizeof y);
    memcpy(uv0, uv, sizeof uv);
    SafeFrameVerdict v;
    CHECK(safeframe_filter_nv12_in_place(filter, y, sizeof y, YS, uv, sizeof uv, CS, W, H, 0, false, &v) == SAFEFRAME_OK &&
              v.action == SAFEFRAME_ACTION_ALLOW && memcmp(y, y0, sizeof y) == 0 && memcmp(uv, uv0, sizeof uv) == 0,
          "nv12 grey: not allowed untouched (%s)", last_error());
    CHECK(safeframe_filter_nv12_in_place(filter, y, sizeof y, YS, uv, sizeof uv - 10, CS, W, H, 0, false, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME,
          "short UV plane accepted");
    CHECK(strstr(last_error(), "too small") != NULL, "last error `%s`", last_error());
    CHECK(safeframe_filter_nv12_in_place(filter, y, sizeof y, YS, y + 8, 100, CS, W, H, 0, false, &v) ==
              SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "overlapping planes accepted");
    CHECK(strstr(last_error(), "overlap") != NULL, "last error `%s`", last_error());
    CHECK(safeframe_filter_nv12_in_place(filter, y, sizeof y, YS, NULL, sizeof uv, CS, W, H, 0, false, &v) ==
              SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "NULL UV plane accepted");
    CHECK(safeframe_filter_nv12_in_place(filter, y, sizeof y, YS, uv, sizeof uv, CS, W, H, 45, false, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME,
          "rotation 45 accepted");
    CHECK(strstr(last_error(), "45") != NULL, "last error `%s`", last_error());
    safeframe_filter_free(filter);
}

static void fill_rgba(unsigned char *p, int w, int h, int stride, int r, int g, int b) {
    for (int i = 0; i < stride * h; i++) {
        int x = i % stride;
        p[i] = x >= w * 4 ? 0x5A : (unsigned char)(x % 4 == 0 ? r : x % 4 == 1 ? g : x % 4 == 2 ? b : 255);
    }
}

static int rgba_blocked(const unsigned char *p, int w, int h, int stride) {
    int ok = 1;
    for (int i = 0; i < stride * h; i++) {
        int x = i % stride;
        ok &= p[i] == (x >= w * 4 ? 0x5A : (x % 4 == 3 ? 255 : 0));
    }
    return ok;
}

/* The stream filter through the C ABI: cadence (every 2nd frame), hysteresis (clear_after 1),
 * redaction in place for packed and NV12 frames, counters, a failing model blocking frames
 * without an error status, and bad input. */
static void stream_in_place(const char *oracle_dir) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/oracle", oracle_dir);
    SafeFrameNativeFilter *filter = safeframe_filter_new(dir, "child", false, 1);
    CHECK(filter != NULL, "oracle did not load: %s", last_error());
    if (!filter) return;
    SafeFrameStreamConfig config = safeframe_stream_config_default();
    CHECK(config.cadence == SAFEFRAME_CADENCE_EVERY_FRAME && config.clear_after == 3 && !config.fail_open,
          "unexpected defaults");
    config.cadence = SAFEFRAME_CADENCE_EVERY_NTH;
    config.cadence_value = 2;
    config.clear_after = 1;
    /* This test is about the cadence: without the change gate, changed frames between
     * classifications get the verdict in force (the gate would classify them at once). */
    config.change_gate = false;
    SafeFrameNativeStream *stream = safeframe_stream_new(filter, &config);
    CHECK(stream != NULL, "stream not made: %s", last_error());
    safeframe_filter_free(filter); /* the stream keeps the model */
    if (!stream) return;

    enum { W = 8, H = 6, S = 40 };
    unsigned char px[S * H], before[S * H];
    SafeFrameVerdict v;
    /* frame 0: red, classified -> blocked in place */
    fill_rgba(px, W, H, S, 255, 0, 0);
    int status = safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.category == SAFEFRAME_CATEGORY_PORN,
          "stream frame 0: status %d action %d (%s)", status, v.action, last_error());
    CHECK(rgba_blocked(px, W, H, S), "stream frame 0 not blocked exactly in place");
    /* frame 1: grey, not classified (every 2nd) -> the block is reused */
    fill_rgba(px, W, H, S, 128, 128, 128);
    status = safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 33, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && rgba_blocked(px, W, H, S),
          "stream frame 1: the verdict in force was not reused");
    /* frame 2: grey, classified -> allowed, bytes untouched */
    fill_rgba(px, W, H, S, 128, 128, 128);
    memcpy(before, px, sizeof px);
    status = safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 90, 66, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_ALLOW && memcmp(px, before, sizeof px) == 0,
          "stream frame 2: not allowed untouched");
    /* frames 3, 4: NV12 red (not classified: allow reused, untouched), then NV12 red classified -> blocked */
    enum { NW = 34, NH = 22, YS = 40, CS = 36, PAD = 0x5A };
    unsigned char y[YS * NH], uv[CS * (NH / 2)];
    for (int i = 0; i < YS * NH; i++) y[i] = (i % YS) < NW ? 81 : PAD;
    for (int i = 0; i < CS * (NH / 2); i++) uv[i] = (i % CS) < NW ? ((i % 2) ? 240 : 90) : PAD;
    unsigned char y0[sizeof y], uv0[sizeof uv];
    memcpy(y0, y, sizeof y);
    memcpy(uv0, uv, sizeof uv);
    status = safeframe_stream_process_nv12_in_place(stream, y, sizeof y, YS, uv, sizeof uv, CS, NW, NH, 0, false, 99, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_ALLOW && memcmp(y, y0, sizeof y) == 0 &&
              memcmp(uv, uv0, sizeof uv) == 0,
          "stream frame 3 (nv12, reused allow): status %d action %d", status, v.action);
    status = safeframe_stream_process_nv12_in_place(stream, y, sizeof y, YS, uv, sizeof uv, CS, NW, NH, 0, false, 132, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK, "stream frame 4 (nv12 red): action %d", v.action);
    int ok = 1;
    for (int i = 0; i < YS * NH; i++) ok &= y[i] == ((i % YS) < NW ? 16 : PAD);
    for (int i = 0; i < CS * (NH / 2); i++) ok &= uv[i] == ((i % CS) < NW ? 128 : PAD);
    CHECK(ok, "stream frame 4: nv12 planes not blocked exactly in place");

    SafeFrameStreamCounters c;
    CHECK(safeframe_stream_counters(stream, &c) == SAFEFRAME_OK, "counters: %s", last_error());
    CHECK(c.frames == 5 && c.classified == 3 && c.blocked == 3 && c.blurred == 0 && c.errors == 0,
          "counters: frames %llu classified %llu blocked %llu errors %llu", (unsigned long long)c.frames,
          (unsigned long long)c.classified, (unsigned long long)c.blocked, (unsigned long long)c.errors);

    /* bad input: errors with messages, no frame counted */
    CHECK(safeframe_stream_process_in_place(NULL, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v) ==
              SAFEFRAME_ERROR_INVALID_ARGUMENT && strcmp(last_error(), "stream is NULL") == 0,
          "NULL stream: `%s`", last_error());
    CHECK(safeframe_stream_process_in_place(stream, px, 100, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME && strstr(last_error(), "too small") != NULL,
          "short buffer: `%s`", last_error());
    v.action = SAFEFRAME_ACTION_ALLOW;
    CHECK(safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, 9, 0, 0, &v) == SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "bad format accepted");
    CHECK(v.action == SAFEFRAME_ACTION_BLOCK, "an error left the verdict at %d, not block", v.action);
    CHECK(safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 45, 0, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME,
          "rotation 45 accepted");
    CHECK(safeframe_stream_process_nv12_in_place(stream, y, sizeof y, YS, y + 8, 100, CS, NW, NH, 0, false, 0, &v) ==
              SAFEFRAME_ERROR_INVALID_ARGUMENT && strstr(last_error(), "overlap") != NULL,
          "overlapping nv12 planes: `%s`", last_error());
    CHECK(safeframe_stream_counters(stream, NULL) == SAFEFRAME_ERROR_INVALID_ARGUMENT, "NULL counters accepted");
    CHECK(safeframe_stream_counters(stream, &c) == SAFEFRAME_OK && c.frames == 5, "bad input was counted: %llu",
          (unsigned long long)c.frames);
    safeframe_stream_free(stream);
    safeframe_stream_free(NULL);

    CHECK(safeframe_stream_from_handle(987654321) == NULL && strstr(last_error(), "stream handle 987654321") != NULL,
          "forged stream handle: `%s`", last_error());
    filter = safeframe_filter_new(dir, "child", false, 1);
    config = safeframe_stream_config_default();
    config.clear_after = 0;
    CHECK(safeframe_stream_new(filter, &config) == NULL && strstr(last_error(), "clear_after") != NULL,
          "clear_after 0: `%s`", last_error());
    config = safeframe_stream_config_default();
    config.cadence = 7;
    CHECK(safeframe_stream_new(filter, &config) == NULL && strstr(last_error(), "unknown cadence 7") != NULL,
          "cadence 7: `%s`", last_error());
    config.cadence = SAFEFRAME_CADENCE_EVERY_NTH;
    config.cadence_value = 0;
    CHECK(safeframe_stream_new(filter, &config) == NULL, "every 0th frame accepted");
    CHECK(safeframe_stream_new(NULL, NULL) == NULL && strcmp(last_error(), "filter is NULL") == 0,
          "NULL filter: `%s`", last_error());
    /* A bool left as some other byte by C code (here 2) is read as true, never as UB. */
    config = safeframe_stream_config_default();
    memset(&config.background, 2, 1);
    SafeFrameNativeStream *odd = safeframe_stream_new(filter, &config);
    CHECK(odd != NULL, "config with bool byte 2 refused: %s", last_error());
    safeframe_stream_free(odd);
    safeframe_filter_free(filter);

    /* A model that fails (NaN scores for magenta): the stream blocks the frame, reports OK, counts the error. */
    snprintf(dir, sizeof dir, "%s/faulty-nan", oracle_dir);
    filter = safeframe_filter_new(dir, "adult", false, 1);
    CHECK(filter != NULL, "faulty-nan did not load: %s", last_error());
    if (!filter) return;
    stream = safeframe_stream_new(filter, NULL);
    safeframe_filter_free(filter);
    fill_rgba(px, W, H, S, 255, 0, 255);
    status = safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && rgba_blocked(px, W, H, S),
          "failing model: status %d action %d", status, v.action);
    CHECK(safeframe_stream_counters(stream, &c) == SAFEFRAME_OK && c.errors == 1 && c.blocked == 1,
          "failing model: errors %llu", (unsigned long long)c.errors);
    safeframe_stream_free(stream);
}

/* RGBA pixels, rows `stride` bytes apart (padding 0x5A): grey, the top-left quadrant (what the
 * oracle scores) in (r, g, b). */
static void fill_quadrant(unsigned char *p, int w, int h, int stride, int r, int g, int b) {
    fill_rgba(p, w, h, stride, 128, 128, 128);
    for (int y = 0; y < h / 2; y++)
        for (int x = 0; x < w / 2; x++) {
            p[y * stride + x * 4] = (unsigned char)r;
            p[y * stride + x * 4 + 1] = (unsigned char)g;
            p[y * stride + x * 4 + 2] = (unsigned char)b;
        }
}

/* The change gate through the C ABI: its defaults, bad settings refused naming the field, a
 * static scene resting the model, a cut redacted on its own frame whatever the cadence, and the
 * cadence alone without the gate. */
static void stream_change_gate(const char *oracle_dir) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/oracle", oracle_dir);
    SafeFrameNativeFilter *filter = safeframe_filter_new(dir, "child", false, 1);
    CHECK(filter != NULL, "oracle did not load: %s", last_error());
    if (!filter) return;
    SafeFrameStreamConfig config = safeframe_stream_config_default();
    CHECK(config.change_gate && config.change_threshold == 0.10f && config.change_tiles == 4 &&
              config.max_age_ms == 1000 && config.hold == SAFEFRAME_ACTION_BLUR,
          "change gate defaults: %d %g %u %lld %d", config.change_gate, config.change_threshold, config.change_tiles,
          (long long)config.max_age_ms, config.hold);
    CHECK(sizeof(SafeFrameStreamConfig) == 48 && sizeof(SafeFrameStreamCounters) == 88, "struct sizes %zu, %zu",
          sizeof(SafeFrameStreamConfig), sizeof(SafeFrameStreamCounters));

    /* (a) bad settings: NULL, SAFEFRAME_ERROR_INVALID_ARGUMENT, the field named */
    struct {
        const char *field;
        float threshold;
        uint32_t tiles;
        int64_t max_age_ms;
        int32_t hold;
    } bad[] = {
        {"`change_gate.threshold`", -0.1f, 4, 1000, SAFEFRAME_ACTION_BLUR},
        {"`change_gate.threshold`", 1.5f, 4, 1000, SAFEFRAME_ACTION_BLUR},
        {"`change_gate.threshold`", NAN, 4, 1000, SAFEFRAME_ACTION_BLUR},
        {"`change_gate.tiles`", 0.06f, 0, 1000, SAFEFRAME_ACTION_BLUR},
        {"`change_gate.tiles`", 0.06f, 17, 1000, SAFEFRAME_ACTION_BLUR},
        {"`change_gate.max_age`", 0.06f, 4, 0, SAFEFRAME_ACTION_BLUR},
        {"`change_gate.max_age`", 0.06f, 4, -1000, SAFEFRAME_ACTION_BLUR},
        {"`hold`", 0.06f, 4, 1000, SAFEFRAME_ACTION_ALLOW},
        {"`hold`", 0.06f, 4, 1000, 9},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config = safeframe_stream_config_default();
        config.change_threshold = bad[i].threshold;
        config.change_tiles = bad[i].tiles;
        config.max_age_ms = bad[i].max_age_ms;
        config.hold = bad[i].hold;
        SafeFrameNativeStream *refused = safeframe_stream_new(filter, &config);
        CHECK(refused == NULL && safeframe_last_error_code() == SAFEFRAME_ERROR_INVALID_ARGUMENT &&
                  strstr(last_error(), bad[i].field) != NULL,
              "bad config %zu: code %d `%s`, want %s", i, safeframe_last_error_code(), last_error(), bad[i].field);
        safeframe_stream_free(refused);
    }
    /* Without the gate its settings are not used, so not checked; a bool byte 2 reads as true. */
    config = safeframe_stream_config_default();
    config.change_gate = false;
    config.change_tiles = 0;
    SafeFrameNativeStream *off = safeframe_stream_new(filter, &config);
    CHECK(off != NULL, "gate off with tiles 0 refused: %s", last_error());
    safeframe_stream_free(off);
    memset(&config.change_gate, 2, 1);
    CHECK(safeframe_stream_new(filter, &config) == NULL && strstr(last_error(), "`change_gate.tiles`") != NULL,
          "change_gate byte 2 not read as true: `%s`", last_error());

    enum { W = 64, H = 48, S = 264 };
    static unsigned char px[S * H], before[S * H];
    SafeFrameVerdict v;
    SafeFrameStreamCounters c;
    const int64_t frame_ns = 1000000000 / 30;

    /* (b) a static scene: two seconds at 30 fps, classified on frame 0 and when the verdict is 1 s old */
    SafeFrameNativeStream *stream = safeframe_stream_new(filter, NULL);
    CHECK(stream != NULL, "default stream not made: %s", last_error());
    int allowed = 0;
    for (int i = 0; i < 60; i++) {
        fill_quadrant(px, W, H, S, 128, 128, 128);
        allowed += safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0,
                                                     i * frame_ns, &v) == SAFEFRAME_OK &&
                   v.action == SAFEFRAME_ACTION_ALLOW;
    }
    CHECK(allowed == 60, "static scene: %d of 60 frames allowed", allowed);
    CHECK(safeframe_stream_counters(stream, &c) == SAFEFRAME_OK && c.frames == 60 && c.classified == 2 &&
              c.reused == 58 && c.held == 0,
          "static scene: frames %llu classified %llu reused %llu held %llu", (unsigned long long)c.frames,
          (unsigned long long)c.classified, (unsigned long long)c.reused, (unsigned long long)c.held);
    safeframe_stream_free(stream);

    /* (c) every 10th frame, gate on: grey frames 0-4, then a cut to a red top-left quadrant on
     * frame 5 (off the cadence): classified at once and blocked in place on that very frame */
    config = safeframe_stream_config_default();
    config.cadence = SAFEFRAME_CADENCE_EVERY_NTH;
    config.cadence_value = 10;
    stream = safeframe_stream_new(filter, &config);
    CHECK(stream != NULL, "gated stream not made: %s", last_error());
    for (int i = 0; i < 5; i++) {
        fill_quadrant(px, W, H, S, 128, 128, 128);
        safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, i * frame_ns, &v);
    }
    fill_quadrant(px, W, H, S, 255, 0, 0);
    int status =
        safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 5 * frame_ns, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.category == SAFEFRAME_CATEGORY_PORN &&
              rgba_blocked(px, W, H, S),
          "cut with the gate: status %d action %d, blocked in place %d", status, v.action, rgba_blocked(px, W, H, S));
    CHECK(safeframe_stream_counters(stream, &c) == SAFEFRAME_OK && c.frames == 6 && c.classified == 2 && c.reused == 4,
          "cut with the gate: frames %llu classified %llu reused %llu", (unsigned long long)c.frames,
          (unsigned long long)c.classified, (unsigned long long)c.reused);
    safeframe_stream_free(stream);

    /* (d) the same without the gate: the cadence alone, as before (frame 5 keeps the allow in
     * force, untouched; frame 10 is classified and blocked) */
    config.change_gate = false;
    stream = safeframe_stream_new(filter, &config);
    CHECK(stream != NULL, "ungated stream not made: %s", last_error());
    int actions_ok = 1;
    for (int i = 0; i < 11; i++) {
        fill_quadrant(px, W, H, S, i < 5 ? 128 : 255, i < 5 ? 128 : 0, i < 5 ? 128 : 0);
        memcpy(before, px, sizeof px);
        safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, i * frame_ns, &v);
        int want = i < 10 ? SAFEFRAME_ACTION_ALLOW : SAFEFRAME_ACTION_BLOCK;
        actions_ok &= v.action == want && (want != SAFEFRAME_ACTION_ALLOW || memcmp(px, before, sizeof px) == 0);
    }
    CHECK(actions_ok, "without the gate the cadence alone did not decide");
    CHECK(safeframe_stream_counters(stream, &c) == SAFEFRAME_OK && c.frames == 11 && c.classified == 2 && c.reused == 0,
          "without the gate: frames %llu classified %llu reused %llu", (unsigned long long)c.frames,
          (unsigned long long)c.classified, (unsigned long long)c.reused);
    safeframe_stream_free(stream);
    safeframe_filter_free(filter);
}

/* A second-opinion model: the oracle pack as both the primary and the second model, with a JSON
 * policy whose rule 1 blocks when the primary says porn >= 0.3 and the second model porn >= 0.9
 * (rule 0 never fires). Dark red scores porn 0.73 on both, red 0.95 (oracle README). */
static const char *TWO_MODELS =
    "{\"rules\":[{\"categories\":[\"hentai\"],\"threshold\":0.99,\"action\":\"blur\"},"
    "{\"when\":[{\"model\":\"primary\",\"labels\":[\"porn\"],\"threshold\":0.3},"
    "{\"model\":\"second\",\"labels\":[\"porn\"],\"threshold\":0.9}],\"action\":\"block\"}]}";

static void second_opinion(const char *oracle_dir) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/oracle", oracle_dir);
    SafeFrameNativeFilter *filter = safeframe_filter_new_with_second_opinion(dir, dir, TWO_MODELS, false, 1);
    CHECK(filter != NULL, "cascade did not load: %s", last_error());
    if (!filter) return;
    enum { W = 8, H = 6, S = 36 };
    unsigned char px[S * H], before[S * H];
    SafeFrameVerdict v;
    /* (a) the primary flags dark red, the second model does not reach 0.9: allowed, untouched */
    fill_rgba(px, W, H, S, 170, 0, 0);
    memcpy(before, px, sizeof px);
    int status = safeframe_filter_in_place(filter, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_ALLOW && v.rule == SAFEFRAME_RULE_NONE &&
              v.scores[SAFEFRAME_CATEGORY_PORN] >= 0.3f && memcmp(px, before, sizeof px) == 0,
          "dark red under two models: status %d action %d rule %d porn %g (%s)", status, v.action, v.rule,
          v.scores[SAFEFRAME_CATEGORY_PORN], last_error());
    /* (b) both flag red: blocked in place by rule 1 */
    fill_rgba(px, W, H, S, 255, 0, 0);
    status = safeframe_filter_in_place(filter, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.category == SAFEFRAME_CATEGORY_PORN &&
              v.rule == 1 && rgba_blocked(px, W, H, S),
          "red under two models: status %d action %d category %d rule %d", status, v.action, v.category, v.rule);
    /* The one-model presets report their rule too (child: rule 0 blocks porn). */
    SafeFrameNativeFilter *child = safeframe_filter_new(dir, "child", false, 1);
    fill_rgba(px, W, H, S, 255, 0, 0);
    CHECK(child && safeframe_check(child, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_OK &&
              v.rule == 0,
          "child preset on red: rule %d", v.rule);
    safeframe_filter_free(child);

    /* (e) a stream made from the filter runs the second opinion and counts it */
    SafeFrameNativeStream *stream = safeframe_stream_new(filter, NULL);
    CHECK(stream != NULL, "cascade stream not made: %s", last_error());
    safeframe_filter_free(filter);
    if (stream) {
        fill_rgba(px, W, H, S, 128, 128, 128);
        status = safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v);
        SafeFrameStreamCounters c;
        CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_ALLOW &&
                  safeframe_stream_counters(stream, &c) == SAFEFRAME_OK && c.second_opinions == 0,
              "cascade stream, grey: action %d, second opinions %llu", v.action, (unsigned long long)c.second_opinions);
        fill_rgba(px, W, H, S, 255, 0, 0);
        status = safeframe_stream_process_in_place(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 33, &v);
        CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.rule == 1 && rgba_blocked(px, W, H, S),
              "cascade stream, red: action %d rule %d", v.action, v.rule);
        CHECK(safeframe_stream_counters(stream, &c) == SAFEFRAME_OK && c.frames == 2 && c.second_opinions == 1,
              "cascade stream: frames %llu, second opinions %llu", (unsigned long long)c.frames,
              (unsigned long long)c.second_opinions);
        safeframe_stream_free(stream);
    }

    /* (c) a policy naming the second model without one is a policy error */
    CHECK(safeframe_filter_new(dir, TWO_MODELS, false, 1) == NULL &&
              safeframe_last_error_code() == SAFEFRAME_ERROR_INVALID_POLICY &&
              strstr(last_error(), "rules[1].when[1].model") != NULL,
          "two-model policy without a second model: %d `%s`", safeframe_last_error_code(), last_error());
    /* (d) a second pack that does not exist fails at construction, naming it */
    CHECK(safeframe_filter_new_with_second_opinion(dir, "/nonexistent/second", TWO_MODELS, false, 1) == NULL &&
              safeframe_last_error_code() == SAFEFRAME_ERROR_IO && strstr(last_error(), "/nonexistent/second") != NULL,
          "missing second pack: %d `%s`", safeframe_last_error_code(), last_error());
    CHECK(safeframe_filter_new_with_second_opinion(dir, NULL, TWO_MODELS, false, 1) == NULL &&
              safeframe_last_error_code() == SAFEFRAME_ERROR_INVALID_ARGUMENT &&
              strcmp(last_error(), "second_pack_dir is NULL") == 0,
          "NULL second pack: `%s`", last_error());
    /* A preset name picks the preset's two-model rules, which read `nsfw`: the oracle lacks it. */
    CHECK(safeframe_filter_new_with_second_opinion(dir, dir, "child", false, 1) == NULL &&
              safeframe_last_error_code() == SAFEFRAME_ERROR_INVALID_POLICY && strstr(last_error(), "nsfw") != NULL,
          "child preset with the oracle as second model: `%s`", last_error());
    /* A success clears the code. */
    SafeFrameNativeFilter *again = safeframe_filter_new_with_second_opinion(dir, dir, TWO_MODELS, false, 1);
    CHECK(again != NULL && safeframe_last_error_code() == SAFEFRAME_OK, "success left code %d", safeframe_last_error_code());
    safeframe_filter_free(again);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s ORACLE_DIR CASES_FILE\n", argv[0]);
        return 2;
    }
    const char *oracle_dir = argv[1];
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/oracle", oracle_dir);
    SafeFrameNativeFilter *filters[3];
    for (int p = 0; p < 3; p++) {
        filters[p] = safeframe_filter_new(dir, PRESETS[p], false, 1);
        if (!filters[p]) {
            printf("cannot load the oracle pack: %s\n", last_error());
            return 1;
        }
    }
    float tolerance = 0;
    int cases = 0, faulty = 0;
    char kind[16];
    while (fscanf(f, "%15s", kind) == 1) {
        Case c;
        memset(&c, 0, sizeof c);
        if (strcmp(kind, "tolerance") == 0) {
            if (fscanf(f, "%f", &tolerance) != 1) return 2;
        } else if (strcmp(kind, "case") == 0) {
            if (fscanf(f, "%127s %d %d", c.name, &c.width, &c.height) != 3 || !read_quads(f, &c)) return 2;
            for (int k = 0; k < 5; k++)
                if (fscanf(f, "%f", &c.scores[k]) != 1) return 2;
            for (int p = 0; p < 3; p++)
                if (fscanf(f, "%15s %15s", c.action[p], c.category[p]) != 2) return 2;
            oracle_case(filters, &c, tolerance);
            cases++;
        } else if (strcmp(kind, "faulty") == 0) {
            char pack[64], expect[16];
            if (fscanf(f, "%63s %127s %d %d", pack, c.name, &c.width, &c.height) != 4 || !read_quads(f, &c) ||
                fscanf(f, "%15s", expect) != 1)
                return 2;
            faulty_case(oracle_dir, pack, &c, expect);
            faulty++;
        } else {
            fprintf(stderr, "bad line kind %s\n", kind);
            return 2;
        }
    }
    fclose(f);
    CHECK(cases >= 20 && faulty >= 3, "read %d cases and %d faulty cases", cases, faulty);
    for (int p = 0; p < 3; p++) safeframe_filter_free(filters[p]);
    bad_input(oracle_dir);
    nv12_planes(oracle_dir);
    stream_in_place(oracle_dir);
    stream_change_gate(oracle_dir);
    second_opinion(oracle_dir);
    printf("C ABI: %d oracle cases x 3 presets, %d faulty cases\n", cases, faulty);
    printf("c-abi: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
