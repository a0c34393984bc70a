//! The log as C2SP `tlog-tiles`: static, cacheable tiles of Merkle tree hashes and bundles
//! of entries, so that mirrors and monitors read the log in bulk and only what is new.
//!
//! - A **tile** at level `L`, index `N` holds the hashes of the tree's nodes at height `8·L`
//!   (complete subtrees of `256^L` leaves), `256` of them from node `256·N`; a **partial**
//!   tile (`.p/W`) holds the first `W` (1-255) of a tile not yet full. Hashes are the RFC 9162
//!   ones the log already uses ([`crate::merkle`]), 32 bytes each, concatenated.
//! - An **entry bundle** (`tile/entries/N`) holds entries `256·N ..`, each as a big-endian
//!   `uint16` length and the entry's bytes (the leaf: the event's canonical JSON). An entry
//!   is at most 65,535 bytes.
//! - Paths encode `N` in groups of three digits, all but the last prefixed `x`
//!   (`1234067` -> `x001/x234/067`).
//! - A [`CompactRange`] (the roots of the perfect subtrees a tree of a given size splits
//!   into) lets a monitor extend what it verified with new leaves only and compute the new
//!   root, so that it reads only new tiles and still checks the whole tree.

use crate::merkle::{node_hash, Hash, MerkleTree};

/// Tile height: each tile spans 8 levels of the tree.
pub const HEIGHT: u32 = 8;

/// Hashes (or entries) in a full tile.
pub const WIDTH: u64 = 256;

/// The largest entry an entry bundle can hold.
pub const MAX_ENTRY: usize = u16::MAX as usize;

/// Why a tile path or a tile is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TileError {
    /// The path is not `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    #[error("not a tile path")]
    BadPath,
    /// The log does not (yet) hold that tile, or not that many hashes of it.
    #[error("no such tile in a log of this size")]
    NotFound,
    /// An entry bundle is malformed.
    #[error("malformed entry bundle")]
    BadBundle,
    /// An entry is longer than an entry bundle can hold.
    #[error("an entry of {0} bytes is longer than 65,535")]
    EntryTooLong(usize),
}

/// A tile a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileRef {
    /// `Some(level)` for hashes, `None` for an entry bundle.
    pub level: Option<u8>,
    /// The tile's index at its level.
    pub index: u64,
    /// `Some(w)` for a partial tile of `w` elements.
    pub partial: Option<u16>,
}

impl TileRef {
    /// How many elements the tile holds.
    pub fn width(&self) -> u64 {
        self.partial.map_or(WIDTH, u64::from)
    }

    /// Its path, from `tile/`.
    pub fn path(&self) -> String {
        let level = match self.level {
            Some(l) => l.to_string(),
            None => "entries".into(),
        };
        let mut p = format!("tile/{level}/{}", encode_index(self.index));
        if let Some(w) = self.partial {
            p.push_str(&format!(".p/{w}"));
        }
        p
    }

    /// The tile `path` (from `tile/`) names.
    pub fn parse(path: &str) -> Result<TileRef, TileError> {
        let rest = path.strip_prefix("tile/").ok_or(TileError::BadPath)?;
        let (level, rest) = rest.split_once('/').ok_or(TileError::BadPath)?;
        let level = match level {
            "entries" => None,
            l if l.len() <= 2 && l.bytes().all(|b| b.is_ascii_digit()) => {
                Some(l.parse::<u8>().map_err(|_| TileError::BadPath)?)
            }
            _ => return Err(TileError::BadPath),
        };
        let (index_part, partial) = match rest.split_once(".p/") {
            Some((i, w)) => {
                let ok = !w.is_empty() && w.len() <= 3 && w.bytes().all(|b| b.is_ascii_digit());
                let w: u16 = if ok {
                    w.parse().map_err(|_| TileError::BadPath)?
                } else {
                    0
                };
                if !(1..=255).contains(&w) || w.to_string() != rest[i.len() + 3..] {
                    return Err(TileError::BadPath);
                }
                (i, Some(w))
            }
            None => (rest, None),
        };
        Ok(TileRef {
            level,
            index: decode_index(index_part)?,
            partial,
        })
    }
}

/// `N` as `x001/x234/067`.
pub fn encode_index(n: u64) -> String {
    let digits = n.to_string();
    let pad = (3 - digits.len() % 3) % 3;
    let padded = format!("{}{digits}", "0".repeat(pad));
    let groups: Vec<&str> = padded
        .as_bytes()
        .chunks(3)
        .map(|c| std::str::from_utf8(c).expect("ASCII digits"))
        .collect();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g}")
            } else {
                g.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn decode_index(s: &str) -> Result<u64, TileError> {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.is_empty() || parts.len() > 7 {
        return Err(TileError::BadPath);
    }
    let mut n: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            p.strip_prefix('x').ok_or(TileError::BadPath)?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileError::BadPath);
        }
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(digits.parse::<u64>().ok()?))
            .ok_or(TileError::BadPath)?;
    }
    // One encoding only: no leading "x000" groups.
    if encode_index(n) != s {
        return Err(TileError::BadPath);
    }
    Ok(n)
}

/// The tile `t` of `tree` (hashes concatenated), when the tree holds all of it.
pub fn hash_tile(tree: &MerkleTree, t: &TileRef) -> Result<Vec<u8>, TileError> {
    let level = usize::from(t.level.ok_or(TileError::BadPath)?) * HEIGHT as usize;
    let nodes = tree.node_hashes(level);
    let start = t.index.checked_mul(WIDTH).ok_or(TileError::NotFound)?;
    let end = start + t.width();
    let slice = nodes
        .get(
            usize::try_from(start).map_err(|_| TileError::NotFound)?
                ..usize::try_from(end).map_err(|_| TileError::NotFound)?,
        )
        .ok_or(TileError::NotFound)?;
    Ok(slice.iter().flat_map(|h| h.iter().copied()).collect())
}

/// The entry bundle `t` of `leaves` (each entry's bytes), when the log holds all of it.
pub fn entry_bundle<'a>(
    leaves: impl Fn(u64) -> Option<&'a [u8]>,
    t: &TileRef,
) -> Result<Vec<u8>, TileError> {
    if t.level.is_some() {
        return Err(TileError::BadPath);
    }
    let start = t.index.checked_mul(WIDTH).ok_or(TileError::NotFound)?;
    let mut out = Vec::new();
    for i in start..start + t.width() {
        let e = leaves(i).ok_or(TileError::NotFound)?;
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLong(e.len()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// The entries of an entry bundle.
pub fn split_bundle(bundle: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(TileError::BadBundle);
        }
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let entry = rest.get(2..2 + n).ok_or(TileError::BadBundle)?;
        out.push(entry);
        rest = &rest[2 + n..];
    }
    Ok(out)
}

/// The 32-byte hashes of a hash tile.
pub fn split_hashes(tile: &[u8]) -> Result<Vec<Hash>, TileError> {
    if tile.len() % 32 != 0 {
        return Err(TileError::BadBundle);
    }
    Ok(tile
        .chunks(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect())
}

/// The level-0 tiles (full or partial) that hold leaves `from .. to`.
pub fn leaf_tiles(from: u64, to: u64) -> Vec<TileRef> {
    let mut out = Vec::new();
    if from >= to {
        return out;
    }
    for n in from / WIDTH..=(to - 1) / WIDTH {
        let end = ((n + 1) * WIDTH).min(to);
        let w = end - n * WIDTH;
        out.push(TileRef {
            level: Some(0),
            index: n,
            partial: (w < WIDTH).then_some(w as u16),
        });
    }
    out
}

/// The roots of the perfect subtrees a tree of `size` leaves splits into, left to right
/// (RFC 9162's recursion unrolled): enough to extend the tree and compute its root.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompactRange {
    /// Leaves covered.
    pub size: u64,
    /// The subtree roots, largest (leftmost) first, hex.
    pub peaks: Vec<String>,
}

impl CompactRange {
    fn peak_hashes(&self) -> Vec<Hash> {
        self.peaks
            .iter()
            .filter_map(|h| {
                let b = hex_decode(h)?;
                b.try_into().ok()
            })
            .collect()
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut peaks = self.peak_hashes();
        let mut size = self.size;
        let mut h = leaf;
        // Merge while the lowest set bits say two equal subtrees meet.
        while size & 1 == 1 {
            let left = peaks.pop().expect("a peak per set bit");
            h = node_hash(&left, &h);
            size >>= 1;
        }
        peaks.push(h);
        self.size += 1;
        self.peaks = peaks.iter().map(hex_encode).collect();
    }

    /// The root of the tree covered (RFC 9162 MTH), `None` for an empty one.
    pub fn root(&self) -> Option<Hash> {
        let peaks = self.peak_hashes();
        let mut it = peaks.iter().rev();
        let mut h = *it.next()?;
        for p in it {
            h = node_hash(p, &h);
        }
        Some(h)
    }
}

fn hex_encode(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    (s.len() % 2 == 0)
        .then(|| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;

    #[test]
    fn indexes_encode_in_groups_of_three() {
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(67), "067");
        assert_eq!(encode_index(1234067), "x001/x234/067");
        assert_eq!(encode_index(1000), "x001/000");
        for n in [0, 1, 999, 1000, 1234067, u64::MAX / 7] {
            assert_eq!(decode_index(&encode_index(n)), Ok(n));
        }
        for bad in ["", "67", "x067", "001/067", "x000/067", "x1/067", "abc"] {
            assert_eq!(decode_index(bad), Err(TileError::BadPath), "{bad}");
        }
    }

    #[test]
    fn tile_paths_round_trip_and_bad_ones_are_refused() {
        for t in [
            TileRef {
                level: Some(0),
                index: 1234067,
                partial: None,
            },
            TileRef {
                level: Some(2),
                index: 0,
                partial: Some(8),
            },
            TileRef {
                level: None,
                index: 5,
                partial: Some(255),
            },
        ] {
            assert_eq!(TileRef::parse(&t.path()), Ok(t), "{}", t.path());
        }
        assert_eq!(
            TileRef::parse("tile/0/x001/x234/067.p/8").unwrap().width(),
            8
        );
        for bad in [
            "tile/0/067.p/0",
            "tile/0/067.p/256",
            "tile/0/067.p/08",
            "tile/a/067",
            "tile/0/067/",
            "tiles/0/067",
            "tile/entries/x067",
        ] {
            assert!(TileRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_compact_range_gives_every_root_of_the_tree() {
        let mut tree = MerkleTree::new();
        let mut range = CompactRange::default();
        assert_eq!(range.root(), None);
        for i in 0..1000u32 {
            let leaf = i.to_be_bytes();
            tree.append(&leaf);
            range.push(leaf_hash(&leaf));
            assert_eq!(range.root(), Some(tree.root()), "size {}", i + 1);
        }
    }

    #[test]
    fn tiles_hold_the_tree_nodes_and_bundles_the_entries() {
        let mut tree = MerkleTree::new();
        let leaves: Vec<Vec<u8>> = (0..600u32).map(|i| i.to_be_bytes().to_vec()).collect();
        for l in &leaves {
            tree.append(l);
        }
        let full = hash_tile(
            &tree,
            &TileRef {
                level: Some(0),
                index: 1,
                partial: None,
            },
        )
        .unwrap();
        assert_eq!(split_hashes(&full).unwrap()[0], leaf_hash(&leaves[256]));
        let part = TileRef {
            level: Some(0),
            index: 2,
            partial: Some(88),
        };
        assert_eq!(
            split_hashes(&hash_tile(&tree, &part).unwrap())
                .unwrap()
                .len(),
            88
        );
        assert_eq!(
            hash_tile(
                &tree,
                &TileRef {
                    level: Some(0),
                    index: 2,
                    partial: None
                }
            ),
            Err(TileError::NotFound),
            "a tile not yet full"
        );
        // Level 1: the roots of the two complete 256-leaf subtrees.
        let l1 = TileRef {
            level: Some(1),
            index: 0,
            partial: Some(2),
        };
        assert_eq!(
            split_hashes(&hash_tile(&tree, &l1).unwrap()).unwrap().len(),
            2
        );
        let bundle = entry_bundle(
            |i| leaves.get(i as usize).map(Vec::as_slice),
            &part_entries(),
        )
        .unwrap();
        let entries = split_bundle(&bundle).unwrap();
        assert_eq!(entries.len(), 88);
        assert_eq!(entries[0], leaves[512].as_slice());
        assert_eq!(leaf_tiles(250, 600).len(), 3);
        assert_eq!(leaf_tiles(250, 600)[2].partial, Some(88));
    }

    fn part_entries() -> TileRef {
        TileRef {
            level: None,
            index: 2,
            partial: Some(88),
        }
    }
}
