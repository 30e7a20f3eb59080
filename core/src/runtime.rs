//! Finding and loading the ONNX Runtime shared library (`load-dynamic`).
//!
//! ONNX Runtime is loaded once per process. SafeFrame looks for it, in order:
//! 1. the explicit path the caller gives (then nowhere else);
//! 2. the `ORT_DYLIB_PATH` environment variable;
//! 3. beside the running executable;
//! 4. where `./scripts/setup-ort` installs it in this source tree (`.runtime/onnxruntime/`);
//! 5. the system's library search path, by file name.
//!
//! The first file that exists is loaded; when it is the wrong version or not ONNX Runtime at all,
//! the error says so. When none is found, the error lists every place it looked.
//!
//! On Apple's mobile platforms (iOS and its simulators) ONNX Runtime is linked statically from
//! its official framework instead, and nothing is searched.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Result, SafeFrameError};

/// The ONNX Runtime version SafeFrame is built and tested against (API level 31 or newer is
/// accepted).
pub const ORT_VERSION: &str = "1.31.1";

/// Where `./scripts/setup-ort` puts the library, relative to the source tree of this crate.
const SETUP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../.runtime/onnxruntime");

/// The loaded ONNX Runtime: its environment, the library file and its version.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) environment: ort::environment::Environment,
    library: PathBuf,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("library", &self.library).finish()
    }
}

impl Runtime {
    /// The library file that was loaded.
    pub fn library(&self) -> &Path {
        &self.library
    }
}

static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

/// File names the library goes by on this platform, most specific first.
fn library_names() -> Vec<String> {
    let (prefix, suffix) = (std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    if cfg!(target_os = "macos") || cfg!(target_os = "ios") {
        vec![
            format!("{prefix}onnxruntime.{ORT_VERSION}{suffix}"),
            format!("{prefix}onnxruntime{suffix}"),
        ]
    } else {
        vec![
            format!("{prefix}onnxruntime{suffix}.{ORT_VERSION}"),
            format!("{prefix}onnxruntime{suffix}"),
        ]
    }
}

/// The places SafeFrame looks for the library when no explicit path is given, in order.
pub fn search_paths() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(env) = std::env::var_os("ORT_DYLIB_PATH").filter(|v| !v.is_empty()) {
        paths.push(PathBuf::from(env));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        paths.extend(library_names().into_iter().map(|name| dir.join(name)));
    }
    paths.extend(library_names().into_iter().map(|name| Path::new(SETUP_DIR).join(name)));
    paths
}

/// Loads ONNX Runtime (once per process) and returns it.
///
/// With `explicit = Some(path)` only that file is tried. Later calls return the runtime that
/// was loaded first, whatever path they name (a process can hold one ONNX Runtime only).
pub fn load(explicit: Option<&Path>) -> Result<Runtime> {
    let mut slot = RUNTIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(runtime) = slot.as_ref() {
        if let Some(path) = explicit.filter(|p| *p != runtime.library) {
            log::warn!(
                "ONNX Runtime is already loaded from {}; ignoring {}",
                runtime.library.display(),
                path.display()
            );
        }
        return Ok(runtime.clone());
    }
    disable_runtime_telemetry();
    let runtime = open(explicit)?;
    *slot = Some(runtime.clone());
    Ok(runtime)
}

/// Switches off ONNX Runtime's own telemetry before the library is loaded.
///
/// The Linux builds of ONNX Runtime 1.31 carry Microsoft's 1DS telemetry client: creating an
/// environment queues a "ProcessInfo" event (OS, CPU, executable path, a device id) in
/// `~/.cache/Microsoft/DeveloperTools/.onnxruntime/` for upload to
/// `mobile.events.data.microsoft.com`, before `DisableTelemetryEvents` (which SafeFrame also
/// calls) can run. Only the `ORT_DISABLE_TELEMETRY` environment variable stops it, so SafeFrame
/// sets it (to `1`) here, once, under the runtime lock. `cli/tests/privacy.rs` checks that no
/// file is written and no socket opened.
fn disable_runtime_telemetry() {
    const VARIABLE: &str = "ORT_DISABLE_TELEMETRY";
    if std::env::var_os(VARIABLE).is_some_and(|value| value == "1") {
        return;
    }
    // Changing the environment races with another thread reading it through libc at the same
    // moment; this runs once per process, before ONNX Runtime starts any thread, and a host
    // app that wants to rule out even that sets the variable itself before using SafeFrame
    // (then nothing is changed here).
    std::env::set_var(VARIABLE, "1");
    log::debug!("set {VARIABLE}=1: ONNX Runtime's telemetry stays off");
}

/// Finds the shared library and loads it (every platform but Apple's mobile ones).
#[cfg(not(all(target_vendor = "apple", not(target_os = "macos"))))]
fn open(explicit: Option<&Path>) -> Result<Runtime> {
    let searched: Vec<PathBuf> = match explicit {
        Some(path) => vec![path.to_path_buf()],
        None => search_paths(),
    };
    Ok(match searched.iter().find(|p| p.is_file()) {
        Some(path) => init(path, &searched)?,
        None if explicit.is_some() => return Err(SafeFrameError::RuntimeNotFound { searched }),
        // Last resort: let the system's dynamic loader search its own paths by file name.
        None => {
            let name = library_names().pop().unwrap_or_default();
            let mut all = searched;
            all.push(PathBuf::from(format!("{name} (system library path)")));
            init(Path::new(&name), &all).map_err(|_| SafeFrameError::RuntimeNotFound { searched: all })?
        }
    })
}

/// ONNX Runtime is linked into the app on Apple's mobile platforms (its official package is a
/// static framework), so there is nothing to find; an explicit path is ignored.
#[cfg(all(target_vendor = "apple", not(target_os = "macos")))]
fn open(explicit: Option<&Path>) -> Result<Runtime> {
    if let Some(path) = explicit {
        log::warn!(
            "ONNX Runtime is linked statically on this platform; ignoring {}",
            path.display()
        );
    }
    let library = PathBuf::from("(linked statically)");
    let environment = ort::init()
        .with_name("safeframe")
        .with_telemetry(false)
        .build()
        .map_err(|e| SafeFrameError::RuntimeLoad {
            path: library.clone(),
            reason: e.to_string(),
            searched: Vec::new(),
        })?;
    Ok(Runtime { environment, library })
}

#[cfg(not(all(target_vendor = "apple", not(target_os = "macos"))))]
fn init(library: &Path, searched: &[PathBuf]) -> Result<Runtime> {
    let load_error = |reason: String| SafeFrameError::RuntimeLoad {
        path: library.to_path_buf(),
        reason,
        searched: searched.to_vec(),
    };
    let builder = ort::init_from(library).map_err(|e| load_error(e.to_string()))?;
    let environment = builder
        .with_name("safeframe")
        .with_telemetry(false)
        .build()
        .map_err(|e| load_error(e.to_string()))?;
    log::info!("loaded ONNX Runtime from {}", library.display());
    Ok(Runtime {
        environment,
        library: library.to_path_buf(),
    })
}
