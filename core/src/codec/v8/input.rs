//! A cursor over serialized bytes: the primitive reads of the format (tags, varints, doubles, raw
//! bytes, strings), each checked against the bytes that remain, so hostile lengths fail before
//! anything is allocated.

use super::tags;
use crate::codec::string::push_code_point;
use crate::codec::JsString;
use crate::{Error, Result};

#[derive(Clone)]
pub struct Input<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn byte(&mut self) -> Result<u8> {
        let byte = *self.bytes.get(self.pos).ok_or_else(|| truncated("a tag"))?;
        self.pos += 1;
        Ok(byte)
    }

    /// The next tag, skipping padding (as V8's `ReadTag` does).
    pub fn tag(&mut self) -> Result<u8> {
        loop {
            let tag = self.byte()?;
            if tag != tags::PADDING {
                return Ok(tag);
            }
        }
    }

    /// The tag of the next value: padding and object counts (`?` and a varint, which V8 reads
    /// and ignores before any value) skipped.
    pub fn value_tag(&mut self) -> Result<u8> {
        loop {
            match self.tag()? {
                tags::VERIFY_OBJECT_COUNT => {
                    self.varint()?;
                }
                tag => return Ok(tag),
            }
        }
    }

    /// The next tag without consuming it, skipping padding (V8's `PeekTag`); `None` at the end.
    pub fn peek_tag(&self) -> Option<u8> {
        self.bytes[self.pos..].iter().copied().find(|&b| b != tags::PADDING)
    }

    /// Consumes the tag `peek_tag` returned, with the padding before it.
    pub fn consume_peeked(&mut self) {
        while self.bytes.get(self.pos) == Some(&tags::PADDING) {
            self.pos += 1;
        }
        self.pos += 1;
    }

    /// A base-128 varint, least significant group first. Like V8's `ReadVarint<uint32_t>`, it
    /// reads at most five bytes and drops bits beyond 32.
    pub fn varint(&mut self) -> Result<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = *self.bytes.get(self.pos).ok_or_else(|| truncated("a number"))?;
            self.pos += 1;
            value |= ((byte & 0x7F) as u32) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(Error::parse(format!("malformed V8 data: varint longer than 5 bytes at byte {}", self.pos)))
    }

    pub fn zigzag(&mut self) -> Result<i32> {
        let raw = self.varint()?;
        Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
    }

    pub fn double(&mut self) -> Result<f64> {
        let raw = self.raw(8, "a number")?;
        let mut le = [0u8; 8];
        le.copy_from_slice(raw);
        Ok(f64::from_le_bytes(le))
    }

    pub fn raw(&mut self, len: usize, what: &str) -> Result<&'a [u8]> {
        if len > self.remaining() {
            return Err(truncated(what));
        }
        let start = self.pos;
        self.pos += len;
        Ok(&self.bytes[start..self.pos])
    }

    /// A byte length, then that many bytes.
    pub fn sized(&mut self, what: &str) -> Result<&'a [u8]> {
        let len = self.varint()? as usize;
        self.raw(len, what)
    }

    /// The body of a string whose tag (one of the three string tags) has been read.
    pub fn string_body(&mut self, tag: u8) -> Result<JsString> {
        let bytes = self.sized("a string")?;
        Ok(match tag {
            tags::ONE_BYTE_STRING => JsString::from_latin1(bytes),
            tags::TWO_BYTE_STRING => utf16le(bytes)?,
            // V8 itself never writes UTF-8 strings any more; it reads them replacing invalid
            // sequences with U+FFFD, as `from_utf8_lossy` does.
            _ => JsString::from(String::from_utf8_lossy(bytes).into_owned()),
        })
    }

    /// A string value: what V8's `ReadString` accepts where only a string may stand (a RegExp's
    /// pattern, a String object's value).
    pub fn string(&mut self, what: &str) -> Result<JsString> {
        let at = self.pos;
        match self.value_tag()? {
            tag @ (tags::ONE_BYTE_STRING | tags::TWO_BYTE_STRING | tags::UTF8_STRING) => self.string_body(tag),
            tag => Err(unexpected(tag, at, what)),
        }
    }
}

/// UTF-16LE code units to WTF-8 in one pre-sized buffer (surrogate pairs joined, lone ones kept).
fn utf16le(bytes: &[u8]) -> Result<JsString> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::parse("malformed V8 data: two-byte string of odd byte length"));
    }
    let mut units = bytes.chunks_exact(2).map(|pair| u16::from_le_bytes([pair[0], pair[1]]) as u32).peekable();
    let mut wtf8 = Vec::with_capacity(bytes.len() / 2 * 3);
    while let Some(unit) = units.next() {
        let code_point = match units.peek() {
            Some(&low) if (0xD800..0xDC00).contains(&unit) && (0xDC00..0xE000).contains(&low) => {
                units.next();
                0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            }
            _ => unit,
        };
        push_code_point(&mut wtf8, code_point);
    }
    Ok(JsString::from_wtf8_unchecked(wtf8))
}

pub fn truncated(what: &str) -> Error {
    Error::parse(format!("malformed V8 data: truncated in {what}"))
}

pub fn unexpected(tag: u8, at: usize, what: &str) -> Error {
    match tags::unsupported_value(tag) {
        Some(name) => Error::serialize(format!("{name} cannot be stored in a session")),
        None => Error::parse(format!("malformed V8 data: unexpected tag {} at byte {at} in {what}", show(tag))),
    }
}

/// A tag as it reads in V8's source: the character when printable.
pub fn show(tag: u8) -> String {
    if tag.is_ascii_graphic() {
        format!("'{}'", tag as char)
    } else {
        format!("0x{tag:02x}")
    }
}
