//! A SHA-256 whose state can be written down and taken up again, so the next chunk of an upload
//! can be hashed by another instance than the one that hashed the last. `sha2` keeps its state
//! private; its compression function is public, and the rest of SHA-256 (the buffer of an
//! unfinished block, the length, the padding) is short.

use sha2::digest::generic_array::GenericArray;

const BLOCK: usize = 64;
const INITIAL: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningHash {
    state: [u32; 8],
    /// Bytes hashed so far, the unfinished block's included.
    len: u64,
    /// The unfinished block (shorter than 64 bytes).
    pending: Vec<u8>,
}

impl Default for RunningHash {
    fn default() -> Self {
        RunningHash {
            state: INITIAL,
            len: 0,
            pending: Vec::new(),
        }
    }
}

impl RunningHash {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if !self.pending.is_empty() {
            let take = (BLOCK - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() < BLOCK {
                return;
            }
            let block = GenericArray::clone_from_slice(&self.pending);
            sha2::compress256(&mut self.state, &[block]);
            self.pending.clear();
        }
        let whole = bytes.len() / BLOCK * BLOCK;
        let blocks: Vec<_> = bytes[..whole]
            .chunks_exact(BLOCK)
            .map(GenericArray::clone_from_slice)
            .collect();
        sha2::compress256(&mut self.state, &blocks);
        self.pending.extend_from_slice(&bytes[whole..]);
    }

    pub fn finish(mut self) -> [u8; 32] {
        let bits = self.len.wrapping_mul(8);
        let mut tail = std::mem::take(&mut self.pending);
        tail.push(0x80);
        while tail.len() % BLOCK != BLOCK - 8 {
            tail.push(0);
        }
        tail.extend_from_slice(&bits.to_be_bytes());
        let blocks: Vec<_> = tail
            .chunks_exact(BLOCK)
            .map(GenericArray::clone_from_slice)
            .collect();
        sha2::compress256(&mut self.state, &blocks);
        let mut out = [0u8; 32];
        for (o, word) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// The state as hex: eight words, the length, the unfinished block.
    pub fn encode(&self) -> String {
        let mut raw = Vec::with_capacity(40 + self.pending.len());
        for word in self.state {
            raw.extend_from_slice(&word.to_be_bytes());
        }
        raw.extend_from_slice(&self.len.to_be_bytes());
        raw.extend_from_slice(&self.pending);
        hex::encode(raw)
    }

    /// The state `encode` wrote; `None` for anything else.
    pub fn decode(text: &str) -> Option<RunningHash> {
        let raw = hex::decode(text).ok()?;
        if raw.len() < 40 || raw.len() >= 40 + BLOCK {
            return None;
        }
        let mut state = [0u32; 8];
        for (word, bytes) in state.iter_mut().zip(raw[..32].chunks_exact(4)) {
            *word = u32::from_be_bytes(bytes.try_into().ok()?);
        }
        let len = u64::from_be_bytes(raw[32..40].try_into().ok()?);
        let pending = raw[40..].to_vec();
        if len % BLOCK as u64 != pending.len() as u64 {
            return None;
        }
        Some(RunningHash {
            state,
            len,
            pending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn any_split_gives_sha256_of_the_whole() {
        for n in [0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, 70_001] {
            let data = bytes(n);
            let want: [u8; 32] = Sha256::digest(&data).into();
            for cut in [0, 1, 7, 63, 64, 65, n / 2, n] {
                let cut = cut.min(n);
                let mut h = RunningHash::default();
                h.update(&data[..cut]);
                h.update(&data[cut..]);
                assert_eq!(h.len(), n as u64);
                assert_eq!(h.finish(), want, "n {n} cut {cut}");
            }
        }
    }

    #[test]
    fn a_state_written_down_and_taken_up_goes_on_hashing() {
        let data = bytes(10_000);
        let want: [u8; 32] = Sha256::digest(&data).into();
        for cut in [0, 3, 64, 100, 9_999] {
            let mut h = RunningHash::default();
            h.update(&data[..cut]);
            let mut again = RunningHash::decode(&h.encode()).expect("decodes");
            assert_eq!(again, h);
            again.update(&data[cut..]);
            assert_eq!(again.finish(), want, "cut {cut}");
        }
    }

    #[test]
    fn a_damaged_state_is_refused() {
        let mut h = RunningHash::default();
        h.update(b"abc");
        let good = h.encode();
        assert!(RunningHash::decode(&good[..good.len() - 2]).is_none());
        assert!(RunningHash::decode("zz").is_none());
        assert!(RunningHash::decode("").is_none());
        assert!(RunningHash::decode(&format!("{good}00")).is_none());
    }
}
