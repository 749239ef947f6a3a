//! Property keys. V8 writes integer-like keys as numbers, and JS orders array-index keys before
//! the others; both sides of the codec need to know which keys those are.

use crate::codec::JsString;

/// The largest array index, 2^32 - 2 (2^32 - 1 is a length, so an ordinary key).
pub const MAX_ARRAY_INDEX: u32 = u32::MAX - 1;

/// The index a key names when it is an array index: the canonical decimal form of an integer
/// from 0 to [`MAX_ARRAY_INDEX`].
pub fn array_index(key: &[u8]) -> Option<u32> {
    match key {
        [b'0'] => Some(0),
        [b'1'..=b'9', rest @ ..] if rest.len() < 10 && rest.iter().all(u8::is_ascii_digit) => {
            let value = key.iter().fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
            u32::try_from(value).ok().filter(|&index| index <= MAX_ARRAY_INDEX)
        }
        _ => None,
    }
}

/// A number used as a property key: its JS string form, and its index when it is an array index.
pub fn number_key(number: f64) -> (JsString, Option<u32>) {
    // -0 is the key "0" too.
    if number.fract() == 0.0 && (0.0..=f64::from(MAX_ARRAY_INDEX)).contains(&number) {
        let index = number as u32;
        (JsString::from(index.to_string()), Some(index))
    } else {
        (JsString::from(ryu_js::Buffer::new().format(number)), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indices_are_canonical_and_below_2_pow_32_minus_1() {
        for (key, index) in [("0", Some(0)), ("7", Some(7)), ("4294967294", Some(u32::MAX - 1))] {
            assert_eq!(array_index(key.as_bytes()), index, "{key}");
        }
        for key in ["", "01", "-0", "-1", "1.0", "1e3", "4294967295", "99999999999", " 1", "a"] {
            assert_eq!(array_index(key.as_bytes()), None, "{key}");
        }
    }

    #[test]
    fn number_keys_are_their_js_strings() {
        let cases = [
            (0.0, "0", Some(0)),
            (-0.0, "0", Some(0)),
            (4294967294.0, "4294967294", Some(u32::MAX - 1)),
            (4294967295.0, "4294967295", None),
            (-1.0, "-1", None),
            (1.5, "1.5", None),
            (0.1, "0.1", None),
            (1e21, "1e+21", None),
            (1e-7, "1e-7", None),
            (f64::NAN, "NaN", None),
            (f64::NEG_INFINITY, "-Infinity", None),
        ];
        for (number, text, index) in cases {
            assert_eq!(number_key(number), (JsString::from(text), index), "{number}");
        }
    }
}
