//! The bytes of V8's value serialization format that this codec names: tags, view sub-tags and
//! RegExp flag bits, as V8's `src/objects/value-serializer.cc` and `JSRegExp::Flags` define them.

use crate::codec::ViewKind;

/// Starts the header: `VERSION`, then the format version as a varint.
pub const VERSION: u8 = 0xFF;
/// Ignored wherever a tag is read; V8 writes it so that two-byte string data is 2-byte aligned.
pub const PADDING: u8 = b'\0';
/// An object count (ignored), then a value.
pub const VERIFY_OBJECT_COUNT: u8 = b'?';

pub const THE_HOLE: u8 = b'-';
pub const UNDEFINED: u8 = b'_';
pub const NULL: u8 = b'0';
pub const TRUE: u8 = b'T';
pub const FALSE: u8 = b'F';
/// ZigZag varint int32.
pub const INT32: u8 = b'I';
/// Varint uint32.
pub const UINT32: u8 = b'U';
/// Little-endian f64.
pub const DOUBLE: u8 = b'N';
/// Varint bitfield (bit 0 sign, bits 1..=30 byte length), then little-endian 64-bit digits.
pub const BIGINT: u8 = b'Z';
pub const UTF8_STRING: u8 = b'S';
/// Latin-1 bytes.
pub const ONE_BYTE_STRING: u8 = b'"';
/// UTF-16LE code units.
pub const TWO_BYTE_STRING: u8 = b'c';
/// Varint id of an object read before.
pub const OBJECT_REFERENCE: u8 = b'^';
pub const BEGIN_JS_OBJECT: u8 = b'o';
/// Then the number of properties.
pub const END_JS_OBJECT: u8 = b'{';
/// Length, then key/value pairs.
pub const BEGIN_SPARSE_JS_ARRAY: u8 = b'a';
/// Then the number of properties and the length.
pub const END_SPARSE_JS_ARRAY: u8 = b'@';
/// Length, then that many elements (or holes), then key/value pairs.
pub const BEGIN_DENSE_JS_ARRAY: u8 = b'A';
/// Then the number of properties and the length.
pub const END_DENSE_JS_ARRAY: u8 = b'$';
pub const DATE: u8 = b'D';
pub const TRUE_OBJECT: u8 = b'y';
pub const FALSE_OBJECT: u8 = b'x';
pub const NUMBER_OBJECT: u8 = b'n';
pub const BIGINT_OBJECT: u8 = b'z';
pub const STRING_OBJECT: u8 = b's';
/// A string (with its own tag), then the flags as a varint.
pub const REGEXP: u8 = b'R';
pub const BEGIN_JS_MAP: u8 = b';';
/// Then the number of keys plus values.
pub const END_JS_MAP: u8 = b':';
pub const BEGIN_JS_SET: u8 = b'\'';
/// Then the number of values.
pub const END_JS_SET: u8 = b',';
/// Byte length, then the bytes.
pub const ARRAY_BUFFER: u8 = b'B';
/// Byte length, maximum byte length, then the bytes.
pub const RESIZABLE_ARRAY_BUFFER: u8 = b'~';
/// Follows the `ArrayBuffer` it looks into: sub-tag, byte offset, byte length, then (format
/// version 14 and later) flags.
pub const ARRAY_BUFFER_VIEW: u8 = b'V';
/// The embedder's own format follows (for us: a URL, see [`super::URL_HOST_OBJECT_TYPE`]).
pub const HOST_OBJECT: u8 = b'\\';

// Tags V8 writes for values a session cannot hold; named so that the error says what the value was.
pub const ARRAY_BUFFER_TRANSFER: u8 = b't';
pub const SHARED_ARRAY_BUFFER: u8 = b'u';
pub const SHARED_OBJECT: u8 = b'p';
pub const WASM_MODULE_TRANSFER: u8 = b'w';
pub const WASM_MEMORY_TRANSFER: u8 = b'm';
pub const ERROR: u8 = b'r';

/// Bits of a view's flags (format version 14 and later).
pub const VIEW_IS_LENGTH_TRACKING: u32 = 1 << 0;
pub const VIEW_IS_BACKED_BY_RAB: u32 = 1 << 1;

/// The sub-tag V8 writes after `ARRAY_BUFFER_VIEW` for each kind of view.
pub fn view_subtag(kind: ViewKind) -> u8 {
    match kind {
        ViewKind::Int8Array => b'b',
        ViewKind::Uint8Array => b'B',
        ViewKind::Uint8ClampedArray => b'C',
        ViewKind::Int16Array => b'w',
        ViewKind::Uint16Array => b'W',
        ViewKind::Int32Array => b'd',
        ViewKind::Uint32Array => b'D',
        // Only V8 versions that have Float16Array (newer than Node 20's) write or read it.
        ViewKind::Float16Array => b'h',
        ViewKind::Float32Array => b'f',
        ViewKind::Float64Array => b'F',
        ViewKind::BigInt64Array => b'q',
        ViewKind::BigUint64Array => b'Q',
        ViewKind::DataView => b'?',
    }
}

pub fn view_kind(subtag: u8) -> Option<ViewKind> {
    ViewKind::ALL.into_iter().find(|&kind| view_subtag(kind) == subtag)
}

/// `JSRegExp::Flags`: the bit of each flag letter. V8's `linear` flag (1 << 6, `l`, only behind
/// `--enable-experimental-regexp-engine`) has no JS letter a session could store, so it is absent.
pub const REGEXP_FLAG_BITS: [(u8, u32); 8] = [
    (b'g', 1 << 0),
    (b'i', 1 << 1),
    (b'm', 1 << 2),
    (b'y', 1 << 3),
    (b'u', 1 << 4),
    (b's', 1 << 5),
    (b'd', 1 << 7),
    (b'v', 1 << 8),
];

/// What a tag of a value this codec refuses stands for, for the error message.
pub fn unsupported_value(tag: u8) -> Option<&'static str> {
    Some(match tag {
        HOST_OBJECT => "a host object (a native object Node cannot clone)",
        ERROR => "an Error object",
        ARRAY_BUFFER_TRANSFER => "a transferred ArrayBuffer",
        SHARED_ARRAY_BUFFER => "a SharedArrayBuffer",
        SHARED_OBJECT => "a shared object",
        WASM_MODULE_TRANSFER => "a WebAssembly.Module",
        WASM_MEMORY_TRANSFER => "a WebAssembly.Memory",
        _ => return None,
    })
}
