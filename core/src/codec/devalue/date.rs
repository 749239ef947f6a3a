//! Dates as `Date.prototype.toISOString` writes them, and back.
//!
//! A JS date is a count of milliseconds since 1970-01-01T00:00:00Z within ±8.64e15, in the
//! proleptic Gregorian calendar. Years 0..=9999 print with 4 digits, others as a sign and 6 digits
//! (`+010000-01-01T00:00:00.000Z`, `-000001-12-31T23:59:59.999Z`). devalue writes an invalid date
//! as `""`, which the caller handles.

const MS_PER_DAY: i64 = 86_400_000;
/// The range of a valid JS date, in milliseconds either side of the epoch.
const MAX_TIME: i64 = 8_640_000_000_000_000;

/// Appends the ISO form of a date and returns true, or appends nothing and returns false for an
/// invalid date (NaN or out of range), for which `toISOString` would throw.
pub fn write_iso(out: &mut Vec<u8>, time: f64) -> bool {
    // NaN fails this test too.
    if time.is_nan() || time.abs() > MAX_TIME as f64 {
        return false;
    }
    // A JS date is always integral (TimeClip truncates); the cast truncates the same way for a
    // model that is not.
    let time = time as i64;
    let (year, month, day) = civil_from_days(time.div_euclid(MS_PER_DAY));
    let ms_of_day = time.rem_euclid(MS_PER_DAY);
    if (0..=9999).contains(&year) {
        push_padded(out, year as u64, 4);
    } else {
        out.push(if year < 0 { b'-' } else { b'+' });
        push_padded(out, year.unsigned_abs(), 6);
    }
    out.push(b'-');
    push_padded(out, month as u64, 2);
    out.push(b'-');
    push_padded(out, day as u64, 2);
    out.push(b'T');
    push_padded(out, (ms_of_day / 3_600_000) as u64, 2);
    out.push(b':');
    push_padded(out, (ms_of_day / 60_000 % 60) as u64, 2);
    out.push(b':');
    push_padded(out, (ms_of_day / 1000 % 60) as u64, 2);
    out.push(b'.');
    push_padded(out, (ms_of_day % 1000) as u64, 3);
    out.push(b'Z');
    true
}

/// Reads exactly what `toISOString` writes, and nothing else: `None` for any other text,
/// including forms `new Date()` would accept (`2024-01-01`, `+002024-…`, `2024-02-30…`).
pub fn parse_iso(text: &[u8]) -> Option<f64> {
    let (year, rest) = match text.first()? {
        sign @ (b'+' | b'-') => {
            let magnitude = digits(text.get(1..7)?)? as i64;
            let year = if *sign == b'-' { -magnitude } else { magnitude };
            // toISOString only uses the 6-digit form outside 0..=9999, and never writes -000000.
            if (0..=9999).contains(&year) {
                return None;
            }
            (year, &text[7..])
        }
        _ => (digits(text.get(..4)?)? as i64, &text[4..]),
    };
    // Everything after the year has a fixed layout: -MM-DDTHH:MM:SS.mmmZ
    let [b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', i1, i2, b':', s1, s2, b'.', f1, f2, f3, b'Z'] = *rest else {
        return None;
    };
    let month = digits(&[m1, m2])? as i64;
    let day = digits(&[d1, d2])? as i64;
    let hour = digits(&[h1, h2])? as i64;
    let minute = digits(&[i1, i2])? as i64;
    let second = digits(&[s1, s2])? as i64;
    let millis = digits(&[f1, f2, f3])? as i64;
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let time = days_from_civil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
    (time.abs() <= MAX_TIME).then_some(time as f64)
}

/// The value of a run of ASCII digits (at most 6 here, so no overflow).
fn digits(text: &[u8]) -> Option<u64> {
    text.iter().try_fold(0u64, |value, &b| b.is_ascii_digit().then(|| value * 10 + u64::from(b - b'0')))
}

fn push_padded(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// The two conversions below are Howard Hinnant's `days_from_civil` / `civil_from_days`: exact for
// every proleptic Gregorian date, negative years included, with years counted from March so the
// leap day falls at the end.

/// Days since 1970-01-01 of a date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The (year, month, day) of a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Milliseconds and what Node 20 prints for `new Date(ms).toISOString()`.
    const NODE: &[(f64, &str)] = &[
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1700000000123.0, "2023-11-14T22:13:20.123Z"),
        (-1.0, "1969-12-31T23:59:59.999Z"),
        (8.64e15, "+275760-09-13T00:00:00.000Z"),
        (-8.64e15, "-271821-04-20T00:00:00.000Z"),
        (253402300800000.0, "+010000-01-01T00:00:00.000Z"),
        (253402300799999.0, "9999-12-31T23:59:59.999Z"),
        (-62198755200000.0, "-000001-01-01T00:00:00.000Z"),
        (-62167219200000.0, "0000-01-01T00:00:00.000Z"),
        (-62167219200001.0, "-000001-12-31T23:59:59.999Z"),
        (951782400000.0, "2000-02-29T00:00:00.000Z"),
        (4107542400000.0, "2100-03-01T00:00:00.000Z"),
        (-2208988800000.0, "1900-01-01T00:00:00.000Z"),
        (1e15, "+033658-09-27T01:46:40.000Z"),
        (-1e15, "-029719-04-05T22:13:20.000Z"),
        (68169600000.0, "1972-02-29T00:00:00.000Z"),
    ];

    #[test]
    fn writes_and_reads_like_to_iso_string() {
        for &(time, iso) in NODE {
            let mut out = Vec::new();
            assert!(write_iso(&mut out, time));
            assert_eq!(std::str::from_utf8(&out).unwrap(), iso);
            assert_eq!(parse_iso(iso.as_bytes()), Some(time), "{iso}");
        }
    }

    #[test]
    fn invalid_dates_write_nothing() {
        for time in [f64::NAN, f64::INFINITY, 8.64e15 + 1.0, -8.64e15 - 1.0] {
            let mut out = Vec::new();
            assert!(!write_iso(&mut out, time));
            assert!(out.is_empty());
        }
    }

    #[test]
    fn reads_nothing_but_to_iso_string_output() {
        for text in [
            "",
            "2024-01-01",
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.000",
            "2024-01-01T00:00:00.000+00:00",
            "2024-01-01 00:00:00.000Z",
            "+002024-01-01T00:00:00.000Z",
            "-000000-01-01T00:00:00.000Z",
            "+275760-09-13T00:00:00.001Z",
            "-271821-04-19T23:59:59.999Z",
            "2024-02-30T00:00:00.000Z",
            "2023-02-29T00:00:00.000Z",
            "2024-13-01T00:00:00.000Z",
            "2024-00-01T00:00:00.000Z",
            "2024-01-00T00:00:00.000Z",
            "2024-01-01T24:00:00.000Z",
            "2024-01-01T00:60:00.000Z",
            "2024-01-01T00:00:60.000Z",
            "2024-01-01T00:00:00.000Zx",
            "2O24-01-01T00:00:00.000Z",
            "1e10-01-01T00:00:00.000Z",
        ] {
            assert_eq!(parse_iso(text.as_bytes()), None, "{text}");
        }
        assert_eq!(parse_iso(b"2024-02-29T00:00:00.000Z"), Some(1709164800000.0));
    }
}
