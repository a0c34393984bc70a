//! The RFC 9162 (section 2.1) Merkle tree: leaf and node hashing, roots of any past size,
//! inclusion and consistency proofs, and their verification.
//!
//! [`MerkleTree`] keeps every complete subtree hash (about two hashes per leaf), so the root
//! of any earlier size and any proof cost O(log² n) hash lookups and few hash computations,
//! never a pass over the leaves.

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf hash, a node hash or a root.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A tree size larger than the log, or sizes in the wrong order.
    #[error("tree sizes {from} and {to} are not 0 <= from <= to <= {len}")]
    BadSizes {
        /// The first (older) size.
        from: u64,
        /// The second (newer) size.
        to: u64,
        /// The log's current size.
        len: u64,
    },
    /// The inclusion proof does not lead to the root.
    #[error("the inclusion proof for leaf {index} does not lead to the root of size {size}")]
    InclusionMismatch {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The consistency proof does not show the older tree is a prefix of the newer.
    #[error("the consistency proof from size {from} to {to} does not verify")]
    ConsistencyMismatch {
        /// The older size.
        from: u64,
        /// The newer size.
        to: u64,
    },
}

/// An append-only Merkle tree that keeps every complete subtree hash.
#[derive(Clone, Debug, Default)]
pub struct MerkleTree {
    /// `levels[l][i]` is the hash of leaves `i*2^l .. (i+1)*2^l`, for complete subtrees only.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        MerkleTree {
            levels: vec![Vec::new()],
        }
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf's data; returns its index.
    pub fn append(&mut self, leaf: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(leaf))
    }

    /// Appends an already computed leaf hash; returns its index.
    pub fn push_leaf_hash(&mut self, hash: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let index = self.levels[0].len() as u64;
        self.levels[0].push(hash);
        let mut level = 0;
        while self.levels[level].len() % 2 == 0 {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
        index
    }

    /// The hash of leaf `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels
            .first()?
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// The hashes of the complete subtrees of `2^level` leaves, left to right (the nodes
    /// at that height; empty above the tree): what a tile at height `level` holds.
    pub fn node_hashes(&self, level: usize) -> &[Hash] {
        self.levels.get(level).map_or(&[], Vec::as_slice)
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.len())
            .expect("the current size is always in range")
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.len() {
            return Err(ProofError::BadSizes {
                from: size,
                to: size,
                len: self.len(),
            });
        }
        Ok(if size == 0 {
            empty_root()
        } else {
            self.subtree(0, size)
        })
    }

    /// MTH(D[start..end]); `start` is aligned as in every RFC 9162 recursion.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() && start % n == 0 {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(start >> level) as usize];
        }
        let k = split(n);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// The RFC 9162 inclusion proof (audit path) of leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.len() {
            return Err(ProofError::BadSizes {
                from: size,
                to: size,
                len: self.len(),
            });
        }
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n == 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// The RFC 9162 consistency proof between the trees of `from` and `to` leaves.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, ProofError> {
        if from > to || to > self.len() {
            return Err(ProofError::BadSizes {
                from,
                to,
                len: self.len(),
            });
        }
        let mut proof = Vec::new();
        if from > 0 && from < to {
            self.subproof(from, 0, to, true, &mut proof);
        }
        Ok(proof)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, complete: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !complete {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, start + k, complete, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// The largest power of two smaller than `n` (n >= 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Verifies an inclusion proof (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let fail = ProofError::InclusionMismatch { index, size };
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fnn, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(fail);
        }
        if fnn & 1 == 1 || fnn == sn {
            r = node_hash(p, &r);
            if fnn & 1 == 0 {
                while fnn & 1 == 0 && fnn != 0 {
                    fnn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnn >>= 1;
        sn >>= 1;
    }
    if sn == 0 && r == *root {
        Ok(())
    } else {
        Err(fail)
    }
}

/// Verifies a consistency proof (RFC 9162 section 2.1.4.2) between sizes `from` <= `to`.
pub fn verify_consistency(
    from: u64,
    to: u64,
    proof: &[Hash],
    from_root: &Hash,
    to_root: &Hash,
) -> Result<(), ProofError> {
    let fail = ProofError::ConsistencyMismatch { from, to };
    if from > to {
        return Err(ProofError::BadSizes { from, to, len: to });
    }
    if from == to {
        return if proof.is_empty() && from_root == to_root {
            Ok(())
        } else {
            Err(fail)
        };
    }
    if from == 0 {
        return if proof.is_empty() { Ok(()) } else { Err(fail) };
    }
    if proof.is_empty() {
        return Err(fail);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let (mut fnn, mut sn) = (from - 1, to - 1);
    while fnn & 1 == 1 {
        fnn >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(fail);
        }
        if fnn & 1 == 1 || fnn == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnn & 1 == 0 {
                while fnn & 1 == 0 && fnn != 0 {
                    fnn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnn >>= 1;
        sn >>= 1;
    }
    if fr == *from_root && sr == *to_root && sn == 0 {
        Ok(())
    } else {
        Err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MTH straight from the RFC's recursive definition, to check the stored-node shortcut.
    fn reference_root(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = split(n as u64) as usize;
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    fn tree(n: u64) -> (MerkleTree, Vec<Vec<u8>>) {
        let leaves: Vec<Vec<u8>> = (0..n).map(|i| format!("leaf {i}").into_bytes()).collect();
        let mut t = MerkleTree::new();
        for l in &leaves {
            t.append(l);
        }
        (t, leaves)
    }

    #[test]
    fn roots_of_every_past_size_match_the_recursive_definition() {
        let (t, leaves) = tree(40);
        for size in 0..=40 {
            assert_eq!(
                t.root_at(size).unwrap(),
                reference_root(&leaves[..size as usize]),
                "size {size}"
            );
        }
    }

    #[test]
    fn matches_rfc_6962_empty_tree_root() {
        assert_eq!(
            MerkleTree::new().root().to_vec(),
            hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }

    #[test]
    fn every_inclusion_proof_verifies_and_a_wrong_one_does_not() {
        let (t, _) = tree(33);
        for size in 1..=33 {
            let root = t.root_at(size).unwrap();
            for i in 0..size {
                let p = t.inclusion_proof(i, size).unwrap();
                verify_inclusion(&t.leaf(i).unwrap(), i, size, &p, &root).unwrap();
                let other = t.leaf((i + 1) % size).unwrap();
                if size > 1 {
                    assert!(verify_inclusion(&other, i, size, &p, &root).is_err());
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_forked_root_does_not() {
        let (t, _) = tree(33);
        for to in 0..=33 {
            for from in 0..=to {
                let p = t.consistency_proof(from, to).unwrap();
                let (a, b) = (t.root_at(from).unwrap(), t.root_at(to).unwrap());
                verify_consistency(from, to, &p, &a, &b).unwrap();
                if from > 0 && from < to {
                    assert!(verify_consistency(from, to, &p, &leaf_hash(b"forged"), &b).is_err());
                    assert!(verify_consistency(from, to, &p, &a, &leaf_hash(b"forged")).is_err());
                }
            }
        }
    }

    #[test]
    fn rejects_out_of_range_requests() {
        let (t, _) = tree(5);
        assert_eq!(
            t.inclusion_proof(5, 5),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert!(matches!(
            t.inclusion_proof(0, 6),
            Err(ProofError::BadSizes { .. })
        ));
        assert!(matches!(
            t.consistency_proof(4, 3),
            Err(ProofError::BadSizes { .. })
        ));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
