//! The reporter's reply parser: whatever a collector (or anything listening on its port) sends back.

use tryfer_core::scribe::{self, frame_len, Reply, FRAME_HEADER_LEN, MAX_FRAME_DEFAULT};
use tryfer_core::sink::Slice;

/// The `scribe_reply` target: the input is the bytes a reporter read from its collector.
pub fn check(data: &[u8]) {
    if let Ok(reply) = scribe::parse_reply(data) {
        survives_rewrite(&reply);
    }
    for max in [0, 32, 256, 64 * 1024, MAX_FRAME_DEFAULT] {
        match scribe::read_reply(data, max) {
            Ok(Some((reply, used))) => {
                assert!(
                    used >= FRAME_HEADER_LEN && used <= data.len(),
                    "used {used} of {}",
                    data.len()
                );
                assert!(
                    used - FRAME_HEADER_LEN <= max,
                    "a frame over the maximum {max} was read"
                );
                assert_eq!(scribe::parse_reply(&data[FRAME_HEADER_LEN..used]), Ok(reply));
                survives_rewrite(&reply);
            }
            Ok(None) => {
                // Only when the stream really holds less than a whole frame.
                if let Some(prefix) = data.first_chunk::<FRAME_HEADER_LEN>() {
                    let len = frame_len(*prefix, max).expect("an acceptable frame length");
                    assert!(data.len() < FRAME_HEADER_LEN + len, "a whole frame is there, yet None");
                }
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
}

/// Writes `reply` as the sink would answer with it, and reads it back.
pub fn survives_rewrite(reply: &Reply<'_>) {
    let len = scribe::reply_len(reply).expect("a parsed reply can be written");
    let mut frame = vec![0u8; len];
    let mut out = Slice::new(&mut frame);
    scribe::write_reply(reply, &mut out).expect("the reply fits its measured length");
    assert_eq!(out.len(), len, "reply_len disagrees with write_reply");
    assert_eq!(
        scribe::read_reply(&frame, len),
        Ok(Some((*reply, len))),
        "a written reply reads back otherwise"
    );
}
