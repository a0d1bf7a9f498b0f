//! What users really feed `xai-text`, through the binary: each kind of bad input gives its
//! documented exit code and a message that names the input, never a panic or a partial file.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;
use outcome::testing::{has_error_line, poison_tensor};
use predicates::prelude::*;

const MISSING_INPUT: i32 = 3;
const INVALID_INPUT: i32 = 4;
const MODEL: i32 = 5;
const OUTPUT: i32 = 6;

fn xai_text() -> Command {
    Command::cargo_bin("xai-text").expect("the binary is built")
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `args`, expecting exit `code` and an error message that contains `message`.
fn fails(args: &[&str], code: i32, message: &str) {
    xai_text()
        .args(args)
        .assert()
        .code(code)
        .stderr(error_line(message))
        .stderr(predicate::str::contains("panicked").not());
}

/// Standard error holds a line `error: …` that contains `message`.
fn error_line(message: &str) -> impl predicates::Predicate<str> + '_ {
    predicate::function(move |err: &str| has_error_line(err, message))
}

/// A copy of the default model whose files `change` edits.
fn broken_model(dir: &Path, change: impl FnOnce(&Path)) -> PathBuf {
    outcome::testing::broken_model(
        &repo("assets/text-model"),
        &["config.json", "weights.safetensors", "tokenizer.json"],
        dir,
        change,
    )
}

/// Runs a command whose standard output the test has set (assert_cmd would replace it):
/// its exit code and standard error.
fn run_with_stdout(mut command: StdCommand) -> (Option<i32>, String) {
    let output = command.stderr(std::process::Stdio::piped()).output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Every number in a JSON explanation (scores, probabilities, relevances, conservation) is
/// finite: serde_json writes NaN and infinity as null.
fn assert_all_finite(json: &serde_json::Value) {
    let e = &json;
    for list in ["scores", "probabilities"] {
        assert!(
            e[list].as_array().unwrap().iter().all(|v| v.as_f64().is_some_and(f64::is_finite)),
            "{list}: {e}"
        );
    }
    assert!(e["score"].as_f64().is_some_and(f64::is_finite));
    for w in e["words"].as_array().unwrap() {
        assert!(w["relevance"].as_f64().is_some_and(f64::is_finite), "{w}");
    }
    for field in ["explained", "words", "absorbed"] {
        assert!(
            e["conservation"][field].as_f64().is_some_and(f64::is_finite),
            "conservation reported: {e}"
        );
    }
}

#[test]
fn missing_paths_and_folders_for_files_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("post.txt");
    std::fs::write(&file, "a post about orbits").unwrap();
    fails(&["predict", "no-such-post.txt"], MISSING_INPUT, "no-such-post.txt");
    fails(&["predict", arg(dir.path())], MISSING_INPUT, arg(dir.path()));
    // Through a file as if it were a folder.
    let below = file.join("child.txt");
    fails(&["predict", arg(&below)], MISSING_INPUT, "child.txt");
    fails(&["accuracy", "--data", "no-such-set.tar.gz"], MISSING_INPUT, "no-such-set.tar.gz");
    fails(&["explain", "no-such-folder/"], MISSING_INPUT, "no-such-folder");
}

#[test]
fn a_loop_of_symbolic_links_is_unreadable_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let message = format!("{}: Too many levels of symbolic links", a.display());
    fails(&["predict", arg(&a)], MISSING_INPUT, &message);
    fails(&["explain", arg(&a)], MISSING_INPUT, &message);
    // A data set's name is judged only once the path can be read.
    let set = dir.path().join("set");
    std::os::unix::fs::symlink(&set, &set).unwrap();
    fails(
        &["train", "--data", arg(&set), "--out", arg(&dir.path().join("m"))],
        MISSING_INPUT,
        "Too many levels of symbolic links",
    );
}

#[test]
fn unreadable_files_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "a post about orbits").unwrap();
    set_mode(dir.path(), 0o755);
    set_mode(&secret, 0o000);
    let mut command =
        outcome::testing::unprivileged(&assert_cmd::cargo::cargo_bin("xai-text"), dir.path());
    command.args(["predict", arg(&secret)]);
    Command::from_std(command).assert().code(MISSING_INPUT).stderr(
        predicate::str::contains("secret.txt").and(predicate::str::contains("ermission denied")),
    );
}

#[test]
fn empty_and_binary_documents_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let empty = write("empty.txt", b"");
    let blank = write("blank.txt", b" \n\t\n");
    let nul = write("image.png", &[0x89, b'P', b'N', b'G', 0, 0, 0, 13, 1, 2, 3]);
    let control: Vec<u8> = (0..4000u32).map(|i| (i * 7 % 251) as u8 + 1).collect();
    let noise = write("noise.bin", &control);
    fails(&["predict", arg(&empty)], INVALID_INPUT, "empty.txt: the document is empty");
    fails(&["predict", arg(&blank)], INVALID_INPUT, "blank.txt: the document is empty");
    fails(&["predict", arg(&nul)], INVALID_INPUT, "image.png: binary data");
    // An endless stream for a document: read up to the bound, then refused.
    fails(
        &["predict", "/dev/zero"],
        INVALID_INPUT,
        "/dev/zero: larger than 256 MiB, the most relvis reads for one document",
    );
    fails(&["explain", arg(&noise)], INVALID_INPUT, "noise.bin: binary data");
    xai_text()
        .args(["predict", "-"])
        .write_stdin(Vec::<u8>::new())
        .assert()
        .code(INVALID_INPUT)
        .stderr(predicate::str::contains("-: the document is empty"));
}

#[test]
fn latin1_and_mixed_encodings_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(
        &latin1,
        b"The caf\xe9 near the launch pad: the shuttle's orbit, na\xefve rockets.",
    )
    .unwrap();
    let mixed = dir.path().join("mixed.txt");
    std::fs::write(
        &mixed,
        b"Caf\xc3\xa9 in UTF-8, caf\xe9 in latin-1: the goalie stopped the puck.",
    )
    .unwrap();
    xai_text()
        .args(["predict", arg(&latin1)])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("predicted: sci.space"));
    let out = xai_text()
        .args(["explain", arg(&mixed), "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        json["text"].as_str().unwrap().contains("café in latin-1"),
        "latin-1 decoded byte for byte"
    );
    assert_all_finite(&json);
}

#[test]
fn utf16_and_marked_utf8_documents_are_read_by_their_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let text = "The caf\u{e9} near the launch pad: the shuttle's orbit, na\u{ef}ve rockets.\r\n";
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let plain = write("plain.txt", text.as_bytes().to_vec());
    let utf8_marked = write("marked.txt", [&[0xef, 0xbb, 0xbf][..], text.as_bytes()].concat());
    let utf16_le = write(
        "unicode.txt",
        [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect(),
    );
    let utf16_be = write(
        "big-endian.txt",
        [0xfe, 0xff].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect(),
    );
    let explain = |path: &Path| -> serde_json::Value {
        let out = xai_text()
            .args(["explain", arg(path), "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let expected = explain(&plain);
    assert_eq!(expected["text"].as_str().unwrap(), text);
    for path in [&utf8_marked, &utf16_le, &utf16_be] {
        assert_eq!(
            explain(path),
            expected,
            "{}: the same words, relevance and text as the plain UTF-8 file",
            path.display()
        );
    }
    // UTF-16 without its mark is still refused, and the message says what would read it.
    let unmarked = write("unmarked.txt", text.encode_utf16().flat_map(u16::to_le_bytes).collect());
    fails(&["predict", arg(&unmarked)], INVALID_INPUT, "unmarked.txt: binary data (NUL bytes), not a text document (UTF-16 or UTF-32 text needs a byte-order mark)");
    let odd = write("odd.txt", vec![0xff, 0xfe, b'h', 0, b'i']);
    fails(&["explain", arg(&odd)], INVALID_INPUT, "odd.txt: 3 bytes after the byte-order mark");
}

#[test]
fn a_json_lines_set_with_nested_text_names_the_field_and_its_type() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("nested.jsonl");
    let line = |body: &str, label: &str| {
        format!(r#"{{"text": {{"body": "{body}"}}, "label": "{label}"}}"#)
    };
    std::fs::write(
        &set,
        [line("great battery", "good"), line("awful screen", "bad"), line("lovely", "good")]
            .join("\n"),
    )
    .unwrap();
    let out = dir.path().join("model");
    fails(
        &["train", "--data", arg(&set), "--out", arg(&out)],
        INVALID_INPUT,
        "nested.jsonl: 0 classes found; a classifier needs at least two; 3 documents were skipped, 3 of them for: `text` is an object, not a string (first nested.jsonl:1)",
    );
    assert!(!out.exists());
}

#[test]
fn documents_of_words_the_model_does_not_know_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let cjk = dir.path().join("cjk.txt");
    std::fs::write(&cjk, "日本語 のテキスト 😀😀").unwrap();
    let note = "the model knows none of the 3 words it read: its decision does not rest on this document's words";
    let out = xai_text()
        .args(["predict", arg(&cjk), "--json"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("warning: {}: {note}", cjk.display())));
    let prediction: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(prediction["known_words"], serde_json::json!({"known": 0, "read": 3}));
    xai_text()
        .args(["explain", arg(&cjk), "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("({note})")));
    // Some words known: counted, noted, no warning.
    let out = xai_text()
        .args(["explain", "--text", "the shuttle zzqxv qqxzv orbit", "--format", "json"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["known_words"], serde_json::json!({"known": 3, "read": 5}));
    xai_text()
        .args(["explain", "--text", "the shuttle zzqxv qqxzv orbit", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("(the model knows 3 of the 5 words it read; the others are all one unknown token to it)"));
    xai_text()
        .args(["explain", "--text", "the shuttle reached orbit", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("words it read").not());
}

#[test]
fn relevance_on_padding_is_reported_as_padding() {
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo("assets/text-model/config.json")).unwrap())
            .unwrap();
    let width = config["architecture"]["width"].as_u64().unwrap() as f64;
    // One word, padded to the filters' width: flat spreads the score evenly over the window's
    // positions (and is blind to biases), so the word gets 1/width of it and padding the rest.
    let out = xai_text()
        .args(["explain", "--text", "orbit", "--rule", "flat", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let c = serde_json::from_slice::<serde_json::Value>(&out).unwrap()["conservation"].clone();
    let part = |name: &str| c[name].as_f64().unwrap() / c["explained"].as_f64().unwrap();
    assert!((part("words") - 1.0 / width).abs() < 1e-4, "{c}");
    assert!((part("padding") - (width - 1.0) / width).abs() < 1e-4, "{c}");
    assert!(part("absorbed").abs() < 1e-4, "{c}");
    xai_text()
        .args(["explain", "--text", "orbit", "--rule", "wsquare", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("; padding took "));
    // As long as the window: no padding, none reported.
    let words = vec!["orbit"; width as usize].join(" ");
    let out = xai_text()
        .args(["explain", "--text", &words, "--rule", "flat", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let c = serde_json::from_slice::<serde_json::Value>(&out).unwrap()["conservation"].clone();
    assert_eq!(c["padding"], 0.0);
    xai_text()
        .args(["explain", "--text", &words, "--rule", "flat", "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("padding").not());
}

#[test]
fn a_50_mb_document_is_read_as_far_as_the_model_looks() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    let paragraph =
        "The shuttle reached orbit after the launch; the crew tested the engines.\n".repeat(1000);
    let text = paragraph.repeat(50_000_000 / paragraph.len() + 1);
    std::fs::write(&big, &text).unwrap();
    xai_text()
        .args(["predict", arg(&big)])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("predicted: sci.space"));
    let out = xai_text()
        .args(["explain", arg(&big), "--color", "never"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.len() < 100_000, "the explanation shows the window and a margin, not 50 MB");
    assert!(
        out.contains("more bytes of the document are not shown"),
        "{}",
        &out[out.len() - 400..]
    );
}

#[test]
fn punctuation_unknown_words_and_constant_documents_give_finite_relevance() {
    for text in [
        "!!! ??? ... ;;; --- !!!",
        "zqxv wkjh qqpl vzzk xxqj",
        "the the the the the the the the",
        "?",
    ] {
        let out = xai_text()
            .args(["explain", "--text", text, "--format", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_all_finite(&json);
        let c = &json["conservation"];
        let sum: f64 = json["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["relevance"].as_f64().unwrap())
            .sum();
        assert!(
            (sum - c["words"].as_f64().unwrap()).abs() < 1e-3,
            "{text}: words sum to the reported total"
        );
        for method in ["sa", "gxi"] {
            let out = xai_text()
                .args(["explain", "--text", text, "--format", "json", "--method", method])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert!(
                json["words"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|w| w["relevance"].as_f64().is_some_and(f64::is_finite)),
                "{method} on {text}"
            );
        }
    }
}

/// A tiny 20 Newsgroups-like archive, and the same cut in half.
fn archives(dir: &Path) -> (PathBuf, PathBuf) {
    let whole = dir.join("set.tar.gz");
    let encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&whole).unwrap(),
        flate2::Compression::default(),
    );
    let mut archive = tar::Builder::new(encoder);
    for (i, (split, group)) in [
        ("train", "sci.space"),
        ("train", "rec.autos"),
        ("test", "sci.space"),
        ("test", "rec.autos"),
    ]
    .iter()
    .enumerate()
    {
        let body =
            format!("Subject: post {i}\n\n{}", "words about the topic of this group ".repeat(200));
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive
            .append_data(&mut header, format!("20news-bydate-{split}/{group}/{i}"), body.as_bytes())
            .unwrap();
    }
    archive.into_inner().unwrap().finish().unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    (whole, cut)
}

#[test]
fn truncated_archives_and_non_archives_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cut) = archives(dir.path());
    let notes = dir.path().join("notes.tar.gz");
    std::fs::write(&notes, "just some notes, not an archive").unwrap();
    let empty = dir.path().join("empty.tar.gz");
    std::fs::write(&empty, "").unwrap();
    let model = repo("assets/text-model");
    for path in [&cut, &notes, &empty] {
        let name = path.file_name().unwrap().to_str().unwrap();
        fails(&["accuracy", "--data", arg(path), "--model", arg(&model)], INVALID_INPUT, name);
    }
}

#[test]
fn broken_missing_and_foreign_models_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let post = repo("assets/demo/space.txt");
    let post = arg(&post);
    let truncated = broken_model(&dir.path().join("a"), |m| {
        let weights = m.join("weights.safetensors");
        let bytes = std::fs::read(&weights).unwrap();
        std::fs::write(&weights, &bytes[..bytes.len() / 3]).unwrap();
    });
    fails(&["predict", post, "--model", arg(&truncated)], MODEL, "weights.safetensors");
    let newer = broken_model(&dir.path().join("b"), |m| {
        let config = std::fs::read_to_string(m.join("config.json")).unwrap().replacen(
            "\"version\": 2",
            "\"version\": 7",
            1,
        );
        std::fs::write(m.join("config.json"), config).unwrap();
    });
    fails(
        &["predict", post, "--model", arg(&newer)],
        MODEL,
        "format version Some(7); this build reads versions 1 to 2",
    );
    let nan = broken_model(&dir.path().join("c"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "dense.bias", f32::NAN)
    });
    fails(
        &["predict", post, "--model", arg(&nan)],
        MODEL,
        "tensor `dense.bias` holds a non-finite value",
    );
    // Beyond half precision's range (the default model is stored as f16): infinity. (An f32
    // model's finite but huge weights, which would overflow the scores, are tested in the text crate.)
    let huge = broken_model(&dir.path().join("e"), |m| {
        poison_tensor(&m.join("weights.safetensors"), "conv.weight", 3e35)
    });
    fails(
        &["predict", post, "--model", arg(&huge)],
        MODEL,
        "tensor `conv.weight` holds a non-finite value at index 0",
    );
    let no_tokenizer = broken_model(&dir.path().join("d"), |m| {
        std::fs::remove_file(m.join("tokenizer.json")).unwrap()
    });
    fails(&["predict", post, "--model", arg(&no_tokenizer)], MODEL, "tokenizer.json");
    fails(
        &["predict", post, "--model", arg(&repo("assets/video-model"))],
        MODEL,
        "a relvis video model folder; xai-text needs a text model",
    );
    fails(&["predict", post, "--model", "no-such-model"], MODEL, "no-such-model");
    fails(&["predict", post, "--model", post], MODEL, "space.txt");
    // A model file that never ends (a device) is refused before it is read, in a relvis
    // folder and in an ONNX one.
    for file in ["config.json", "weights.safetensors", "tokenizer.json"] {
        let endless = broken_model(&dir.path().join(format!("zero-{file}")), |m| {
            std::fs::remove_file(m.join(file)).unwrap();
            std::os::unix::fs::symlink("/dev/zero", m.join(file)).unwrap();
        });
        fails(
            &["predict", post, "--model", arg(&endless)],
            MODEL,
            &format!(
                "{file}: not a regular file (a device, a pipe or a socket, whose end is not known)"
            ),
        );
    }
    let onnx = repo("crates/text/tests/fixtures/onnx-kim");
    for file in ["model.onnx", "tokenizer.json", "config.json"] {
        let endless = outcome::testing::broken_model(
            &onnx,
            &["model.onnx", "tokenizer.json", "config.json"],
            &dir.path().join(format!("onnx-{file}")),
            |m| {
                std::fs::remove_file(m.join(file)).unwrap();
                std::os::unix::fs::symlink("/dev/zero", m.join(file)).unwrap();
            },
        );
        xai_text()
            .args(["predict", post, "--model", arg(&endless)])
            .assert()
            .code(MODEL)
            .stderr(error_line(&format!("{file}: not a regular file")))
            .stderr(predicate::str::contains("panicked").not());
    }
    // Another model's tokenizer (here one word short): the message names the tokenizer's file.
    let foreign = broken_model(&dir.path().join("f"), |m| {
        let mut tokenizer: serde_json::Value =
            serde_json::from_slice(&std::fs::read(m.join("tokenizer.json")).unwrap()).unwrap();
        let vocab = tokenizer["model"]["vocab"].as_object_mut().unwrap();
        let last =
            vocab.iter().max_by_key(|(_, id)| id.as_u64()).map(|(word, _)| word.clone()).unwrap();
        vocab.remove(&last);
        std::fs::write(m.join("tokenizer.json"), tokenizer.to_string()).unwrap();
    });
    let message = format!("{}: 37730 tokens, but the embedding in {} has 37731 rows; the tokenizer belongs to another model", foreign.join("tokenizer.json").display(), foreign.join("weights.safetensors").display());
    fails(&["predict", post, "--model", arg(&foreign)], MODEL, &message);
    // An architecture that cannot be: said in its fields' words, not as a Rust value.
    for (edit, message) in [
        (("\"max_len\": 1000", "\"max_len\": 2"), "config.json: the architecture: `max_len` 2 is shorter than the filters' `width` 3"),
        (("\"filters\": 4000", "\"filters\": 0"), "config.json: the architecture: `filters` is 0"),
        (("\"vocab\": 37731", "\"vocab\": 1"), "config.json: the architecture: `vocab` is 1; it needs at least 2 (padding and the unknown token)"),
    ] {
        let odd = broken_model(&dir.path().join(edit.1.replace([' ', '"', ':'], "")), |m| {
            let config = std::fs::read_to_string(m.join("config.json")).unwrap();
            assert!(config.contains(edit.0));
            std::fs::write(m.join("config.json"), config.replacen(edit.0, edit.1, 1)).unwrap();
        });
        xai_text().args(["predict", post, "--model", arg(&odd)]).assert().code(MODEL).stderr(error_line(message)).stderr(predicate::str::contains("Architecture {").not());
    }
}

#[test]
fn existing_outputs_are_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, "mine").unwrap();
    let args =
        ["explain", "--text", "the shuttle reached orbit", "--format", "html", "--out", arg(&page)];
    fails(&args, OUTPUT, "page.html exists; give --force to replace it");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "mine");
    xai_text().args(args).arg("--force").assert().success();
    assert!(std::fs::read_to_string(&page).unwrap().starts_with("<!DOCTYPE html>"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    fails(&["explain", "--text", "orbit", "--out", arg(&folder), "--force"], OUTPUT, "is a folder");
}

#[test]
fn force_never_deletes_a_folder_of_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("work");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "mine").unwrap();
    let set = repo("assets/demo-set/tickets.csv");
    let tiny = [
        "--filters",
        "4",
        "--embedding-dim",
        "4",
        "--max-len",
        "8",
        "--epochs",
        "1",
        "--min-count",
        "1",
        "--force",
    ];
    xai_text()
        .args(["train", "--data", arg(&set), "--out", arg(&folder)])
        .args(tiny)
        .assert()
        .code(OUTPUT)
        .stderr(error_line("not replaced"));
    assert_eq!(std::fs::read_to_string(folder.join("notes.txt")).unwrap(), "mine");
    // An earlier model folder is replaced, readable by all.
    let model = dir.path().join("model");
    xai_text()
        .args(["train", "--data", arg(&set), "--out", arg(&model)])
        .args(tiny)
        .assert()
        .success();
    xai_text()
        .args(["train", "--data", arg(&set), "--out", arg(&model)])
        .args(tiny)
        .assert()
        .success();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&model).unwrap().permissions().mode() & 0o777, 0o755);
    assert_eq!(
        std::fs::metadata(model.join("weights.safetensors")).unwrap().permissions().mode() & 0o444,
        0o444
    );
}

#[test]
fn nonsense_training_options_exit_2() {
    let set = repo("assets/demo-set/tickets.csv");
    for (flag, value) in [
        ("--epochs", "0"),
        ("--width", "0"),
        ("--filters", "0"),
        ("--max-len", "1"),
        ("--learning-rate", "nan"),
        ("--dropout", "2"),
        ("--weight-average", "1"),
        ("--validation-fraction", "1"),
        ("--members", "0"),
    ] {
        fails(&["train", "--data", arg(&set), "--out", "never-written", flag, value], 2, flag);
    }
    fails(
        &["train", "--data", arg(&set), "--out", "never-written", "--add-embedding-words"],
        2,
        "required arguments were not provided",
    );
    assert!(!Path::new("never-written").exists());
    fails(&["explain", "--text", "orbit", "--method", "magic"], 2, "method `magic`");
}

#[test]
fn read_only_folders_exit_6() {
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    set_mode(dir.path(), 0o755);
    set_mode(&locked, 0o555);
    let out = locked.join("page.html");
    let mut command =
        outcome::testing::unprivileged(&assert_cmd::cargo::cargo_bin("xai-text"), dir.path());
    command.args([
        "explain",
        "--text",
        "the shuttle reached orbit",
        "--format",
        "html",
        "--out",
        arg(&out),
    ]);
    Command::from_std(command).assert().code(OUTPUT).stderr(
        predicate::str::contains("page.html").and(predicate::str::contains("ermission denied")),
    );
    assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0);
}

#[test]
fn a_full_disk_leaves_no_partial_file_and_exits_6() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("explanation.json");
    let post = repo("assets/demo/space.txt");
    let mut command = StdCommand::cargo_bin("xai-text").unwrap();
    command.args(["explain", arg(&post), "--format", "json", "--out", arg(&out)]);
    outcome::testing::file_size_limit(&mut command, 2000);
    Command::from_std(command).assert().code(OUTPUT).stderr(
        predicate::str::contains("explanation.json")
            .and(predicate::str::contains("File too large")),
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "neither the output nor its temporary file"
    );
    // Standard output on a full device.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let mut command = StdCommand::cargo_bin("xai-text").unwrap();
    command.args(["predict", arg(&post)]).stdout(full);
    let (code, err) = run_with_stdout(command);
    assert_eq!(code, Some(OUTPUT), "{err}");
    assert!(err.contains("error: standard output: No space left on device"), "{err}");
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = StdCommand::cargo_bin("xai-text").unwrap();
    command
        .args(["explain", arg(&repo("assets/demo/space.txt")), "--color", "never"])
        .stdout(writer);
    assert_eq!(run_with_stdout(command), (Some(0), String::new()));
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
