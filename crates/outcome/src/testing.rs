//! For the binaries' tests: faults a user meets that a test cannot make with files alone,
//! broken copies of model folders, the fuzzing corpora replayed through a binary, and the
//! documented command lines checked against the binary's `--help` ([`documented`]).

pub mod documented;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use libc::{SIGINT, SIGTERM};

/// Whether this process runs as root, for whom file permissions do not apply.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A command that runs `binary` as user and group `nobody` (65534) when the test runs as
/// root, so that read-only files and folders are read-only to it; as anyone else, as is. As
/// `nobody` it runs a copy of the binary put in `dir` (which the test makes readable to all,
/// as everything the command reads must be), wherever the build folder lies.
pub fn unprivileged(binary: &Path, dir: &Path) -> Command {
    if !is_root() {
        return Command::new(binary);
    }
    let copy = dir.join(binary.file_name().expect("a binary's file name"));
    // Copied by a child process: a copy written from this process holds a writable descriptor
    // that any child another test thread forks meanwhile inherits until its exec, and running
    // the copy then fails with "text file busy" (ETXTBSY).
    let copied = Command::new("install").arg("-m").arg("755").arg(binary).arg(&copy).status();
    assert!(copied.is_ok_and(|s| s.success()), "the binary copied to {}", copy.display());
    let mut command = Command::new(copy);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(65534) != 0
                || libc::setuid(65534) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// Limits the files `command` writes to `bytes` each, with SIGXFSZ ignored: a write past
/// the limit fails with EFBIG, as writes fail on a full disk.
pub fn file_size_limit(command: &mut Command, bytes: u64) -> &mut Command {
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// Whether standard error holds a line `error: …` that contains `message`.
pub fn has_error_line(stderr: &str, message: &str) -> bool {
    stderr.lines().any(|l| l.starts_with("error: ") && l.contains(message))
}

/// A copy of the model folder `from` (its `files`) in `into/model`, edited by `change`.
pub fn broken_model(
    from: &Path,
    files: &[&str],
    into: &Path,
    change: impl FnOnce(&Path),
) -> PathBuf {
    let model = into.join("model");
    std::fs::create_dir_all(&model).expect("a model folder");
    for file in files {
        std::fs::copy(from.join(file), model.join(file)).expect("a model file copied");
    }
    change(&model);
    model
}

/// Overwrites the first value of tensor `name` (F32 or F16) in a safetensors file with
/// `value` (as the nearest half for F16: infinity beyond its range).
pub fn poison_tensor(weights: &Path, name: &str, value: f32) {
    let mut bytes = std::fs::read(weights).expect("the weights");
    let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes[8..8 + header_len]).expect("a safetensors header");
    let start =
        header[name]["data_offsets"][0].as_u64().expect("the tensor") as usize + 8 + header_len;
    let encoded = match header[name]["dtype"].as_str() {
        Some("F16") => half::f16::from_f32(value).to_le_bytes().to_vec(),
        _ => value.to_le_bytes().to_vec(),
    };
    bytes[start..start + encoded.len()].copy_from_slice(&encoded);
    std::fs::write(weights, bytes).expect("written");
}

/// The files of the fuzzing corpus of `target` (`fuzz/corpus/TARGET` below `root`), sorted.
pub fn fuzz_corpus(root: &Path, target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("fuzz/corpus").join(target))
        .expect("the corpus")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{target} has a corpus");
    files
}

/// A `model` corpus input split as the fuzz target splits it: config, then weights after the
/// first NUL byte.
pub fn split_model_input(bytes: &[u8]) -> (&[u8], &[u8]) {
    let split = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    (&bytes[..split], bytes.get(split + 1..).unwrap_or_default())
}

/// Runs `command` on the corpus file `input`; its exit code must be one of `allowed`, and it
/// must not panic.
pub fn replay(command: &mut Command, allowed: &[i32], input: &Path) {
    let output = command.output().expect("the binary runs");
    let err = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    assert!(
        code.is_some_and(|c| allowed.contains(&c)) && !err.contains("panicked"),
        "{}: exit {code:?}\n{err}",
        input.display()
    );
}

/// What an interrupted run left: its exit code, the time from the signal to the exit, its
/// standard error, and the hidden (temporary) entries left in the folder watched.
#[derive(Debug)]
pub struct Interrupted {
    pub code: Option<i32>,
    pub exit_after: std::time::Duration,
    pub stderr: String,
    pub leftovers: Vec<String>,
}

/// Runs `command` until it is busy — a temporary (hidden) entry has appeared in `watch`, or
/// `at_most` has passed — then sends it `signal` and waits for it. Panics if it ended first.
pub fn interrupt(
    command: &mut Command,
    watch: &Path,
    at_most: std::time::Duration,
    signal: i32,
) -> Interrupted {
    use std::time::{Duration, Instant};
    let hidden = |dir: &Path| -> Vec<String> {
        let names = std::fs::read_dir(dir).map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        });
        names.unwrap_or_default().into_iter().filter(|n| n.starts_with('.')).collect()
    };
    // Standard error to a file: a full pipe would block the process, and its signal handler's
    // message with it.
    let stderr = tempfile::NamedTempFile::new().expect("a file for standard error");
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(stderr.reopen().expect("reopens"))
        .spawn()
        .expect("the command starts");
    let start = Instant::now();
    while start.elapsed() < at_most && hidden(watch).is_empty() {
        assert!(
            child.try_wait().expect("waits").is_none(),
            "the command ended before it was interrupted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().expect("waits").is_none(),
        "the command ended before it was interrupted"
    );
    // SAFETY: kill has no memory preconditions; the child is ours and not yet reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let sent = Instant::now();
    let status = child.wait().expect("waits");
    let exit_after = sent.elapsed();
    let stderr = std::fs::read_to_string(stderr.path()).unwrap_or_default();
    Interrupted { code: status.code(), exit_after, stderr, leftovers: hidden(watch) }
}

/// An output folder from an earlier run, holding `file`, for a `--force` run to replace.
pub fn earlier_output_folder(path: &Path, file: &str) {
    std::fs::create_dir(path).expect("makes the folder");
    std::fs::write(path.join(file), "an earlier output").expect("writes into it");
}

/// A file's contents, or a folder's entries with theirs, to compare before and after.
fn contents(path: &Path) -> Vec<(String, Vec<u8>)> {
    if path.is_file() {
        return vec![(String::new(), std::fs::read(path).unwrap_or_default())];
    }
    let entries = std::fs::read_dir(path).map(|entries| {
        entries
            .filter_map(|e| e.ok())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap_or_default(),
                )
            })
            .collect()
    });
    let mut entries: Vec<(String, Vec<u8>)> = entries.unwrap_or_default();
    entries.sort();
    entries
}

/// Interrupts `command`, whose output `existing` is in place beforehand (and would be replaced
/// with `--force`), with `signal` once it is busy, and checks that it ended as documented: exit
/// 128 + `signal` within a second, saying so, with no temporary entry left beside `existing`
/// and `existing` as it was.
pub fn assert_interrupted_cleanly(
    command: &mut Command,
    existing: &Path,
    signal: i32,
) -> Interrupted {
    let before = contents(existing);
    let watch = existing.parent().expect("an output inside a folder");
    let ended = interrupt(command, watch, std::time::Duration::from_secs(3), signal);
    assert_eq!(ended.code, Some(128 + signal), "{ended:?}");
    assert!(ended.exit_after < std::time::Duration::from_secs(1), "{ended:?}");
    assert!(ended.leftovers.is_empty(), "{ended:?}");
    assert!(ended.stderr.contains("interrupted"), "{ended:?}");
    assert_eq!(contents(existing), before, "{} changed", existing.display());
    ended
}
