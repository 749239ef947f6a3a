//! A small JSON tokenizer, just enough for devalue text: the reader pulls one token at a time, so
//! it never builds a tree and never recurses.
//!
//! Strings decode to [`JsString`] (WTF-8), so `\ud800` escapes and raw lone surrogates in WTF-8
//! input survive, and an escaped surrogate pair (`\ud83d\ude00`) becomes one code point — which
//! serde_json would refuse. Numbers follow JSON's grammar exactly and convert with Rust's
//! correctly rounded float parser, as `JSON.parse` does.

use crate::codec::string::Wtf8Builder;
use crate::codec::JsString;
use crate::{Error, Result};

pub struct Lexer<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        Self { text, pos: 0 }
    }

    /// A parse error that says where in the text it happened.
    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::parse(format!("invalid devalue text at byte {}: {message}", self.pos))
    }

    /// The next significant byte, after JSON whitespace, without consuming it.
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.text.get(self.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `byte` if it comes next.
    pub fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    pub fn expect(&mut self, byte: u8, what: &str) -> Result<()> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error(format_args!("expected {what}")))
        }
    }

    /// Checks that nothing but whitespace is left.
    pub fn finish(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("unexpected text after the end of the value")),
        }
    }

    /// Reads `true`, `false` or `null`.
    pub fn literal(&mut self) -> Result<Literal> {
        self.peek();
        let rest = &self.text[self.pos..];
        let (literal, len) = if rest.starts_with(b"true") {
            (Literal::Bool(true), 4)
        } else if rest.starts_with(b"false") {
            (Literal::Bool(false), 5)
        } else if rest.starts_with(b"null") {
            (Literal::Null, 4)
        } else {
            return Err(self.error("unexpected character"));
        };
        self.pos += len;
        Ok(literal)
    }

    /// Reads a JSON number.
    pub fn number(&mut self) -> Result<f64> {
        self.peek();
        let start = self.pos;
        let text = self.text;
        let mut i = start;
        let digit = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
        if text.get(i) == Some(&b'-') {
            i += 1;
        }
        match text.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while digit(i) {
                    i += 1;
                }
            }
            _ => return Err(self.error("expected a number")),
        }
        let integer_end = i;
        if text.get(i) == Some(&b'.') {
            i += 1;
            if !digit(i) {
                self.pos = i;
                return Err(self.error("expected a digit after the decimal point"));
            }
            while digit(i) {
                i += 1;
            }
        }
        if matches!(text.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(text.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digit(i) {
                self.pos = i;
                return Err(self.error("expected a digit in the exponent"));
            }
            while digit(i) {
                i += 1;
            }
        }
        self.pos = i;
        let literal = &text[start..i];
        // Most numbers in devalue text are small integer indices: skip the float parser for them.
        // 15 digits stay below 2^53, so the conversion is exact.
        if i == integer_end && literal.len() <= 15 {
            let (negative, digits) = match literal {
                [b'-', digits @ ..] => (true, digits),
                digits => (false, digits),
            };
            let value = digits.iter().fold(0i64, |value, &d| value * 10 + i64::from(d - b'0'));
            return Ok(if negative { -(value as f64) } else { value as f64 });
        }
        // The literal is ASCII by construction; `parse` rounds correctly, like JSON.parse.
        std::str::from_utf8(literal)
            .ok()
            .and_then(|literal| literal.parse().ok())
            .ok_or_else(|| self.error("invalid number"))
    }

    /// Reads a JSON string.
    pub fn string(&mut self) -> Result<JsString> {
        if !self.eat(b'"') {
            return Err(self.error("expected a string"));
        }
        let text = self.text;
        let start = self.pos;
        let mut i = start;
        // Fast path: no escapes, and the content is UTF-8 (or canonical WTF-8) as it stands.
        while let Some(&b) = text.get(i) {
            match b {
                b'"' => {
                    if let Some(string) = JsString::from_wtf8(&text[start..i]) {
                        self.pos = i + 1;
                        return Ok(string);
                    }
                    break;
                }
                b'\\' => break,
                0x00..=0x1F => {
                    self.pos = i;
                    return Err(self.error("control character in a string"));
                }
                _ => i += 1,
            }
        }
        self.string_slow(start)
    }

    /// Decodes a string with escapes, or with raw surrogates that need joining, from `start`
    /// (just after the opening quote).
    fn string_slow(&mut self, start: usize) -> Result<JsString> {
        let text = self.text;
        let mut out = Wtf8Builder::new();
        self.pos = start;
        loop {
            // A run of plain characters.
            let run_start = self.pos;
            while let Some(&b) = text.get(self.pos) {
                if matches!(b, b'"' | b'\\' | 0x00..=0x1F) {
                    break;
                }
                self.pos += 1;
            }
            self.push_raw(&mut out, run_start)?;
            match text.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out.finish());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = match text.get(self.pos) {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        Some(b'b') => 0x08,
                        Some(b'f') => 0x0C,
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        Some(b'u') => {
                            let unit = text
                                .get(self.pos + 1..self.pos + 5)
                                .and_then(|hex| std::str::from_utf8(hex).ok())
                                .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                                .ok_or_else(|| self.error("invalid \\u escape"))?;
                            // Wtf8Builder joins a high surrogate with a low one pushed next.
                            out.push_code_unit(unit);
                            self.pos += 5;
                            continue;
                        }
                        _ => return Err(self.error("invalid escape")),
                    };
                    out.push_code_unit(u16::from(escaped));
                    self.pos += 1;
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// Appends the raw bytes `run_start..self.pos`: UTF-8, or WTF-8 whose surrogates the builder
    /// must see one by one (a raw high surrogate may pair with a following `\udc00` escape).
    fn push_raw(&self, out: &mut Wtf8Builder, run_start: usize) -> Result<()> {
        let run = &self.text[run_start..self.pos];
        if run.is_empty() {
            // Pushing nothing would still end a pending high surrogate that the next escape may pair.
            return Ok(());
        }
        if let Ok(text) = std::str::from_utf8(run) {
            out.push_str(text);
            return Ok(());
        }
        let mut i = 0;
        while i < run.len() {
            let (code_point, width) = decode_wtf8(&run[i..])
                .ok_or_else(|| Error::parse(format!("invalid UTF-8 in devalue text at byte {}", run_start + i)))?;
            out.push_code_point(code_point);
            i += width;
        }
        Ok(())
    }
}

/// `true`, `false` or `null`.
#[derive(Debug, PartialEq)]
pub enum Literal {
    Bool(bool),
    Null,
}

/// Decodes one code point of generalized UTF-8 (UTF-8 that also admits the 3-byte encodings of
/// surrogates), rejecting overlong and out-of-range sequences: `(code point, byte width)`.
fn decode_wtf8(bytes: &[u8]) -> Option<(u32, usize)> {
    let first = *bytes.first()?;
    let (width, min, initial) = match first {
        0x00..=0x7F => return Some((u32::from(first), 1)),
        0xC2..=0xDF => (2, 0x80, u32::from(first & 0x1F)),
        0xE0..=0xEF => (3, 0x800, u32::from(first & 0x0F)),
        0xF0..=0xF4 => (4, 0x10000, u32::from(first & 0x07)),
        _ => return None,
    };
    let continuation = bytes.get(1..width)?;
    if !continuation.iter().all(|b| b & 0xC0 == 0x80) {
        return None;
    }
    let code_point = continuation.iter().fold(initial, |cp, b| (cp << 6) | u32::from(b & 0x3F));
    (min..=0x10FFFF).contains(&code_point).then_some((code_point, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(text: &[u8]) -> Result<JsString> {
        Lexer::new(text).string()
    }

    fn number(text: &str) -> Result<f64> {
        let mut lexer = Lexer::new(text.as_bytes());
        let n = lexer.number()?;
        lexer.finish()?;
        Ok(n)
    }

    #[test]
    fn strings() {
        assert_eq!(string(br#""plain""#).unwrap(), JsString::from("plain"));
        assert_eq!(string(br#""a\"\\\/\b\f\n\r\tz""#).unwrap(), JsString::from("a\"\\/\u{8}\u{c}\n\r\tz"));
        assert_eq!(string(br#""\u003C\u00e9\u20AC""#).unwrap(), JsString::from("<é€"));
        assert_eq!(string("\"é😀\"".as_bytes()).unwrap(), JsString::from("é😀"));
        // An escaped pair is one code point; lone surrogates stay.
        assert_eq!(string(br#""\ud83d\ude00""#).unwrap(), JsString::from("😀"));
        assert_eq!(string(br#""\ud800x\udc00""#).unwrap(), JsString::from_utf16(&[0xD800, 0x78, 0xDC00]));
        // Raw WTF-8 lone surrogates, alone, next to an escape, or (non-canonically) split in two.
        assert_eq!(string(b"\"\xED\xA0\x80\"").unwrap(), JsString::from_utf16(&[0xD800]));
        assert_eq!(string(b"\"\xED\xA0\xBD\\ude00\"").unwrap(), JsString::from("😀"));
        assert_eq!(string(b"\"\xED\xA0\xBD\xED\xB8\x80\"").unwrap(), JsString::from("😀"));
    }

    #[test]
    fn bad_strings() {
        for text in [
            &b"\"abc"[..],
            b"\"a\\\"",
            b"\"\\x\"",
            b"\"\\u12\"",
            b"\"\\u12g4\"",
            b"\"\\u+123\"",
            b"\"a\nb\"",
            b"\"\x01\"",
            b"\"\xFF\"",
            b"\"\xC0\x80\"",
            b"\"\xE0\x80\x80\"",
            b"\"\xF4\x90\x80\x80\"",
            b"\"\xE2\x82\"",
            b"abc",
        ] {
            assert!(string(text).is_err(), "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number("0").unwrap(), 0.0);
        assert!(number("-0").unwrap().is_sign_negative());
        assert_eq!(number("-12").unwrap(), -12.0);
        assert_eq!(number("1.5e3").unwrap(), 1500.0);
        assert_eq!(number("1E-2").unwrap(), 0.01);
        assert_eq!(number("0.1").unwrap(), 0.1);
        assert_eq!(number("123456789012345680000").unwrap(), 123456789012345680000.0);
        assert_eq!(number("1e400").unwrap(), f64::INFINITY);
        assert_eq!(number("5e-324").unwrap(), 5e-324);
        for bad in ["", "-", "01", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "1.e5", "--1"] {
            assert!(number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn literals_and_punctuation() {
        let mut lexer = Lexer::new(b" [ true ,false,\tnull ] ");
        lexer.expect(b'[', "[").unwrap();
        assert_eq!(lexer.literal().unwrap(), Literal::Bool(true));
        assert!(lexer.eat(b','));
        assert_eq!(lexer.literal().unwrap(), Literal::Bool(false));
        assert!(lexer.eat(b','));
        assert_eq!(lexer.literal().unwrap(), Literal::Null);
        assert!(!lexer.eat(b','));
        lexer.expect(b']', "]").unwrap();
        lexer.finish().unwrap();
        assert!(Lexer::new(b"nul").literal().is_err());
        let mut lexer = Lexer::new(b"1 2");
        assert_eq!(lexer.number().unwrap(), 1.0);
        assert!(lexer.finish().is_err());
    }
}
