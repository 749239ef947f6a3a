//! devalue text from storage or a client: parse never panics, and what it accepts writes back,
//! in both formats, to text and bytes that read again to the same output — V8's format within the
//! default limits (depth and expansion), as the session and `parse()` write it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::codec::devalue::{self, LoneSurrogates};
use session_core::codec::{v8, Graph, Node};
use session_core::limits::Limits;

/// URL texts travel to JS as UTF-8 (a URL parser never leaves a lone surrogate in one), so those
/// values are written lossily on purpose.
fn has_lone_surrogate_url(graph: &Graph) -> bool {
    (0..graph.len() as u32).any(|id| {
        matches!(graph.node(id), Node::Url(text) | Node::UrlSearchParams(text) if text.as_str().is_none())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok((graph, root)) = devalue::parse(data) else { return };
    let text = devalue::stringify(&graph, root, LoneSurrogates::Escape).expect("a parsed value stringifies");
    let (again, again_root) = devalue::parse(text.as_wtf8()).expect("our own output parses");
    let text_again = devalue::stringify(&again, again_root, LoneSurrogates::Escape).unwrap();
    assert_eq!(text, text_again, "stringify(parse(stringify(x))) is stable");
    devalue::stringify(&graph, root, LoneSurrogates::Raw).expect("raw output too");
    // The V8 writer refuses only what Node cannot read (Float16Array); what it writes reads back.
    if has_lone_surrogate_url(&graph) {
        return;
    }
    if let Ok(bytes) = v8::write_within(&graph, root, &mut Limits::default().read_budget(data.len())) {
        let (from_v8, from_v8_root) = v8::read(&bytes).expect("our V8 output reads back");
        let via_v8 = devalue::stringify(&from_v8, from_v8_root, LoneSurrogates::Escape).unwrap();
        assert_eq!(text, via_v8, "the V8 round trip keeps the value");
    }
});
