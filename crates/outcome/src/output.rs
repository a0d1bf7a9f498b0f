//! Outputs that appear whole or not at all: each file is written to a temporary file beside
//! its destination and renamed into place when complete; folders of outputs are staged in a
//! temporary folder and moved in file by file at the end. Existing outputs are replaced only
//! when asked (`--force`).

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use std::os::unix::fs::PermissionsExt;

use tempfile::{NamedTempFile, TempDir};

use crate::interrupt::{self, Tracked};
use crate::Failure;

/// The usual umask (022): new outputs are readable by all, writable by their owner.
const UMASK_DEFAULT: u32 = 0o022;

/// Refuses an existing `path` unless `force`.
pub fn check_new(path: &Path, force: bool) -> Result<(), Failure> {
    if !force && fs::symlink_metadata(path).is_ok() {
        return Err(Failure::output(format!(
            "{} exists; give --force to replace it",
            path.display()
        )));
    }
    Ok(())
}

/// An exclusive lock on a folder, held until dropped: relvis processes moving outputs into the
/// same folder take turns, so that none sees another's moves half done. (An advisory `flock`
/// on the folder itself, which leaves nothing behind.)
struct FolderLock {
    _file: Option<fs::File>,
}

impl FolderLock {
    fn take(folder: &Path) -> io::Result<Self> {
        let file = match fs::File::open(folder) {
            Ok(file) => file,
            // A folder one may write in but not list cannot be opened to lock; commits there
            // go unlocked, as before locks.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Ok(FolderLock { _file: None })
            }
            Err(e) => return Err(e),
        };
        file.lock()?;
        Ok(FolderLock { _file: Some(file) })
    }
}

/// The folder a new file or folder at `path` goes into (made if missing).
fn parent_of(path: &Path) -> Result<PathBuf, Failure> {
    let parent =
        path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    fs::create_dir_all(&parent).map_err(|e| Failure::writing(&parent, &e))?;
    Ok(parent)
}

/// A file being written beside its destination; [`StagedFile::commit`] renames it into place,
/// dropping it without a commit deletes it.
pub struct StagedFile {
    temp: NamedTempFile,
    destination: PathBuf,
    force: bool,
    _tracked: Tracked,
}

impl StagedFile {
    /// Starts a new output file at `destination` (refused if it exists, unless `force`).
    pub fn new(destination: &Path, force: bool) -> Result<Self, Failure> {
        check_new(destination, force)?;
        if destination.is_dir() {
            return Err(Failure::output(format!(
                "{} is a folder; give a file name",
                destination.display()
            )));
        }
        // A device, pipe or link is never replaced by a file, even with --force.
        if fs::symlink_metadata(destination).is_ok_and(|m| !m.file_type().is_file()) {
            return Err(Failure::output(format!(
                "{} is not a regular file; give a file name",
                destination.display()
            )));
        }
        let parent = parent_of(destination)?;
        let name =
            destination.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // `.XXXXXX.name.ext`: hidden, and with the destination's extension, which picture
        // writers read the format from.
        let (temp, tracked) = Tracked::create(
            || {
                tempfile::Builder::new()
                    .prefix(".")
                    .suffix(&format!(".{name}"))
                    .tempfile_in(&parent)
            },
            |t| t.path(),
        )
        .map_err(|e| Failure::writing(destination, &e))?;
        Ok(StagedFile { temp, destination: destination.to_path_buf(), force, _tracked: tracked })
    }

    /// Where to write: a temporary path beside the destination, with the destination's name
    /// in it (libraries that write pictures take a path).
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// The file, to write to.
    pub fn file(&mut self) -> &mut fs::File {
        self.temp.as_file_mut()
    }

    /// Flushes the file to disk and moves it into place.
    pub fn commit(self) -> Result<(), Failure> {
        let StagedFile { temp, destination, force, _tracked } = self;
        // The temporary file is private (0600); the output gets the mode a new file would get,
        // or that of the file it replaces.
        let mode = fs::metadata(&destination)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o666 & !UMASK_DEFAULT);
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| Failure::writing(&destination, &e))?;
        temp.as_file().sync_all().map_err(|e| Failure::writing(&destination, &e))?;
        let persisted = interrupt::commit(|| {
            if force {
                temp.persist(&destination)
            } else {
                temp.persist_noclobber(&destination)
            }
        });
        persisted.map(drop).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                Failure::output(format!(
                    "{} exists; give --force to replace it",
                    destination.display()
                ))
            } else {
                Failure::writing(&destination, &e.error)
            }
        })
    }
}

/// Writes a whole file through `write`: the destination appears only if every write succeeded.
pub fn write_file(
    destination: &Path,
    force: bool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let mut staged = StagedFile::new(destination, force)?;
    let mut writer = BufWriter::new(staged.file());
    write(&mut writer)
        .and_then(|()| writer.flush())
        .map_err(|e| Failure::writing(destination, &e))?;
    drop(writer);
    staged.commit()
}

/// Where a command's main output goes: standard output, or a file that appears when
/// [`Sink::finish`] is called.
pub enum Sink {
    Stdout(io::Stdout),
    File(BufWriter<fs::File>, Box<StagedFile>),
}

impl Sink {
    /// Standard output for `None`, else a staged file (refused if it exists, unless `force`).
    pub fn open(path: Option<&Path>, force: bool) -> Result<Self, Failure> {
        match path {
            None => Ok(Sink::Stdout(io::stdout())),
            Some(path) => {
                let mut staged = StagedFile::new(path, force)?;
                let file = staged.file().try_clone().map_err(|e| Failure::writing(path, &e))?;
                Ok(Sink::File(BufWriter::new(file), Box::new(staged)))
            }
        }
    }

    /// A failure to write to this sink.
    pub fn failure(&self, e: io::Error) -> Failure {
        match self {
            Sink::Stdout(_) => Failure::stdout(e),
            Sink::File(_, staged) => Failure::writing(&staged.destination, &e),
        }
    }

    /// Flushes the output; a file is moved into place.
    pub fn finish(self) -> Result<(), Failure> {
        match self {
            Sink::Stdout(mut out) => out.flush().map_err(Failure::stdout),
            Sink::File(mut writer, staged) => {
                writer.flush().map_err(|e| Failure::writing(&staged.destination, &e))?;
                drop(writer);
                staged.commit()
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(out) => out.write(buf),
            Sink::File(writer, _) => writer.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::File(writer, _) => writer.flush(),
        }
    }
}

/// A folder of outputs being written in a temporary folder beside its destination;
/// [`StagedFolder::commit`] moves each entry into the destination, dropping it without a
/// commit deletes everything written.
pub struct StagedFolder {
    temp: TempDir,
    destination: PathBuf,
    force: bool,
    _tracked: Tracked,
}

impl StagedFolder {
    /// Starts filling folder `destination`, refused if it exists and holds anything, unless
    /// `force` (then same-named entries are replaced and others kept).
    pub fn new(destination: &Path, force: bool) -> Result<Self, Failure> {
        if destination.exists() && !destination.is_dir() {
            return Err(Failure::output(format!(
                "{} is a file; give a folder",
                destination.display()
            )));
        }
        let occupied =
            fs::read_dir(destination).map(|mut entries| entries.next().is_some()).unwrap_or(false);
        if occupied && !force {
            return Err(Failure::output(format!(
                "{} holds files; give --force to write into it",
                destination.display()
            )));
        }
        let parent = parent_of(destination)?;
        let (temp, tracked) = Tracked::create(
            || tempfile::Builder::new().prefix(".relvis-staging-").tempdir_in(&parent),
            |t| t.path(),
        )
        .map_err(|e| Failure::writing(destination, &e))?;
        Ok(StagedFolder { temp, destination: destination.to_path_buf(), force, _tracked: tracked })
    }

    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// `failure` with the temporary folder's path in its message replaced by the
    /// destination's, so that it names the file the user asked for.
    pub fn name_destination(&self, failure: Failure) -> Failure {
        let message = failure.message.replace(
            &self.temp.path().display().to_string(),
            &self.destination.display().to_string(),
        );
        Failure { message, ..failure }
    }

    /// Moves every entry into the destination (made if missing), each by one rename. Another
    /// process committing into the same folder waits its turn; without `force`, a folder that
    /// another filled meanwhile is refused.
    pub fn commit(self) -> Result<(), Failure> {
        let fail = |e: io::Error| Failure::writing(&self.destination, &e);
        for entry in fs::read_dir(self.temp.path()).map_err(fail)? {
            let entry = entry.map_err(fail)?;
            sync(&entry.path()).map_err(fail)?;
        }
        let parent = self.temp.path().parent().expect("staged beside the destination");
        let _lock = FolderLock::take(parent).map_err(fail)?;
        let occupied = fs::read_dir(&self.destination)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        if occupied && !self.force {
            return Err(Failure::output(format!("{} holds files (another process wrote them meanwhile); give --force to write into it", self.destination.display())));
        }
        interrupt::commit(|| {
            fs::create_dir_all(&self.destination).map_err(fail)?;
            for entry in fs::read_dir(self.temp.path()).map_err(fail)? {
                let entry = entry.map_err(fail)?;
                let target = self.destination.join(entry.file_name());
                if target.is_dir() && entry.path().is_dir() {
                    fs::remove_dir_all(&target).map_err(|e| Failure::writing(&target, &e))?;
                }
                fs::rename(entry.path(), &target).map_err(|e| Failure::writing(&target, &e))?;
            }
            Ok(())
        })
    }
}

/// `name` (a class label, say) made safe as part of a file name: every character but ASCII
/// letters, digits, `-`, `_` and inner dots becomes `_`, so that no label reaches outside the
/// output folder or hides its file.
pub fn file_name_part(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    match safe.strip_prefix('.') {
        Some(rest) => format!("_{rest}"),
        None if safe.is_empty() => "_".to_string(),
        None => safe,
    }
}

/// Moves the completed folder `staged` to `destination` (mode 0755). Something already there
/// is an [`io::ErrorKind::AlreadyExists`] error unless `replace`; then an existing folder is
/// replaced only if it is empty or holds `marker`, the file that marks an earlier output of the
/// same kind (a model's config): `--force` never deletes a folder of other files. Processes
/// installing into the same folder take turns, so a check and its move are never split.
pub fn install_folder(
    staged: &Path,
    destination: &Path,
    marker: &str,
    replace: bool,
) -> io::Result<()> {
    fs::set_permissions(staged, fs::Permissions::from_mode(0o755))?;
    let _lock = FolderLock::take(staged.parent().unwrap_or(Path::new(".")))?;
    if fs::symlink_metadata(destination).is_ok() && !replace {
        return Err(io::ErrorKind::AlreadyExists.into());
    }
    if fs::symlink_metadata(destination).is_ok() {
        let replaceable = destination.is_dir()
            && (destination.join(marker).is_file() || fs::read_dir(destination)?.next().is_none());
        if !replaceable {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("holds other things than a {marker}; not replaced"),
            ));
        }
        fs::remove_dir_all(destination)?;
    }
    fs::rename(staged, destination)
}

/// Flushes a file, or every file in a folder, to disk.
fn sync(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        for entry in fs::read_dir(path)? {
            sync(&entry?.path())?;
        }
        Ok(())
    } else {
        fs::File::open(path)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let result = write_file(&path, false, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert_eq!(result.unwrap_err().kind, crate::FailureKind::Output);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "no partial or temporary file");
    }

    #[test]
    fn existing_files_are_replaced_only_when_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_file(&path, false, |w| w.write_all(b"one")).unwrap();
        let refused = write_file(&path, false, |w| w.write_all(b"two")).unwrap_err();
        assert!(refused.message.contains("--force"), "{refused}");
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_file(&path, true, |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn devices_are_never_replaced_and_outputs_are_readable() {
        let refused = StagedFile::new(Path::new("/dev/null"), true).err().unwrap();
        assert!(refused.message.contains("not a regular file"), "{refused}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_file(&path, false, |w| w.write_all(b"x")).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_file(&path, true, |w| w.write_all(b"y")).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640,
            "the replaced file's mode"
        );
    }

    #[test]
    fn a_sink_file_appears_on_finish_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.txt");
        let mut sink = Sink::open(Some(&path), false).unwrap();
        sink.write_all(b"words").unwrap();
        assert!(!path.exists());
        sink.finish().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"words");
        let sink = Sink::open(Some(&path), false);
        assert!(sink.is_err());
    }

    #[test]
    fn a_staged_folder_moves_its_files_in_and_keeps_others() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("mine.txt"), "keep").unwrap();
        assert!(StagedFolder::new(&out, false).is_err(), "occupied folder refused");
        let staged = StagedFolder::new(&out, true).unwrap();
        fs::write(staged.path().join("a.png"), "picture").unwrap();
        let failure = staged.name_destination(Failure::output(format!(
            "{}: disk full",
            staged.path().join("a.png").display()
        )));
        assert_eq!(failure.message, format!("{}: disk full", out.join("a.png").display()));
        fs::create_dir(staged.path().join("sub")).unwrap();
        fs::write(staged.path().join("sub/b.json"), "{}").unwrap();
        assert!(!out.join("a.png").exists(), "nothing visible before the commit");
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("mine.txt")).unwrap(), "keep");
        assert_eq!(fs::read_to_string(out.join("a.png")).unwrap(), "picture");
        assert_eq!(fs::read_to_string(out.join("sub/b.json")).unwrap(), "{}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "staging folder gone");
    }

    #[test]
    fn only_earlier_outputs_of_the_kind_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (mine, model) = (dir.path().join("mine"), dir.path().join("model"));
        fs::create_dir(&mine).unwrap();
        fs::write(mine.join("notes.txt"), "keep").unwrap();
        fs::create_dir(&model).unwrap();
        fs::write(model.join("config.json"), "old").unwrap();
        for (destination, ok) in [(&mine, false), (&model, true), (&dir.path().join("new"), true)] {
            let staged = dir.path().join(".staged");
            fs::create_dir(&staged).unwrap();
            fs::write(staged.join("config.json"), "new").unwrap();
            // Without replacing: refused wherever something is, moved where nothing is.
            let existed = destination.exists();
            let unreplaced = install_folder(&staged, destination, "config.json", false);
            assert_eq!(
                unreplaced.map_err(|e| e.kind()),
                if existed { Err(io::ErrorKind::AlreadyExists) } else { Ok(()) }
            );
            if !existed {
                assert_eq!(fs::read_to_string(destination.join("config.json")).unwrap(), "new");
                continue;
            }
            let result = install_folder(&staged, destination, "config.json", true);
            assert_eq!(result.is_ok(), ok, "{destination:?}: {result:?}");
            if ok {
                assert_eq!(fs::read_to_string(destination.join("config.json")).unwrap(), "new");
                assert_eq!(fs::metadata(destination).unwrap().permissions().mode() & 0o777, 0o755);
            } else {
                fs::remove_dir_all(&staged).unwrap();
            }
        }
        assert_eq!(fs::read_to_string(mine.join("notes.txt")).unwrap(), "keep");
    }

    #[test]
    fn labels_become_safe_file_name_parts() {
        assert_eq!(file_name_part("sci.space"), "sci.space");
        assert_eq!(file_name_part("../../b"), "_._.._b");
        assert_eq!(file_name_part("a/b c"), "a_b_c");
        assert_eq!(file_name_part(".hidden"), "_hidden");
        assert_eq!(file_name_part(""), "_");
    }

    #[test]
    fn an_abandoned_folder_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new");
        {
            let staged = StagedFolder::new(&out, false).unwrap();
            fs::write(staged.path().join("half.png"), "x").unwrap();
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
