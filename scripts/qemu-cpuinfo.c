/*
 * Preloaded into the aarch64 test processes by scripts/test-arm: opening /proc/cpuinfo opens
 * FAKE_CPUINFO (a path given with -D) instead.
 *
 * Why: qemu-user 7.2 (Debian 12) shows the emulated program the host's x86 /proc/cpuinfo, and
 * the cpuinfo library inside ONNX Runtime's aarch64 build dereferences NULL while loading
 * (in its static initialisers, before any API call) when that file lists no ARM cores. The
 * replacement describes the CPU that qemu emulates (-cpu cortex-a76), so ONNX Runtime picks the
 * kernels it would pick on such a phone core. Newer qemu emulates /proc/cpuinfo itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

static const char *redirect(const char *path) {
  return path && strcmp(path, "/proc/cpuinfo") == 0 ? FAKE_CPUINFO : path;
}

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

#define OPEN(name)                                                                  \
  int name(const char *path, int flags, ...) {                                      \
    static int (*real)(const char *, int, ...);                                     \
    va_list ap;                                                                     \
    va_start(ap, flags);                                                            \
    mode_t mode = mode_arg(flags, ap);                                              \
    va_end(ap);                                                                     \
    if (!real) real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name);     \
    return real(redirect(path), flags, mode);                                       \
  }
OPEN(open)
OPEN(open64)

#define OPENAT(name)                                                                \
  int name(int dir, const char *path, int flags, ...) {                             \
    static int (*real)(int, const char *, int, ...);                                \
    va_list ap;                                                                     \
    va_start(ap, flags);                                                            \
    mode_t mode = mode_arg(flags, ap);                                              \
    va_end(ap);                                                                     \
    if (!real) real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, #name); \
    return real(dir, redirect(path), flags, mode);                                  \
  }
OPENAT(openat)
OPENAT(openat64)

#define FOPEN(name)                                                                 \
  FILE *name(const char *path, const char *mode) {                                  \
    static FILE *(*real)(const char *, const char *);                               \
    if (!real) real = (FILE * (*)(const char *, const char *))dlsym(RTLD_NEXT, #name); \
    return real(redirect(path), mode);                                              \
  }
FOPEN(fopen)
FOPEN(fopen64)
