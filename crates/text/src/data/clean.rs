//! Removing what a topic classifier should not need: Usenet headers, signature blocks and
//! quoted replies — the common `remove=('headers', 'footers', 'quotes')` practice for
//! 20 Newsgroups, with the same rules as scikit-learn's loader, so results compare.

use serde::{Deserialize, Serialize};

/// Which parts of a post to remove before tokenising.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleaning {
    /// Drop everything up to the first blank line (From, Subject, Organization, …).
    pub headers: bool,
    /// Drop the signature: the last block after a line of only dashes or blanks.
    pub footers: bool,
    /// Drop quoted lines (`>` or `|` prefixes, "… writes:", "In article …").
    pub quotes: bool,
}

impl Cleaning {
    /// All three removals.
    pub const ALL: Cleaning = Cleaning { headers: true, footers: true, quotes: true };

    /// The text with the chosen parts removed.
    pub fn apply(&self, text: &str) -> String {
        let mut text = text.to_string();
        if self.headers {
            text = strip_header(&text).to_string();
        }
        // scikit-learn's order: headers, footers, quotes.
        if self.footers {
            text = strip_footer(&text).to_string();
        }
        if self.quotes {
            text = strip_quotes(&text);
        }
        text
    }
}

/// Everything after the first blank line (`\n\n`); empty if there is none.
pub fn strip_header(text: &str) -> &str {
    text.split_once("\n\n").map_or("", |(_, body)| body)
}

/// The length of the header block including the blank line that ends it (0 if none);
/// the header zone of a raw post is `text[..header_len(text)]`.
pub fn header_len(text: &str) -> usize {
    text.find("\n\n").map_or(0, |i| i + 2)
}

fn is_quote_line(line: &str) -> bool {
    const ANYWHERE: [&str; 5] = ["writes in", "writes:", "wrote:", "says:", "said:"];
    const AT_START: [&str; 4] = ["In article", "Quoted from", "|", ">"];
    ANYWHERE.iter().any(|m| line.contains(m)) || AT_START.iter().any(|m| line.starts_with(m))
}

/// The lines that do not quote another post or introduce a quote.
pub fn strip_quotes(text: &str) -> String {
    text.split('\n').filter(|line| !is_quote_line(line)).collect::<Vec<_>>().join("\n")
}

/// The trimmed text before its last line made only of dashes or blanks (a signature
/// separator, or the blank line before a closing block); the text unchanged if there is no
/// such line after the first. As aggressive as scikit-learn's rule, on purpose.
pub fn strip_footer(text: &str) -> &str {
    let trimmed = text.trim();
    let lines: Vec<&str> = trimmed.split('\n').collect();
    match lines.iter().rposition(|line| line.trim().trim_matches('-').is_empty()) {
        Some(n) if n > 0 => {
            let end: usize = lines[..n].iter().map(|l| l.len() + 1).sum::<usize>() - 1;
            let start = trimmed.as_ptr() as usize - text.as_ptr() as usize;
            &text[start..start + end]
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str =
        "From: ann@example.org (Ann)\nSubject: Re: orbits\nOrganization: Example U\n\n\
In article <1@example.org> bob@example.org writes:\n> Is the orbit stable?\n| old quote\n\
It is stable for a decade.\nThe drag is small.\n\n-- \nAnn, Example U\n";

    #[test]
    fn headers_end_at_the_first_blank_line() {
        assert!(strip_header(POST).starts_with("In article"));
        assert_eq!(
            &POST[..header_len(POST)],
            "From: ann@example.org (Ann)\nSubject: Re: orbits\nOrganization: Example U\n\n"
        );
        assert_eq!(strip_header("no blank line"), "");
        assert_eq!(header_len("no blank line"), 0);
    }

    #[test]
    fn quotes_and_their_introductions_go() {
        let body = strip_quotes(strip_header(POST));
        assert!(
            !body.contains("writes:")
                && !body.contains("Is the orbit")
                && !body.contains("old quote")
        );
        assert!(body.starts_with("It is stable for a decade."));
    }

    #[test]
    fn the_signature_after_a_dash_line_goes() {
        let body = strip_footer(strip_header(POST));
        assert!(body.ends_with("The drag is small.\n"), "{body:?}");
        assert_eq!(strip_footer("one line only"), "one line only");
        // A dash line as the first line is no signature separator.
        assert_eq!(strip_footer("--\nall of it"), "--\nall of it");
    }

    #[test]
    fn all_three_together() {
        assert_eq!(Cleaning::ALL.apply(POST), "It is stable for a decade.\nThe drag is small.\n");
        assert_eq!(Cleaning::default().apply(POST), POST);
    }
}
