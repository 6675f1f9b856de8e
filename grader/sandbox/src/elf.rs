//! Finding the dynamic loader an ELF program asks for.
//!
//! When the kernel executes a dynamically linked program, it also opens the
//! program's loader (`/lib64/ld-linux-x86-64.so.2` on x86-64 glibc) for
//! execution, and Landlock checks that open against the execute right. So
//! allowing a program means allowing its loader too. The loader's path is
//! in the program's `PT_INTERP` header; reading it is a few fixed offsets.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The program header type that holds the loader's path.
const PT_INTERP: u32 = 3;

/// The loader `path` asks for, or `None` for a static program, a script,
/// or anything that is not a 64-bit little-endian ELF file.
pub(crate) fn interpreter(path: &Path) -> io::Result<Option<PathBuf>> {
    let mut file = File::open(path)?;
    let mut header = [0u8; 64];
    if file.read_exact(&mut header).is_err() {
        return Ok(None);
    }
    // Magic, 64-bit class, little-endian data.
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return Ok(None);
    }
    let program_headers = u64::from_le_bytes(field(&header, 32));
    let entry_size = u64::from(u16::from_le_bytes(field(&header, 54)));
    let count = u64::from(u16::from_le_bytes(field(&header, 56)));
    if entry_size < 56 {
        return Ok(None);
    }
    for index in 0..count {
        let mut entry = [0u8; 56];
        let Some(at) = index
            .checked_mul(entry_size)
            .and_then(|o| o.checked_add(program_headers))
        else {
            return Ok(None);
        };
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(&mut entry)?;
        if u32::from_le_bytes(field(&entry, 0)) != PT_INTERP {
            continue;
        }
        let offset = u64::from_le_bytes(field(&entry, 8));
        let size = u64::from_le_bytes(field(&entry, 32));
        if size == 0 || size > 4096 {
            return Ok(None);
        }
        let mut name = vec![0u8; size as usize];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut name)?;
        let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
        name.truncate(end);
        use std::os::unix::ffi::OsStringExt;
        return Ok(Some(PathBuf::from(std::ffi::OsString::from_vec(name))));
    }
    Ok(None)
}

/// Copies `N` bytes at `at` out of `bytes` (the caller checked the length).
fn field<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_loader_of_the_test_binary_and_none_for_a_script() {
        let exe = std::env::current_exe().unwrap();
        if let Some(loader) = interpreter(&exe).unwrap() {
            assert!(loader.exists(), "{}", loader.display());
        }
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("script");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        assert_eq!(interpreter(&script).unwrap(), None);
    }
}
