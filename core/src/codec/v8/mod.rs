//! V8's value serialization format: how values cross between JS and Rust.
//! (Being written: see the codec issue.)

use super::{Graph, NodeId};
use crate::Result;

pub fn read(_bytes: &[u8]) -> Result<(Graph, NodeId)> {
    Err(crate::Error::parse("V8 reader is not written yet"))
}

pub fn write(_graph: &Graph, _root: NodeId) -> Result<Vec<u8>> {
    Err(crate::Error::serialize("V8 writer is not written yet"))
}

/// The format versions `read` understands.
pub const SUPPORTED_VERSIONS: std::ops::RangeInclusive<u32> = 13..=15;
