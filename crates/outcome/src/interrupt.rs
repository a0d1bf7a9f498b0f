//! Ctrl-C (SIGINT) and SIGTERM: a command stops at once, removes the temporary files and
//! folders its unfinished outputs live in, and exits with 128 + the signal's number (130 for
//! SIGINT, 143 for SIGTERM, as shells report a process the signal ended). Outputs that were
//! already in place, and any file a `--force` would have replaced, are untouched: unfinished
//! outputs exist only under temporary names until their commit.
//!
//! A commit holds the same lock as the signal's handler ([`commit`]), so a signal that arrives
//! during a commit's renames waits for them: an output is then whole, and only what was still
//! temporary goes.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The temporary paths of outputs not yet committed.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list itself intact.
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The exit code after `signal`: `128 + signal`.
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}

/// Handles SIGINT and SIGTERM from here on, on a thread of its own. Binaries call it first;
/// libraries never do (the Python package leaves signals to Python).
pub fn install() -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new().name("relvis-signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let paths = pending();
            for path in paths.iter() {
                remove(path);
            }
            let name = if signal == SIGINT { "SIGINT" } else { "SIGTERM" };
            eprintln!("interrupted ({name}); unfinished outputs removed");
            std::process::exit(exit_code(signal));
        }
    })?;
    Ok(())
}

fn remove(path: &Path) {
    // Other threads go on writing into a folder while it is removed, so an entry made after
    // remove_dir_all listed the folder fails it (not empty): try again. Beyond that, best
    // effort: the process ends next, and a path already gone is what was wanted.
    for _ in 0..20 {
        let removed =
            if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
        if removed.is_ok() || !path.exists() {
            return;
        }
    }
}

/// A temporary path an interruption removes, until the guard is dropped (after a commit or the
/// path's own removal).
pub struct Tracked(PathBuf);

impl Tracked {
    /// Makes a temporary file or folder with `create` and tracks `path_of` it, both under the
    /// handler's lock, so that no signal falls between the two.
    pub fn create<T, E>(
        create: impl FnOnce() -> Result<T, E>,
        path_of: impl FnOnce(&T) -> &Path,
    ) -> Result<(T, Tracked), E> {
        let mut paths = pending();
        let made = create()?;
        let path = path_of(&made).to_path_buf();
        paths.push(path.clone());
        Ok((made, Tracked(path)))
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut paths = pending();
        if let Some(i) = paths.iter().rposition(|p| p == &self.0) {
            paths.swap_remove(i);
        }
    }
}

/// Runs a commit (renames of temporary outputs into place) that no signal interrupts midway.
pub fn commit<T>(renames: impl FnOnce() -> T) -> T {
    let _held = pending();
    renames()
}
