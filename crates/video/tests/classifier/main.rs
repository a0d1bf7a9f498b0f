//! The Fisher-vector / SVM classifier and its explanation on a tiny synthetic set rendered here.

mod explanation;
mod methods;

use std::path::Path;
use std::sync::OnceLock;

use ndarray::{Array1, Array3, Axis};
use video::clip_descriptors;
use video::evaluate_accuracy;
use video::load_clip_set;
use video::TrainOptions;
use video::VideoClassifier;
use video::{explain_clip, explain_descriptors};
use video::{render_set, SynthOptions};
use video::{CONFIG_FILE, WEIGHTS_FILE};

struct Fixture {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    model: VideoClassifier,
}

/// Two very different actions, 6 clips each of 30 frames; 4 + 4 train, 2 + 2 held out.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("set");
        let options = SynthOptions {
            classes: vec!["walk".into(), "sit-up".into()],
            per_class: 6,
            frames: 30,
            seed: 4,
            ..SynthOptions::default()
        };
        render_set(&root, &options, |_, _| {}).unwrap();
        let set = load_clip_set(&root, 1.0 / 3.0, 1).unwrap();
        assert_eq!((set.train.len(), set.test.len()), (8, 4));
        let options =
            TrainOptions { components: 4, sample_per_clip: 400, ..TrainOptions::default() };
        // One thread: the mixture's k-means sums in parallel, and the order work is stolen in
        // would make the tiny model depend on the machine's load.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let model = pool
            .install(|| video::train_classifier(&set.train, &set.classes, &options, &|_, _| {}))
            .unwrap();
        Fixture { _dir: dir, root, model }
    })
}

#[test]
fn a_model_trained_on_a_tiny_set_separates_two_classes() {
    let f = fixture();
    assert_eq!(f.model.config.training.train_accuracy, 1.0);
    let set = load_clip_set(&f.root, 1.0 / 3.0, 1).unwrap();
    let e = evaluate_accuracy(&f.model, &set.test, &|_, _| {}).unwrap();
    assert_eq!(e.accuracy, 1.0, "{e:?}");
}

#[test]
fn the_model_round_trips_with_identical_scores_and_broken_files_are_named() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    f.model.save(&path, false).unwrap();
    let refused = f.model.save(&path, false).unwrap_err();
    assert!(matches!(&refused, video::VideoError::Exists { path: p } if p == &path), "{refused}");
    let loaded = VideoClassifier::load(&path).unwrap();
    let clip = f.root.join("walk").join("walk_000.mp4");
    assert_eq!(loaded.predict(&clip, None).unwrap(), f.model.predict(&clip, None).unwrap());

    let edit = |from: &str, to: &str| {
        let copy = dir.path().join(format!("edited{}", to.len()));
        f.model.save(&copy, true).unwrap();
        let text = std::fs::read_to_string(copy.join(CONFIG_FILE)).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(copy.join(CONFIG_FILE), text.replacen(from, to, 1)).unwrap();
        VideoClassifier::load(&copy).err().expect("a broken model loaded").to_string()
    };
    assert!(edit("\"version\": 1", "\"version\": 9").contains("this build reads version 1"));
    assert!(edit("\"format\": \"relvis-video-fv\"", "\"format\": \"relvis-text-cnn\"")
        .contains("not a relvis video model"));
    assert!(edit("\"components\": 4", "\"components\": 5").contains("the config needs F32"));
    // A NaN in place of the last SVM bias value.
    let nan = dir.path().join("nan");
    f.model.save(&nan, false).unwrap();
    let mut bytes = std::fs::read(nan.join(WEIGHTS_FILE)).unwrap();
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(nan.join(WEIGHTS_FILE), bytes).unwrap();
    assert!(VideoClassifier::load(&nan).err().unwrap().to_string().contains("non-finite"));
    // A text model folder given to the video loader.
    std::fs::write(nan.join(CONFIG_FILE), r#"{"format": "relvis-text-cnn", "version": 1}"#)
        .unwrap();
    assert!(VideoClassifier::load(&nan)
        .err()
        .unwrap()
        .to_string()
        .contains("not a relvis video model"));
    assert!(VideoClassifier::load(Path::new("no/such/model")).is_err());
}

fn rules(text: &str) -> lrp::Composite {
    text.parse().unwrap()
}

/// The SVM step's rule in [`check_against_f64`].
#[derive(Clone, Copy)]
enum SvmRule {
    Epsilon,
    ZPlus,
}

#[test]
fn training_settings_are_checked_by_the_library() {
    let clips = [video::LabelledClip { path: "unused.mp4".into(), label: 0 }];
    let classes = ["a".to_string(), "b".to_string()];
    for (options, name) in [
        (TrainOptions { components: 0, ..TrainOptions::default() }, "components"),
        (TrainOptions { c: -1.0, ..TrainOptions::default() }, "c -1"),
        (TrainOptions { block: 0, ..TrainOptions::default() }, "block"),
        (
            TrainOptions {
                descriptor: video::DescriptorOptions { bins: 0, ..Default::default() },
                ..TrainOptions::default()
            },
            "bins",
        ),
    ] {
        // Refused before any clip is read.
        let err = video::train_classifier(&clips, &classes, &options, &|_, _| {})
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("training settings") && err.contains(name), "{err}");
    }
    assert!(TrainOptions::default().check().is_ok());
}
