//! sys_ids, 32 lowercase hexadecimal characters as the platform makes them: fresh ones, and
//! telling one from any other text.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A sys_id that no other call in this process returns. Each call seeds a hasher with the
/// standard library's per-process random keys, so ids also differ between runs.
pub fn fresh() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut out = String::with_capacity(32);
    for half in 0..2u64 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(n);
        hasher.write_u64(half);
        out.push_str(&format!("{:016x}", hasher.finish()));
    }
    out
}

/// Whether `s` is a sys_id: 32 lowercase hexadecimal characters.
pub fn is_sys_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fresh_ids_are_sys_ids_and_differ() {
        let (a, b) = (super::fresh(), super::fresh());
        assert!(super::is_sys_id(&a), "{a}");
        assert_ne!(a, b);
    }
}
