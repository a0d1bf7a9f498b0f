//! Which frame each motion vector refers to, and so by how many frames to divide it.
//!
//! FFmpeg's `AVMotionVector` says only which prediction list a vector came from (`source`
//! −1 for list 0, +1 for list 1), not which picture of the list. Two cases:
//! - **One reference each way** (MPEG-1/2, MPEG-4 Part 2, H.263): a P-frame refers to the
//!   previous I- or P-frame, a B-frame to the nearest ones on each side, and B-frames are never
//!   references, so the distance follows from the frame types (exact by those standards).
//! - **Several references** (H.264: B-pyramid, where B-frames are references, and up to 16
//!   reference pictures): the candidates are the frames decoded before this one (decode order
//!   against display order), and a vector refers to the one whose pixels, displaced by the
//!   vector, match the block best (mean absolute luma difference). Where no candidate matches
//!   clearly better than the others (flat content), the vector takes the distance that most of
//!   the frame's matched vectors of the same list have (assumed, when at least
//!   [`MIN_SUPPORT`] matched vectors and two thirds of them agree; guessed otherwise, or the
//!   nearest candidate on its list's side when none matched), and the frame's record says so
//!   ([`ReferenceCheck`]).

use serde::Serialize;

use super::luma::Luma;
use super::vectors::RawVector;

/// How a clip's vectors are tied to their references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReferenceModel {
    /// The nearest I- or P-frame on the vector's side.
    Nearest,
    /// The best-matching frame decoded before.
    Matched,
}

impl ReferenceModel {
    /// The model for a codec (FFmpeg's decoder name).
    pub(crate) fn of(codec: &str) -> Self {
        if codec == "h264" {
            ReferenceModel::Matched
        } else {
            ReferenceModel::Nearest
        }
    }
}

/// How a frame's vectors were tied to their reference frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReferenceCheck {
    /// Vectors whose reference is known: the codec allows only one, or one candidate matched
    /// clearly better than every other.
    pub known: usize,
    /// Vectors under a quarter pixel long: any reference gives (nearly) no motion.
    pub still: usize,
    /// Vectors no candidate told apart, given the distance that a clear majority of the
    /// frame's matched vectors of the same list have.
    pub assumed: usize,
    /// Vectors with no clear majority to go by: given the most common matched distance of
    /// their list, or the distance to the nearest candidate on their list's side.
    pub guessed: usize,
}

impl ReferenceCheck {
    /// True when more than a quarter of the moving vectors' references were guessed: the
    /// frame's field may be scaled wrongly.
    pub fn uncertain(&self) -> bool {
        4 * self.guessed > self.known + self.assumed + self.guessed
    }

    /// Adds another frame's counts.
    pub fn add(&mut self, other: ReferenceCheck) {
        self.known += other.known;
        self.still += other.still;
        self.assumed += other.assumed;
        self.guessed += other.guessed;
    }
}

/// A frame that may be a reference: its display position and luma.
pub(crate) struct Candidate<'a> {
    pub(crate) display: usize,
    pub(crate) luma: &'a Luma,
}

/// Shorter vectors (pixels) have no reference to tell.
const STILL: f32 = 0.25;
/// A candidate is a clear match when every other one differs by this factor more (plus one
/// grey level, the noise of a compressed picture).
const CLEAR_FACTOR: f32 = 1.3;
const CLEAR_MARGIN: f32 = 1.0;
/// Matched vectors a list's majority distance needs before other vectors may assume it.
pub(crate) const MIN_SUPPORT: usize = 8;

/// The signed frame distance `t_F − t_R` of each vector of the frame at `display` (luma
/// `luma`), chosen among `candidates` by matching pixels (the module notes).
pub(crate) fn match_references(
    display: usize,
    luma: &Luma,
    vectors: &[RawVector],
    candidates: &[Candidate],
) -> (Vec<i32>, ReferenceCheck) {
    let mut check = ReferenceCheck::default();
    let mut distance: Vec<Option<i32>> = vec![None; vectors.len()];
    let mut still = vec![false; vectors.len()];
    // Votes per list for the distance of matched vectors.
    let mut votes: [Vec<(i32, usize)>; 2] = [Vec::new(), Vec::new()];
    for (i, v) in vectors.iter().enumerate() {
        if v.motion.0.hypot(v.motion.1) < STILL {
            still[i] = true;
            check.still += 1;
            continue;
        }
        let mut best: Option<(f32, i32)> = None;
        let mut second = f32::INFINITY;
        for c in candidates {
            // A candidate past the second best is neither best nor second: stop summing it.
            let Some(d) = luma.difference(c.luma, v.rect, v.motion, second) else { continue };
            let k = display as i32 - c.display as i32;
            match best {
                Some((b, _)) if d >= b => second = second.min(d),
                _ => {
                    if let Some((b, _)) = best {
                        second = second.min(b);
                    }
                    best = Some((d, k));
                }
            }
        }
        if let Some((b, k)) = best {
            if second > b * CLEAR_FACTOR + CLEAR_MARGIN {
                distance[i] = Some(k);
                check.known += 1;
                let list = &mut votes[usize::from(v.future)];
                match list.iter_mut().find(|(d, _)| *d == k) {
                    Some((_, n)) => *n += 1,
                    None => list.push((k, 1)),
                }
            }
        }
    }
    // The most common distance, and whether it is a clear majority.
    let majority = |list: &[(i32, usize)]| {
        let total: usize = list.iter().map(|(_, n)| n).sum();
        list.iter()
            .max_by_key(|(_, n)| *n)
            .map(|&(k, n)| (k, n >= MIN_SUPPORT && 3 * n >= 2 * total))
    };
    let majorities = [majority(&votes[0]), majority(&votes[1])];
    let nearest = |future: bool| -> i32 {
        let side = candidates.iter().map(|c| display as i32 - c.display as i32).filter(|&k| {
            if future {
                k < 0
            } else {
                k > 0
            }
        });
        side.min_by_key(|k| k.abs()).unwrap_or(if future { -1 } else { 1 })
    };
    let distances = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if let Some(k) = distance[i] {
                return k;
            }
            if still[i] {
                return nearest(v.future);
            }
            match majorities[usize::from(v.future)] {
                Some((k, true)) => {
                    check.assumed += 1;
                    k
                }
                Some((k, false)) => {
                    check.guessed += 1;
                    k
                }
                None => {
                    check.guessed += 1;
                    nearest(v.future)
                }
            }
        })
        .collect();
    (distances, check)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture of noise shifted by `shift` pixels to the right.
    fn noise(shift: i32) -> Luma {
        let (width, height) = (64, 32);
        let value = |x: i32, y: i32| -> u8 {
            let mut h = (x as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ (y as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
            h ^= h >> 29;
            (h.wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 56) as u8
        };
        let pixels = (0..height as i32)
            .flat_map(|y| (0..width as i32).map(move |x| value(x - shift, y)))
            .collect();
        Luma { width, height, pixels }
    }

    #[test]
    fn a_vector_refers_to_the_frame_its_pixels_came_from() {
        // Content moving 2 px a frame: frames at display 0, 2, 3 (3 is this one), 5.
        let frames: Vec<(usize, Luma)> =
            [0usize, 2, 5].iter().map(|&t| (t, noise(2 * t as i32))).collect();
        let current = noise(6);
        let candidates: Vec<Candidate> =
            frames.iter().map(|(t, l)| Candidate { display: *t, luma: l }).collect();
        let block = ((16, 32), (8, 24));
        // From frame 0 (3 frames back: src − dst = −6), from frame 2 (−2), from frame 5 (+4), and a still one.
        let vectors = [
            RawVector { future: false, rect: block, motion: (-6.0, 0.0) },
            RawVector { future: false, rect: block, motion: (-2.0, 0.0) },
            RawVector { future: true, rect: block, motion: (4.0, 0.0) },
            RawVector { future: true, rect: block, motion: (0.0, 0.1) },
        ];
        let (k, check) = match_references(3, &current, &vectors, &candidates);
        assert_eq!(k, vec![3, 1, -2, -2]);
        assert_eq!(check, ReferenceCheck { known: 3, still: 1, assumed: 0, guessed: 0 });
        // Each gives the true motion, −motion / k = 2 px a frame.
        for (v, k) in vectors.iter().zip(&k).take(3) {
            assert_eq!(-v.motion.0 / *k as f32, 2.0);
        }
    }

    #[test]
    fn flat_pictures_leave_the_reference_unknown_and_say_so() {
        let flat = Luma { width: 32, height: 32, pixels: vec![128; 32 * 32] };
        let others = [
            Luma { width: 32, height: 32, pixels: vec![128; 32 * 32] },
            Luma { width: 32, height: 32, pixels: vec![128; 32 * 32] },
        ];
        let candidates = [
            Candidate { display: 0, luma: &others[0] },
            Candidate { display: 1, luma: &others[1] },
        ];
        let vectors = [RawVector { future: false, rect: ((0, 16), (0, 16)), motion: (-3.0, 0.0) }];
        let (k, check) = match_references(2, &flat, &vectors, &candidates);
        assert_eq!(k, vec![1], "the nearest past candidate");
        assert_eq!(check.guessed, 1);
        assert!(check.uncertain());
    }
}
