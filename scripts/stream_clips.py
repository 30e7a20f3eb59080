#!/usr/bin/env python3
"""The measuring half of scripts/stream-clips (issue #16): real clips through `safeframe stream`.

For each clip (a video file that scripts/stream-clips extracted from a pinned package):

1. decode it with ffmpeg to raw RGBA at a modest size (native when at most 640 wide, else
   640 wide) and a constant frame rate, into a temporary file;
2. find the scene cuts with ffmpeg (`select='gt(scene,0.3)',showinfo` on the same raw frames
   converted to yuv420p, as most sources are: on RGBA the constant alpha would dilute the score;
   cut indices are frame indices of what the CLI sees);
3. noise study: the change gate's measure computed here independently of the Rust code, on
   the RGBA frames and on the same clip decoded to NV12 (max of Y, U, V as the gate reads YUV
   frames; and Y alone), its distribution on consecutive frames and across cuts, and a
   simulation of the gate for a range of thresholds (see `simulate_gate`);
4. runs the release CLI on the same raw frames, in one run of this script: inline with the
   change gate (default flags) and classifying every frame (`--no-change-gate`), then the same
   pair with `--background`, fed in real time (paced at the clip's fps, as a camera would);
   CPU time (user + sys) of each child comes from wait4, and the counters from the last line
   of its events file;
5. prints a table per clip and writes everything to a JSON file.

Standard library only. Nothing here looks at what frames show beyond the change measure; the
events files keep only verdicts and counters, as the CLI writes them.
"""

import argparse
import bisect
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from operator import sub

MAX_WIDTH = 640
SCENE_THRESHOLD = 0.3
THRESHOLDS = (0.02, 0.04, 0.06, 0.08, 0.10, 0.12)
HOLD_THRESHOLDS = (0.15, 0.2, 0.25, 0.3)
MAX_AGE_S = 1.0
GRID = 64  # point samples per side of the thumbnail
TILES = 4  # tiles per side
TILE_SIDE = GRID // TILES
TILE_SAMPLES = TILE_SIDE * TILE_SIDE


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# ffmpeg


def probe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height,r_frame_rate:format=duration", "-of", "json", path],
        check=True, capture_output=True, text=True).stdout
    info = json.loads(out)
    stream = info["streams"][0]
    return {
        "codec": stream["codec_name"],
        "width": int(stream["width"]),
        "height": int(stream["height"]),
        "fps": Fraction(stream["r_frame_rate"]),
        "duration": float(info["format"]["duration"]),
    }


def target_size(width, height):
    if width <= MAX_WIDTH:
        return width - width % 2, height - height % 2
    h = round(height * MAX_WIDTH / width / 2) * 2
    return MAX_WIDTH, h


def frame_bytes(width, height, pix_fmt):
    return width * height * 4 if pix_fmt == "rgba" else width * height * 3 // 2


def decode(path, raw, width, height, fps, max_seconds, pix_fmt="rgba"):
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-an", "-sn"]
    if max_seconds:
        cmd += ["-t", str(max_seconds)]
    cmd += ["-vf", f"scale={width}:{height}:flags=area", "-fps_mode", "cfr", "-r", str(fps),
            "-f", "rawvideo", "-pix_fmt", pix_fmt, raw]
    # Some packaged clips have harmless decode warnings (damaged slices); only the exit
    # status counts.
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    size = os.path.getsize(raw)
    frame_len = frame_bytes(width, height, pix_fmt)
    if size == 0 or size % frame_len:
        raise SystemExit(f"stream_clips: {raw}: {size} bytes is not a whole number of frames")
    return size // frame_len


def scene_cuts(raw, width, height, fps):
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-f", "rawvideo", "-pix_fmt", "rgba",
           "-s", f"{width}x{height}", "-framerate", str(fps), "-i", raw,
           "-vf", f"format=yuv420p,select='gt(scene,{SCENE_THRESHOLD})',showinfo", "-f", "null", "-"]
    err = subprocess.run(cmd, check=True, capture_output=True, text=True).stderr
    cuts = []
    for line in err.splitlines():
        if "Parsed_showinfo" in line and "pts_time:" in line:
            t = float(line.split("pts_time:")[1].split()[0])
            cuts.append(round(t * fps))
    return sorted(set(cuts))


# ---------------------------------------------------------------------------------------------
# The gate's measure, as specified in issue #16 (independent of core/src/stream/gate.rs)


def gate_measure_grid(width, height):
    """The 64x64 point samples (x, y), tile-major: tile (ty, tx) holds the 16x16 samples of
    rows ty*16.. and columns tx*16..; sample i sits at x = floor((2i+1)W/128), same for y."""
    xs = [(2 * i + 1) * width // (2 * GRID) for i in range(GRID)]
    ys = [(2 * i + 1) * height // (2 * GRID) for i in range(GRID)]
    points = []
    for ty in range(TILES):
        for tx in range(TILES):
            for y in ys[ty * TILE_SIDE:(ty + 1) * TILE_SIDE]:
                for x in xs[tx * TILE_SIDE:(tx + 1) * TILE_SIDE]:
                    points.append((x, y))
    return points


def thumbnail_rgba(frame, points, width):
    """(R, G, B): three bytes objects of 4096 samples each, tile-major."""
    offsets = [(y * width + x) * 4 for x, y in points]
    return tuple(bytes(frame[o + c] for o in offsets) for c in range(3))


def thumbnail_nv12(frame, points, width, height):
    """(Y, U, V) as an NV12 frame holds them: Y at (x, y), the interleaved U, V pair at
    (x/2, y/2) of the chroma plane."""
    luma = bytes(frame[y * width + x] for x, y in points)
    uv = [width * height + (y // 2) * width + (x // 2) * 2 for x, y in points]
    return luma, bytes(frame[o] for o in uv), bytes(frame[o + 1] for o in uv)


CELL_SIDE = 4  # samples per side of the cells whose mean colours are compared
# Tile-local sample indices of each cell (tile-major grid: a tile's samples row by row).
CELLS = [[(r * TILE_SIDE + c) for r in range(cr, cr + CELL_SIDE) for c in range(cc, cc + CELL_SIDE)]
         for cr in range(0, TILE_SIDE, CELL_SIDE) for cc in range(0, TILE_SIDE, CELL_SIDE)]


def _max_tile_cells(channels_a, channels_b):
    """Max over tiles of (sum over the tile's cells of the largest channel's |sum of the
    differences| over the cell), over the tile's samples and 255: the cells' mean colours
    compared, weighted by their samples."""
    deltas = [list(map(sub, a, b)) for a, b in zip(channels_a, channels_b)]
    largest = 0
    for k in range(0, len(deltas[0]), TILE_SAMPLES):
        tile = sum(max(abs(sum(d[k + i] for i in cell)) for d in deltas) for cell in CELLS)
        largest = max(largest, tile)
    return largest / (TILE_SAMPLES * 255)


def diff_rgb(a, b):
    """Max over tiles of (mean over the tile's 4x4-sample cells of the largest channel
    difference of the cells' mean colours) / 255, as core/src/stream/gate.rs."""
    return _max_tile_cells(a, b)


def diff_first(a, b):
    """The same with the first channel alone (|dY| of a YUV thumbnail)."""
    return _max_tile_cells(a[:1], b[:1])


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def simulate_gate(thumbs, fps, diff, threshold, cuts):
    """Reference = frame 0 (a run); then a frame differing from the reference by more than
    `threshold` is a run (change), else one whose timestamp is at least 1 s after the
    reference's is a run (age); either way it becomes the reference."""
    ref = 0
    change_runs = []
    change_diffs = {}
    age_runs = 0
    for i in range(1, len(thumbs)):
        d = diff(thumbs[i], thumbs[ref])
        if d > threshold:
            change_runs.append(i)
            change_diffs[i] = d
            ref = i
        elif (i - ref) / fps >= MAX_AGE_S - 1e-9:
            age_runs += 1
            ref = i
    changed = set(change_runs)
    caught = [c for c in cuts if c in changed]
    return {
        "threshold": threshold,
        "runs": 1 + len(change_runs) + age_runs,
        "change_runs": len(change_runs),
        "age_runs": age_runs,
        "cuts_caught": len(caught),
        "cuts_missed": [c for c in cuts if c not in changed],
        # A second, higher threshold for holding (background mode): changed frames above it,
        # and whether every cut is above it.
        "above": {h: sum(d > h for d in change_diffs.values()) for h in HOLD_THRESHOLDS},
        "cuts_above": {h: sum(change_diffs.get(c, 0) > h for c in cuts) for h in HOLD_THRESHOLDS},
    }


def noise_study(raw, raw_nv12, width, height, frames, fps, cuts):
    """The gate's measure on the RGBA frames (what the CLI runs see), and on the same frames
    decoded to NV12 (what a camera's YUV frames give the gate: max of |dY|, |dU|, |dV|; and
    |dY| alone)."""
    points = gate_measure_grid(width, height)
    rgb, yuv = [], []
    with open(raw, "rb") as f:
        for _ in range(frames):
            rgb.append(thumbnail_rgba(f.read(frame_bytes(width, height, "rgba")), points, width))
    with open(raw_nv12, "rb") as f:
        for _ in range(frames):
            yuv.append(thumbnail_nv12(f.read(frame_bytes(width, height, "nv12")), points, width, height))
    fps = float(fps)
    cut_set = set(cuts)
    out = {}
    for name, thumbs, diff in (("rgb", rgb, diff_rgb), ("yuv", yuv, diff_rgb), ("luma", yuv, diff_first)):
        consecutive = [diff(thumbs[i], thumbs[i - 1]) for i in range(1, frames)]
        steady = [d for i, d in enumerate(consecutive, start=1) if i not in cut_set]
        across = [consecutive[c - 1] for c in cuts if c >= 1]
        out[name] = {
            "consecutive": {p: percentile(steady, p) for p in (50, 90, 99)} | {"max": max(steady, default=float("nan"))},
            "cuts": {"min": min(across, default=float("nan")),
                     "median": percentile(across, 50) if across else float("nan")},
            "gate": [simulate_gate(thumbs, fps, diff, t, [c for c in cuts if c >= 1])
                     for t in THRESHOLDS],
        }
    return out


# ---------------------------------------------------------------------------------------------
# The CLI


def supports_gate(binary):
    out = subprocess.run([binary, "stream", "--help"], capture_output=True, text=True).stdout
    return "--no-change-gate" in out


def run_cli(binary, flags, raw, width, height, fps, events, pace):
    cmd = [binary, "stream", "--width", str(width), "--height", str(height), "--format", "rgba",
           "--fps", repr(float(fps)), "--events", events] + flags
    frame_len = width * height * 4
    stderr = tempfile.TemporaryFile()
    start = time.monotonic()
    if pace:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        period = 1 / float(fps)
        with open(raw, "rb") as f:
            i = 0
            while True:
                chunk = f.read(frame_len)
                if not chunk:
                    break
                delay = start + i * period - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                try:
                    proc.stdin.write(chunk)
                    proc.stdin.flush()
                except BrokenPipeError:
                    break
                i += 1
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
    else:
        with open(raw, "rb") as f:
            proc = subprocess.Popen(cmd, stdin=f, stdout=subprocess.DEVNULL, stderr=stderr)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        stderr.seek(0)
        raise SystemExit(f"stream_clips: {' '.join(cmd)} exited {proc.returncode}:\n"
                         + stderr.read().decode(errors="replace"))
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall, "flags": flags}


def read_events(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    if not lines or "summary" not in lines[-1]:
        raise SystemExit(f"stream_clips: {path}: no summary line")
    changes = sorted((e for e in lines if "action" in e), key=lambda e: e["frame"])
    failures = [e for e in lines if "failure" in e]
    return lines[-1]["summary"], changes, failures


def holds_after_cuts(changes, cuts, frames):
    """For each cut: the action applied to the cut frame and why (the verdict change in force
    there), and, when it is a hold, how many frames from the cut on stay held. In background
    mode a cut frame released under `allow` was shown before any verdict on it: a flash."""
    frames_of = [e["frame"] for e in changes]
    result = []
    for cut in cuts:
        k = bisect.bisect_right(frames_of, cut) - 1
        if k < 0:
            result.append({"cut": cut, "action": None, "cause": None, "held": 0})
            continue
        change = changes[k]
        end = changes[k + 1]["frame"] if k + 1 < len(changes) else frames
        held = end - cut if change["cause"] == "held" else 0
        result.append({"cut": cut, "action": change["action"], "cause": change["cause"],
                       "held": held, "since": change["frame"]})
    return result


def stream_study(binary, gate_flags, raw, width, height, frames, fps, cuts, outdir, name, has_gate,
                 repeat):
    """Each mode `repeat` times, interleaved (gated, every, gated, every, ...) so that load from
    other processes falls on both alike; the CPU and wall figures are each mode's minimum, the
    counters and events those of its last run."""
    every_flags = ["--no-change-gate"] if has_gate else ["--every", "1"]
    modes = [
        ("inline gated", gate_flags, False),
        ("inline every", every_flags, False),
        ("bg gated", ["--background"] + gate_flags, True),
        ("bg every", ["--background"] + every_flags, True),
    ]
    runs = {}
    for pair in (modes[:2], modes[2:]):
        for rep in range(repeat):
            for label, flags, pace in pair:
                events = os.path.join(outdir, f"{name}.{label.replace(' ', '-')}.jsonl")
                log(f"  {name}: {label} ({'paced at the clip fps' if pace else 'as fast as it goes'})"
                    + (f", run {rep + 1}/{repeat}" if repeat > 1 else ""))
                run = run_cli(binary, flags, raw, width, height, fps, events, pace)
                summary, changes, failures = read_events(events)
                if summary.get("frames") != frames:
                    raise SystemExit(f"stream_clips: {events}: {summary.get('frames')} frames, decoded {frames}")
                run.update(summary=summary, failures=len(failures), changes=len(changes),
                           cuts=holds_after_cuts(changes, cuts, frames))
                run["cpu_all_s"] = [run["cpu_s"]]
                if label in runs:
                    run["cpu_all_s"] = runs[label]["cpu_all_s"] + run["cpu_all_s"]
                    run["cpu_s"] = min(run["cpu_s"], runs[label]["cpu_s"])
                    run["wall_s"] = min(run["wall_s"], runs[label]["wall_s"])
                runs[label] = run
    return runs


def startup_cpu(binary, outdir):
    """CPU time of a stream run on no frames: loading the primary model (the second opinion
    loads on first need), to read the per-frame figures net of it."""
    empty = os.path.join(outdir, "empty.rgba")
    open(empty, "wb").close()
    runs = [run_cli(binary, [], empty, 64, 64, 30, os.path.join(outdir, "startup.jsonl"), False)["cpu_s"]
            for _ in range(3)]
    return min(runs)


# ---------------------------------------------------------------------------------------------
# Report


def fmt(x, nd=3):
    return "-" if x is None else f"{x:.{nd}f}"


def print_clip(c):
    print(f"\n## {c['name']}: {c['description']}")
    print(f"source {c['source']}; {c['codec']} {c['src_width']}x{c['src_height']} -> "
          f"{c['width']}x{c['height']} rgba, {float(Fraction(c['fps'])):.3f} fps, {c['frames']} frames, "
          f"{c['seconds']:.2f} s; {len(c['cuts'])} cuts at frames {c['cuts']}")
    if "noise" in c:
        for variant in ("rgb", "yuv", "luma"):
            n = c["noise"][variant]
            con, cut = n["consecutive"], n["cuts"]
            print(f"noise ({variant}): consecutive p50 {con[50]:.4f} p90 {con[90]:.4f} "
                  f"p99 {con[99]:.4f} max {con['max']:.4f}; across cuts min {cut['min']:.4f} "
                  f"median {cut['median']:.4f}")
            print("  T     runs (change+age)  runs/frames  cuts caught  changed frames above "
                  + "/".join(str(h) for h in HOLD_THRESHOLDS) + " (cuts above)")
            for g in n["gate"]:
                head = (f"  {g['threshold']:.2f}  {g['runs']:5d} ({g['change_runs']}+{g['age_runs']})")
                print(f"{head:<27}{g['runs'] / c['frames']:.3f}       {g['cuts_caught']}/{len(c['cuts'])}"
                      + "          " + "/".join(str(g["above"][h]) for h in HOLD_THRESHOLDS)
                      + " (" + "/".join(str(g["cuts_above"][h]) for h in HOLD_THRESHOLDS) + ")"
                      + (f"  missed {g['cuts_missed']}" if g['cuts_missed'] else ""))
    if "runs" in c:
        startup = c["startup_cpu_s"]
        print(f"stream (startup CPU {startup:.2f} s, not subtracted in 'CPU/s'; 'net' subtracts it)")
        print("  mode          frames  runs  2nd  held  reused  blur  block  err  CPU s  "
              "CPU/s  net CPU/s  wall s")
        for label, r in c["runs"].items():
            s = r["summary"]
            cpu = r["cpu_s"]
            print(f"  {label:<13} {s['frames']:6d} {s['classified']:5d} {s['second_opinions']:4d} "
                  f"{s.get('held', 0):5d} {s.get('reused', 0):7d} {s['blurred']:5d} "
                  f"{s['blocked']:6d} {s['errors']:4d} {cpu:6.2f} {cpu / c['seconds']:6.3f} "
                  f"{max(cpu - startup, 0) / c['seconds']:10.3f} {r['wall_s']:7.2f}")
        for mode in ("inline", "bg"):
            g, e = c["runs"][f"{mode} gated"], c["runs"][f"{mode} every"]
            rg, re_ = g["summary"]["classified"], e["summary"]["classified"]
            net = (g["cpu_s"] - startup) / (e["cpu_s"] - startup) if e["cpu_s"] > startup else None
            print(f"  {mode}: model runs gated/every {rg}/{re_} = {rg / re_ if re_ else 0:.3f}; "
                  f"CPU gated/every {g['cpu_s'] / e['cpu_s']:.3f} (net of startup {fmt(net)})")
        if c["cuts"]:
            print("  cut frame: action on it (cause; 'held N': N frames held from the cut on;"
                  " '<-F': in force since frame F)")
            for label, r in c["runs"].items():
                cells = []
                for h in r["cuts"]:
                    cell = f"{h['cut']}: {h['action']}"
                    if h["cause"] == "held":
                        cell += f" held {h['held']}"
                    elif h["cause"]:
                        cell += f" ({h['cause']})"
                    if h.get("since") is not None and h["since"] != h["cut"]:
                        cell += f" <-{h['since']}"
                    cells.append(cell)
                print(f"  {label:<13} " + "; ".join(cells))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the safeframe release binary")
    ap.add_argument("--out", required=True, help="directory for events files and results.json")
    ap.add_argument("--gate-arg", action="append", default=[],
                    help="extra flag for the gated runs (repeat), e.g. --gate-arg=--change-threshold=0.04")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per mode (CPU and wall: the minimum); background runs take real time")
    ap.add_argument("--no-stream", action="store_true", help="noise study only")
    ap.add_argument("--no-noise", action="store_true", help="CLI runs only")
    ap.add_argument("clips", nargs="+", help="NAME|PATH|MAX_SECONDS|SOURCE|DESCRIPTION")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    has_gate = supports_gate(args.bin)
    if not args.no_stream and not has_gate:
        log("stream_clips: this binary has no --no-change-gate: both columns classify every "
            "frame (rebuild after the change gate lands)")
    startup = None if args.no_stream else startup_cpu(args.bin, args.out)
    results = []
    with tempfile.TemporaryDirectory(prefix="safeframe-clips-") as tmp:
        for spec in args.clips:
            name, path, max_seconds, source, description = spec.split("|", 4)
            info = probe(path)
            width, height = target_size(info["width"], info["height"])
            fps = info["fps"]
            raw = os.path.join(tmp, f"{name}.rgba")
            log(f"{name}: decoding to {width}x{height} rgba at {float(fps):.3f} fps")
            frames = decode(path, raw, width, height, fps, float(max_seconds) if max_seconds else None)
            cuts = scene_cuts(raw, width, height, fps)
            clip = {"name": name, "description": description, "source": source, "path": path,
                    "codec": info["codec"], "src_width": info["width"], "src_height": info["height"],
                    "width": width, "height": height, "fps": str(fps), "frames": frames,
                    "seconds": frames / float(fps), "cuts": cuts}
            if not args.no_noise:
                log(f"{name}: noise study ({frames} frames)")
                raw_nv12 = os.path.join(tmp, f"{name}.nv12")
                if decode(path, raw_nv12, width, height, fps, float(max_seconds) if max_seconds else None,
                          "nv12") != frames:
                    raise SystemExit(f"stream_clips: {name}: the NV12 decode has another frame count")
                clip["noise"] = noise_study(raw, raw_nv12, width, height, frames, fps, cuts)
                os.remove(raw_nv12)
            if not args.no_stream:
                clip["startup_cpu_s"] = startup
                clip["runs"] = stream_study(args.bin, args.gate_arg, raw, width, height, frames,
                                            fps, cuts, args.out, name, has_gate, args.repeat)
            os.remove(raw)
            print_clip(clip)
            sys.stdout.flush()
            results.append(clip)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"binary_has_gate": has_gate, "gate_args": args.gate_arg, "clips": results},
                  f, indent=1, default=str)
    if len(results) > 1:
        print("\n## all clips")
        if not args.no_noise:
            for variant in ("rgb", "yuv", "luma"):
                cells = []
                for k, t in enumerate(THRESHOLDS):
                    runs = sum(c["noise"][variant]["gate"][k]["runs"] for c in results)
                    frames = sum(c["frames"] for c in results)
                    halves = sum(c["noise"][variant]["gate"][k]["runs"] <= c["frames"] / 2 for c in results)
                    cuts = sum(c["noise"][variant]["gate"][k]["cuts_caught"] for c in results)
                    cells.append(f"{t:.2f}: {runs}/{frames} = {runs / frames:.3f} "
                                 f"(clips at most half: {halves}/{len(results)}; cuts caught "
                                 f"{cuts}/{sum(len(c['cuts']) for c in results)})")
                print(f"simulated gate ({variant}):\n  " + "\n  ".join(cells))
        if not args.no_stream:
            for mode in ("inline", "bg"):
                rg = sum(c["runs"][f"{mode} gated"]["summary"]["classified"] for c in results)
                re_ = sum(c["runs"][f"{mode} every"]["summary"]["classified"] for c in results)
                cg = sum(c["runs"][f"{mode} gated"]["cpu_s"] for c in results)
                ce = sum(c["runs"][f"{mode} every"]["cpu_s"] for c in results)
                held = sum(c["runs"][f"{mode} gated"]["summary"].get("held", 0) for c in results)
                frames = sum(c["frames"] for c in results)
                print(f"{mode}: model runs gated {rg} / every frame {re_} = {rg / re_:.3f}; "
                      f"CPU {cg:.1f} s / {ce:.1f} s = {cg / ce:.3f}; gated frames held "
                      f"{held}/{frames}")
    print(f"\nresults: {os.path.join(args.out, 'results.json')}")


if __name__ == "__main__":
    main()
