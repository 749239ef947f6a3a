//! Reads V8 serialization bytes as hex, one value a line on stdin, and prints for each what the V8
//! codec writes back after reading it (hex), or `error <message>`. Used by
//! `core/fixtures/check-v8-roundtrip.mjs`, which checks in Node that the output deserializes to
//! what the input did.

use std::io::{self, BufRead, Write};

use session_core::codec::v8;

fn main() -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for line in io::stdin().lock().lines() {
        let result = unhex(line?.trim())
            .and_then(|bytes| v8::read(&bytes).map_err(|e| e.to_string()))
            .and_then(|(graph, root)| v8::write(&graph, root).map_err(|e| e.to_string()));
        match result {
            Ok(bytes) => {
                for byte in bytes {
                    write!(out, "{byte:02x}")?;
                }
                writeln!(out)?;
            }
            Err(message) => writeln!(out, "error {message}")?,
        }
    }
    out.flush()
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| format!("not hex at {i}")))
        .collect()
}
