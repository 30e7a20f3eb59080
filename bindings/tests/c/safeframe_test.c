/*
 * The C ABI, tested from C: every case of oracle-cases.json (flattened by oracle_cases.py), the
 * faulty models, in-place redaction, bad input, the thread-local last error and signed packs.
 *
 *   safeframe_test ORACLE_DIR CASES_FILE
 *
 * Prints one line per failed check and a closing "C ABI: N passed, M failed" line.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safeframe.h"

static int passed, failed;
static int yuv_cases; /* oracle cases run through NV21 and YUV_420_888 (child preset) */

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

/* Frames as SafeFrameFrame describes them: a packed frame in one plane, NV12 in two. */
static SafeFrameFrame packed_frame(const unsigned char *p, size_t len, int w, int h, int stride, int format) {
    SafeFrameFrame f;
    memset(&f, 0, sizeof f);
    f.width = w;
    f.height = h;
    f.format = format;
    f.plane_count = 1;
    f.planes[0].data = (uint8_t *)p;
    f.planes[0].len = len;
    f.planes[0].row_stride = stride;
    return f;
}

static SafeFrameFrame nv12_frame(unsigned char *y, size_t y_len, int y_stride, unsigned char *uv, size_t uv_len,
                                 int uv_stride, int w, int h, int rotation, bool full_range) {
    SafeFrameFrame f = packed_frame(y, y_len, w, h, y_stride, SAFEFRAME_FORMAT_NV12);
    f.plane_count = 2;
    f.planes[1].data = uv;
    f.planes[1].len = uv_len;
    f.planes[1].row_stride = uv_stride;
    f.rotation_degrees = rotation;
    f.full_range = full_range;
    return f;
}

static int check_packed(const SafeFrameFilter *filter, const unsigned char *p, size_t len, int w, int h, int stride,
                        int format, SafeFrameVerdict *v) {
    SafeFrameFrame f = packed_frame(p, len, w, h, stride, format);
    return safeframe_check_frame(filter, &f, v);
}

static int filter_packed(const SafeFrameFilter *filter, unsigned char *p, size_t len, int w, int h, int stride,
                         int format, SafeFrameVerdict *v) {
    SafeFrameFrame f = packed_frame(p, len, w, h, stride, format);
    return safeframe_filter_frame_in_place(filter, &f, v);
}

static int filter_nv12(const SafeFrameFilter *filter, unsigned char *y, size_t y_len, int y_stride, unsigned char *uv,
                       size_t uv_len, int uv_stride, int w, int h, int rotation, bool full_range, SafeFrameVerdict *v) {
    SafeFrameFrame f = nv12_frame(y, y_len, y_stride, uv, uv_len, uv_stride, w, h, rotation, full_range);
    return safeframe_filter_frame_in_place(filter, &f, v);
}

static int stream_packed(const SafeFrameStream *stream, unsigned char *p, size_t len, int w, int h, int stride,
                         int format, int rotation, int64_t timestamp_ns, SafeFrameVerdict *v) {
    SafeFrameFrame f = packed_frame(p, len, w, h, stride, format);
    f.rotation_degrees = rotation;
    f.timestamp_ns = timestamp_ns;
    f.has_timestamp = true;
    return safeframe_stream_process_frame_in_place(stream, &f, v);
}

static int stream_nv12(const SafeFrameStream *stream, unsigned char *y, size_t y_len, int y_stride, unsigned char *uv,
                       size_t uv_len, int uv_stride, int w, int h, int rotation, bool full_range, int64_t timestamp_ns,
                       SafeFrameVerdict *v) {
    SafeFrameFrame f = nv12_frame(y, y_len, y_stride, uv, uv_len, uv_stride, w, h, rotation, full_range);
    f.timestamp_ns = timestamp_ns;
    f.has_timestamp = true;
    return safeframe_stream_process_frame_in_place(stream, &f, v);
}

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

/* Full-range BT.601 (the core's matrix with full_range set) of an RGB colour. */
static unsigned char clamp_byte(double v) { return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5); }

static void to_yuv(const unsigned char rgb[3], double *y, double *cb, double *cr) {
    double r = rgb[0], g = rgb[1], b = rgb[2];
    *y = 0.299 * r + 0.587 * g + 0.114 * b;
    *cb = 128 + (b - *y) / 1.772;
    *cr = 128 + (r - *y) / 1.402;
}

/* The colour of a case at (x, y), as image() paints it. */
static const unsigned char *case_rgb(const Case *c, int x, int y) {
    return c->quad[(y < c->height / 2 ? 0 : 2) + (x < c->width / 2 ? 0 : 1)];
}

/* A case as YUV 4:2:0 planes: Y (row stride ys), and chroma samples written at
 * u + row * cs + col * ps and v + row * cs + col * ps (the mean of each 2x2 block). */
static void yuv_planes(const Case *c, unsigned char *luma, int ys, unsigned char *u, unsigned char *v, int cs, int ps) {
    for (int y = 0; y < c->height; y++)
        for (int x = 0; x < c->width; x++) {
            double yy, cb, cr;
            to_yuv(case_rgb(c, x, y), &yy, &cb, &cr);
            luma[y * ys + x] = clamp_byte(yy);
        }
    for (int row = 0; row < (c->height + 1) / 2; row++)
        for (int col = 0; col < (c->width + 1) / 2; col++) {
            double sum_cb = 0, sum_cr = 0;
            int n = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int x = col * 2 + dx, y = row * 2 + dy;
                    if (x >= c->width || y >= c->height) continue;
                    double yy, cb, cr;
                    to_yuv(case_rgb(c, x, y), &yy, &cb, &cr);
                    sum_cb += cb;
                    sum_cr += cr;
                    n++;
                }
            u[row * cs + col * ps] = clamp_byte(sum_cb / n);
            v[row * cs + col * ps] = clamp_byte(sum_cr / n);
        }
}

/* The case as NV21 (Y, then interleaved V, U) and as YUV_420_888 with chroma pixel stride 2,
 * twice: as Android's camera gives it (U and V views into one interleaved buffer, checked
 * without a copy) and in separate planes filtered in place. Each gets `want`'s verdict. */
static void yuv_case(const SafeFrameFilter *filter, const Case *c, const SafeFrameVerdict *want) {
    int w = c->width, h = c->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
    int ys = w + 3, cs = 2 * cw + 5;
    size_t y_len = (size_t)ys * h, c_len = (size_t)cs * ch;
    unsigned char *luma = malloc(y_len), *vu = malloc(c_len), *u = malloc(c_len), *v = malloc(c_len);
    memset(vu, 0x5A, c_len);
    memset(u, 0x5A, c_len);
    memset(v, 0x5A, c_len);
    yuv_planes(c, luma, ys, vu + 1, vu, cs, 2);
    SafeFrameFrame f;
    memset(&f, 0, sizeof f);
    f.width = w;
    f.height = h;
    f.full_range = true;
    f.format = SAFEFRAME_FORMAT_NV21;
    f.plane_count = 2;
    f.planes[0] = (SafeFramePlane){luma, y_len, ys, 1};
    f.planes[1] = (SafeFramePlane){vu, c_len, cs, 2};
    SafeFrameVerdict got;
    int status = safeframe_check_frame(filter, &f, &got);
    CHECK(status == SAFEFRAME_OK && got.action == want->action && got.category == want->category,
          "%s as NV21: status %d, %s/%s, want %s/%s (%s)", c->name, status, ACTIONS[got.action],
          category_name(got.category), ACTIONS[want->action], category_name(want->category), last_error());
    /* YUV_420_888 over the same bytes: U and V are views of the interleaved chroma. */
    f.format = SAFEFRAME_FORMAT_YUV_420_888;
    f.plane_count = 3;
    f.planes[1] = (SafeFramePlane){vu + 1, c_len - 1, cs, 2};
    f.planes[2] = (SafeFramePlane){vu, c_len, cs, 2};
    status = safeframe_check_frame(filter, &f, &got);
    CHECK(status == SAFEFRAME_OK && got.action == want->action && got.category == want->category,
          "%s as YUV_420_888 (interleaved): status %d, %s/%s (%s)", c->name, status, ACTIONS[got.action],
          category_name(got.category), last_error());
    /* In place the planes must not overlap: separate U and V planes, pixel stride 2. */
    status = safeframe_filter_frame_in_place(filter, &f, &got);
    CHECK(status == SAFEFRAME_ERROR_INVALID_ARGUMENT && strstr(last_error(), "overlap") != NULL &&
              got.action == SAFEFRAME_ACTION_BLOCK,
          "%s: overlapping planes filtered in place: status %d `%s`", c->name, status, last_error());
    yuv_planes(c, luma, ys, u, v, cs, 2);
    f.planes[1] = (SafeFramePlane){u, c_len, cs, 2};
    f.planes[2] = (SafeFramePlane){v, c_len, cs, 2};
    status = safeframe_filter_frame_in_place(filter, &f, &got);
    CHECK(status == SAFEFRAME_OK && got.action == want->action && got.category == want->category,
          "%s as YUV_420_888 in place: status %d, %s/%s (%s)", c->name, status, ACTIONS[got.action],
          category_name(got.category), last_error());
    if (status == SAFEFRAME_OK && got.action == SAFEFRAME_ACTION_BLOCK) {
        /* Blocked in full range: Y 0, chroma 128 at every sample, the bytes between untouched. */
        int ok = 1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < ys; x++) ok &= luma[y * ys + x] == (x < w ? 0 : luma[y * ys + x]);
        for (size_t i = 0; i < c_len; i++) {
            int sample = (int)(i % cs) < 2 * cw && (i % cs) % 2 == 0;
            ok &= sample ? (u[i] == 128 && v[i] == 128) : (u[i] == 0x5A && v[i] == 0x5A);
        }
        CHECK(ok, "%s: YUV_420_888 planes not blocked exactly in place", c->name);
    }
    free(luma);
    free(vu);
    free(u);
    free(v);
}

static void oracle_case(SafeFrameFilter *filters[3], const Case *c, float tolerance) {
    size_t stride = (size_t)c->width * 4 + 8, len;
    for (int p = 0; p < 3; p++) {
        unsigned char *pixels = image(c, stride, &len);
        SafeFrameVerdict v;
        int status = check_packed(filters[p], pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &v);
        CHECK(status == SAFEFRAME_OK, "%s: check failed: %s", c->name, last_error());
        float diff = 0;
        for (int k = 0; k < 5; k++) diff = fmaxf(diff, fabsf(v.scores[k] - c->scores[k]));
        CHECK(diff <= tolerance, "%s: scores differ by %g", c->name, diff);
        CHECK(strcmp(ACTIONS[v.action], c->action[p]) == 0 && strcmp(category_name(v.category), c->category[p]) == 0,
              "%s under %s: got %s/%s, want %s/%s", c->name, PRESETS[p], ACTIONS[v.action], category_name(v.category),
              c->action[p], c->category[p]);
        /* The same image as NV21 and YUV_420_888 planes gets the same verdict, where 4:2:0
         * chroma can carry it: every 2x2 block inside one quadrant (in tiny images with odd
         * quadrant edges the shared chroma mixes the colours, a different image). */
        int solid = memcmp(c->quad[0], c->quad[1], 3) == 0 && memcmp(c->quad[0], c->quad[2], 3) == 0 &&
                    memcmp(c->quad[0], c->quad[3], 3) == 0;
        if (p == 0 && (solid || ((c->width / 2) % 2 == 0 && (c->height / 2) % 2 == 0))) {
            yuv_case(filters[p], c, &v);
            yuv_cases++;
        }
        /* In place: the same verdict, and a blocked frame is black and opaque, padding untouched. */
        SafeFrameVerdict w;
        status = filter_packed(filters[p], pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &w);
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
    SafeFrameFilter *filter = safeframe_filter_new(dir, "adult", false, 1);
    if (!filter) {
        CHECK(strcmp(expect, "error") == 0, "%s/%s: load failed: %s", pack, c->name, last_error());
        return;
    }
    size_t len, stride = (size_t)c->width * 4;
    unsigned char *pixels = image(c, stride, &len);
    SafeFrameVerdict v;
    int status = check_packed(filter, pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &v);
    if (strcmp(expect, "ok") == 0) {
        CHECK(status == SAFEFRAME_OK, "%s/%s: %s", pack, c->name, last_error());
    } else {
        CHECK(status == SAFEFRAME_ERROR_INVALID_SCORES || status == SAFEFRAME_ERROR_INFERENCE,
              "%s/%s: status %d, want an error", pack, c->name, status);
        CHECK(strstr(last_error(), "model output rejected") != NULL || strstr(last_error(), "inference") != NULL,
              "%s/%s: last error `%s`", pack, c->name, last_error());
        /* Fail closed: even under the adult preset the frame is blocked before the error returns. */
        status = filter_packed(filter, pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &v);
        int black = 1;
        for (size_t i = 0; i < len; i++)
            if (pixels[i] != (i % 4 == 3 ? 255 : 0)) black = 0;
        CHECK(status != SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.category == SAFEFRAME_CATEGORY_NONE && black,
              "%s/%s: not blocked on error", pack, c->name);
        /* Failing open, the verdict applied is allow and the frame is left alone. */
        SafeFrameFilter *open = safeframe_filter_new(dir, "adult", true, 1);
        free(pixels);
        pixels = image(c, stride, &len);
        unsigned char *before = malloc(len);
        memcpy(before, pixels, len);
        status = open ? filter_packed(open, pixels, len, c->width, c->height, stride, SAFEFRAME_FORMAT_RGBA8, &v) : -1;
        CHECK(status == SAFEFRAME_ERROR_INVALID_SCORES || status == SAFEFRAME_ERROR_INFERENCE,
              "%s/%s fail-open: status %d", pack, c->name, status);
        CHECK(v.action == SAFEFRAME_ACTION_ALLOW && memcmp(pixels, before, len) == 0,
              "%s/%s fail-open: action %d, frame changed", pack, c->name, v.action);
        free(before);
        safeframe_filter_free(open);
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
    SafeFrameFilter *ep = safeframe_filter_new_with_provider(dir, "child", false, 1, SAFEFRAME_EP_CPU, false);
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

    SafeFrameFilter *filter = safeframe_filter_new(dir, "child", false, 1);
    CHECK(filter != NULL, "oracle did not load: %s", last_error());
    CHECK(safeframe_last_error() == NULL, "success left an error behind");
    unsigned char pixels[64 * 4];
    memset(pixels, 128, sizeof pixels);
    SafeFrameVerdict v;
    CHECK(check_packed(NULL, pixels, sizeof pixels, 8, 8, 32, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "NULL filter accepted");
    CHECK(strcmp(last_error(), "filter is NULL") == 0, "last error `%s`", last_error());
    CHECK(check_packed(filter, NULL, 256, 8, 8, 32, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "NULL pixels accepted");
    CHECK(check_packed(filter, pixels, 100, 8, 8, 32, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_ERROR_INVALID_FRAME,
          "short buffer accepted");
    CHECK(strstr(last_error(), "buffer of 100 bytes is too small") != NULL, "last error `%s`", last_error());
    CHECK(filter_packed(filter, pixels, sizeof pixels, 8, 8, 31, SAFEFRAME_FORMAT_RGBA8, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME,
          "short stride accepted");
    CHECK(strstr(last_error(), "row stride 31") != NULL, "last error `%s`", last_error());
    /* An unknown format code is the core's frame error (PixelFormat::from_code). */
    CHECK(check_packed(filter, pixels, sizeof pixels, 8, 8, 32, 99, &v) == SAFEFRAME_ERROR_INVALID_FRAME,
          "bad format accepted");
    CHECK(strstr(last_error(), "pixel format code 99") != NULL, "last error `%s`", last_error());
    CHECK(check_packed(filter, pixels, sizeof pixels, 0, 8, 32, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_ERROR_INVALID_FRAME,
          "zero width accepted");
    CHECK(check_packed(filter, pixels, sizeof pixels, 100000, 1, 400000, SAFEFRAME_FORMAT_RGBA8, &v) ==
              SAFEFRAME_ERROR_FRAME_TOO_LARGE,
          "huge frame accepted");
    CHECK(check_packed(filter, pixels, sizeof pixels, 8, 8, 32, SAFEFRAME_FORMAT_RGBA8, NULL) == SAFEFRAME_OK,
          "NULL verdict pointer refused: %s", last_error());
    CHECK(safeframe_last_error() == NULL, "success left an error behind");

    /* Fail closed before validation: the verdict out-param says block before the frame is
     * looked at, so a frame that cannot even be described is never shown by a caller that
     * misses the status; the pixels stay untouched. A fail-open filter says allow instead. */
    SafeFrameFrame bad = packed_frame(pixels, sizeof pixels, 0, 8, 32, SAFEFRAME_FORMAT_RGBA8);
    unsigned char before[sizeof pixels];
    memcpy(before, pixels, sizeof pixels);
    v.action = SAFEFRAME_ACTION_ALLOW;
    CHECK(safeframe_check_frame(filter, &bad, &v) == SAFEFRAME_ERROR_INVALID_FRAME && v.action == SAFEFRAME_ACTION_BLOCK &&
              v.category == SAFEFRAME_CATEGORY_NONE,
          "invalid frame, check: action %d", v.action);
    v.action = SAFEFRAME_ACTION_ALLOW;
    CHECK(safeframe_filter_frame_in_place(filter, &bad, &v) == SAFEFRAME_ERROR_INVALID_FRAME &&
              v.action == SAFEFRAME_ACTION_BLOCK && memcmp(pixels, before, sizeof pixels) == 0,
          "invalid frame, in place: action %d", v.action);
    v.action = SAFEFRAME_ACTION_ALLOW;
    CHECK(safeframe_filter_frame_in_place(filter, NULL, &v) == SAFEFRAME_ERROR_INVALID_ARGUMENT &&
              strcmp(last_error(), "frame is NULL") == 0 && v.action == SAFEFRAME_ACTION_BLOCK,
          "NULL frame: action %d `%s`", v.action, last_error());
    v.action = SAFEFRAME_ACTION_ALLOW;
    CHECK(safeframe_filter_frame_in_place(NULL, &bad, &v) == SAFEFRAME_ERROR_INVALID_ARGUMENT &&
              v.action == SAFEFRAME_ACTION_BLOCK,
          "NULL filter: action %d", v.action);
    SafeFrameFilter *open = safeframe_filter_new(dir, "child", true, 1);
    v.action = SAFEFRAME_ACTION_BLOCK;
    CHECK(open && safeframe_filter_frame_in_place(open, &bad, &v) == SAFEFRAME_ERROR_INVALID_FRAME &&
              v.action == SAFEFRAME_ACTION_ALLOW && memcmp(pixels, before, sizeof pixels) == 0,
          "fail-open filter, invalid frame: action %d", v.action);
    safeframe_filter_free(open);
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
    SafeFrameFilter *filter = safeframe_filter_new(dir, "child", false, 1);
    CHECK(filter != NULL, "oracle did not load: %s", last_error());
    if (!filter) return;
    enum { W = 34, H = 22, YS = 40, CS = 36, PAD = 0x5A };
    unsigned char y[YS * H], uv[CS * (H / 2)];
    for (int rotation = 0; rotation < 360; rotation += 90) {
        /* BT.601 video range: red is (81, 90, 240), grey 128 is (126, 128, 128). */
        for (int i = 0; i < YS * H; i++) y[i] = (i % YS) < W ? 81 : PAD;
        for (int i = 0; i < CS * (H / 2); i++) uv[i] = (i % CS) < W ? ((i % 2) ? 240 : 90) : PAD;
        SafeFrameVerdict v;
        int status = filter_nv12(filter, y, sizeof y, YS, uv, sizeof uv, CS, W, H, rotation, false, &v);
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
    CHECK(filter_nv12(filter, y, sizeof y, YS, uv, sizeof uv, CS, W, H, 0, false, &v) == SAFEFRAME_OK &&
              v.action == SAFEFRAME_ACTION_ALLOW && memcmp(y, y0, sizeof y) == 0 && memcmp(uv, uv0, sizeof uv) == 0,
          "nv12 grey: not allowed untouched (%s)", last_error());
    CHECK(filter_nv12(filter, y, sizeof y, YS, uv, sizeof uv - 10, CS, W, H, 0, false, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME,
          "short UV plane accepted");
    CHECK(strstr(last_error(), "too small") != NULL, "last error `%s`", last_error());
    CHECK(filter_nv12(filter, y, sizeof y, YS, y + 8, 100, CS, W, H, 0, false, &v) ==
              SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "overlapping planes accepted");
    CHECK(strstr(last_error(), "overlap") != NULL, "last error `%s`", last_error());
    CHECK(filter_nv12(filter, y, sizeof y, YS, NULL, sizeof uv, CS, W, H, 0, false, &v) ==
              SAFEFRAME_ERROR_INVALID_ARGUMENT,
          "NULL UV plane accepted");
    CHECK(filter_nv12(filter, y, sizeof y, YS, uv, sizeof uv, CS, W, H, 45, false, &v) ==
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
    SafeFrameFilter *filter = safeframe_filter_new(dir, "child", false, 1);
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
    SafeFrameStream *stream = safeframe_stream_new(filter, &config);
    CHECK(stream != NULL, "stream not made: %s", last_error());
    safeframe_filter_free(filter); /* the stream keeps the model */
    if (!stream) return;

    enum { W = 8, H = 6, S = 40 };
    unsigned char px[S * H], before[S * H];
    SafeFrameVerdict v;
    /* frame 0: red, classified -> blocked in place */
    fill_rgba(px, W, H, S, 255, 0, 0);
    int status = stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.category == SAFEFRAME_CATEGORY_PORN,
          "stream frame 0: status %d action %d (%s)", status, v.action, last_error());
    CHECK(rgba_blocked(px, W, H, S), "stream frame 0 not blocked exactly in place");
    /* frame 1: grey, not classified (every 2nd) -> the block is reused */
    fill_rgba(px, W, H, S, 128, 128, 128);
    status = stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 33, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && rgba_blocked(px, W, H, S),
          "stream frame 1: the verdict in force was not reused");
    /* frame 2: grey, classified -> allowed, bytes untouched */
    fill_rgba(px, W, H, S, 128, 128, 128);
    memcpy(before, px, sizeof px);
    status = stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 90, 66, &v);
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
    status = stream_nv12(stream, y, sizeof y, YS, uv, sizeof uv, CS, NW, NH, 0, false, 99, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_ALLOW && memcmp(y, y0, sizeof y) == 0 &&
              memcmp(uv, uv0, sizeof uv) == 0,
          "stream frame 3 (nv12, reused allow): status %d action %d", status, v.action);
    status = stream_nv12(stream, y, sizeof y, YS, uv, sizeof uv, CS, NW, NH, 0, false, 132, &v);
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
    CHECK(stream_packed(NULL, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v) ==
              SAFEFRAME_ERROR_INVALID_ARGUMENT && strcmp(last_error(), "stream is NULL") == 0,
          "NULL stream: `%s`", last_error());
    CHECK(stream_packed(stream, px, 100, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME && strstr(last_error(), "too small") != NULL,
          "short buffer: `%s`", last_error());
    v.action = SAFEFRAME_ACTION_ALLOW;
    CHECK(stream_packed(stream, px, sizeof px, W, H, S, 9, 0, 0, &v) == SAFEFRAME_ERROR_INVALID_FRAME,
          "bad format accepted");
    CHECK(v.action == SAFEFRAME_ACTION_BLOCK, "an error left the verdict at %d, not block", v.action);
    CHECK(stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 45, 0, &v) ==
              SAFEFRAME_ERROR_INVALID_FRAME,
          "rotation 45 accepted");
    CHECK(stream_nv12(stream, y, sizeof y, YS, y + 8, 100, CS, NW, NH, 0, false, 0, &v) ==
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
    SafeFrameStream *odd = safeframe_stream_new(filter, &config);
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
    status = stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v);
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
    SafeFrameFilter *filter = safeframe_filter_new(dir, "child", false, 1);
    CHECK(filter != NULL, "oracle did not load: %s", last_error());
    if (!filter) return;
    SafeFrameStreamConfig config = safeframe_stream_config_default();
    CHECK(config.change_gate && config.change_threshold == 0.10f && config.change_tiles == 4 &&
              config.max_age_ms == 1000 && config.hold == SAFEFRAME_ACTION_BLUR,
          "change gate defaults: %d %g %u %lld %d", config.change_gate, config.change_threshold, config.change_tiles,
          (long long)config.max_age_ms, config.hold);
    CHECK(sizeof(SafeFrameStreamConfig) == 56 && sizeof(SafeFrameStreamCounters) == 88, "struct sizes %zu, %zu",
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
        SafeFrameStream *refused = safeframe_stream_new(filter, &config);
        CHECK(refused == NULL && safeframe_last_error_code() == SAFEFRAME_ERROR_INVALID_ARGUMENT &&
                  strstr(last_error(), bad[i].field) != NULL,
              "bad config %zu: code %d `%s`, want %s", i, safeframe_last_error_code(), last_error(), bad[i].field);
        safeframe_stream_free(refused);
    }
    /* Without the gate its settings are not used, so not checked; a bool byte 2 reads as true. */
    config = safeframe_stream_config_default();
    config.change_gate = false;
    config.change_tiles = 0;
    SafeFrameStream *off = safeframe_stream_new(filter, &config);
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
    SafeFrameStream *stream = safeframe_stream_new(filter, NULL);
    CHECK(stream != NULL, "default stream not made: %s", last_error());
    int allowed = 0;
    for (int i = 0; i < 60; i++) {
        fill_quadrant(px, W, H, S, 128, 128, 128);
        allowed += stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0,
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
        stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, i * frame_ns, &v);
    }
    fill_quadrant(px, W, H, S, 255, 0, 0);
    int status =
        stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 5 * frame_ns, &v);
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
        stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, i * frame_ns, &v);
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
    SafeFrameFilter *filter = safeframe_filter_new_with_second_opinion(dir, dir, TWO_MODELS, false, 1);
    CHECK(filter != NULL, "cascade did not load: %s", last_error());
    if (!filter) return;
    enum { W = 8, H = 6, S = 36 };
    unsigned char px[S * H], before[S * H];
    SafeFrameVerdict v;
    /* (a) the primary flags dark red, the second model does not reach 0.9: allowed, untouched */
    fill_rgba(px, W, H, S, 170, 0, 0);
    memcpy(before, px, sizeof px);
    int status = filter_packed(filter, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_ALLOW && v.rule == SAFEFRAME_RULE_NONE &&
              v.scores[SAFEFRAME_CATEGORY_PORN] >= 0.3f && memcmp(px, before, sizeof px) == 0,
          "dark red under two models: status %d action %d rule %d porn %g (%s)", status, v.action, v.rule,
          v.scores[SAFEFRAME_CATEGORY_PORN], last_error());
    /* (b) both flag red: blocked in place by rule 1 */
    fill_rgba(px, W, H, S, 255, 0, 0);
    status = filter_packed(filter, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, &v);
    CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_BLOCK && v.category == SAFEFRAME_CATEGORY_PORN &&
              v.rule == 1 && rgba_blocked(px, W, H, S),
          "red under two models: status %d action %d category %d rule %d", status, v.action, v.category, v.rule);
    /* The one-model presets report their rule too (child: rule 0 blocks porn). */
    SafeFrameFilter *child = safeframe_filter_new(dir, "child", false, 1);
    fill_rgba(px, W, H, S, 255, 0, 0);
    CHECK(child && check_packed(child, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, &v) == SAFEFRAME_OK &&
              v.rule == 0,
          "child preset on red: rule %d", v.rule);
    safeframe_filter_free(child);

    /* (e) a stream made from the filter runs the second opinion and counts it */
    SafeFrameStream *stream = safeframe_stream_new(filter, NULL);
    CHECK(stream != NULL, "cascade stream not made: %s", last_error());
    safeframe_filter_free(filter);
    if (stream) {
        fill_rgba(px, W, H, S, 128, 128, 128);
        status = stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 0, &v);
        SafeFrameStreamCounters c;
        CHECK(status == SAFEFRAME_OK && v.action == SAFEFRAME_ACTION_ALLOW &&
                  safeframe_stream_counters(stream, &c) == SAFEFRAME_OK && c.second_opinions == 0,
              "cascade stream, grey: action %d, second opinions %llu", v.action, (unsigned long long)c.second_opinions);
        fill_rgba(px, W, H, S, 255, 0, 0);
        status = stream_packed(stream, px, sizeof px, W, H, S, SAFEFRAME_FORMAT_RGBA8, 0, 33, &v);
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
    SafeFrameFilter *again = safeframe_filter_new_with_second_opinion(dir, dir, TWO_MODELS, false, 1);
    CHECK(again != NULL && safeframe_last_error_code() == SAFEFRAME_OK, "success left code %d", safeframe_last_error_code());
    safeframe_filter_free(again);
}

/* Reads a whole file; NULL when it cannot. */
static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *bytes = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            unsigned char *grown = realloc(bytes, cap);
            if (!grown) {
                free(bytes);
                fclose(f);
                return NULL;
            }
            bytes = grown;
        }
        got = fread(bytes + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return bytes;
}

static int write_file(const char *path, const unsigned char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(bytes, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* Loads `dir` with `options` (NULL: the defaults) and returns the last error code, 0 if it loaded. */
static int load_code(const char *dir, const SafeFrameFilterOptions *options) {
    SafeFrameFilter *filter = safeframe_filter_new_with_options(dir, NULL, "child", false, options);
    if (!filter) return safeframe_last_error_code();
    safeframe_filter_free(filter);
    return 0;
}

/*
 * Signed packs through the C door: a copy of the oracle pack loads; the same copy with two labels
 * swapped in its manifest (porn read as sexy), without its signature, with the shipped key
 * untrusted or revoked, or below the app's minimum version is refused with its own code.
 */
static void signed_packs(const char *oracle_dir) {
    static const char *files[] = {"manifest.json", "model.onnx", "signature.json"};
    char tmpl[] = "/tmp/safeframe-c-pack-XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL, "mkdtemp failed");
    if (!dir) return;
    char src[4096], dst[4096];
    unsigned char *manifest = NULL;
    size_t manifest_len = 0;
    for (int i = 0; i < 3; i++) {
        size_t len = 0;
        snprintf(src, sizeof src, "%s/oracle/%s", oracle_dir, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        unsigned char *bytes = read_file(src, &len);
        CHECK(bytes && write_file(dst, bytes, len), "cannot copy %s", src);
        if (i == 0) {
            manifest = bytes;
            manifest_len = len;
        } else {
            free(bytes);
        }
    }
    if (!manifest) return;
    CHECK(load_code(dir, NULL) == 0, "the untouched copy of the oracle pack was refused: %s", last_error());

    SafeFrameFilterOptions options = safeframe_filter_options_default();
    /* Only the app's own key (its secret half was discarded when it was made): the shipped key
     * that signed the oracle pack is not trusted. */
    const char *app_keys[] = {"ed25519:f951ddeb2f8d57693202d932bd0ce159115c5e394e4110d062578347aba93ec4"};
    options.trusted_keys = app_keys;
    options.trusted_key_count = 1;
    options.replace_shipped_keys = true;
    CHECK(load_code(dir, &options) == SAFEFRAME_ERROR_MODEL_UNTRUSTED, "untrusted key: %s", last_error());

    options = safeframe_filter_options_default();
    const char *revoked[] = {"e8172e50b53d6972"};
    options.revoked_keys = revoked;
    options.revoked_key_count = 1;
    CHECK(load_code(dir, &options) == SAFEFRAME_ERROR_MODEL_KEY_REVOKED, "revoked key: %s", last_error());

    options = safeframe_filter_options_default();
    options.min_version = "2.0.0";
    CHECK(load_code(dir, &options) == SAFEFRAME_ERROR_MODEL_ROLLED_BACK, "rollback: %s", last_error());

    /* Swap the "Porn" and "Sexy" labels (same length), so porn scores would be read as sexy. */
    unsigned char *tampered = malloc(manifest_len + 1);
    CHECK(tampered != NULL, "out of memory");
    if (tampered) {
        memcpy(tampered, manifest, manifest_len);
        tampered[manifest_len] = 0;
        char *porn = strstr((char *)tampered, "\"Porn\"");
        char *sexy = strstr((char *)tampered, "\"Sexy\"");
        CHECK(porn && sexy, "the oracle manifest names no Porn or Sexy label");
        if (porn && sexy) {
            memcpy(porn + 1, "Sexy", 4);
            memcpy(sexy + 1, "Porn", 4);
        }
        snprintf(dst, sizeof dst, "%s/manifest.json", dir);
        CHECK(write_file(dst, tampered, manifest_len), "cannot write %s", dst);
        CHECK(load_code(dir, NULL) == SAFEFRAME_ERROR_MODEL_TAMPERED, "swapped labels: %s", last_error());
        options = safeframe_filter_options_default();
        options.allow_unsigned = true; /* never lets a signature that fails through */
        CHECK(load_code(dir, &options) == SAFEFRAME_ERROR_MODEL_TAMPERED, "swapped labels, allow_unsigned: %s",
              last_error());
        free(tampered);
    }

    snprintf(dst, sizeof dst, "%s/manifest.json", dir);
    CHECK(write_file(dst, manifest, manifest_len), "cannot write %s", dst);
    snprintf(dst, sizeof dst, "%s/signature.json", dir);
    CHECK(unlink(dst) == 0, "cannot remove %s", dst);
    CHECK(load_code(dir, NULL) == SAFEFRAME_ERROR_MODEL_UNSIGNED, "unsigned: %s", last_error());
    options = safeframe_filter_options_default();
    options.allow_unsigned = true;
    CHECK(load_code(dir, &options) == 0, "unsigned with allow_unsigned: %s", last_error());
    free(manifest);

    for (int i = 0; i < 3; i++) {
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        unlink(dst);
    }
    rmdir(dir);
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
    SafeFrameFilter *filters[3];
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
    CHECK(yuv_cases >= 20, "only %d cases ran as NV21 and YUV_420_888", yuv_cases);
    for (int p = 0; p < 3; p++) safeframe_filter_free(filters[p]);
    bad_input(oracle_dir);
    nv12_planes(oracle_dir);
    stream_in_place(oracle_dir);
    stream_change_gate(oracle_dir);
    second_opinion(oracle_dir);
    signed_packs(oracle_dir);
    printf("C ABI: %d oracle cases x 3 presets (%d also as NV21 and YUV_420_888), %d faulty cases\n", cases,
           yuv_cases, faulty);
    printf("c-abi: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
