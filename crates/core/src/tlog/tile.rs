//! The tree kept and served as C2SP `tlog-tiles`: tiles of height 8, each up
//! to 256 consecutive hashes of one level of the tree.
//!
//! Tile `N` of tile level `L` holds, for `i` in `0..256`, the hash of the
//! complete subtree of `256^L` leaves starting at leaf `(N·256 + i)·256^L`.
//! A tile is partial (fewer than 256 hashes) while the tree is too small to
//! fill it; the log keeps the hashes it has and serves any prefix.

use super::proof::Node;
use super::{Hash, node_hash};

/// Hashes in a full tile.
pub const WIDTH: usize = 256;
/// Tree levels a tile spans.
pub const HEIGHT: u8 = 8;

/// A tile: its level, its index within the level, and how many hashes of it
/// are asked for (256 for a full tile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// The tile level (tree level `8·level`).
    pub level: u8,
    /// Its index within the level.
    pub index: u64,
    /// Its width: 1 to 256.
    pub width: u16,
}

impl TileId {
    /// The tile's path below the log's prefix, without `tile/`:
    /// `L/x001/x234/067` or, partial, `L/067.p/W`.
    pub fn path(&self) -> String {
        let mut digits = format!("{:03}", self.index % 1000);
        let mut rest = self.index / 1000;
        while rest > 0 {
            digits = format!("x{:03}/{digits}", rest % 1000);
            rest /= 1000;
        }
        if usize::from(self.width) == WIDTH {
            format!("{}/{digits}", self.level)
        } else {
            format!("{}/{digits}.p/{}", self.level, self.width)
        }
    }

    /// The tile a path names (as [`TileId::path`] writes it); none when the
    /// path is not a tile's.
    pub fn parse(path: &str) -> Option<Self> {
        let (level, rest) = path.split_once('/')?;
        if level.len() > 1 && level.starts_with('0') {
            return None;
        }
        let level: u8 = level.parse().ok().filter(|l| *l < 64)?;
        let (index_part, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                if width.starts_with('0') {
                    return None;
                }
                let width: u16 = width.parse().ok()?;
                if width == 0 || usize::from(width) >= WIDTH {
                    return None;
                }
                (index, width)
            }
            None => (rest, WIDTH as u16),
        };
        let elements: Vec<&str> = index_part.split('/').collect();
        let (last, leading) = elements.split_last()?;
        let mut index: u64 = 0;
        for element in leading {
            let digits = element.strip_prefix('x')?;
            index = index
                .checked_mul(1000)?
                .checked_add(three_digits(digits)?)?;
        }
        index = index.checked_mul(1000)?.checked_add(three_digits(last)?)?;
        Some(Self {
            level,
            index,
            width,
        })
    }
}

fn three_digits(text: &str) -> Option<u64> {
    if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Where the hashes of a complete subtree lie: in which tile, and which of
/// its hashes fold into the subtree's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// The tile level.
    pub level: u8,
    /// The tile's index.
    pub index: u64,
    /// The first of the tile's hashes it needs.
    pub offset: usize,
    /// How many: a power of two up to 128, or 1 when the subtree is one of
    /// the tile's own hashes.
    pub count: usize,
}

/// Where `node`'s hash is kept.
pub fn locate(node: Node) -> Location {
    let level = node.level / HEIGHT;
    let below = node.level % HEIGHT;
    let first = node.index << below;
    Location {
        level,
        index: first / WIDTH as u64,
        offset: (first % WIDTH as u64) as usize,
        count: 1 << below,
    }
}

/// The hash of a node from the hashes of its tile that [`locate`] names.
pub fn fold(hashes: &[Hash]) -> Option<Hash> {
    if hashes.is_empty() || !hashes.len().is_power_of_two() {
        return None;
    }
    let mut layer = hashes.to_vec();
    while layer.len() > 1 {
        layer = layer
            .chunks(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    Some(layer[0])
}

/// The tiles a tree of `size` leaves leaves partial (one per tile level, the
/// rightmost), which [`extend`] needs to grow it: `(level, index, width)`.
pub fn partial_tiles(size: u64) -> Vec<(u8, u64, usize)> {
    let mut tiles = Vec::new();
    let mut count = size;
    let mut level = 0;
    while count > 0 {
        let width = (count % WIDTH as u64) as usize;
        if width > 0 {
            tiles.push((level, count / WIDTH as u64, width));
        }
        count /= WIDTH as u64;
        level += 1;
    }
    tiles
}

/// A tile as the log keeps it after [`extend`]: its level, index and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTile {
    /// The tile level.
    pub level: u8,
    /// Its index.
    pub index: u64,
    /// Its hashes so far (256 once full).
    pub hashes: Vec<Hash>,
}

/// Grows a tree of `size` leaves by `leaves`, given the hashes of its
/// [`partial_tiles`] (looked up by tile level); returns every tile written
/// to, with all its hashes. A full tile's hash becomes the next hash of the
/// tile level above.
pub fn extend(size: u64, leaves: &[Hash], partial: impl Fn(u8) -> Vec<Hash>) -> Vec<StoredTile> {
    let mut written = Vec::new();
    let mut incoming = leaves.to_vec();
    let mut level: u8 = 0;
    while !incoming.is_empty() {
        let before = size >> (u32::from(level) * u32::from(HEIGHT));
        let mut index = before / WIDTH as u64;
        let mut current = if !before.is_multiple_of(WIDTH as u64) {
            partial(level)
        } else {
            Vec::new()
        };
        let mut above = Vec::new();
        for hash in incoming {
            current.push(hash);
            if current.len() == WIDTH {
                above.extend(fold(&current));
                written.push(StoredTile {
                    level,
                    index,
                    hashes: std::mem::take(&mut current),
                });
                index += 1;
            }
        }
        if !current.is_empty() {
            written.push(StoredTile {
                level,
                index,
                hashes: current,
            });
        }
        incoming = above;
        level += 1;
    }
    written
}
