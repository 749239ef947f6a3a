//! `Temporal` values (Node 26 and later), held as devalue holds them: by kind and by the text of
//! their `toString()`, which `Temporal.<Kind>.from(text)` reads back.
//!
//! The text is checked only for what every Temporal string is made of (see [`Temporal::new`]):
//! whether it names a real date, a known time zone or calendar, only the JS runtime's `Temporal`
//! can tell — the answer depends on its time zone database — so the JS layer (`lib/handoff.js`)
//! is the judge when it rebuilds the value, and a text it refuses fails only the read of the key
//! that holds it.

use std::fmt;

/// The eight Temporal types devalue 5.9 writes, in devalue's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TemporalKind {
    Duration,
    Instant,
    PlainDate,
    PlainTime,
    PlainDateTime,
    PlainMonthDay,
    PlainYearMonth,
    ZonedDateTime,
}

impl TemporalKind {
    pub const ALL: [TemporalKind; 8] = [
        TemporalKind::Duration,
        TemporalKind::Instant,
        TemporalKind::PlainDate,
        TemporalKind::PlainTime,
        TemporalKind::PlainDateTime,
        TemporalKind::PlainMonthDay,
        TemporalKind::PlainYearMonth,
        TemporalKind::ZonedDateTime,
    ];

    /// The constructor's name in the `Temporal` namespace (`PlainDate`).
    pub fn name(self) -> &'static str {
        match self {
            TemporalKind::Duration => "Duration",
            TemporalKind::Instant => "Instant",
            TemporalKind::PlainDate => "PlainDate",
            TemporalKind::PlainTime => "PlainTime",
            TemporalKind::PlainDateTime => "PlainDateTime",
            TemporalKind::PlainMonthDay => "PlainMonthDay",
            TemporalKind::PlainYearMonth => "PlainYearMonth",
            TemporalKind::ZonedDateTime => "ZonedDateTime",
        }
    }

    /// devalue's tag, which is also the value's `Symbol.toStringTag` (`Temporal.PlainDate`).
    pub fn tag(self) -> &'static str {
        match self {
            TemporalKind::Duration => "Temporal.Duration",
            TemporalKind::Instant => "Temporal.Instant",
            TemporalKind::PlainDate => "Temporal.PlainDate",
            TemporalKind::PlainTime => "Temporal.PlainTime",
            TemporalKind::PlainDateTime => "Temporal.PlainDateTime",
            TemporalKind::PlainMonthDay => "Temporal.PlainMonthDay",
            TemporalKind::PlainYearMonth => "Temporal.PlainYearMonth",
            TemporalKind::ZonedDateTime => "Temporal.ZonedDateTime",
        }
    }

    pub fn from_tag(tag: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.tag().as_bytes() == tag)
    }

    /// The kind's position in [`TemporalKind::ALL`] (how the V8 hand-off numbers it).
    pub fn index(self) -> u32 {
        self as u32
    }

    pub fn from_index(index: u32) -> Option<Self> {
        Self::ALL.get(usize::try_from(index).ok()?).copied()
    }
}

impl fmt::Display for TemporalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A Temporal value: its kind and its text, well-formed by construction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Temporal {
    kind: TemporalKind,
    text: Box<str>,
}

impl Temporal {
    /// A Temporal value of `kind` with `text` as its `toString()`, if the text is made only of
    /// the characters of Temporal's string grammar (ISO 8601 and RFC 9557 as the Temporal
    /// proposal extends them): ASCII letters and digits, and `+ - : . , / _ [ ] = !` and space.
    /// That grammar has nothing else — V8's Temporal refuses even U+2212 MINUS SIGN, which drafts
    /// of the proposal allowed — so other text is no Temporal value on any runtime: a lone
    /// surrogate, a control character, HTML. Every text crosses to JS as plain ASCII.
    pub fn new(kind: TemporalKind, text: &str) -> Option<Self> {
        let grammar = |b: u8| b.is_ascii_alphanumeric() || b" +-:.,/_[]=!".contains(&b);
        (!text.is_empty() && text.bytes().all(grammar)).then(|| Self { kind, text: text.into() })
    }

    pub fn kind(&self) -> TemporalKind {
        self.kind
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_tag_and_index() {
        for (index, kind) in TemporalKind::ALL.into_iter().enumerate() {
            assert_eq!(TemporalKind::from_tag(kind.tag().as_bytes()), Some(kind));
            assert_eq!(kind.tag(), format!("Temporal.{}", kind.name()));
            assert_eq!(kind.index(), index as u32);
            assert_eq!(TemporalKind::from_index(index as u32), Some(kind));
        }
        for tag in ["Temporal", "Temporal.", "Temporal.Now", "Temporal.plainDate", "PlainDate", "Temporal.PlainDate "] {
            assert_eq!(TemporalKind::from_tag(tag.as_bytes()), None, "{tag}");
        }
        assert_eq!(TemporalKind::from_index(8), None);
        assert_eq!(TemporalKind::from_index(u32::MAX), None);
    }

    #[test]
    fn texts_of_temporal_grammar_only() {
        // What toString() writes, and input forms Temporal.from() reads (Node 26).
        for text in [
            "P1Y2M3DT4H5M6.007008009S",
            "-PT1S",
            "p1y2m3dt4h5m6,5s",
            "1999-09-29T05:30:00Z",
            "+275760-09-13",
            "-271821-04-19",
            "12:34:56",
            "2020-01-01 10:00",
            "--01-31",
            "1972-01-21[u-ca=hebrew]",
            "1999-09-29T12:34:56+02:00[Europe/Rome]",
            "2020-01-01T10:00:00-05:00[Etc/GMT+5]",
            "2020-01-01T10:00[!Europe/Rome][u-ca=islamic-umalqura]",
            "2020-01-01T10:00:00-03:00[America/Argentina/ComodRivadavia]",
        ] {
            let temporal = Temporal::new(TemporalKind::Duration, text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(temporal.text(), text);
        }
        for text in [
            "",
            "2020-01-01\u{2212}05:00",
            "2020-01-01\n",
            "2020-01-01\t",
            "<script>",
            "\"",
            "a\\b",
            "2020-01-01;",
            "é",
            "\u{FFFD}",
            "2020-01-01T00:00Z\u{0}",
        ] {
            assert_eq!(Temporal::new(TemporalKind::PlainDate, text), None, "{text:?}");
        }
    }
}
