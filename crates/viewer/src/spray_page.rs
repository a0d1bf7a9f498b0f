//! The SpRAy page: its data and the page itself.

use serde::Serialize;
use spray::Analysis;

use crate::shell;

/// Everything the page shows.
#[derive(Clone, Debug, Serialize)]
pub struct Page {
    pub title: String,
    /// What an item is called: `document` or `clip`.
    pub item_name: String,
    /// What a cluster's `share` is (the header share of text, the cue share of video).
    pub share_name: String,
    pub classes: Vec<ClassView>,
}

/// One class's analysis and its items, in the analysis's order.
#[derive(Clone, Debug, Serialize)]
pub struct ClassView {
    pub name: String,
    /// Smallest eigenvalues of the Laplacian, ascending.
    pub eigenvalues: Vec<f64>,
    /// The proposed number of clusters: the eigengap lies between eigenvalues `proposed − 1`
    /// and `proposed` (0-based).
    pub proposed: usize,
    pub embeddings: Vec<Embedding>,
    /// The clustering chosen for the report first, then the alternatives by cluster count.
    pub clusterings: Vec<ClusteringView>,
    pub items: Vec<Item>,
}

/// A 2-D embedding, scaled into [0, 1]² (the page only draws it), flattened `x₀, y₀, x₁, …`.
#[derive(Clone, Debug, Serialize)]
pub struct Embedding {
    pub name: String,
    pub points: Vec<f32>,
}

/// One clustering and its clusters' summaries.
#[derive(Clone, Debug, Serialize)]
pub struct ClusteringView {
    pub clusters: usize,
    pub labels: Vec<usize>,
    pub summaries: Vec<ClusterSummary>,
}

/// What a cluster's panel says beside its members.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClusterSummary {
    pub size: usize,
    /// The mean share (header share, cue share) over the members, where the pipeline has one.
    pub share: Option<f64>,
    /// The words with the largest summed relevance over the members (text).
    pub top_words: Vec<(String, f32)>,
}

/// A document or a clip.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Item {
    Document(DocumentItem),
    Clip(ClipItem),
}

/// A document with its words' relevance.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentItem {
    pub id: String,
    pub title: String,
    pub text: String,
    /// Per word, three numbers: its start after the previous word's end and its length, both
    /// in UTF-16 code units (what a page's strings count), and its level (see [`crate::level`]).
    pub words: Vec<i32>,
    /// The largest |R| of the document, which level ±255 stands for.
    pub max_abs: f32,
    pub score: f32,
    pub predicted: String,
}

impl DocumentItem {
    /// A document from its words' byte ranges in `text` (in order, not overlapping) and levels.
    pub fn new(
        id: String,
        title: String,
        text: String,
        words: impl IntoIterator<Item = (std::ops::Range<usize>, i16)>,
        max_abs: f32,
        score: f32,
        predicted: String,
    ) -> Self {
        let utf16 = |from: usize, to: usize| text[from..to].encode_utf16().count() as i32;
        let mut flat = Vec::new();
        let mut at = 0;
        for (span, level) in words {
            flat.extend([utf16(at, span.start), utf16(span.start, span.end), i32::from(level)]);
            at = span.end;
        }
        DocumentItem { id, title, text, words: flat, max_abs, score, predicted }
    }
}

/// A clip: its relevance per frame and heatmaps of its most relevant frames.
#[derive(Clone, Debug, Serialize)]
pub struct ClipItem {
    pub id: String,
    pub title: String,
    pub per_frame: Vec<f32>,
    pub frames: Vec<FrameHeat>,
    /// Whether the clip carries the planted cue, where that is known.
    pub cue: Option<bool>,
    pub score: f32,
    pub predicted: String,
}

/// One frame's block relevance, as levels of the clip's largest |R| (row by row), over the
/// frame's picture where it was decoded.
#[derive(Clone, Debug, Serialize)]
pub struct FrameHeat {
    pub frame: usize,
    pub rows: usize,
    pub cols: usize,
    /// The side of a block in the picture's pixels.
    pub block: usize,
    pub levels: Vec<i16>,
    /// The frame's picture as a `data:` address (any format the browser decodes).
    pub picture: Option<String>,
}

impl ClassView {
    /// A class's view from its analysis; `summarise(labels, clusters)` gives the summaries of
    /// each clustering's clusters.
    pub fn new(
        name: &str,
        analysis: &Analysis,
        items: Vec<Item>,
        summarise: impl Fn(&[usize], usize) -> Vec<ClusterSummary>,
    ) -> Self {
        let mut embeddings = Vec::new();
        if analysis.embedding_method == "t-sne" {
            embeddings
                .push(Embedding { name: "t-SNE".into(), points: scaled(&analysis.embedding) });
        }
        embeddings.push(Embedding {
            name: "spectral".into(),
            points: scaled(&analysis.spectral_embedding),
        });
        let chosen = std::iter::once((analysis.clusters, &analysis.labels));
        let clusterings = chosen
            .chain(analysis.alternatives.iter().map(|c| (c.clusters, &c.labels)))
            .map(|(clusters, labels)| ClusteringView {
                clusters,
                labels: labels.clone(),
                summaries: summarise(labels, clusters),
            })
            .collect();
        ClassView {
            name: name.to_string(),
            eigenvalues: analysis.eigenvalues.clone(),
            proposed: analysis.proposed_clusters,
            embeddings,
            clusterings,
            items,
        }
    }
}

/// Points scaled into [0, 1]² (one factor for both axes, so that distances keep their
/// proportions), rounded to 1/10,000, flattened.
fn scaled(points: &[[f64; 2]]) -> Vec<f32> {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in points {
        for a in 0..2 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]);
    let span = if span > 0.0 && span.is_finite() { span } else { 1.0 };
    let centre = |a: usize| (1.0 - (hi[a] - lo[a]) / span) / 2.0;
    points
        .iter()
        .flat_map(|p| {
            (0..2).map(move |a| (((p[a] - lo[a]) / span + centre(a)) * 1e4).round() as f32 / 1e4)
        })
        .collect()
}

/// The SpRAy page: markup, styles, script and `page` as JSON in one file.
pub fn html(page: &Page) -> String {
    shell::document(
        &page.title,
        include_str!("assets/spray.html"),
        include_str!("assets/spray.css"),
        include_str!("assets/spray.js"),
        page,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_spans_count_utf16_units_from_the_previous_word() {
        // "naïve 😀 café": ï is one UTF-16 unit (two bytes), the emoji two units (four bytes).
        let text = "naïve 😀 café".to_string();
        let words = [(0..6, 10), (7..11, -3), (12..17, 255)];
        let d =
            DocumentItem::new("1".into(), "t".into(), text.clone(), words, 1.0, 0.0, "c".into());
        assert_eq!(d.words, vec![0, 5, 10, 1, 2, -3, 1, 4, 255]);
        let units: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(String::from_utf16(&units[6..8]).unwrap(), "😀");
        assert_eq!(String::from_utf16(&units[9..13]).unwrap(), "café");
    }

    #[test]
    fn levels_are_shares_of_the_largest_value_in_255ths() {
        assert_eq!(crate::level(2.0, 2.0), 255);
        assert_eq!(crate::level(-1.0, 2.0), -128);
        assert_eq!(crate::level(0.01, 2.0), 1);
        assert_eq!(crate::level(5.0, 0.0), 0);
        assert_eq!(crate::level(f32::NAN, 1.0), 0);
    }

    #[test]
    fn scaling_keeps_proportions_and_centres_the_short_axis() {
        let p = scaled(&[[0.0, 0.0], [4.0, 1.0], [2.0, 2.0]]);
        assert_eq!(p, vec![0.0, 0.25, 1.0, 0.5, 0.5, 0.75]);
        // One point (or all equal) does not divide by zero.
        assert_eq!(scaled(&[[3.0, 3.0]]), vec![0.5, 0.5]);
    }

    #[test]
    fn the_data_cannot_end_its_script_element() {
        let page = Page {
            title: "a <b>".into(),
            item_name: "document".into(),
            share_name: "s".into(),
            classes: vec![ClassView {
                name: "</script><script>alert(1)</script>".into(),
                eigenvalues: vec![],
                proposed: 2,
                embeddings: vec![],
                clusterings: vec![],
                items: vec![],
            }],
        };
        let out = html(&page);
        assert_eq!(out.matches("</script>").count(), 2, "only the two script elements close");
        assert!(out.contains("<title>a &lt;b&gt;</title>"));
    }
}
