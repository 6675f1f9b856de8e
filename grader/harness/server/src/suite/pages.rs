//! Memory that tells which of its pages were read.
//!
//! A fresh anonymous mapping has no page behind it until it is touched;
//! `mincore(2)` says which pages of it are mapped now. A byte string laid
//! across the end of one page and the start of the next, untouched one,
//! shows whether a function read past the first page: exactly, and
//! without timing anything.

use std::ffi::c_void;

/// Two pages of fresh anonymous memory, unmapped on drop.
pub struct Pages {
    base: *mut u8,
    page: usize,
}

impl Pages {
    /// Maps two pages.
    pub fn new() -> Result<Self, String> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = usize::try_from(page).map_err(|_| "no page size".to_owned())?;
        // SAFETY: a new private anonymous mapping, at an address the kernel
        // chooses; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(format!("mmap failed: {}", std::io::Error::last_os_error()));
        }
        Ok(Self {
            base: base.cast(),
            page,
        })
    }

    /// Writes `bytes` so that they end where the second page starts.
    pub fn write_before_second_page(&mut self, bytes: &[u8]) {
        assert!(bytes.len() <= self.page);
        // SAFETY: the range lies inside the first page of the mapping.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.base.add(self.page - bytes.len()),
                bytes.len(),
            );
        }
    }

    /// The `before` bytes written last on the first page, followed by the
    /// first `after` bytes of the second page (zeros until read).
    pub fn across(&self, before: usize, after: usize) -> &[u8] {
        assert!(before <= self.page && after <= self.page);
        // SAFETY: the range lies inside the mapping, which lives as long as
        // `self`; its bytes are initialised (anonymous memory reads as 0).
        unsafe { std::slice::from_raw_parts(self.base.add(self.page - before), before + after) }
    }

    /// Whether the second page has been read or written.
    pub fn second_page_touched(&self) -> Result<bool, String> {
        let mut resident = [0u8; 1];
        // SAFETY: the address is page-aligned and inside the mapping; the
        // vector has one entry per page asked about.
        let rc = unsafe {
            libc::mincore(
                self.base.add(self.page).cast::<c_void>(),
                self.page,
                resident.as_mut_ptr().cast(),
            )
        };
        if rc != 0 {
            return Err(format!(
                "mincore failed: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(resident[0] & 1 == 1)
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer borrowed.
        unsafe {
            libc::munmap(self.base.cast::<c_void>(), 2 * self.page);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_past_the_first_page_shows() {
        let mut pages = Pages::new().unwrap();
        pages.write_before_second_page(b"abc");
        assert!(!pages.second_page_touched().unwrap());
        let head = pages.across(3, 0).to_vec();
        assert_eq!(head, b"abc");
        assert!(!pages.second_page_touched().unwrap());
        let all: u32 = pages.across(3, 16).iter().map(|&b| u32::from(b)).sum();
        assert!(all > 0);
        assert!(pages.second_page_touched().unwrap());
    }
}
