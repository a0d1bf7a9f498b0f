//! Two processes writing the same `--out` at once: a file, a model folder, a folder of outputs.
//! Whatever the order, the output is whole and one process's alone; without `--force` the
//! loser is told the output exists, with `--force` the later one replaces the earlier whole.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

const OUTPUT: i32 = 6;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn xai_text(args: &[&str]) -> Command {
    let mut command = Command::cargo_bin("xai-text").expect("the binary is built");
    command.args(args);
    command
}

/// Starts both commands before waiting for either.
fn race(first: Command, second: Command) -> [Output; 2] {
    let start = |mut c: Command| {
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let (a, b) = (start(first), start(second));
    [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()]
}

/// Exactly one of the two succeeded; the other exited with the output code and `message`.
fn one_wins(outputs: &[Output; 2], message: &str) -> usize {
    let winners: Vec<usize> = (0..2).filter(|&i| outputs[i].status.success()).collect();
    assert_eq!(winners.len(), 1, "{outputs:?}");
    let loser = &outputs[1 - winners[0]];
    assert_eq!(loser.status.code(), Some(OUTPUT), "{loser:?}");
    let err = String::from_utf8_lossy(&loser.stderr);
    assert!(err.contains(message), "{err}");
    winners[0]
}

/// The files of a folder, by name, with their bytes.
fn contents(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn no_staging_left(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn two_explanations_into_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("explained.json");
    let posts = [repo("assets/demo/space.txt"), repo("assets/demo/medicine.txt")];
    // Integrated Gradients takes long enough for the two to overlap.
    let args = |post: &Path| {
        vec![
            "explain".to_string(),
            post.display().to_string(),
            "--method".into(),
            "ig:steps=50".into(),
            "--format".into(),
            "json".into(),
        ]
    };
    let expected: Vec<Vec<u8>> = posts
        .iter()
        .map(|p| {
            xai_text(&args(p).iter().map(String::as_str).collect::<Vec<_>>())
                .output()
                .unwrap()
                .stdout
        })
        .collect();
    let command = |post: &Path, force: bool| {
        let mut a = args(post);
        a.extend(["--out".to_string(), out.display().to_string()]);
        if force {
            a.push("--force".into());
        }
        xai_text(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    for round in 0..3 {
        let _ = std::fs::remove_file(&out);
        let winner = one_wins(
            &race(command(&posts[0], false), command(&posts[1], false)),
            "exists; give --force to replace it",
        );
        assert_eq!(
            std::fs::read(&out).unwrap(),
            expected[winner],
            "round {round}: the winner's output, whole"
        );
        let outputs = race(command(&posts[0], true), command(&posts[1], true));
        assert!(outputs.iter().all(|o| o.status.success()), "{outputs:?}");
        let written = std::fs::read(&out).unwrap();
        assert!(
            written == expected[0] || written == expected[1],
            "round {round}: one explanation, whole"
        );
    }
    no_staging_left(dir.path());
}

#[test]
fn two_trainings_into_one_model_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("model");
    let set = repo("assets/demo-set/tickets.csv");
    // Different filter counts: a folder mixing the two would not load.
    let command = |filters: &str, force: bool| {
        let mut args = vec![
            "train",
            "--data",
            set.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--filters",
            filters,
            "--max-len",
            "40",
            "--epochs",
            "20",
            "--min-count",
            "1",
            "--embedding-dim",
            "16",
            "--members",
            "1",
        ];
        if force {
            args.push("--force");
        }
        xai_text(&args)
    };
    let filters_of = |out: &Path| -> u64 {
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
        config["architecture"]["filters"].as_u64().unwrap()
    };
    let loads = |out: &Path| {
        xai_text(&[
            "predict",
            "--model",
            out.to_str().unwrap(),
            repo("assets/demo/space.txt").to_str().unwrap(),
        ])
        .output()
        .unwrap()
        .status
        .success()
    };
    for round in 0..3 {
        let _ = std::fs::remove_dir_all(&out);
        let winner = one_wins(
            &race(command("20", false), command("30", false)),
            "exists; give --force to replace it",
        );
        assert_eq!(filters_of(&out), [20, 30][winner], "round {round}");
        assert!(loads(&out), "round {round}");
        let outputs = race(command("20", true), command("30", true));
        assert!(outputs.iter().all(|o| o.status.success()), "{outputs:?}");
        assert!(
            [20, 30].contains(&filters_of(&out)) && loads(&out),
            "round {round}: one model, whole"
        );
    }
    no_staging_left(dir.path());
}

#[test]
fn two_planted_sets_into_one_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("planted");
    let set = repo("assets/demo-set/tickets.csv");
    let args = |seed: &str, out: &Path| {
        vec![
            "plant-cue".to_string(),
            "--data".into(),
            set.display().to_string(),
            "--class".into(),
            "billing".into(),
            "--seed".into(),
            seed.into(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let run = |a: Vec<String>| xai_text(&a.iter().map(String::as_str).collect::<Vec<_>>());
    // Each seed's folder made alone, to compare with.
    let expected: Vec<_> = ["1", "2"]
        .iter()
        .map(|seed| {
            let alone = dir.path().join(format!("alone-{seed}"));
            assert!(run(args(seed, &alone)).output().unwrap().status.success());
            contents(&alone)
        })
        .collect();
    assert_ne!(expected[0], expected[1], "the seeds plant differently");
    let forced = |seed: &str| {
        let mut a = args(seed, &out);
        a.push("--force".into());
        run(a)
    };
    for round in 0..3 {
        let _ = std::fs::remove_dir_all(&out);
        let winner = one_wins(&race(run(args("1", &out)), run(args("2", &out))), "holds files");
        assert_eq!(contents(&out), expected[winner], "round {round}");
        let outputs = race(forced("1"), forced("2"));
        assert!(outputs.iter().all(|o| o.status.success()), "{outputs:?}");
        let written = contents(&out);
        assert!(
            written == expected[0] || written == expected[1],
            "round {round}: one run's files, all of them"
        );
    }
    no_staging_left(dir.path());
}
