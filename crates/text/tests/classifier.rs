//! The whole text pipeline on a tiny corpus written here: fit, save, load, and broken files.

use pipeline::model_folder::WeightPrecision;
use std::fs;
use std::path::Path;

use text::{
    fit, Corpus, Document, FitOptions, Silent, TextClassifier, TextError, TokenizerChoice,
    TrainConfig,
};
use text::{CONFIG_FILE, WEIGHTS_FILE};

const SPACE: [&str; 6] = [
    "the rocket reached orbit",
    "a probe landed on the moon",
    "the shuttle crew saw the stars",
    "orbit of the planet",
    "the telescope saw a comet",
    "launch the rocket to the moon",
];
const CARS: [&str; 6] = [
    "the engine needs new oil",
    "a car with four new tyres",
    "the brakes of the car",
    "change the oil and the tyres",
    "the engine of the truck",
    "a truck with a big engine",
];

fn corpus() -> Corpus {
    let doc = |i: usize, text: &str, label: usize| Document {
        id: format!("doc{i}"),
        text: text.to_string(),
        label,
    };
    let mut train = Vec::new();
    for round in 0..4 {
        for (i, (s, c)) in SPACE.iter().zip(CARS).enumerate() {
            train.push(doc(round * 20 + i, s, 0));
            train.push(doc(round * 20 + 10 + i, c, 1));
        }
    }
    let test = vec![doc(100, "the probe saw the moon", 0), doc(101, "oil for the truck engine", 1)];
    Corpus { classes: vec!["space".into(), "cars".into()], train, test, ..Corpus::default() }
}

fn options() -> FitOptions {
    FitOptions {
        tokenizer: TokenizerChoice::WordLevel { min_count: 1, max_vocab: None },
        embedding_dim: 8,
        filters: 12,
        max_len: 20,
        train: TrainConfig {
            max_epochs: 30,
            batch_size: 4,
            learning_rate: 0.01,
            dropout: 0.0,
            validation_fraction: 0.25,
            patience: 30,
            ..TrainConfig::default()
        },
        ..FitOptions::default()
    }
}

#[test]
fn a_tiny_model_separates_two_classes_and_round_trips() {
    let model = fit(&corpus(), &options(), &mut Silent).unwrap();
    assert_eq!(model.config.test_accuracy, Some(1.0));
    assert_eq!(model.predict("a comet near the moon").unwrap().class_name, "space");
    assert_eq!(model.predict("the truck needs oil").unwrap().class_name, "cars");
    assert!(model.config.training.report.validation_accuracy > 0.9);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    model.save(&path, false).unwrap();
    let loaded = TextClassifier::load(&path).unwrap();
    assert_eq!(loaded.config, model.config);
    for text in ["the rocket and the moon", "oil", "unknown words only"] {
        assert_eq!(loaded.predict(text).unwrap(), model.predict(text).unwrap());
    }
    // Nothing is overwritten without being asked.
    assert!(matches!(model.save(&path, false), Err(TextError::Exists(_))));
    model.save(&path, true).unwrap();
}

#[test]
fn a_wordpiece_model_trains_too() {
    let options =
        FitOptions { tokenizer: TokenizerChoice::WordPiece { vocab: None, size: 80 }, ..options() };
    let model = fit(&corpus(), &options, &mut Silent).unwrap();
    assert_eq!(model.config.test_accuracy, Some(1.0));
    // An unseen inflection is one word of several pieces.
    let tokens = model.tokenizer.encode("rockets").unwrap();
    assert!(tokens.ids.len() >= 2 && tokens.word_count() == 1, "{tokens:?}");
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path().join("m").as_path(), false).unwrap();
    let loaded = TextClassifier::load(&dir.path().join("m")).unwrap();
    assert_eq!(loaded.predict("rockets").unwrap(), model.predict("rockets").unwrap());
}

#[test]
fn pre_trained_vectors_fill_the_first_dimensions_and_can_bring_their_words() {
    let dir = tempfile::tempdir().unwrap();
    let glove = dir.path().join("vectors.txt");
    // "moon" is a training word, "asteroid" is not; "e-mail" could never be a token.
    fs::write(&glove, "moon 0.5 -1.25 2\nasteroid 0.75 0.25 -3\ne-mail 1 1 1\n").unwrap();
    let frozen = |embedding_dim, add_embedding_words| FitOptions {
        embeddings: Some(glove.clone()),
        embedding_dim,
        add_embedding_words,
        train: TrainConfig { max_epochs: 2, freeze_embeddings: true, ..options().train },
        ..options()
    };
    let wide = fit(&corpus(), &frozen(8, true), &mut Silent).unwrap();
    assert_eq!(wide.config.architecture.embedding_dim, 8);
    assert_eq!(wide.config.training.added_embedding_words, 1);
    for (word, vector) in [("moon", [0.5, -1.25, 2.0]), ("asteroid", [0.75, 0.25, -3.0])] {
        let id = wide.tokenizer.encode(word).unwrap().ids[0];
        assert!(id > 1, "{word} has a token of its own");
        let row = wide.cnn.embedding.row(id as usize);
        assert_eq!(row.slice(ndarray::s![..3]).to_vec(), vector.to_vec());
        // The other dimensions keep their random start (uniform in ±0.1).
        assert!(row.slice(ndarray::s![3..]).iter().all(|v| v.abs() <= 0.1 && *v != 0.0));
    }
    let narrow = fit(&corpus(), &frozen(2, false), &mut Silent).unwrap();
    assert_eq!(
        narrow.config.architecture.embedding_dim, 3,
        "the vectors' dimension wins over a smaller one"
    );
    assert_eq!(narrow.config.training.added_embedding_words, 0);
    assert_eq!(narrow.tokenizer.encode("asteroid").unwrap().ids, vec![1]);
}

#[test]
fn several_networks_are_saved_as_one_scoring_their_mean() {
    let with = |seed, members| FitOptions {
        train: TrainConfig { seed, members, max_epochs: 5, ..options().train },
        ..options()
    };
    let combined = fit(&corpus(), &with(1, 2), &mut Silent).unwrap();
    let first = fit(&corpus(), &with(1, 1), &mut Silent).unwrap();
    let second = fit(&corpus(), &with(2, 1), &mut Silent).unwrap();
    let arch = &combined.config.architecture;
    assert_eq!((arch.embedding_dim, arch.filters), (16, 24));
    // The same training as alone (timings aside).
    let losses = |r: &text::TrainReport| {
        (
            r.best_epoch,
            r.epochs.iter().map(|e| (e.train_loss, e.validation_loss)).collect::<Vec<_>>(),
        )
    };
    let record = &combined.config.training;
    assert_eq!(losses(&record.report), losses(&first.config.training.report));
    assert_eq!(
        record.other_members.iter().map(losses).collect::<Vec<_>>(),
        vec![losses(&second.config.training.report)]
    );
    assert!(first.config.training.other_members.is_empty());
    let dir = tempfile::tempdir().unwrap();
    combined.save(&dir.path().join("m"), false).unwrap();
    let loaded = TextClassifier::load(&dir.path().join("m")).unwrap();
    for text in ["the rocket and the moon", "oil for the truck", "unknown words only", "moon"] {
        let scores = loaded.predict(text).unwrap().scores;
        let (a, b) = (first.predict(text).unwrap().scores, second.predict(text).unwrap().scores);
        for ((s, a), b) in scores.iter().zip(a).zip(b) {
            let mean = (a + b) / 2.0;
            assert!(
                (s - mean).abs() < 1e-5 * (1.0 + mean.abs()),
                "{text}: {s} vs the mean of {a} and {b}"
            );
        }
    }
}

fn broken(edit: impl Fn(&Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    let options =
        FitOptions { train: TrainConfig { max_epochs: 1, ..options().train }, ..options() };
    fit(&corpus(), &options, &mut Silent).unwrap().save(&path, false).unwrap();
    edit(&path);
    match TextClassifier::load(&path) {
        Ok(_) => panic!("a broken model loaded"),
        Err(e) => e.to_string(),
    }
}

fn edit_config(path: &Path, from: &str, to: &str) {
    let file = path.join(CONFIG_FILE);
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{from} not in the config");
    fs::write(&file, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn broken_model_files_say_what_is_wrong() {
    let err = broken(|p| edit_config(p, "\"version\": 2", "\"version\": 7"));
    assert!(err.contains("format version Some(7); this build reads versions 1 to 2"), "{err}");
    let err = broken(|p| {
        edit_config(p, "\"weight_precision\": \"f32\"", "\"weight_precision\": \"f16\"")
    });
    assert!(
        err.contains("tensor `embedding` is F32 [") && err.contains(", 8], the config needs F16 ["),
        "{err}"
    );
    let err = broken(|p| {
        edit_config(p, "\"format\": \"relvis-text-cnn\"", "\"format\": \"relvis-video-fv\"")
    });
    assert!(err.contains("not a relvis text model"), "{err}");
    let err = broken(|p| edit_config(p, "\"filters\": 12", "\"filters\": 13"));
    assert!(
        err.contains("tensor `conv.weight` is F32 [2, 8, 12], the config needs F32 [2, 8, 13]"),
        "{err}"
    );
    let err = broken(|p| {
        let file = p.join(WEIGHTS_FILE);
        let bytes = fs::read(&file).unwrap();
        fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    });
    assert!(err.contains(WEIGHTS_FILE), "{err}");
    let err = broken(|p| {
        // A NaN (0x7fc00000, little-endian) in place of the last bias value.
        let file = p.join(WEIGHTS_FILE);
        let mut bytes = fs::read(&file).unwrap();
        let n = bytes.len();
        bytes[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
        fs::write(&file, bytes).unwrap();
    });
    assert!(err.contains("non-finite value"), "{err}");
    let err = broken(|p| {
        // Finite, but the scores would overflow (found by fuzzing).
        let file = p.join(WEIGHTS_FILE);
        let mut bytes = fs::read(&file).unwrap();
        let n = bytes.len();
        bytes[n - 4..].copy_from_slice(&3e35f32.to_le_bytes());
        fs::write(&file, bytes).unwrap();
    });
    assert!(
        err.contains("holds 3e35 at index") && err.contains("far beyond any trained weight"),
        "{err}"
    );
    let err = broken(|p| fs::remove_file(p.join("tokenizer.json")).unwrap());
    assert!(err.contains("tokenizer.json"), "{err}");
    let err = broken(|p| fs::write(p.join(CONFIG_FILE), "{").unwrap());
    assert!(err.contains(CONFIG_FILE), "{err}");
}

/// Whether `v` has at most the 11 significant bits of an IEEE half (normal range) or is a
/// multiple of its smallest subnormal, 2^-24, below that range — by scaling, not by the
/// `half` crate the model uses.
fn fits_in_half(v: f32) -> bool {
    let a = f64::from(v.abs());
    if a < 2f64.powi(-14) {
        return (a * 2f64.powi(24)).fract() == 0.0;
    }
    let exponent = a.log2().floor() as i32;
    (a * 2f64.powi(10 - exponent)).fract() == 0.0 && a <= 65504.0
}

#[test]
fn half_precision_models_are_rounded_before_measuring_and_load_as_saved() {
    let with = |weight_precision| FitOptions {
        weight_precision,
        train: TrainConfig { max_epochs: 5, members: 2, ..options().train },
        ..options()
    };
    let full = fit(&corpus(), &with(WeightPrecision::F32), &mut Silent).unwrap();
    let half = fit(&corpus(), &with(WeightPrecision::F16), &mut Silent).unwrap();
    assert_eq!(half.config.weight_precision, WeightPrecision::F16);
    let weights = |m: &TextClassifier| {
        let (conv, dense) = (m.cnn.conv(), m.cnn.dense());
        let biases = conv.bias.iter().chain(&dense.bias).flat_map(|b| b.iter().copied());
        m.cnn
            .embedding
            .iter()
            .chain(&conv.weight)
            .chain(&dense.weight)
            .copied()
            .chain(biases)
            .collect::<Vec<f32>>()
    };
    let (full_weights, half_weights) = (weights(&full), weights(&half));
    assert_eq!(full_weights.len(), half_weights.len());
    // The same training, then each weight rounded to the nearest half: within half a unit in
    // the last of its 11 bits (at most 2^-11 relative), or 2^-25 among the subnormals.
    let mut changed = 0;
    for (&w, &h) in full_weights.iter().zip(&half_weights) {
        assert!(fits_in_half(h), "{h} is no half-precision value");
        assert!(
            (w - h).abs() <= (w.abs() * 2f32.powi(-11)).max(2f32.powi(-25)),
            "{w} rounded to {h}"
        );
        changed += usize::from(w != h);
    }
    assert!(changed > full_weights.len() / 2, "only {changed} weights changed by rounding");
    let dir = tempfile::tempdir().unwrap();
    let (full_path, half_path) = (dir.path().join("f32"), dir.path().join("f16"));
    full.save(&full_path, false).unwrap();
    half.save(&half_path, false).unwrap();
    let size = |p: &Path| fs::metadata(p.join(WEIGHTS_FILE)).unwrap().len() as f64;
    let ratio = size(&half_path) / size(&full_path);
    assert!((0.45..0.55).contains(&ratio), "the f16 weights file is {ratio} of the f32 one");
    let loaded = TextClassifier::load(&half_path).unwrap();
    assert_eq!(loaded.config, half.config);
    assert_eq!(weights(&loaded), half_weights, "saved and loaded exactly");
    for text in ["the rocket and the moon", "oil for the truck", "unknown words only"] {
        assert_eq!(loaded.predict(text).unwrap(), half.predict(text).unwrap());
    }
}

#[test]
fn version_one_model_folders_still_load() {
    let model = fit(
        &corpus(),
        &FitOptions { train: TrainConfig { max_epochs: 1, ..options().train }, ..options() },
        &mut Silent,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    model.save(&path, false).unwrap();
    // What a version-1 build wrote: no precision field, f32 weights.
    edit_config(&path, "\"version\": 2", "\"version\": 1");
    edit_config(&path, "  \"weight_precision\": \"f32\",\n", "");
    let loaded = TextClassifier::load(&path).unwrap();
    assert_eq!(loaded.config.weight_precision, WeightPrecision::F32);
    assert_eq!(
        loaded.predict("the rocket and the moon").unwrap(),
        model.predict("the rocket and the moon").unwrap()
    );
}

#[test]
fn training_settings_are_checked_by_the_library() {
    for (change, name) in [
        (
            Box::new(|t: &mut TrainConfig| t.batch_size = 0) as Box<dyn Fn(&mut TrainConfig)>,
            "batch_size",
        ),
        (Box::new(|t: &mut TrainConfig| t.members = 0), "members"),
        (Box::new(|t: &mut TrainConfig| t.learning_rate = f32::NAN), "learning_rate"),
        (Box::new(|t: &mut TrainConfig| t.dropout = 1.0), "dropout"),
        (Box::new(|t: &mut TrainConfig| t.lr_decay = 0.0), "lr_decay"),
    ] {
        let mut options = options();
        change(&mut options.train);
        let err = fit(&corpus(), &options, &mut Silent).err().expect("refused");
        assert!(matches!(err, TextError::Settings(_)) && err.to_string().contains(name), "{err}");
    }
    assert!(options().train.check().is_ok());
}
