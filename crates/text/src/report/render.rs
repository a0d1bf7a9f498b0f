//! Showing an explanation: the text with every word coloured by its relevance — red for the
//! class, blue against it, intensity ∝ |R| / max |R| — in the terminal (truecolor or the
//! 256-colour cube), as plain text with the values, or as a self-contained HTML page.

use std::fmt::Write as _;
use std::io;

use termcolor::{Color, ColorSpec, WriteColor};

use crate::explain::{Conservation, TextExplanation};
use crate::tokenize::KnownWords;

/// How colours are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Palette {
    /// 24-bit colours.
    TrueColor,
    /// The xterm 256-colour palette.
    Ansi256,
    /// No colours: relevance values in brackets after the words.
    Plain,
}

/// When to colour: `never`, `auto` (a terminal that allows it), `always`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorWhen {
    Never,
    Auto,
    Always,
}

impl std::str::FromStr for ColorWhen {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "never" => Ok(ColorWhen::Never),
            "auto" => Ok(ColorWhen::Auto),
            "always" => Ok(ColorWhen::Always),
            other => Err(format!("`{other}`: expected never, auto or always")),
        }
    }
}

impl Palette {
    /// The palette for `when`, given whether the output is a terminal and the environment
    /// (`env(name)`): `auto` colours only a terminal, and not with `NO_COLOR` set or
    /// `TERM=dumb`; `COLORTERM=truecolor|24bit` selects 24-bit colours, else the 256-colour
    /// palette.
    pub fn choose(
        when: ColorWhen,
        is_terminal: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let colour = match when {
            ColorWhen::Never => false,
            ColorWhen::Always => true,
            ColorWhen::Auto => {
                is_terminal
                    && env("NO_COLOR").is_none_or(|v| v.is_empty())
                    && env("TERM").is_none_or(|t| t != "dumb")
            }
        };
        match env("COLORTERM").as_deref() {
            _ if !colour => Palette::Plain,
            Some("truecolor" | "24bit") => Palette::TrueColor,
            _ => Palette::Ansi256,
        }
    }
}

/// Words fainter than this share of the largest |R| are left uncoloured (or unlabelled).
const FAINT: f32 = 0.05;

/// The background of a word with relevance `r` when the largest |R| is `max`: white to red
/// for positive, white to blue for negative; `None` for words too faint to show.
pub fn heat_colour(r: f32, max: f32) -> Option<(u8, u8, u8)> {
    if max <= 0.0 || !r.is_finite() || r.abs() < FAINT * max {
        return None;
    }
    let fade = (255.0 * (1.0 - (r.abs() / max).min(1.0))).round() as u8;
    Some(if r > 0.0 { (255, fade, fade) } else { (fade, fade, 255) })
}

/// White in the 256-colour cube: words that fade to it are left uncoloured.
const WHITE_256: u8 = 231;

/// The nearest colour of the xterm 6×6×6 colour cube (indices 16–231).
pub fn ansi256((r, g, b): (u8, u8, u8)) -> u8 {
    let level = |c: u8| ((f32::from(c) / 255.0) * 5.0).round() as u8;
    16 + 36 * level(r) + 6 * level(g) + level(b)
}

/// A value in three significant digits, signed when `signed`.
fn value(v: f32, signed: bool) -> String {
    let digits = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else if v.abs() >= 1.0 {
        2
    } else {
        3
    };
    if signed {
        format!("{v:+.digits$}")
    } else {
        format!("{v:.digits$}")
    }
}

/// Writes the summary line, the coloured text, the top words and the conservation check.
pub fn write_terminal(
    out: &mut dyn WriteColor,
    e: &TextExplanation,
    palette: Palette,
    top: usize,
) -> io::Result<()> {
    writeln!(
        out,
        "explaining {} (score {}, p = {:.3}); predicted {} (p = {:.3}); method {}\n",
        e.class_name,
        value(e.score, true),
        e.probabilities[e.class],
        e.predicted_name,
        e.probabilities[e.predicted],
        e.method
    )?;
    let max = e.max_abs();
    let mut at = 0;
    for w in &e.words {
        out.write_all(&e.text.as_bytes()[at..w.span.start])?;
        at = w.span.end;
        let colour = heat_colour(w.relevance, max)
            .filter(|&rgb| w.seen && (palette != Palette::Ansi256 || ansi256(rgb) != WHITE_256));
        match (palette, colour) {
            (Palette::Plain, Some(_)) => {
                write!(out, "{}[{}]", w.word, value(w.relevance, e.signed))?
            }
            (Palette::TrueColor | Palette::Ansi256, Some(rgb)) => {
                let bg = if palette == Palette::TrueColor {
                    Color::Rgb(rgb.0, rgb.1, rgb.2)
                } else {
                    Color::Ansi256(ansi256(rgb))
                };
                out.set_color(ColorSpec::new().set_bg(Some(bg)).set_fg(Some(Color::Black)))?;
                out.write_all(w.word.as_bytes())?;
                out.reset()?;
            }
            (_, None) => out.write_all(w.word.as_bytes())?,
        }
    }
    out.write_all(&e.text.as_bytes()[at..])?;
    if !e.text.ends_with('\n') {
        writeln!(out)?;
    }
    if !e.special_tokens.is_empty() {
        let specials: Vec<String> = e
            .special_tokens
            .iter()
            .map(|s| format!("{} {}", s.token, value(s.relevance, e.signed)))
            .collect();
        writeln!(out, "\nspecial tokens (not words, not coloured): {}", specials.join(", "))?;
    }
    if let Some(cut) = e.words.iter().position(|w| !w.seen) {
        writeln!(out, "\n(the model reads the first {cut} words; the rest are not coloured)")?;
    }
    if e.unread_bytes > 0 {
        writeln!(out, "({} more bytes of the document are not shown)", e.unread_bytes)?;
    }
    if let Some(line) = unknown_words_note(&e.known_words) {
        writeln!(out, "\n({line})")?;
    }
    writeln!(out)?;
    let list = |words: Vec<&crate::explain::WordRelevance>| {
        words
            .iter()
            .map(|w| format!("{} {}", w.word, value(w.relevance, e.signed)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if e.signed {
        writeln!(out, "for {}:     {}", e.class_name, list(e.top(top, true)))?;
        writeln!(out, "against {}: {}", e.class_name, list(e.top(top, false)))?;
    } else {
        writeln!(out, "most relevant: {}", list(e.top(top, true)))?;
    }
    if let Some(c) = &e.conservation {
        writeln!(out, "conservation: {}", conservation_sentence(c))?;
    }
    Ok(())
}

/// `words sum to W of the score S; special tokens took T (t %); padding took P (p %); biases
/// and ε absorbed A (a %)`, the special tokens and the padding named only when they took any.
fn conservation_sentence(c: &Conservation) -> String {
    let share = |part: f64| if c.explained != 0.0 { 100.0 * part / c.explained } else { 0.0 };
    let part = |name: &str, value: f64| {
        if value != 0.0 {
            format!("; {name} took {value:.4} ({:.1} %)", share(value))
        } else {
            String::new()
        }
    };
    // With special tokens the model is a transformer: position embeddings and the softmax
    // rule take shares too.
    let absorbers = if c.input.special != 0.0 {
        "biases, position embeddings and the softmax rule"
    } else {
        "biases and ε"
    };
    format!(
        "words sum to {:.4} of the score {:.4}{}{}; {absorbers} absorbed {:.4} ({:.1} %)",
        c.input.words,
        c.explained,
        part("special tokens", c.input.special),
        part("padding", c.input.padding),
        c.absorbed,
        share(c.absorbed)
    )
}

/// What to tell the reader when the model does not know some of the words it read: how many
/// it knew, and that a document of unknown words is decided without its words.
pub fn unknown_words_note(k: &KnownWords) -> Option<String> {
    match k.known {
        _ if k.known == k.read => None,
        0 if k.read == 1 => Some("the model does not know the one word it read: its decision does not rest on this document's words".into()),
        0 => Some(format!("the model knows none of the {} words it read: its decision does not rest on this document's words", k.read)),
        known => Some(format!("the model knows {known} of the {} words it read; the others are all one unknown token to it", k.read)),
    }
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A self-contained HTML page: the document as a red/blue heatmap (each word's value in its
/// tooltip) and the class scores.
pub fn explanation_html(e: &TextExplanation, classes: &[String]) -> String {
    let mut page = String::new();
    let title = format!("relvis: {} explained ({})", e.class_name, e.method);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; }}\n\
         pre {{ white-space: pre-wrap; font-family: monospace; line-height: 1.5; }}\n\
         td, th {{ padding: 0 1em; text-align: left; }} td.n {{ text-align: right; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n<p>Explained class <b>{}</b> (score {}), predicted <b>{}</b>; \
         red words speak for the class, blue words against it.</p>\n<pre>",
        escape_html(&title),
        escape_html(&title),
        escape_html(&e.class_name),
        value(e.score, true),
        escape_html(&e.predicted_name)
    );
    let max = e.max_abs();
    let mut at = 0;
    for w in &e.words {
        page.push_str(&escape_html(&e.text[at..w.span.start]));
        at = w.span.end;
        match heat_colour(w.relevance, max).filter(|_| w.seen) {
            Some((r, g, b)) => {
                let _ = write!(
                    page,
                    "<span style=\"background: rgb({r},{g},{b})\" title=\"{}\">{}</span>",
                    value(w.relevance, e.signed),
                    escape_html(&w.word)
                );
            }
            None => page.push_str(&escape_html(&w.word)),
        }
    }
    page.push_str(&escape_html(&e.text[at..]));
    page.push_str(
        "</pre>\n<h2>Class scores</h2>\n<table>\n<tr><th>class</th><th>score</th><th>p</th></tr>\n",
    );
    let mut order: Vec<usize> = (0..e.scores.len()).collect();
    order.sort_by(|&a, &b| e.scores[b].total_cmp(&e.scores[a]));
    for c in order {
        let name = classes.get(c).map_or_else(|| c.to_string(), |n| escape_html(n));
        let _ = writeln!(
            page,
            "<tr><td>{name}</td><td class=\"n\">{:.3}</td><td class=\"n\">{:.3}</td></tr>",
            e.scores[c], e.probabilities[c]
        );
    }
    page.push_str("</table>\n");
    if let Some(note) = unknown_words_note(&e.known_words) {
        let _ = writeln!(page, "<p class=\"note\">{}.</p>", escape_html(&capitalised(&note)));
    }
    if let Some(c) = &e.conservation {
        let _ = writeln!(page, "<p>{}.</p>", escape_html(&capitalised(&conservation_sentence(c))));
    }
    page.push_str("</body>\n</html>\n");
    page
}
