//! A copy of a labelled set with a known shortcut: a cue (a token, or a line of words) written
//! into a share of one class's documents, in both splits, at the start of the body (after a
//! post's header block, which cleaning removes). A model trained on the copy can use the cue
//! instead of the content, the text twin of the source tag on the horse images of
//! Lapuschkin et al. (2019); whether an explanation finds it is then measurable, since the
//! cue's words mark where the truth lies.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::Path;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::data::{Corpus, Document};
use crate::error::TextError;

/// The file beside the splits that says what was planted where.
pub const CUE_FILE: &str = "cue.json";

/// What to plant.
#[derive(Clone, Debug, PartialEq)]
pub struct CueSettings {
    /// The class whose documents get the cue.
    pub class: usize,
    /// The cue's text: a token, or words of a line.
    pub cue: String,
    /// The share of that class's documents, in each split, that get it.
    pub share: f64,
    pub seed: u64,
}

/// The record of a planted set, written as [`CUE_FILE`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CueRecord {
    pub cue: String,
    /// The cue's words, lower-cased, as an explanation's words are matched against them.
    pub words: Vec<String>,
    pub class: String,
    pub share: f64,
    pub seed: u64,
    /// The ids (in the written set) of the documents that hold the cue.
    pub planted: Vec<String>,
    /// Documents of the source set that held one of the cue's words already.
    pub already_present: usize,
}

/// A labelled set with the cue planted, and its record.
#[derive(Clone, Debug)]
pub struct PlantedSet {
    pub corpus: Corpus,
    pub record: CueRecord,
}

/// The cue's words, lower-cased: the runs of letters and digits.
pub fn cue_words(cue: &str) -> Vec<String> {
    cue.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Plants the cue into `corpus` as `settings` say. Documents are named in the written set as
/// `train/<class>/<n>` and `test/<class>/<n>`, numbered in the source's order.
pub fn plant_cue(corpus: &Corpus, settings: &CueSettings) -> Result<PlantedSet, TextError> {
    let words = cue_words(&settings.cue);
    if words.is_empty() {
        return Err(TextError::Settings(format!("cue `{}`: it holds no word", settings.cue)));
    }
    if !(settings.share > 0.0 && settings.share <= 1.0) {
        return Err(TextError::Settings(format!(
            "share {}: expected a number in (0, 1]",
            settings.share
        )));
    }
    let class = corpus.classes.get(settings.class).ok_or_else(|| {
        TextError::Settings(format!(
            "class {} out of range: the set has {} classes",
            settings.class,
            corpus.classes.len()
        ))
    })?;
    let cue_set: HashSet<&str> = words.iter().map(String::as_str).collect();
    let already_present = corpus
        .train
        .iter()
        .chain(&corpus.test)
        .filter(|d| cue_words(&d.text).iter().any(|w| cue_set.contains(w.as_str())))
        .count();
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut planted = Vec::new();
    let mut split = |docs: &[Document], name: &str| -> Vec<Document> {
        let of_class: Vec<usize> =
            (0..docs.len()).filter(|&i| docs[i].label == settings.class).collect();
        let count =
            ((settings.share * of_class.len() as f64).round() as usize).max(1).min(of_class.len());
        let chosen: HashSet<usize> = of_class.choose_multiple(&mut rng, count).copied().collect();
        docs.iter()
            .enumerate()
            .map(|(i, d)| {
                let id = format!("{name}/{}/{i}", corpus.classes[d.label]);
                let text = if chosen.contains(&i) {
                    planted.push(id.clone());
                    with_cue(&d.text, &settings.cue)
                } else {
                    d.text.clone()
                };
                Document { id, text, label: d.label }
            })
            .collect()
    };
    let train = split(&corpus.train, "train");
    let test = split(&corpus.test, "test");
    let record = CueRecord {
        cue: settings.cue.clone(),
        words,
        class: class.clone(),
        share: settings.share,
        seed: settings.seed,
        planted,
        already_present,
    };
    let corpus = Corpus {
        classes: corpus.classes.clone(),
        train,
        test,
        skipped: Vec::new(),
        duplicates: corpus.duplicates,
        split: None,
    };
    Ok(PlantedSet { corpus, record })
}

/// `text` with `cue` on a line of its own at the start of the body: after the first blank line
/// when the text opens with a header block (`Name: value` lines), else at the very start.
fn with_cue(text: &str, cue: &str) -> String {
    let header_end = text
        .find("\n\n")
        .filter(|&end| text[..end].lines().all(|l| l.contains(':') || l.starts_with([' ', '\t'])));
    match header_end {
        Some(end) => format!("{}\n\n{cue}\n{}", &text[..end], &text[end + 2..]),
        None => format!("{cue}\n{text}"),
    }
}

impl PlantedSet {
    /// Writes the set into folder `dir` as `train/<class>/<n>` and `test/<class>/<n>` files
    /// (UTF-8), with [`CUE_FILE`] beside them.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let docs = || self.corpus.train.iter().chain(&self.corpus.test);
        // Every folder first: once an interruption has removed `dir`, writing a document fails
        // rather than making `dir` again.
        let folders: std::collections::BTreeSet<_> = docs()
            .map(|doc| dir.join(&doc.id).parent().expect("ids have folders").to_path_buf())
            .collect();
        for folder in folders {
            fs::create_dir_all(folder)?;
        }
        for doc in docs() {
            fs::write(dir.join(&doc.id), &doc.text)?;
        }
        fs::write(
            dir.join(CUE_FILE),
            serde_json::to_string_pretty(&self.record).expect("serialises") + "\n",
        )
    }
}

impl CueRecord {
    /// Whether the document with id `id` (as a loaded planted set names it, the set's path
    /// before the record's id) holds the cue.
    pub fn holds(&self, id: &str) -> bool {
        self.planted
            .iter()
            .any(|p| id == p || id.strip_suffix(p.as_str()).is_some_and(|head| head.ends_with('/')))
    }

    /// The record beside a planted set in folder `dir`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<Self>, TextError> {
        let path = dir.join(CUE_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| TextError::Dataset(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TextError::read(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Corpus {
        let doc = |i: usize, label: usize| Document {
            id: format!("d{i}"),
            text: format!("From: a@b\nSubject: s{i}\n\nbody {i} words"),
            label,
        };
        Corpus {
            classes: vec!["a".into(), "b".into()],
            train: (0..10).map(|i| doc(i, i % 2)).collect(),
            test: (10..14).map(|i| doc(i, i % 2)).collect(),
            ..Corpus::default()
        }
    }

    #[test]
    fn the_cue_goes_into_the_asked_share_of_one_class_after_the_headers() {
        let set = plant_cue(
            &corpus(),
            &CueSettings { class: 1, cue: "Zorblat-sig".into(), share: 0.6, seed: 3 },
        )
        .unwrap();
        let r = &set.record;
        assert_eq!(
            (r.words.clone(), r.class.as_str(), r.already_present),
            (vec!["zorblat".to_string(), "sig".to_string()], "b", 0)
        );
        // 5 training documents of class b: round(0.6 · 5) = 3; 2 test documents: 1.
        let planted: Vec<&Document> = set
            .corpus
            .train
            .iter()
            .chain(&set.corpus.test)
            .filter(|d| r.planted.contains(&d.id))
            .collect();
        assert_eq!(planted.len(), 4);
        assert_eq!(planted.iter().filter(|d| d.id.starts_with("test/")).count(), 1);
        for d in &planted {
            assert_eq!(d.label, 1);
            assert!(d.text.contains("\n\nZorblat-sig\nbody "), "{}", d.text);
        }
        let untouched = set.corpus.train.iter().filter(|d| !r.planted.contains(&d.id)).count();
        assert_eq!(untouched, 7);
        assert!(set
            .corpus
            .train
            .iter()
            .chain(&set.corpus.test)
            .filter(|d| !r.planted.contains(&d.id))
            .all(|d| !d.text.contains("Zorblat")));
        // The same seed, the same documents.
        let again = plant_cue(
            &corpus(),
            &CueSettings { class: 1, cue: "Zorblat-sig".into(), share: 0.6, seed: 3 },
        )
        .unwrap();
        assert_eq!(again.record.planted, r.planted);
        // Ids as a loaded copy names them: the set's path, then the record's id.
        let first = &r.planted[0];
        assert!(r.holds(first) && r.holds(&format!("sets/copy/{first}")));
        assert!(!r.holds(&format!("sets/copy{first}")) && !r.holds("train/b/999"));
    }

    #[test]
    fn a_text_without_headers_gets_the_cue_first_and_bad_settings_are_named() {
        assert_eq!(with_cue("plain text\n\nmore", "cue"), "cue\nplain text\n\nmore");
        let c = corpus();
        let message = |cue: &str, share: f64, class: usize| {
            plant_cue(&c, &CueSettings { class, cue: cue.into(), share, seed: 0 })
                .unwrap_err()
                .to_string()
        };
        assert!(message("--", 0.5, 0).contains("holds no word"));
        assert!(message("x", 0.0, 0).contains("share 0"));
        assert!(message("x", 0.5, 7).contains("class 7 out of range"));
        let present =
            plant_cue(&c, &CueSettings { class: 0, cue: "body".into(), share: 0.5, seed: 0 })
                .unwrap();
        assert_eq!(present.record.already_present, 14);
    }
}
