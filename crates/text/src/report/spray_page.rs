//! The SpRAy viewer's page for text: each class's analysis with its documents coloured word by
//! word, as `explain --format html` colours them.

use viewer::{ClassView, ClusterSummary, DocumentItem, Item, Page};

use crate::data::header_len;
use crate::explain::TextExplanation;
use crate::report::heat_colour;
use crate::report::{cluster_summary, header_share, TextStrategies};

/// Characters of a title shown at most.
const TITLE_CHARS: usize = 80;

/// A post's title: its `Subject:` header, else its first non-blank line, else `id`.
pub fn title(text: &str, id: &str) -> String {
    let header = &text[..header_len(text)];
    let subject = header
        .lines()
        .find_map(|l| l.strip_prefix("Subject:"))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let line =
        subject.or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty())).unwrap_or(id);
    match line.char_indices().nth(TITLE_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// A word's level on the page: `255 − fade` of [`heat_colour`]'s colour, signed, so that the page
/// shows the colour `explain --format html` gives the word; 0 for the words that page leaves
/// plain (too faint, or beyond what the model reads).
pub fn word_level(relevance: f32, max_abs: f32, seen: bool) -> i16 {
    match heat_colour(relevance, max_abs).filter(|_| seen) {
        Some((255, fade, _)) if relevance > 0.0 => 255 - i16::from(fade),
        Some((fade, _, _)) => -(255 - i16::from(fade)),
        None => 0,
    }
}

fn document(id: &str, e: &TextExplanation) -> Item {
    let max = e.max_abs();
    let words = e.words.iter().map(|w| (w.span.clone(), word_level(w.relevance, max, w.seen)));
    Item::Document(DocumentItem::new(
        id.to_string(),
        title(&e.text, id),
        e.text.clone(),
        words,
        max,
        e.score,
        e.predicted_name.clone(),
    ))
}

/// The page of a text SpRAy report, classes in the report's order.
pub fn spray_page(results: &[TextStrategies], title: &str) -> Page {
    let classes = results
        .iter()
        .map(|r| {
            let shares: Vec<f64> = r.explanations.iter().map(|e| header_share(e).share()).collect();
            let items =
                r.documents.iter().zip(&r.explanations).map(|(id, e)| document(id, e)).collect();
            ClassView::new(&r.class, &r.analysis, items, |labels, clusters| {
                (0..clusters)
                    .map(|c| {
                        let members: Vec<usize> =
                            (0..labels.len()).filter(|&i| labels[i] == c).collect();
                        let (share, top_words) =
                            cluster_summary(&members, &r.explanations, &shares);
                        ClusterSummary { size: members.len(), share: Some(share), top_words }
                    })
                    .collect()
            })
        })
        .collect();
    Page {
        title: title.to_string(),
        item_name: "document".into(),
        share_name: "header share".into(),
        classes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_give_the_colours_of_the_html_explanation() {
        // For every relevance on a fine grid, the page's colour rule applied to the level is
        // `heat_colour`'s colour, and a word `heat_colour` leaves plain has level 0.
        for step in -1000..=1000 {
            let r = step as f32 / 1000.0 * 1.7;
            let level = word_level(r, 1.7, true);
            let shown = match level {
                0 => None,
                l if l > 0 => Some((255, (255 - l) as u8, (255 - l) as u8)),
                l => Some(((255 + l) as u8, (255 + l) as u8, 255)),
            };
            assert_eq!(shown, heat_colour(r, 1.7), "r = {r}");
        }
        assert_eq!(word_level(1.0, 1.0, false), 0, "words beyond what the model reads stay plain");
    }

    #[test]
    fn titles_are_subjects_or_first_lines() {
        let post = "From: a@b.c\nSubject: Re: Shuttle launch\nLines: 3\n\nThe body.\n";
        assert_eq!(title(post, "sci.space/1"), "Re: Shuttle launch");
        assert_eq!(title("\n\n  First line here\nsecond", "x"), "First line here");
        assert_eq!(
            title("Subject: in the body is not a header\n", "x"),
            "Subject: in the body is not a header"
        );
        assert_eq!(title("", "doc-7"), "doc-7");
        let long = "é".repeat(100);
        assert_eq!(title(&long, "x"), format!("{}…", "é".repeat(80)));
    }
}
