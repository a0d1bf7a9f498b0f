//! Frames released in display order once their references are known: each vector's reference
//! distance (matched or nearest), the field it gives, and the field carried over where a frame
//! has none.

use super::reference::{match_references, Candidate, ReferenceCheck, ReferenceModel};
use super::vectors::RawVector;
use super::{Decoded, FrameKind, MotionFrame, MotionReader, MotionSource, REFERENCE_WINDOW};
use crate::decode::{FieldBuilder, MotionField};

impl MotionReader {
    /// Whether the first pending frame has all it needs.
    fn front_ready(&self) -> bool {
        let Some(front) = self.pending.front() else { return false };
        if self.flushed || self.reestimator.is_some() {
            return true;
        }
        match self.model {
            ReferenceModel::Nearest => {
                front.is_reference() || self.pending.iter().skip(1).any(Decoded::is_reference)
            }
            ReferenceModel::Matched => {
                // Every frame decoded shortly before has come out, or the wait is past any
                // reordering a decoder does (a frame lost to damage never comes).
                let waited = self.next_index > front.display + 2 * REFERENCE_WINDOW;
                let complete = front.decode.is_some_and(|d| {
                    (d.saturating_sub(REFERENCE_WINDOW)..d).all(|e| self.decoded_seen.contains(&e))
                });
                waited || complete
            }
        }
    }

    /// Finishes the frames that are ready, in display order.
    pub(super) fn release(&mut self) {
        while self.front_ready() {
            let entry = self.pending.pop_front().expect("a ready frame");
            let frame = self.finish(entry);
            self.ready.push_back(frame);
        }
        self.prune();
    }

    /// Forgets what no frame still to come can refer to.
    fn prune(&mut self) {
        let oldest_pending = self.pending.front().map_or(self.next_index, |p| p.display);
        let newest_decode = self.decoded_seen.last().copied().unwrap_or(0);
        self.history.retain(|s| match s.decode {
            Some(d) => {
                d + 2 * REFERENCE_WINDOW >= newest_decode
                    || s.display + 2 * REFERENCE_WINDOW >= oldest_pending
            }
            None => s.display + 2 * REFERENCE_WINDOW >= oldest_pending,
        });
        let keep_from = newest_decode.saturating_sub(4 * REFERENCE_WINDOW);
        self.decoded_seen = self.decoded_seen.split_off(&keep_from);
    }

    /// The signed reference distance of each vector of `entry` and how it was found.
    fn distances(&self, entry: &Decoded) -> (Vec<i32>, ReferenceCheck) {
        let nearest = |entry: &Decoded| {
            let past =
                self.last_reference.map_or(1, |r| entry.display.saturating_sub(r).max(1)) as i32;
            let next = self.pending.iter().find(|p| p.display > entry.display && p.is_reference());
            let future = next.map_or(1, |r| r.display - entry.display) as i32;
            let distances =
                entry.vectors.iter().map(|v| if v.future { -future } else { past }).collect();
            (distances, ReferenceCheck { known: entry.vectors.len(), ..ReferenceCheck::default() })
        };
        if self.reestimator.is_some() {
            return (
                vec![1; entry.vectors.len()],
                ReferenceCheck { known: entry.vectors.len(), ..ReferenceCheck::default() },
            );
        }
        match (self.model, &entry.luma) {
            (ReferenceModel::Matched, Some(luma)) => {
                // Frames decoded before this one that the bitstream does not rule out as
                // references; of those, the most recently decoded 2N, where N is the stream's
                // `max_num_ref_frames` (the decoded picture buffer holds at most N; twice as
                // many covers a newer one unmarked early, as x264's B-pyramid does). Nearest in
                // display order first: they are the likeliest, and a good match early lets
                // the others be given up sooner.
                let mut candidates: Vec<(Option<usize>, Candidate)> = self
                    .history
                    .iter()
                    .filter(|s| s.display != entry.display && s.reference != Some(false))
                    .filter(|s| match (entry.decode, s.decode) {
                        (Some(d), Some(e)) => e < d && d - e <= REFERENCE_WINDOW,
                        _ => s.display.abs_diff(entry.display) <= REFERENCE_WINDOW,
                    })
                    .map(|s| (s.decode, Candidate { display: s.display, luma: &s.luma }))
                    .collect();
                let buffer = self.decoder.references();
                if buffer > 0 && candidates.iter().all(|(d, _)| d.is_some()) {
                    candidates.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
                    candidates.truncate(2 * buffer);
                }
                let mut candidates: Vec<Candidate> =
                    candidates.into_iter().map(|(_, c)| c).collect();
                candidates.sort_by_key(|c| c.display.abs_diff(entry.display));
                match_references(entry.display, luma, &entry.vectors, &candidates)
            }
            _ => nearest(entry),
        }
    }

    /// A field from `vectors` with signed reference distances `distances`.
    fn field(&self, vectors: &[RawVector], distances: &[i32]) -> MotionField {
        let rotation = self.info.rotation;
        let mut builder = FieldBuilder::new(self.info.width, self.info.height, self.options.block);
        for (v, &k) in vectors.iter().zip(distances) {
            // Forward displacement per frame: (dst − src) / k (module notes).
            let per_frame = (-v.motion.0 / k as f32, -v.motion.1 / k as f32);
            let (rect, motion) = if rotation.clockwise_degrees == 0 {
                (v.rect, per_frame)
            } else {
                (rotation.rect(v.rect, self.coded), rotation.vector(per_frame))
            };
            builder.add(rect.0, rect.1, motion.0, motion.1);
        }
        builder.finish()
    }

    /// Turns a ready frame into its field.
    fn finish(&mut self, entry: Decoded) -> MotionFrame {
        let (mut field, mut source, mut count, mut references) =
            (None, MotionSource::Exported, entry.vectors.len(), ReferenceCheck::default());
        if self.reestimator.is_some() {
            source = MotionSource::Reestimated;
        }
        if !entry.vectors.is_empty() {
            let (distances, check) = self.distances(&entry);
            field = Some(self.field(&entry.vectors, &distances));
            references = check;
        } else if self.b_vectors_unusable && entry.kind == FrameKind::B {
            // The next reference frame's field, over the interval that holds this B-frame.
            if let Some(next) =
                self.pending.iter().find(|p| p.is_reference()).filter(|p| !p.vectors.is_empty())
            {
                let past =
                    self.last_reference.map_or(1, |r| next.display.saturating_sub(r).max(1)) as i32;
                let distances: Vec<i32> = next.vectors.iter().map(|_| past).collect();
                field = Some(self.field(&next.vectors, &distances));
                source = MotionSource::NextReference;
                count = next.vectors.len();
                references = ReferenceCheck { known: count, ..ReferenceCheck::default() };
            }
        }
        if entry.is_reference() {
            self.last_reference = Some(entry.display);
        }
        let carried = field.is_none();
        let field = field.unwrap_or_else(|| {
            source = MotionSource::Carried;
            count = 0;
            self.previous.as_ref().map_or_else(
                || MotionField::zeros(self.info.width, self.info.height, self.options.block),
                MotionField::carried_over,
            )
        });
        self.vectors_seen += count;
        self.previous = Some(field.clone());
        MotionFrame {
            index: entry.display,
            time: entry.time,
            kind: entry.kind,
            vectors: count,
            carried,
            source,
            references,
            field,
            picture: entry.picture,
        }
    }
}
