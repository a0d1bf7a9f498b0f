//! How explanations are shown: colours, terminal snapshots, HTML and JSON.

use super::*;

fn sample() -> TextExplanation {
    let text = "Orbit & <launch> \"fuel\" here\n".to_string();
    let word = |word: &str, relevance: f32, seen: bool| {
        let start = text.find(word).unwrap();
        WordRelevance {
            word: word.into(),
            span: start..start + word.len(),
            tokens: vec![word.to_lowercase()],
            relevance,
            seen,
        }
    };
    TextExplanation {
        method: "lrp epsilon=0.01".into(),
        class: 1,
        class_name: "sci.space".into(),
        score: 2.5,
        predicted: 1,
        predicted_name: "sci.space".into(),
        probabilities: vec![0.25, 0.75],
        scores: vec![1.4, 2.5],
        words: vec![
            word("Orbit", 2.0, true),
            word("&", 0.0, true),
            word("launch", 1.0, true),
            word("fuel", -0.5, true),
            word("here", 0.0, false),
        ],
        text,
        special_tokens: vec![],
        signed: true,
        conservation: Some(Conservation {
            explained: 2.5,
            input: text::WordTotals { words: 2.5, padding: 0.0, special: 0.0 },
            absorbed: 0.0,
            layers: vec![],
        }),
        completeness: None,
        unread_bytes: 0,
        known_words: text::KnownWords { known: 4, read: 4 },
    }
}

#[test]
fn heat_runs_from_white_to_red_and_blue() {
    assert_eq!(heat_colour(2.0, 2.0), Some((255, 0, 0)));
    assert_eq!(heat_colour(-1.0, 2.0), Some((128, 128, 255)));
    assert_eq!(heat_colour(0.05, 2.0), None, "too faint to colour");
    assert_eq!(text::ansi256((255, 0, 0)), 196);
    assert_eq!(text::ansi256((128, 128, 255)), 147);
}

#[test]
fn terminal_output_snapshots() {
    let e = sample();
    let mut ansi = termcolor::Ansi::new(Vec::new());
    write_terminal(&mut ansi, &e, Palette::TrueColor, 3).unwrap();
    let out = String::from_utf8(ansi.into_inner()).unwrap();
    let expected_text = "\u{1b}[0m\u{1b}[30m\u{1b}[48;2;255;0;0mOrbit\u{1b}[0m & <\u{1b}[0m\u{1b}[30m\u{1b}[48;2;255;128;128mlaunch\u{1b}[0m> \"\u{1b}[0m\u{1b}[30m\u{1b}[48;2;191;191;255mfuel\u{1b}[0m\" here\n";
    assert!(out.contains(expected_text), "{out:?}");
    assert!(out.starts_with("explaining sci.space (score +2.50, p = 0.750); predicted sci.space (p = 0.750); method lrp epsilon=0.01\n"));
    assert!(out.contains("(the model reads the first 4 words; the rest are not coloured)"));
    assert!(out.contains("for sci.space:     Orbit +2.00, launch +1.00\n"));
    assert!(out.contains("against sci.space: fuel -0.500\n"));

    let mut ansi = termcolor::Ansi::new(Vec::new());
    write_terminal(&mut ansi, &e, Palette::Ansi256, 3).unwrap();
    let out = String::from_utf8(ansi.into_inner()).unwrap();
    assert!(out.contains("\u{1b}[0m\u{1b}[30m\u{1b}[48;5;196mOrbit\u{1b}[0m"), "{out:?}");

    let mut plain = termcolor::NoColor::new(Vec::new());
    write_terminal(&mut plain, &e, Palette::Plain, 3).unwrap();
    let out = String::from_utf8(plain.into_inner()).unwrap();
    assert!(out.contains("Orbit[+2.00] & <launch[+1.00]> \"fuel[-0.500]\" here\n"), "{out:?}");
    assert!(!out.contains('\u{1b}'));
}

/// A transformer's explanation names its special tokens with their relevance under the text,
/// and the conservation line counts them apart from the words.
#[test]
fn special_tokens_are_named_under_the_text_and_counted_apart() {
    let mut e = sample();
    e.special_tokens = vec![
        text::SpecialToken { token: "[CLS]".into(), position: 0, relevance: 0.3 },
        text::SpecialToken { token: "[SEP]".into(), position: 6, relevance: -0.05 },
    ];
    let c = e.conservation.as_mut().unwrap();
    (c.explained, c.input.special, c.absorbed) = (3.0, 0.25, 0.25);
    let mut plain = termcolor::NoColor::new(Vec::new());
    write_terminal(&mut plain, &e, Palette::Plain, 3).unwrap();
    let out = String::from_utf8(plain.into_inner()).unwrap();
    assert!(
        out.contains("special tokens (not words, not coloured): [CLS] +0.300, [SEP] -0.050\n"),
        "{out}"
    );
    assert!(
        out.contains("words sum to 2.5000 of the score 3.0000; special tokens took 0.2500 (8.3 %); biases, position embeddings and the softmax rule absorbed 0.2500 (8.3 %)"),
        "{out}"
    );
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["special_tokens"][0]["token"], "[CLS]");
    assert_eq!(json["conservation"]["special"], 0.25);
}

#[test]
fn colours_follow_the_flag_the_terminal_and_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    assert_eq!(
        Palette::choose(ColorWhen::Auto, true, env(&[("COLORTERM", "truecolor")])),
        Palette::TrueColor
    );
    assert_eq!(Palette::choose(ColorWhen::Auto, true, env(&[])), Palette::Ansi256);
    assert_eq!(
        Palette::choose(ColorWhen::Auto, false, env(&[("COLORTERM", "truecolor")])),
        Palette::Plain
    );
    assert_eq!(Palette::choose(ColorWhen::Auto, true, env(&[("NO_COLOR", "1")])), Palette::Plain);
    assert_eq!(Palette::choose(ColorWhen::Auto, true, env(&[("TERM", "dumb")])), Palette::Plain);
    assert_eq!(Palette::choose(ColorWhen::Always, false, env(&[])), Palette::Ansi256);
    assert_eq!(
        Palette::choose(ColorWhen::Never, true, env(&[("COLORTERM", "24bit")])),
        Palette::Plain
    );
    assert!("sometimes".parse::<ColorWhen>().is_err());
}

#[test]
fn html_escapes_markup_and_keeps_the_text() {
    let e = sample();
    let page = explanation_html(&e, &["alt.atheism".into(), "sci.space".into()]);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Orbit</span> &amp; &lt;<span style=\"background: rgb(255,128,128)\" title=\"+1.00\">launch</span>&gt; &quot;"));
    assert!(!page.contains("<launch>") && !page.contains("\"fuel\""));
    assert_eq!(escape_html("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    assert!(page.contains("<tr><td>sci.space</td>"));
}

#[test]
fn explanations_round_trip_through_json() {
    let model = text::default_model().unwrap();
    let text = &demo_posts()[0];
    for method in ["lrp", "sa", "gxi"] {
        let e =
            model.explain(text, Some(3), &Method::parse(method, "epsilon=0.01").unwrap()).unwrap();
        let json = serde_json::to_string(&e).unwrap();
        let back: TextExplanation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.class, 3);
        if method == "sa" {
            assert!(!e.signed && e.words.iter().all(|w| w.relevance >= 0.0));
        }
    }
    assert!(Method::parse("lime", "epsilon").is_err());
    assert!(
        Method::parse("lrp", "epsilon=-1").is_err() || Method::parse("lrp", "nonsense").is_err()
    );
    assert!(model.class_index("no.such.group").unwrap_err().to_string().contains("sci.space"));
}
