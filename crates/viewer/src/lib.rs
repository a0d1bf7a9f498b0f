//! The SpRAy viewer: one HTML file, with its script and styles inline and its data embedded,
//! that shows per class the eigenvalue spectrum, the 2-D embedding as a scatter coloured by
//! cluster, the clusters' panels, and each document's or clip's explanation on a click. No
//! server and no network: it opens from the disk.
//!
//! The page knows two kinds of items: documents (text with every word's relevance) and clips
//! (relevance per frame and block heatmaps of the most relevant frames). What a pipeline's
//! explanations become is up to the pipeline's crate; this crate only lays them out.

mod page;
#[cfg(feature = "testing")]
pub mod testing;

pub use page::{html, ClassView, ClipItem, ClusterSummary, DocumentItem, FrameHeat, Item, Page};

/// Relevance as the page stores it: a signed level in −255..=255, the share of the largest
/// |R| in 1/255 steps. 255 levels per sign are as many as a colour channel shows, so the
/// page draws exactly what a full-precision value would, at a few bytes a value.
pub fn level(r: f32, max_abs: f32) -> i16 {
    if max_abs <= 0.0 || !r.is_finite() {
        return 0;
    }
    ((r / max_abs).clamp(-1.0, 1.0) * 255.0).round() as i16
}
