//! Numbers as JS prints them: `String(n)` for the number records, plain decimals for indices.

/// Appends a finite number exactly as JS `String(n)` writes it (`1e+21`, `1e-7`, `5e-324`,
/// `123456789012345680000`). NaN, ±Infinity and -0 never reach here: they are special indices.
pub fn write_number(out: &mut Vec<u8>, n: f64) {
    // Integers below 2^53 print as their plain decimal in JS; formatting them as integers is
    // much faster than the shortest-round-trip algorithm, and they are most numbers in sessions.
    // (The cast round-trips only for an integer; it is cheaper than `fract`, a libm call.)
    let integer = n as i64;
    if integer as f64 == n && integer.unsigned_abs() < 1 << 53 {
        write_integer(out, integer);
    } else {
        // ryu-js implements ECMAScript's Number::toString, exponent rules included.
        out.extend_from_slice(ryu_js::Buffer::new().format_finite(n).as_bytes());
    }
}

/// Appends an integer in decimal.
pub fn write_integer(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut rest = n.unsigned_abs();
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// How many decimal digits `n` has (`String(n).length` for a non-negative integer).
pub fn decimal_digits(n: u64) -> u64 {
    n.checked_ilog10().map_or(1, |log| u64::from(log) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(n: f64) -> String {
        let mut out = Vec::new();
        write_number(&mut out, n);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn prints_like_javascript() {
        // Expected strings printed by Node 20: `xs.map(String)`.
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-7, "1e-7"),
            (1e-6, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (5e-324, "5e-324"),
            (-5e-324, "-5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-1.5e300, "-1.5e+300"),
            (9007199254740992.0, "9007199254740992"),
            (9007199254740994.0, "9007199254740994"),
            (-2147483648.0, "-2147483648"),
            (4294967295.0, "4294967295"),
            (1.25, "1.25"),
            (100.0, "100"),
            (1e100, "1e+100"),
            (123e-20, "1.23e-18"),
            (0.000001234, "0.000001234"),
            (9.999999999999999e20, "999999999999999900000"),
            (1.0000000000000001e21, "1.0000000000000001e+21"),
            (1.5e-323, "1.5e-323"),
            (1234.5678, "1234.5678"),
            (-273.15, "-273.15"),
            (1e-323, "1e-323"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (12345678901234567890.0, "12345678901234567000"),
            (0.5e-6, "5e-7"),
        ];
        for &(n, expected) in cases {
            assert_eq!(js(n), expected, "{n:e}");
        }
    }

    #[test]
    fn integers_and_digit_counts() {
        let mut out = Vec::new();
        for n in [0, 7, -7, 10, i64::MAX, i64::MIN] {
            out.clear();
            write_integer(&mut out, n);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), n.to_string());
        }
        assert_eq!(decimal_digits(0), 1);
        assert_eq!(decimal_digits(9), 1);
        assert_eq!(decimal_digits(10), 2);
        assert_eq!(decimal_digits(4294967295), 10);
    }
}
