//! The bounds that keep the cost of a session linear in its stored size, whatever a client, the
//! application or the store puts in it. Each has a default and can be configured; going past one
//! is a `SessionError`, never an abort.

use crate::{Error, Result};

/// Largest stored session, in bytes, written (at commit) or read back (larger records are refused
/// and discarded): 1 MiB.
pub const DEFAULT_MAX_SIZE: usize = 1 << 20;

/// Deepest nesting of objects, arrays, Maps and Sets in a value. The same bound applies when a value
/// is set and when it is read, so that nothing stored is unreadable. V8's deserializer, which builds
/// the value on the JS thread, fails somewhere past 2 500 levels, and devalue (which Astro reads
/// with) past about 1 700; 1 000 stays well clear of both.
pub const DEFAULT_MAX_DEPTH: usize = 1_000;

/// How many times its stored text a value read for JS may grow. devalue text shares repeated
/// strings and objects by reference; V8's format, in which values reach JS, shares objects but
/// repeats strings, so a short hostile text (one long string referenced many times) could
/// otherwise expand without bound. Ordinary data grows 1–3×.
pub const DEFAULT_MAX_EXPANSION: usize = 16;

/// Whatever its text, a value read for JS may always grow to this many bytes.
pub const EXPANSION_FLOOR: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_size: usize,
    pub max_depth: usize,
    pub max_expansion: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_size: DEFAULT_MAX_SIZE, max_depth: DEFAULT_MAX_DEPTH, max_expansion: DEFAULT_MAX_EXPANSION }
    }
}

impl Limits {
    /// Checks that each limit is at least 1.
    pub fn validate(self) -> Result<Self> {
        for (name, value) in [("maxSize", self.max_size), ("maxDepth", self.max_depth), ("maxExpansion", self.max_expansion)] {
            if value == 0 {
                return Err(Error::config(format!("{name} must be a whole number, 1 or more")));
            }
        }
        Ok(self)
    }

    /// The most bytes of V8's format that values read from `text_len` bytes of text may take.
    pub fn expansion_budget(&self, text_len: usize) -> usize {
        text_len.saturating_mul(self.max_expansion).max(EXPANSION_FLOOR)
    }

    /// The budget for converting values read from `text_len` bytes of text for JS.
    pub fn read_budget(&self, text_len: usize) -> crate::codec::v8::Budget {
        crate::codec::v8::Budget::new(self.expansion_budget(text_len), self.max_depth)
    }
}
