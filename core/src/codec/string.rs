//! JS strings in Rust.
//!
//! A JS string is a sequence of UTF-16 code units and may hold lone surrogates, which a Rust `String`
//! cannot. Session data must survive the round trip exactly, so strings are kept as WTF-8: UTF-8,
//! except that a lone surrogate (U+D800..U+DFFF not part of a pair) is stored as its 3-byte
//! generalized-UTF-8 sequence. A surrogate *pair* is always stored as one 4-byte sequence, so the
//! encoding is canonical and byte equality is JS string equality.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct JsString {
    wtf8: Vec<u8>,
}

impl JsString {
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes it holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.wtf8.capacity()
    }

    /// From Latin-1 bytes (V8's one-byte strings): each byte is one code point.
    pub fn from_latin1(bytes: &[u8]) -> Self {
        if bytes.is_ascii() {
            return Self { wtf8: bytes.to_vec() };
        }
        let mut wtf8 = Vec::with_capacity(bytes.len() + bytes.len() / 2);
        for &b in bytes {
            push_code_point(&mut wtf8, b as u32);
        }
        Self { wtf8 }
    }

    /// From UTF-16 code units (V8's two-byte strings, JSON `\u` escapes): pairs are joined, lone
    /// surrogates kept.
    pub fn from_utf16(units: &[u16]) -> Self {
        let mut wtf8 = Vec::with_capacity(units.len() * 3);
        push_utf16(&mut wtf8, units);
        Self { wtf8 }
    }

    /// From WTF-8 bytes, checked. `None` if the bytes are neither UTF-8 nor canonical WTF-8.
    pub fn from_wtf8(bytes: &[u8]) -> Option<Self> {
        if std::str::from_utf8(bytes).is_ok() || is_canonical_wtf8(bytes) {
            Some(Self { wtf8: bytes.to_vec() })
        } else {
            None
        }
    }

    /// From bytes the caller built as canonical WTF-8 (for example with [`Wtf8Builder`]).
    pub(crate) fn from_wtf8_unchecked(wtf8: Vec<u8>) -> Self {
        debug_assert!(std::str::from_utf8(&wtf8).is_ok() || is_canonical_wtf8(&wtf8));
        Self { wtf8 }
    }

    pub fn as_wtf8(&self) -> &[u8] {
        &self.wtf8
    }

    pub fn into_wtf8(self) -> Vec<u8> {
        self.wtf8
    }

    pub fn len_wtf8(&self) -> usize {
        self.wtf8.len()
    }

    pub fn is_empty(&self) -> bool {
        self.wtf8.is_empty()
    }

    /// The text as `&str` when it holds no lone surrogate (the common case).
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.wtf8).ok()
    }

    /// Lossy text: lone surrogates become U+FFFD, as Node does when it writes a string as UTF-8.
    pub fn to_string_lossy(&self) -> String {
        match self.as_str() {
            Some(text) => text.to_owned(),
            None => self.code_points().map(|cp| char::from_u32(cp).unwrap_or('\u{FFFD}')).collect(),
        }
    }

    /// Code points in order; a lone surrogate comes out as its own value (0xD800..=0xDFFF).
    pub fn code_points(&self) -> CodePoints<'_> {
        CodePoints { bytes: &self.wtf8, pos: 0 }
    }

    /// The UTF-16 code units, as JS sees the string.
    pub fn utf16_units(&self) -> impl Iterator<Item = u16> + '_ {
        self.code_points().flat_map(|cp| {
            if cp >= 0x10000 {
                let v = cp - 0x10000;
                [Some(0xD800 | (v >> 10) as u16), Some(0xDC00 | (v & 0x3FF) as u16)]
            } else {
                [Some(cp as u16), None]
            }
            .into_iter()
            .flatten()
        })
    }

    /// The JS `length`: the number of UTF-16 code units.
    pub fn utf16_len(&self) -> usize {
        self.code_points().map(|cp| if cp >= 0x10000 { 2 } else { 1 }).sum()
    }

    /// Every code point is at most U+00FF, so the string fits V8's one-byte (Latin-1) form.
    pub fn is_latin1(&self) -> bool {
        self.wtf8.is_ascii() || self.code_points().all(|cp| cp <= 0xFF)
    }
}

/// From well-formed UTF-8 (any Rust string).
impl From<&str> for JsString {
    fn from(text: &str) -> Self {
        Self { wtf8: text.as_bytes().to_vec() }
    }
}

impl From<String> for JsString {
    fn from(text: String) -> Self {
        Self { wtf8: text.into_bytes() }
    }
}

impl fmt::Debug for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

impl fmt::Display for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

/// Iterator over the code points of WTF-8 bytes.
pub struct CodePoints<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let b = self.bytes;
        let i = self.pos;
        let first = *b.get(i)? as u32;
        let (cp, width) = if first < 0x80 {
            (first, 1)
        } else if first < 0xE0 {
            (((first & 0x1F) << 6) | (b[i + 1] as u32 & 0x3F), 2)
        } else if first < 0xF0 {
            (((first & 0x0F) << 12) | ((b[i + 1] as u32 & 0x3F) << 6) | (b[i + 2] as u32 & 0x3F), 3)
        } else {
            (
                ((first & 0x07) << 18)
                    | ((b[i + 1] as u32 & 0x3F) << 12)
                    | ((b[i + 2] as u32 & 0x3F) << 6)
                    | (b[i + 3] as u32 & 0x3F),
                4,
            )
        };
        self.pos = i + width;
        Some(cp)
    }
}

/// Appends one code point (a lone surrogate allowed) in WTF-8.
pub fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    match cp {
        0..=0x7F => out.push(cp as u8),
        0x80..=0x7FF => out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]),
        0x800..=0xFFFF => out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
    }
}

/// Appends UTF-16 code units in WTF-8, joining surrogate pairs.
pub fn push_utf16(out: &mut Vec<u8>, units: &[u16]) {
    let mut i = 0;
    while i < units.len() {
        let u = units[i] as u32;
        if (0xD800..0xDC00).contains(&u) {
            if let Some(&next) = units.get(i + 1) {
                let next = next as u32;
                if (0xDC00..0xE000).contains(&next) {
                    push_code_point(out, 0x10000 + ((u - 0xD800) << 10) + (next - 0xDC00));
                    i += 2;
                    continue;
                }
            }
        }
        push_code_point(out, u);
        i += 1;
    }
}

/// Builds a JsString piece by piece, joining a high surrogate pushed on its own with a low
/// surrogate pushed next (as JSON `\ud83d\ude00` escapes arrive), so the result stays canonical.
#[derive(Default)]
pub struct Wtf8Builder {
    bytes: Vec<u8>,
    pending_high: Option<u16>,
}

impl Wtf8Builder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push_str(&mut self, text: &str) {
        self.flush_high();
        self.bytes.extend_from_slice(text.as_bytes());
    }

    /// Appends UTF-8 bytes already checked by the caller.
    pub fn push_utf8_bytes(&mut self, bytes: &[u8]) {
        self.flush_high();
        self.bytes.extend_from_slice(bytes);
    }

    pub fn push_code_unit(&mut self, unit: u16) {
        match unit {
            0xD800..=0xDBFF => {
                self.flush_high();
                self.pending_high = Some(unit);
            }
            0xDC00..=0xDFFF => match self.pending_high.take() {
                Some(high) => push_code_point(
                    &mut self.bytes,
                    0x10000 + (((high as u32) - 0xD800) << 10) + (unit as u32 - 0xDC00),
                ),
                None => push_code_point(&mut self.bytes, unit as u32),
            },
            _ => {
                self.flush_high();
                push_code_point(&mut self.bytes, unit as u32);
            }
        }
    }

    pub fn push_code_point(&mut self, cp: u32) {
        if cp < 0x10000 {
            self.push_code_unit(cp as u16);
        } else {
            self.flush_high();
            push_code_point(&mut self.bytes, cp);
        }
    }

    pub fn finish(mut self) -> JsString {
        self.flush_high();
        JsString::from_wtf8_unchecked(self.bytes)
    }

    fn flush_high(&mut self) {
        if let Some(high) = self.pending_high.take() {
            push_code_point(&mut self.bytes, high as u32);
        }
    }
}

/// WTF-8 that is not UTF-8 only because of lone surrogates, with no high surrogate directly
/// followed by a low one (that pair must be one 4-byte sequence).
fn is_canonical_wtf8(bytes: &[u8]) -> bool {
    let mut i = 0;
    let mut last_was_high = false;
    while i < bytes.len() {
        let b = bytes[i];
        let width = match b {
            0x00..=0x7F => 1,
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return false,
        };
        if i + width > bytes.len() || !bytes[i + 1..i + width].iter().all(|c| c & 0xC0 == 0x80) {
            return false;
        }
        let cp = CodePoints { bytes: &bytes[i..i + width], pos: 0 }.next().unwrap_or(u32::MAX);
        let min = [0, 0, 0x80, 0x800, 0x10000][width];
        if cp < min || cp > 0x10FFFF {
            return false;
        }
        let is_high = (0xD800..0xDC00).contains(&cp);
        let is_low = (0xDC00..0xE000).contains(&cp);
        if last_was_high && is_low {
            return false;
        }
        last_was_high = is_high;
        i += width;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_pairs_join_and_lone_surrogates_survive() {
        let s = JsString::from_utf16(&[0x61, 0xD83D, 0xDE00, 0xD800, 0x62, 0xDC00]);
        assert_eq!(s.utf16_units().collect::<Vec<_>>(), vec![0x61, 0xD83D, 0xDE00, 0xD800, 0x62, 0xDC00]);
        assert_eq!(s.as_str(), None);
        assert_eq!(s.to_string_lossy(), "a😀\u{FFFD}b\u{FFFD}");
        assert_eq!(s.utf16_len(), 6);
        assert!(JsString::from_wtf8(s.as_wtf8()).is_some());
    }

    #[test]
    fn builder_joins_escaped_pairs() {
        let mut b = Wtf8Builder::new();
        b.push_code_unit(0xD83D);
        b.push_code_unit(0xDE00);
        b.push_code_unit(0xD83D);
        b.push_str("x");
        let s = b.finish();
        assert_eq!(s.utf16_units().collect::<Vec<_>>(), vec![0xD83D, 0xDE00, 0xD83D, 0x78]);
        assert_eq!(s, JsString::from_utf16(&[0xD83D, 0xDE00, 0xD83D, 0x78]));
    }

    #[test]
    fn latin1_round_trip() {
        let s = JsString::from_latin1(&[0x41, 0xE9, 0xFF]);
        assert_eq!(s.as_str(), Some("Aéÿ"));
        assert!(s.is_latin1());
        assert!(!JsString::from("€").is_latin1());
    }

    #[test]
    fn rejects_non_canonical_wtf8() {
        // A high surrogate followed by a low one, each on its own: must have been one pair.
        let mut bytes = Vec::new();
        push_code_point(&mut bytes, 0xD83D);
        push_code_point(&mut bytes, 0xDE00);
        assert!(JsString::from_wtf8(&bytes).is_none());
        assert!(JsString::from_wtf8(&[0xFF]).is_none());
        assert!(JsString::from_wtf8(&[0xC0, 0x80]).is_none());
    }
}
