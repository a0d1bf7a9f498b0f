//! For the binaries' tests: faults a user meets that a test cannot make with files alone.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Whether this process runs as root, for whom file permissions do not apply.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `command` as user and group `nobody` (65534) when the test runs as root, so that
/// read-only files and folders are read-only to it; as anyone else, unchanged.
pub fn unprivileged(command: &mut Command) -> &mut Command {
    if is_root() {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
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
