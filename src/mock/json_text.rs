//! JSON text written straight into an answer's bytes, for the answers clients poll most (the
//! reject reasons list): the records are read in place and no `serde_json::Value` is built.
//! serde_json's string escaper is a large share of what these answers cost (BENCHMARKS.md,
//! the mock benchmark); most strings (names, sys_ids) need no escaping at all, and are copied
//! whole.

/// Writes `text` as a JSON string.
pub fn string(out: &mut Vec<u8>, text: &str) {
    if !needs_escape(text.as_bytes()) {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, text).is_err() {
        // Writing a string into a Vec cannot fail; should it, the value is still JSON.
        out.extend_from_slice(b"\"\"");
    }
}

/// Whether any byte is one JSON escapes (a control character, `"` or `\\`), eight bytes at a
/// time (a byte-by-byte loop was most of the cost of writing a sys_id).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether a byte of `x` is below `n` (n <= 128): the borrow of the subtraction reaches
    // the high bit of exactly such bytes (bytes of 128 and over are masked out by `!x`).
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let found = below(x, 0x20)
            | below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1);
        if found != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Writes `n` as a JSON number (digits by hand: `write!` costs more than the whole entry).
pub fn integer(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut rest = n.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_the_json_serde_would_write() {
        let long = "a sys_id 0123456789abcdef0123456789abcdef";
        for text in [
            "Busy",
            "",
            "say \"no\"",
            "back\\slash",
            "tab\there",
            "line\nbreak",
            "é ✓ ünïcödé and more than eight bytes",
            long,
            &format!("{long}\""),
            &format!("{long}\\"),
            &format!("{long}\u{1f}"),
            &format!("{long}\u{7f}\u{80}"),
        ] {
            let mut out = Vec::new();
            string(&mut out, text);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn every_byte_that_needs_escaping_is_found_wherever_it_stands() {
        for byte in 0u8..=255 {
            for at in 0..17 {
                let mut bytes = vec![b'a'; 17];
                bytes[at] = byte;
                let naive = byte < 0x20 || byte == b'"' || byte == b'\\';
                assert_eq!(needs_escape(&bytes), naive, "byte {byte:#x} at {at}");
            }
        }
    }

    #[test]
    fn integers_are_written_in_full() {
        let mut out = Vec::new();
        integer(&mut out, -42);
        out.push(b',');
        integer(&mut out, i64::MAX);
        out.push(b',');
        integer(&mut out, i64::MIN);
        out.push(b',');
        integer(&mut out, 0);
        assert_eq!(out, format!("-42,{},{},0", i64::MAX, i64::MIN).into_bytes());
    }
}
