//! `stringify` / `parse`: the devalue codec on its own. The JS layer validates a value and hands
//! it over as bytes (lib/handoff.js); these functions do the rest in Rust.

use napi::bindgen_prelude::{Buffer, Either, Utf16String};
use napi_derive::napi;
use session_core::codec::{self, devalue, v8, JsString};
use session_core::limits::Limits;

use crate::errors::{guard, IntoJs, Result};

/// The bounds of `parse()`: nesting depth, and how many times its text a value may expand.
#[napi(object, object_to_js = false)]
pub struct ParseLimits {
    pub max_depth: Option<u32>,
    pub max_expansion: Option<u32>,
}

/// devalue text of a handed-over value, exactly as `devalue.stringify` (with Astro's URL reducer)
/// writes it — lone surrogates included, which a UTF-8 string cannot carry.
#[napi(js_name = "stringify")]
pub fn stringify(handoff: &[u8]) -> Result<Either<String, Utf16String>> {
    guard(|| {
        let (graph, root) = codec::decode_handoff(handoff).into_js()?;
        let text = devalue::stringify(&graph, root, devalue::LoneSurrogates::Raw).into_js()?;
        Ok(js_text(text))
    })
}

/// The value of devalue text, in V8's format for the JS layer to deserialize.
#[napi(js_name = "parse")]
pub fn parse(text: String, limits: Option<ParseLimits>) -> Result<Buffer> {
    guard(|| parse_wtf8(text.as_bytes(), limits))
}

/// As `parse`, for text that holds lone surrogates (UTF-8 cannot carry them).
#[napi(js_name = "parseUtf16")]
pub fn parse_utf16(text: Utf16String, limits: Option<ParseLimits>) -> Result<Buffer> {
    guard(|| parse_wtf8(JsString::from_utf16(&text).as_wtf8(), limits))
}

/// Whether the V8 serialization format `version` (the second byte Node's serializer writes) is
/// read here; the JS layer falls back to devalue text for a version that is not.
#[napi(js_name = "readsV8Version")]
pub fn reads_v8_version(version: u32) -> bool {
    v8::SUPPORTED_VERSIONS.contains(&version)
}

/// Parsed in linear time and memory; the value is then written for JS within the limits (the
/// defaults unless given), so a short hostile text cannot expand without bound.
fn parse_wtf8(text: &[u8], limits: Option<ParseLimits>) -> Result<Buffer> {
    let mut bounds = Limits::default();
    if let Some(limits) = limits {
        bounds.max_depth = limits.max_depth.map_or(bounds.max_depth, |depth| depth as usize);
        bounds.max_expansion = limits.max_expansion.map_or(bounds.max_expansion, |factor| factor as usize);
    }
    let bounds = bounds.validate().into_js()?;
    let (graph, root) = devalue::parse(text).into_js()?;
    Ok(v8::write_within(&graph, root, &mut bounds.read_budget(text.len())).into_js()?.into())
}

/// A JS string: from UTF-8 when the text is well-formed (the fast path), from UTF-16 otherwise.
pub fn js_text(text: JsString) -> Either<String, Utf16String> {
    match String::from_utf8(text.into_wtf8()) {
        Ok(utf8) => Either::A(utf8),
        Err(error) => Either::B(Utf16String::from(
            JsString::from_wtf8(error.as_bytes()).unwrap_or_default().utf16_units().collect::<Vec<u16>>(),
        )),
    }
}
