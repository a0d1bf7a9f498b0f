//! The viewer: self-contained HTML pages, script and styles inline and data embedded, that open
//! from the disk with no server and no network.
//!
//! - the **SpRAy page** ([`html`]) shows per class the eigenvalue spectrum, the 2-D embedding
//!   as a scatter coloured by cluster, the clusters' panels, and each document's or clip's
//!   explanation on a click. It knows two kinds of items: documents (text with every word's
//!   relevance) and clips (relevance per frame and block heatmaps of the most relevant frames);
//! - the **evaluation page** ([`evaluation_html`]) shows per model the methods × measures
//!   table and the deletion, insertion and randomisation curves.
//!
//! What a pipeline's explanations and measures become is up to the pipeline's crate; this
//! crate only lays them out.

mod evaluation_page;
mod shell;
mod spray_page;
#[cfg(feature = "testing")]
pub mod testing;

pub use evaluation_page::{
    evaluation_html, Better, Chart, Column, EvaluationPage, MethodRow, ModelView,
};
pub use spray_page::{
    html, ClassView, ClipItem, ClusterSummary, DocumentItem, FrameHeat, Item, Page,
};

/// Relevance as the page stores it: a signed level in −255..=255, the share of the largest
/// |R| in 1/255 steps. 255 levels per sign are as many as a colour channel shows, so the
/// page draws exactly what a full-precision value would, at a few bytes a value.
pub fn level(r: f32, max_abs: f32) -> i16 {
    if max_abs <= 0.0 || !r.is_finite() {
        return 0;
    }
    ((r / max_abs).clamp(-1.0, 1.0) * 255.0).round() as i16
}
