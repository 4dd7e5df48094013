//! Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4).
//!
//! Making a proof is split in two so that the hashes can come from storage
//! in one read: [`inclusion_ranges`] and [`consistency_ranges`] say which
//! ranges of leaves the proof hashes cover, [`Range::nodes`] which complete
//! subtrees make each range, and [`Range::hash`] folds those subtrees'
//! hashes into the range's. A proof of a tree of `n` leaves needs
//! O(log n) subtree hashes.

use super::{Hash, node_hash};

/// A complete subtree: `2^level` leaves from `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    /// Its height: 0 for a leaf.
    pub level: u8,
    /// Its place among the subtrees of its height, from 0.
    pub index: u64,
}

impl Node {
    /// The leaves it covers.
    pub fn range(self) -> Range {
        let start = self.index << self.level;
        Range {
            start,
            end: start + (1 << self.level),
        }
    }
}

/// Leaves `start..end` of the tree, a range whose hash a proof carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first leaf.
    pub start: u64,
    /// One past the last.
    pub end: u64,
}

impl Range {
    /// The complete subtrees the range is made of, left to right, each as
    /// large as the range's alignment allows.
    pub fn nodes(self) -> Vec<Node> {
        let mut nodes = Vec::new();
        let mut start = self.start;
        while start < self.end {
            let room = 63 - (self.end - start).leading_zeros();
            let aligned = if start == 0 {
                63
            } else {
                start.trailing_zeros()
            };
            let level = room.min(aligned) as u8;
            nodes.push(Node {
                level,
                index: start >> level,
            });
            start += 1 << level;
        }
        nodes
    }

    /// The range's hash (RFC 9162 MTH) from the hashes of [`Range::nodes`],
    /// in that order. The ranges of proofs start at a multiple of the largest
    /// power of two below their length, so the hash is the right fold.
    pub fn hash(hashes: &[Hash]) -> Option<Hash> {
        let (last, rest) = hashes.split_last()?;
        Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
    }
}

/// The largest power of two smaller than `n` (n ≥ 2).
pub fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The ranges whose hashes prove leaf `index` in a tree of `size` leaves,
/// from the leaf's sibling up (RFC 9162 PATH); none when `index` is not in it.
pub fn inclusion_ranges(index: u64, size: u64) -> Option<Vec<Range>> {
    if index >= size {
        return None;
    }
    let mut out = Vec::new();
    path(index, 0, size, &mut out);
    Some(out)
}

fn path(m: u64, start: u64, end: u64, out: &mut Vec<Range>) {
    if end - start <= 1 {
        return;
    }
    let k = split(end - start);
    if m < start + k {
        path(m, start, start + k, out);
        out.push(Range {
            start: start + k,
            end,
        });
    } else {
        path(m, start + k, end, out);
        out.push(Range {
            start,
            end: start + k,
        });
    }
}

/// The ranges whose hashes prove the tree of `old` leaves a prefix of the
/// tree of `new` (RFC 9162 PROOF); none when `old > new`. Empty when there is
/// nothing to prove (`old` is 0 or equal to `new`).
pub fn consistency_ranges(old: u64, new: u64) -> Option<Vec<Range>> {
    if old > new {
        return None;
    }
    let mut out = Vec::new();
    if old > 0 && old < new {
        subproof(old, 0, new, true, &mut out);
    }
    Some(out)
}

fn subproof(m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Range>) {
    let n = end - start;
    if m == n {
        if !whole {
            out.push(Range { start, end });
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, start, start + k, whole, out);
        out.push(Range {
            start: start + k,
            end,
        });
    } else {
        subproof(m - k, start + k, end, false, out);
        out.push(Range {
            start,
            end: start + k,
        });
    }
}

/// Whether `proof` shows leaf `leaf` at `index` in the tree of `size` leaves
/// whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Whether `proof` shows the tree of `old` leaves with root `old_root` a
/// prefix of the tree of `new` leaves with root `new_root` (RFC 9162
/// §2.1.4.2). Equal sizes need equal roots and an empty proof; from the
/// empty tree, an empty proof.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *old_root && sr == *new_root && s == 0
}
