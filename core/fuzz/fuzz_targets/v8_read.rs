//! V8 serialization bytes (what the JS layer hands over): reading never panics, and what is read
//! writes and reads back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::codec::devalue::{self, LoneSurrogates};
use session_core::codec::v8;

fuzz_target!(|data: &[u8]| {
    let Ok((graph, root)) = v8::read(data) else { return };
    let Ok(text) = devalue::stringify(&graph, root, LoneSurrogates::Escape) else { return };
    if let Ok(bytes) = v8::write(&graph, root) {
        let (again, again_root) = v8::read(&bytes).expect("our V8 output reads back");
        let text_again = devalue::stringify(&again, again_root, LoneSurrogates::Escape).unwrap();
        assert_eq!(text, text_again);
    }
});
