//! Where rendered bytes go: standard output, or a file written atomically (a temporary file
//! in the same directory, renamed into place). The file is opened before the computation so
//! a bad path fails fast.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::err;

pub enum Sink {
    Stdout,
    /// A device or pipe (`/dev/null`, `/dev/stdout`): written directly, no rename possible.
    Device(std::fs::File),
    File {
        target: PathBuf,
        tmp: tempfile::NamedTempFile,
    },
}

impl Sink {
    pub fn open(output: Option<&str>) -> Result<Sink> {
        let Some(o) = output else {
            return Ok(Sink::Stdout);
        };
        if o == "-" {
            return Ok(Sink::Stdout);
        }
        let target = PathBuf::from(o);
        if let Ok(m) = std::fs::metadata(&target) {
            if !m.is_file() && !m.is_dir() {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(|e| err(format!("-o {o}: cannot open: {e}")))?;
                return Ok(Sink::Device(f));
            }
        }
        if target.is_dir() {
            return Err(err(format!(
                "-o {o}: is a directory; give a file name such as {o}/nps.json"
            )));
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".cxm-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| {
                err(format!(
                    "-o {o}: cannot write in {}: {e}; check the directory exists and is writable",
                    dir.display()
                ))
            })?;
        Ok(Sink::File { target, tmp })
    }

    pub fn write(self, bytes: &[u8]) -> Result<()> {
        match self {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                match out.write_all(bytes).and_then(|_| out.flush()) {
                    Ok(()) => Ok(()),
                    // A reader that stopped early (`| head`) is not an error.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    Err(e) => Err(err(format!("cannot write to standard output: {e}"))),
                }
            }
            Sink::Device(mut f) => match f.write_all(bytes) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(err(format!("cannot write the output: {e}"))),
            },
            Sink::File { target, mut tmp } => {
                tmp.write_all(bytes)
                    .and_then(|_| tmp.flush())
                    .map_err(|e| err(format!("-o {}: cannot write: {e}", target.display())))?;
                persist(tmp, &target)
            }
        }
    }
}

fn persist(tmp: tempfile::NamedTempFile, target: &Path) -> Result<()> {
    // Temp files are created 0600; a report should have the usual permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(target).map_err(|e| {
        err(format!(
            "-o {}: cannot write: {}",
            target.display(),
            e.error
        ))
    })?;
    Ok(())
}

/// Whether an error is a closed standard output.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
