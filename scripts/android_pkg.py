#!/usr/bin/env python3
"""Helpers of scripts/package-android (no Android NDK needed).

  android_pkg.py sysroot ABI DIR     build a stub sysroot for zig: zig's musl headers patched for
                                     bionic, stand-ins for crtbegin_so.o/crtend_so.o, empty stub
                                     libc/libdl/liblog/libm, and a zig libc file (DIR/libc.txt)
  android_pkg.py link ARGS...        the linker rustc calls (-C linker=...): links with
                                     cargo-zigbuild's zig cc wrapper, reads the undefined dynamic
                                     symbols, writes stubs that export exactly those from the
                                     library bionic has them in, and links again, so the .so
                                     records NEEDED libc.so/libm.so/libdl.so/liblog.so
  android_pkg.py assemble ...        zip the AAR (see package-android)
  android_pkg.py check AAR           structure check of an AAR (entries, ABIs, ELF machine types,
                                     NEEDED, exported JNI and uniffi symbols)

Environment for `link`: SAFEFRAME_ANDROID_ABI, SAFEFRAME_ANDROID_SYSROOT, SAFEFRAME_ZIGBUILD_CACHE.
"""
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile

ABIS = {
    # abi: (rust target, zig target used by cargo-zigbuild, musl include dirs (low→high priority),
    #       zig target for the stubs, ELF e_machine, ELF class)
    "arm64-v8a": ("aarch64-linux-android", "aarch64-linux-android",
                  ["any-linux-any", "aarch64-linux-any", "generic-musl", "aarch64-linux-musl"],
                  "aarch64-linux-musl", 183, 64),
    "armeabi-v7a": ("armv7-linux-androideabi", "arm-linux-androideabi",
                    ["any-linux-any", "arm-linux-any", "generic-musl", "arm-linux-musl"],
                    "arm-linux-musleabi", 40, 32),
    "x86_64": ("x86_64-linux-android", "x86_64-linux-android",
               ["any-linux-any", "x86-linux-any", "generic-musl", "x86_64-linux-musl"],
               "x86_64-linux-musl", 62, 64),
    "x86": ("i686-linux-android", "x86-linux-android",
            ["any-linux-any", "x86-linux-any", "generic-musl", "x86-linux-musl"],
            "x86-linux-musl", 3, 32),
}
MACHINE_NAMES = {183: "AArch64", 40: "ARM", 62: "x86-64", 3: "i386"}
SYSTEM_LIBS = ["c", "dl", "log", "m"]
LIBDL = {"dlopen", "dlclose", "dlsym", "dlvsym", "dlerror", "dladdr", "android_dlopen_ext",
         "dl_iterate_phdr", "dl_unwind_find_exidx", "android_get_LD_LIBRARY_PATH",
         "android_update_LD_LIBRARY_PATH"}
DATA_SYMBOLS = {"stderr", "stdout", "stdin", "environ", "__sF", "optarg", "optind", "opterr",
                "optopt", "timezone", "daylight", "tzname", "__progname"}


def zig():
    return shutil.which("zig") or sys.exit("android_pkg: zig is not on PATH (scripts/setup-android zig)")


def zig_lib_dir():
    out = subprocess.run([zig(), "env"], check=True, capture_output=True, text=True).stdout
    m = re.search(r'"lib_dir"\s*:\s*"([^"]+)"', out) or re.search(r"\.lib_dir\s*=\s*\"([^\"]+)\"", out)
    if not m:
        sys.exit("android_pkg: cannot read zig's lib_dir from `zig env`")
    return m.group(1)


# ---------------------------------------------------------------------------------------------
# sysroot

def patch(path, old, new, what):
    s = open(path).read()
    if old not in s:
        sys.exit(f"android_pkg: cannot patch {what} in {path}: zig's musl headers changed")
    open(path, "w").write(s.replace(old, new))


def build_stub(abi, libdir, lib, symbols):
    stub_target = ABIS[abi][3]
    src = os.path.join(libdir, f"lib{lib}.stub.c")
    with open(src, "w") as f:
        f.write(f"/* Link-time stand-in for bionic's lib{lib}.so: exports these names only. */\n")
        for s in sorted(symbols):
            if s in DATA_SYMBOLS:
                f.write(f"char {s}[16];\n")
            else:
                f.write(f"void {s}(void) {{}}\n")
        if not symbols:
            f.write("void __safeframe_empty_stub(void) {}\n")
    out = os.path.join(libdir, f"lib{lib}.so")
    subprocess.run([zig(), "cc", "-target", stub_target, "-shared", "-nostdlib", "-fno-builtin", "-w",
                    f"-Wl,-soname,lib{lib}.so", "-o", out + ".tmp", src], check=True)
    os.replace(out + ".tmp", out)


def cmd_sysroot(abi, root):
    rust_target, zig_target, include_dirs, stub_target, _, bits = ABIS[abi]
    lib = zig_lib_dir()
    inc = os.path.join(root, "include")
    libdir = os.path.join(root, "lib")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(inc)
    os.makedirs(libdir)
    for d in include_dirs:
        src = os.path.join(lib, "libc", "include", d)
        if not os.path.isdir(src):
            sys.exit(f"android_pkg: zig has no {src}")
        shutil.copytree(src, inc, dirs_exist_ok=True)
    # bionic differences that matter to what zig compiles here (LLVM libunwind, for panics):
    patch(os.path.join(inc, "errno.h"), "int *__errno_location(void);\n#define errno (*__errno_location())",
          "int *__errno(void); /* bionic */\n#define errno (*__errno())", "errno")
    patch(os.path.join(inc, "bits", "alltypes.h"),
          "int __i[sizeof(long)==8?14:8]; volatile int __vi[sizeof(long)==8?14:8]; void *__p[sizeof(long)==8?7:8]; } __u; } pthread_rwlock_t;",
          "int __i[sizeof(long)==8?14:10]; volatile int __vi[sizeof(long)==8?14:10]; void *__p[sizeof(long)==8?7:10]; } __u; } pthread_rwlock_t; /* bionic: 40 bytes on 32-bit */",
          "pthread_rwlock_t")
    with open(os.path.join(inc, "link.h"), "a") as f:
        f.write("\n/* bionic: ARM EHABI unwind table lookup (libdl). */\n"
                "#if defined(__arm__)\ntypedef unsigned long _Unwind_Ptr;\n"
                "_Unwind_Ptr dl_unwind_find_exidx(_Unwind_Ptr, int *);\n#endif\n")
    with open(os.path.join(root, "crtbegin_so.c"), "w") as f:
        f.write("/* Stand-in for the NDK's crtbegin_so.o: the DSO handle used by __cxa_atexit and\n"
                "   __cxa_thread_atexit_impl registrations. */\n"
                "__attribute__((visibility(\"hidden\"))) void *__dso_handle = &__dso_handle;\n")
    with open(os.path.join(root, "crtend_so.c"), "w") as f:
        f.write("/* Stand-in for the NDK's crtend_so.o. */\ntypedef int safeframe_empty;\n")
    for name in ("crtbegin_so", "crtend_so"):
        subprocess.run([zig(), "cc", "-target", stub_target, "-fPIC", "-O2", "-c",
                        os.path.join(root, name + ".c"), "-o", os.path.join(libdir, name + ".o")], check=True)
    for l in SYSTEM_LIBS:
        build_stub(abi, libdir, l, set())
    with open(os.path.join(root, "libc.txt"), "w") as f:
        f.write(f"include_dir={inc}\nsys_include_dir={inc}\ncrt_dir={libdir}\n"
                "msvc_lib_dir=\nkernel32_lib_dir=\ngcc_dir=\n")
    print(root)


# ---------------------------------------------------------------------------------------------
# link

def math_names(sysroot):
    names = set()
    for h in ("math.h", "complex.h", "fenv.h"):
        p = os.path.join(sysroot, "include", h)
        if os.path.exists(p):
            names |= set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", open(p).read()))
    return names


def undefined_dynamic(path):
    out = subprocess.run(["readelf", "--dyn-syms", "-W", path], check=True, capture_output=True,
                         text=True).stdout
    und = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[6] == "UND" and parts[7]:
            und.add(parts[7].split("@")[0])
    return und


def cmd_link(args):
    abi = os.environ["SAFEFRAME_ANDROID_ABI"]
    sysroot = os.environ["SAFEFRAME_ANDROID_SYSROOT"]
    rust_target = ABIS[abi][0]
    cache = os.environ.get("SAFEFRAME_ZIGBUILD_CACHE", os.path.expanduser("~/.cache/cargo-zigbuild"))
    # cargo-zigbuild writes one `zig cc` wrapper per Rust target before it runs cargo.
    wrappers = sorted(glob.glob(os.path.join(cache, "*", "wrappers", "*", f"zigcc-{rust_target}-*.sh")),
                      key=os.path.getmtime)
    if not wrappers:
        sys.exit(f"android_pkg link: no cargo-zigbuild wrapper for {rust_target} under {cache}")
    wrapper = wrappers[-1]
    env = dict(os.environ, ZIG_LIBC=os.path.join(sysroot, "libc.txt"))
    libdir = os.path.join(sysroot, "lib")
    full = list(args) + [f"-L{libdir}"]
    out = full[full.index("-o") + 1]
    # Pass 1: stubs from the previous link (or empty ones); the result tells what is imported.
    subprocess.run([wrapper] + full, check=True, env=env)
    und = undefined_dynamic(out)
    wanted = {"dl": und & LIBDL,
              "log": {s for s in und if s.startswith(("__android_log", "android_log"))},
              "m": und & math_names(sysroot)}
    wanted["c"] = und - wanted["dl"] - wanted["log"] - wanted["m"]
    for l in SYSTEM_LIBS:
        build_stub(abi, libdir, l, wanted[l])
    # Pass 2: every import now comes from a NEEDED system library.
    subprocess.run([wrapper] + full, check=True, env=env)
    with open(out + ".imports.txt", "w") as f:
        for l in SYSTEM_LIBS:
            for s in sorted(wanted[l]):
                f.write(f"lib{l}.so {s}\n")


# ---------------------------------------------------------------------------------------------
# AAR structure check

def elf_info(data):
    if data[:4] != b"\x7fELF":
        return None
    cls = {1: 32, 2: 64}[data[4]]
    machine = struct.unpack_from("<H", data, 18)[0]
    return cls, machine


def dynamic(path):
    d = subprocess.run(["readelf", "-d", "-W", path], check=True, capture_output=True, text=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", d)
    soname = re.findall(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", d)
    s = subprocess.run(["readelf", "--dyn-syms", "-W", path], check=True, capture_output=True, text=True).stdout
    exported = set()
    for line in s.splitlines():
        p = line.split()
        if len(p) >= 8 and p[6] != "UND" and p[4] in ("GLOBAL", "WEAK") and p[3] == "FUNC":
            exported.add(p[7].split("@")[0])
    return needed, soname, exported


def cmd_check(aar, pom=None):
    errors = []
    notes = []
    with zipfile.ZipFile(aar) as z:
        names = set(z.namelist())
        for req in ("AndroidManifest.xml", "classes.jar", "R.txt", "proguard.txt"):
            if req not in names:
                errors.append(f"missing {req}")
        if not any(n.startswith("META-INF/") and ("LICENSE" in n.upper() or "NOTICE" in n.upper()) for n in names):
            errors.append("no licence notice under META-INF/")
        manifest = z.read("AndroidManifest.xml").decode() if "AndroidManifest.xml" in names else ""
        if 'package="dev.safeframe"' not in manifest:
            errors.append("AndroidManifest.xml does not declare package dev.safeframe")
        if "classes.jar" in names:
            import io
            with zipfile.ZipFile(io.BytesIO(z.read("classes.jar"))) as cj:
                classes = set(cj.namelist())
            for c in ("dev/safeframe/SafeFrameFilter.class", "dev/safeframe/ZeroCopy.class",
                      "dev/safeframe/NativeFrames.class", "dev/safeframe/SafeFrameException$InvalidFrame.class"):
                if c not in classes:
                    errors.append(f"classes.jar lacks {c}")
            stub = [c for c in classes if c.startswith("androidx/") or c.startswith("java/")]
            if stub:
                errors.append(f"classes.jar contains compile-only stubs: {stub[:3]}")
            notes.append(f"classes.jar: {sum(1 for c in classes if c.endswith('.class'))} classes")
        ort_bundled = []
        tmp = aar + ".check"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        for abi, (_, _, _, _, machine, bits) in ABIS.items():
            so = f"jni/{abi}/libsafeframe_ffi.so"
            if so not in names:
                errors.append(f"missing {so}")
                continue
            data = z.read(so)
            cls, mach = elf_info(data) or (None, None)
            if (cls, mach) != (bits, machine):
                errors.append(f"{so}: ELF{cls} machine {mach}, expected ELF{bits} {MACHINE_NAMES[machine]}")
            p = os.path.join(tmp, abi + ".so")
            open(p, "wb").write(data)
            needed, soname, exported = dynamic(p)
            if soname != ["libsafeframe_ffi.so"]:
                errors.append(f"{so}: SONAME {soname}, expected libsafeframe_ffi.so")
            if "libc.so" not in needed:
                errors.append(f"{so}: NEEDED {needed} lacks libc.so")
            bad = [n for n in needed if n not in ("libc.so", "libm.so", "libdl.so", "liblog.so")]
            if bad:
                errors.append(f"{so}: unexpected NEEDED {bad}")
            jni = sorted(s for s in exported if s.startswith("Java_dev_safeframe_NativeFrames_"))
            uni = [s for s in exported if s.startswith("uniffi_safeframe_ffi_fn_")]
            cabi = [s for s in exported if s.startswith("safeframe_")]
            # JNI_OnLoad is optional (without it ART assumes JNI 1.6-capable code is fine and logs
            # "No JNI_OnLoad found"); reported, not required.
            onload = "JNI_OnLoad exported" if "JNI_OnLoad" in exported else "no JNI_OnLoad (optional)"
            for m in ("filterFrame", "processFrame"):
                if f"Java_dev_safeframe_NativeFrames_{m}" not in exported:
                    errors.append(f"{so}: Java_dev_safeframe_NativeFrames_{m} not exported")
            if len(uni) < 10:
                errors.append(f"{so}: only {len(uni)} uniffi symbols exported")
            if "ffi_safeframe_ffi_uniffi_contract_version" not in exported:
                errors.append(f"{so}: uniffi contract-version symbol not exported")
            notes.append(f"{abi}: ELF{cls} {MACHINE_NAMES.get(mach, mach)}, {len(data)} bytes, NEEDED {needed}, "
                         f"JNI {len(jni)} ({', '.join(j.rsplit('_', 1)[-1] for j in jni)}), {onload}, uniffi {len(uni)}, C ABI {len(cabi)}")
            ort = f"jni/{abi}/libonnxruntime.so"
            if ort in names:
                od = z.read(ort)
                if (elf_info(od) or (None, None)) != (bits, machine):
                    errors.append(f"{ort}: wrong ELF class/machine")
                ort_bundled.append(abi)
        shutil.rmtree(tmp, ignore_errors=True)
        extra_abis = {n.split("/")[1] for n in names if n.startswith("jni/") and n.count("/") >= 2} - set(ABIS)
        if extra_abis:
            errors.append(f"unexpected ABIs {sorted(extra_abis)}")
    if ort_bundled and len(ort_bundled) != len(ABIS):
        errors.append(f"libonnxruntime.so only for {ort_bundled}")
    if not ort_bundled:
        pom_text = open(pom).read() if pom and os.path.exists(pom) else ""
        if "<artifactId>onnxruntime-android</artifactId>" not in pom_text:
            errors.append("libonnxruntime.so is neither bundled nor declared as a dependency in the .pom")
        else:
            notes.append("ONNX Runtime: not bundled; the .pom declares com.microsoft.onnxruntime:onnxruntime-android")
    else:
        notes.append("ONNX Runtime: libonnxruntime.so bundled for all 4 ABIs")
    for n in notes:
        print("  " + n)
    if errors:
        for e in errors:
            print("  ERROR: " + e)
        print(f"aar-check: {len(errors)} failed")
        sys.exit(1)
    print(f"aar-check: {os.path.basename(aar)} OK ({os.path.getsize(aar)} bytes)")


# ---------------------------------------------------------------------------------------------
# assemble

def cmd_assemble(out, classes_jar, manifest, proguard, jni_dir, notices_dir):
    tmp = out + ".partial"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(manifest, "AndroidManifest.xml")
        z.write(classes_jar, "classes.jar")
        z.write(proguard, "proguard.txt")
        z.writestr("R.txt", "")
        for abi in ABIS:
            d = os.path.join(jni_dir, abi)
            if not os.path.isdir(d):
                continue
            for f in sorted(os.listdir(d)):
                if f.endswith(".so"):
                    z.write(os.path.join(d, f), f"jni/{abi}/{f}")
        for f in sorted(os.listdir(notices_dir)):
            z.write(os.path.join(notices_dir, f), f"META-INF/{f}")
    os.replace(tmp, out)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "sysroot":
        cmd_sysroot(sys.argv[2], sys.argv[3])
    elif cmd == "link":
        cmd_link(sys.argv[2:])
    elif cmd == "check":
        cmd_check(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "assemble":
        cmd_assemble(*sys.argv[2:8])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
