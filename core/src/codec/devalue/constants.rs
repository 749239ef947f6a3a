//! devalue's special indices, named in one place.
//!
//! Where a record would point at another record by its (non-negative) index, devalue writes one of
//! these negative numbers for the values that never get a record of their own, and two markers
//! that only make sense inside an array record.

/// `undefined`.
pub const UNDEFINED: i64 = -1;
/// A missing element of an array (`[1, , 3]`); only valid as an element of a plain array record.
pub const HOLE: i64 = -2;
pub const NAN: i64 = -3;
pub const POSITIVE_INFINITY: i64 = -4;
pub const NEGATIVE_INFINITY: i64 = -5;
/// `-0`: a record `0` would lose the sign.
pub const NEGATIVE_ZERO: i64 = -6;
/// First element of a sparse array record: `[SPARSE, length, index, value, index, value, …]`.
pub const SPARSE: i64 = -7;

/// The largest `length` a JS array can have.
pub const MAX_ARRAY_LENGTH: u64 = (1 << 32) - 1;
