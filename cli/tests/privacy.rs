//! Nothing leaves the device and no frame reaches a disk or a log: `safeframe stream` (inline
//! and background, blurring and blocking) and `safeframe scan` run under `strace` with trace
//! logging on. Every file the process opens for writing, every write and every socket call is
//! checked: frames go only to stdout, events only to `--events`, logs only to stderr, and the
//! logs hold no pixel bytes. `scripts/test` installs strace (Debian `strace`) when missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use safeframe_tests::fixture;

const W: usize = 160;
const H: usize = 120;

/// RGBA frames with pixels no log line could hold by chance (a fixed pseudo-random pattern),
/// cutting to a red top-left quadrant halfway (the oracle blocks it) so redaction runs too.
fn frames(count: usize) -> (Vec<u8>, Vec<u8>) {
    let mut state = 0x9E37_79B9u32;
    let pattern: Vec<u8> = (0..W * H * 4)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    let mut all = Vec::with_capacity(pattern.len() * count);
    for i in 0..count {
        let mut frame = pattern.clone();
        if i >= count / 2 {
            for y in 0..H / 2 {
                for x in 0..W / 2 {
                    frame[(y * W + x) * 4..(y * W + x) * 4 + 3].copy_from_slice(&[255, 0, 0]);
                }
            }
        }
        all.extend_from_slice(&frame);
    }
    (all, pattern)
}

/// The system calls that could put bytes somewhere: opening files for writing, writing,
/// renaming, linking, and every network call.
const TRACED: &str = "trace=open,openat,openat2,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,\
truncate,ftruncate,write,pwrite64,writev,pwritev,pwritev2,sendfile,splice,socket,connect,bind,sendto,sendmsg,sendmmsg";

struct Traced {
    lines: Vec<String>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn strace() -> PathBuf {
    let path = std::env::var_os("SAFEFRAME_STRACE").map_or_else(|| PathBuf::from("strace"), PathBuf::from);
    let found = Command::new(&path).arg("-V").output().is_ok_and(|o| o.status.success());
    assert!(
        found,
        "this test needs strace (Debian package `strace`; scripts/test installs it)"
    );
    path
}

fn traced(args: &[&str], input: &[u8], dir: &Path) -> Traced {
    let trace = dir.join("trace.txt");
    let mut child = Command::new(strace())
        .args(["-f", "-qq", "-y", "-s", "0", "-e", TRACED, "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_safeframe"))
        .args(args)
        .env("RUST_LOG", "trace")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let lines = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    Traced {
        lines,
        stdout: output.stdout,
        stderr: output.stderr,
    }
}

/// The violations in a trace: files opened for writing other than `allowed`, writes to
/// anything but stdout, stderr and `allowed`, and any network call.
fn violations(trace: &Traced, allowed: Option<&Path>) -> Vec<String> {
    let allowed = allowed.map(|p| p.display().to_string());
    let is_allowed = |line: &str| {
        allowed
            .as_ref()
            .is_some_and(|p| line.contains(&format!("<{p}>")) || line.contains(&format!("\"{p}\"")))
    };
    let mut found = Vec::new();
    for line in &trace.lines {
        // "PID syscall(args) = result"
        let call = line
            .split_once(' ')
            .map_or(line.as_str(), |(_, rest)| rest.trim_start());
        let name = call.split('(').next().unwrap_or("");
        let bad = match name {
            "open" | "openat" | "openat2" | "creat" => {
                let writes = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"]
                    .iter()
                    .any(|f| call.contains(f));
                let failed = call.contains(" = -1 ");
                (name == "creat" || writes) && !failed && !is_allowed(call)
            }
            "write" | "pwrite64" | "writev" | "pwritev" | "pwritev2" | "sendfile" | "splice" => {
                let to_std = call.starts_with(&format!("{name}(1<")) || call.starts_with(&format!("{name}(2<"));
                // Thread wake-ups of the runtime (eventfd) carry no data of ours.
                let wake_up = call.contains("anon_inode:[eventfd]");
                !(to_std || wake_up || is_allowed(call))
            }
            "rename" | "renameat" | "renameat2" | "link" | "linkat" | "symlink" | "symlinkat" | "truncate"
            | "ftruncate" => !is_allowed(call),
            "socket" | "connect" | "bind" | "sendto" | "sendmsg" | "sendmmsg" => true,
            _ => false,
        };
        if bad {
            found.push(line.clone());
        }
    }
    found
}

/// Whether `haystack` holds any 12-byte run of `pattern` (a frame's pixels), as bytes.
fn holds_pixels(haystack: &[u8], pattern: &[u8]) -> bool {
    pattern
        .chunks(12)
        .take(500)
        .any(|run| haystack.windows(run.len()).any(|w| w == run))
}

#[test]
fn stream_writes_frames_only_to_stdout_and_opens_no_socket() {
    let (input, pattern) = frames(20);
    let pack = fixture("oracle/oracle").display().to_string();
    for background in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let events = dir.path().join("events.jsonl");
        let events_arg = events.display().to_string();
        let (w, h) = (W.to_string(), H.to_string());
        let mut args = vec![
            "stream", "--model", &pack, "--format", "rgba", "--width", &w, "--height", &h,
        ];
        args.extend(["--events", &events_arg]);
        if background {
            args.push("--background");
        }
        let trace = traced(&args, &input, dir.path());
        assert!(trace.lines.len() > 10, "strace saw too little: {:?}", trace.lines);
        assert_eq!(trace.stdout.len(), input.len());
        let violations = violations(&trace, Some(&events));
        assert!(violations.is_empty(), "background {background}: {violations:#?}");
        // Trace logging was on, and the logs and events hold no pixels.
        assert!(!trace.stderr.is_empty());
        assert!(!holds_pixels(&trace.stderr, &pattern), "pixels in the logs");
        assert!(
            !holds_pixels(&std::fs::read(&events).unwrap(), &pattern),
            "pixels in the events"
        );
        // Nothing else appeared in the working directory.
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["events.jsonl", "trace.txt"]);
    }
}

#[test]
fn scan_writes_nothing_but_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let image = fixture("images").join("photo-rocket.png");
    let image = image.display().to_string();
    let trace = traced(&["scan", "--json", &image], &[], dir.path());
    let violations = violations(&trace, None);
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(String::from_utf8_lossy(&trace.stdout).contains("\"action\""));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only strace's own trace"
    );
}
